import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PredlabError } from '../../main/errors.js';
import { LATEST_VERSION } from '../../main/store/migrations.js';
import { openDatabase, schemaVersion } from '../../main/store/db.js';
import { tempDir } from '../support/db.js';

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('store', () => {
  it('creates the schema in an empty database, in WAL mode', () => {
    const file = path.join(tempDir(), 'new.sqlite');
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(['models', 'participants', 'protocols', 'sessions', 'trials']);
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

  it('refuses an unreadable file with its reason', () => {
    if (process.getuid?.() === 0) {
      // root reads anything; a directory in the file's place is unreadable as a database for everyone
      const dir = path.join(tempDir(), 'lab.sqlite');
      fs.mkdirSync(dir);
      expect(() => openDatabase(dir)).toThrow(/Cannot read the database file|Cannot open the database/);
      return;
    }
    const file = path.join(tempDir(), 'locked.sqlite');
    openDatabase(file).close();
    fs.chmodSync(file, 0o000);
    expect(() => openDatabase(file)).toThrow(/Cannot read the database file/);
  });
});
