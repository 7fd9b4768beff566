/**
 * `npm run dist` where Electron's zip cannot be fetched (issue 23): one line naming what to provide
 * (ELECTRON_MIRROR, electron_config_cache), no stack trace, and nothing built; with the zip in
 * Electron's cache it goes on to the native-parts check (seen with --dry-run, which stops there).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const tsx = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
const version = (require('electron/package.json') as { version: string }).version;

/** A port nobody listens on (bound, then closed): the download is refused at once, as offline. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function dist(env: Record<string, string>, ...args: string[]) {
  const { ELECTRON_MIRROR: _m, electron_config_cache: _c, ELECTRON_CACHE: _e, ...inherited } = process.env;
  return spawnSync(process.execPath, [tsx, 'scripts/dist.ts', ...args], { cwd: root, env: { ...inherited, HOME: tempDir(), XDG_CACHE_HOME: tempDir(), ...env }, encoding: 'utf8', timeout: 120_000 });
}

describe('npm run dist without network', () => {
  it('ends in one line naming ELECTRON_MIRROR and electron_config_cache, with no stack trace', async () => {
    const cache = tempDir();
    const r = dist({ ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/`, electron_config_cache: cache });
    expect(r.status).toBe(1);
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'));
    expect(lines, lines.join('\n')).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^npm run dist: cannot get Electron ${version.replace(/\./g, '\\.')} for ${process.platform}-${process.arch} \\(127\\.0\\.0\\.1:\\d+: ECONNREFUSED\\)`));
    expect(lines[0]).toContain(`put electron-v${version}-${process.platform}-${process.arch}.zip in the folder named by electron_config_cache`);
    expect(lines[0]).toContain('ELECTRON_MIRROR');
  });

  it('uses a zip already in Electron’s cache, without the network', async () => {
    const cache = tempDir();
    const zipDir = path.join(cache, 'a1b2c3');
    fs.mkdirSync(zipDir);
    fs.writeFileSync(path.join(zipDir, `electron-v${version}-${process.platform}-${process.arch}.zip`), 'zip');
    const r = dist({ ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/`, electron_config_cache: cache }, '--dry-run');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toContain(`-c.electronDist=${zipDir}`);
    expect(r.status).toBe(0);
  });
});
