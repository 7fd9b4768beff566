/** `npm start` without network: a message saying what to do, not a stack trace (issue 10, defect 8). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('electron/package.json'));
const pathFile = path.join(pkgDir, 'path.txt');
// Where the binary is installed the script would launch the app: the smoke test covers that case.
const installed = fs.existsSync(pathFile) && fs.existsSync(path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8')));

describe('launch-electron', () => {
  it.skipIf(installed)('without the binary and no way to fetch it, says what to do and that the CLI works', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-electron-cache-'));
    // A mirror nobody listens on: the download fails at once, as it does offline.
    const { ELECTRON_OVERRIDE_DIST_PATH: _override, ...inherited } = process.env;
    const env = { ...inherited, ELECTRON_MIRROR: 'http://127.0.0.1:9/', ELECTRON_CACHE: cache };
    const r = spawnSync(process.execPath, ['scripts/launch-electron.mjs'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Could not get the Electron \d+\.\d+\.\d+ binary/);
    expect(r.stderr).toMatch(/ELECTRON_MIRROR/);
    expect(r.stderr).toMatch(/the CLI/);
    expect(r.stderr + r.stdout).not.toMatch(/^\s+at /m);
    // One line (issue 23), naming the cache folder a zip can be put in.
    expect(r.stderr.split('\n').filter((l) => l.trim())).toHaveLength(1);
    expect(r.stderr).toMatch(/electron_config_cache/);
    fs.rmSync(cache, { recursive: true, force: true });
  });
});
