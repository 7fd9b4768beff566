/**
 * scripts/electron-native.mjs builds better-sqlite3 for Electron in its own folder and never
 * touches node_modules/better-sqlite3, which the CLI and the tests load (issue 8, defect 4).
 * Here Electron's headers cannot be downloaded, so the build fails: it must say so clearly and
 * leave both the Node copy and the target folder as they were.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const nodeCopy = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release');
const binary = path.join(nodeCopy, 'better_sqlite3.node');
const fingerprint = () => ({ sha256: crypto.createHash('sha256').update(fs.readFileSync(binary)).digest('hex'), mtimeMs: fs.statSync(binary).mtimeMs, dirMtimeMs: fs.statSync(nodeCopy).mtimeMs });

describe('building better-sqlite3 for Electron', () => {
  it('never touches the copy in node_modules, and fails clearly when it cannot build', { timeout: 120_000 }, () => {
    const before = fingerprint();
    const target = path.join(tempDir(), 'electron-native');
    // No cached headers (a fresh HOME) and a headers URL that refuses: the build must fail.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_config_')));
    Object.assign(env, { HOME: tempDir(), PREDLAB_ELECTRON_NATIVE_DIR: target, PREDLAB_ELECTRON_HEADERS_URL: 'http://127.0.0.1:9/headers' });
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'electron-native.mjs')], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
    expect(fingerprint()).toEqual(before);
    // Every module rebuild named in the output is in the scratch folder, none in ./node_modules.
    for (const m of r.stderr.matchAll(/rebuild '([^']+)'/g)) expect(m[1]!.startsWith(`${target}.building`), m[1]).toBe(true);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/Could not build better-sqlite3 for Electron .*\nThis step downloads Electron's headers/);
    expect(r.stderr).toMatch(/PREDLAB_ELECTRON_HEADERS_URL/);
    expect(r.stderr).toMatch(/The CLI \(npx predlab\) and the tests do not need it/);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(`${target}.building`)).toBe(false);
  });
});
