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
  it('never touches the copy in node_modules, and fails clearly when it cannot build', () => {
    const before = fingerprint();
    const target = path.join(tempDir(), 'electron-native');
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'electron-native.mjs')], { cwd: root, env: { ...process.env, PREDLAB_ELECTRON_NATIVE_DIR: target }, encoding: 'utf8', timeout: 300_000 });
    expect(fingerprint()).toEqual(before);
    // Every module rebuild named in the output is in the scratch folder, none in ./node_modules.
    for (const m of r.stderr.matchAll(/rebuild '([^']+)'/g)) expect(m[1]!.startsWith(`${target}.building`), m[1]).toBe(true);
    if (r.status === 0) {
      // A machine that can reach Electron's headers: the Electron copy is in the target folder.
      expect(fs.existsSync(path.join(target, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/Could not build better-sqlite3 for Electron .*\nThis step downloads Electron's headers/);
      expect(r.stderr).toMatch(/The CLI \(npx predlab\) and the tests do not need it/);
      expect(fs.existsSync(target)).toBe(false);
      expect(fs.existsSync(`${target}.building`)).toBe(false);
    }
  });
});
