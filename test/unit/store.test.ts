import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PredlabError } from '../../main/errors.js';
import { simulateSession } from '../../main/services/simulate.js';
import { LATEST_VERSION } from '../../main/store/migrations.js';
import { BACKUPS_KEPT, backupDatabase, listBackups, openDatabase, schemaVersion } from '../../main/store/db.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

/** A lab with one simulated session of `trials` trials, closed; in a folder others may enter. */
function lab(trialsPerOffset = 4): { dir: string; file: string } {
  const dir = tempDir();
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'lab.sqlite');
  const db = openDatabase(file, { backups: false });
  simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset }, seed: 1, observer: { pse: 0.5, sigma: 0.4, guess: 0.02, lapse: 0.02 } });
  db.close();
  return { dir, file };
}

/** openDatabase in a child process as an ordinary user (nobody, when the tests run as root), so permissions apply. */
function asUser(mode: 'read' | 'write', file: string): { ok: boolean; trials?: number; message?: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'support', 'store-child.ts'), mode, file], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    ...(isRoot ? { uid: NOBODY, gid: NOBODY, env: { ...process.env, HOME: '/tmp' } } : {}),
  });
  const line = r.stdout.trim().split('\n').at(-1);
  if (!line?.startsWith('{')) throw new Error(`store child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line);
}

function openError(file: string, options = {}): Error {
  try {
    openDatabase(file, options).close();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected openDatabase to fail');
}

describe('store', () => {
  it('creates the schema in an empty database, in WAL mode', () => {
    const file = path.join(tempDir(), 'new.sqlite');
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(['datasets', 'jobs', 'models', 'monitor_profiles', 'participants', 'protocols', 'recordings', 'sessions', 'studies', 'study_sessions', 'trials']);
    db.close();
    // Reopening is a no-op.
    const again = openDatabase(file);
    expect(schemaVersion(again)).toBe(LATEST_VERSION);
    again.close();
  });

  it('upgrades an older (version 1) database and keeps its data', () => {
    const file = path.join(tempDir(), 'old.sqlite');
    const v1 = openDatabase(file, { targetVersion: 1 });
    expect(schemaVersion(v1)).toBe(1);
    v1.prepare("INSERT INTO participants (kind, label) VALUES ('human', 'P01')").run();
    v1.prepare("INSERT INTO protocols (paradigm_id, parameters, seed) VALUES ('flash-lag', '{}', 4)").run();
    v1.prepare("INSERT INTO sessions (participant_id, protocol_id, status, app_version) VALUES (1, 1, 'running', '0.0.1')").run();
    v1.prepare("INSERT INTO trials (session_id, trial_index, condition, stimulus, response, rt_ms, dropped_frames) VALUES (1, 0, 'offset=+0.00', '{}', 'left', 512, 1)").run();
    expect(() => v1.prepare('SELECT frame_count FROM trials').all()).toThrow();
    v1.close();

    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    const trial = db.prepare('SELECT * FROM trials').get() as Record<string, unknown>;
    expect(trial).toMatchObject({ trial_index: 0, response: 'left', rt_ms: 512, dropped_frames: 1, frame_count: null });
    expect(db.prepare('SELECT source FROM sessions').get()).toEqual({ source: 'app' });
    db.close();
  });

  it('refuses a file that is not SQLite, and leaves it untouched', () => {
    const file = path.join(tempDir(), 'notes.sqlite');
    fs.writeFileSync(file, 'these are my notes, not a database\n'.repeat(20));
    const before = sha(file);
    expect(() => openDatabase(file)).toThrow(/not a SQLite database/);
    expect(sha(file)).toBe(before);
  });

  it("refuses another program's SQLite database, and leaves it untouched", () => {
    const file = path.join(tempDir(), 'other.sqlite');
    const other = new Database(file);
    other.exec('CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES (\'x\')');
    other.close();
    const before = sha(file);
    const err = (() => {
      try {
        openDatabase(file);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PredlabError);
    expect((err as Error).message).toMatch(/not a PredLab one/);
    expect(sha(file)).toBe(before);
  });

  it('refuses a database from a newer PredLab', () => {
    const file = path.join(tempDir(), 'future.sqlite');
    const db = openDatabase(file);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer PredLab/);
  });

  it('refuses an unreadable file with its reason (as an ordinary user, also when the tests run as root)', () => {
    const { dir, file } = lab(1);
    fs.chmodSync(file, 0o000);
    const r = asUser('read', file);
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/Cannot read the database file .*permission denied/i) });
    fs.chmodSync(dir, 0o755);
  });

  it('refuses to write to a damaged file, says how to recover, and changes nothing', () => {
    const { file } = lab(10);
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    // Scribble over every page but the first (the header and schema stay readable).
    const garbage = Buffer.alloc(size - 4096, 0xa5);
    fs.writeSync(fd, garbage, 0, garbage.length, 4096);
    fs.closeSync(fd);
    const before = sha(file);
    for (const options of [{}, { readonly: true }]) {
      const err = openError(file, options);
      expect(err).toBeInstanceOf(PredlabError);
      expect(err.message).toMatch(/is damaged .*will not write to it.*Restore the newest copy from .*backups/s);
    }
    expect(sha(file)).toBe(before);
    expect(fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0).toBe(false);
  });

  it('a read-only file: read-only commands work, writing is refused with the reason', () => {
    const { dir, file } = lab(2);
    fs.chmodSync(dir, 0o777); // the folder is writable, the file is not (owned by someone else, 0644)
    fs.chmodSync(file, 0o444);
    expect(asUser('read', file)).toEqual({ ok: true, trials: 14 });
    const before = sha(file);
    expect(asUser('write', file)).toMatchObject({ ok: false, message: expect.stringMatching(/cannot be written: the file is read-only.*Commands that only read still work/s) });
    expect(sha(file)).toBe(before);
  });

  it('a read-only folder: read-only commands work on a WAL database, writing is refused', () => {
    const { dir, file } = lab(2);
    expect(fs.readFileSync(file).subarray(18, 20)).toEqual(Buffer.from([2, 2])); // header: WAL mode
    expect(fs.readdirSync(dir)).toEqual(['lab.sqlite']); // no -shm: a reader here would have to create one
    const before = sha(file);
    fs.chmodSync(file, 0o666); // only the folder is read-only
    fs.chmodSync(dir, 0o555);
    try {
      expect(asUser('read', file)).toEqual({ ok: true, trials: 14 });
      expect(asUser('write', file)).toMatchObject({ ok: false, message: expect.stringMatching(/cannot be written: its folder .* is read-only/) });
    } finally {
      fs.chmodSync(dir, 0o755);
    }
    expect(sha(file)).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['lab.sqlite']);
  });

  it('a database locked by another program: waits the stated time, then says so; readers still read', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lab.sqlite');
    openDatabase(file, { targetVersion: 1 }).close(); // needs a migration, so opening must write
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const t0 = performance.now();
      const err = openError(file, { busyTimeoutMs: 400 });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
      expect(err.message).toMatch(/is locked by another program .* within 0.4 s/);
      const reader = openDatabase(file, { readonly: true, busyTimeoutMs: 400 });
      expect(schemaVersion(reader)).toBe(1);
      reader.close();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a read-only command on a mistyped path creates nothing', () => {
    const dir = tempDir();
    const file = path.join(dir, 'typo', 'deeper', 'lab.sqlite');
    const err = openError(file, { readonly: true });
    expect(err).toMatchObject({ code: 'not-found', message: expect.stringMatching(/There is no database at .*nothing was created/) });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('backs up before migrating and once a day, keeping the newest few', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lab.sqlite');
    const v1 = openDatabase(file, { targetVersion: 1 });
    v1.prepare("INSERT INTO participants (kind, label) VALUES ('human', 'P01')").run();
    v1.close();
    expect(listBackups(file)).toEqual([]); // an empty new database is not worth a copy
    openDatabase(file).close();
    const [before] = listBackups(file);
    expect(before).toMatch(/lab-.*-before-v\d+\.sqlite$/);
    const copy = new Database(before!, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(1);
    expect(copy.prepare('SELECT label FROM participants').all()).toEqual([{ label: 'P01' }]);
    copy.close();
    // The next opening the same day makes none; an old newest backup makes a daily one.
    openDatabase(file).close();
    expect(listBackups(file)).toHaveLength(1);
    const old = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(before!, old, old);
    openDatabase(file).close();
    expect(listBackups(file)[0]).toMatch(/-daily\.sqlite$/);
    const db = openDatabase(file);
    for (let i = 0; i < BACKUPS_KEPT + 2; i++) backupDatabase(db, file, `test${i}`);
    db.close();
    expect(listBackups(file)).toHaveLength(BACKUPS_KEPT);
  });
});
