/**
 * Hostile and damaged files that size work or hide a failure (issue 21, items 5, 6, 10, 11):
 * each is refused through the CLI with one line naming the file and the reason, no stack trace,
 * and nothing is stored.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { FULL_CHECK_LIMIT_BYTES } from '../../main/store/db.js';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';

/** One line on stderr (progress lines aside), no stack, exit 1. */
function refusedInOneLine(r: { code: number | null; stdout: string; stderr: string }, says: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n').filter((l) => !/^(imported|exported) \d+/.test(l)), r.stderr).toHaveLength(1);
  expect(r.stderr + r.stdout).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(says);
}

describe('an image folder with an unreadable image', () => {
  it('is refused, naming the image; nothing is stored (not a silently shorter recording)', () => {
    const dir = tempDir('predlab-bad-image-');
    const images = path.join(dir, 'images');
    fs.mkdirSync(images);
    for (const i of [1, 2, 3]) {
      const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=40x30', '-frames:v', '1', path.join(images, `${i}.png`)]);
      expect(r.status).toBe(0);
    }
    fs.writeFileSync(path.join(images, '2.png'), 'not a PNG at all');
    const lab = path.join(dir, 'lab.sqlite');
    const r = predlab(['--db', lab, 'dataset', 'import', images, '--dataset', 'im']);
    refusedInOneLine(r, /1 of 3 images could not be read: 2\.png\. .*Nothing was stored\./);
    const db = new Database(lab, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM recordings').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM datasets').get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT state FROM jobs").all()).toEqual([{ state: 'failed' }]);
    } finally {
      db.close();
    }
    expect(fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.u8'))).toEqual([]);
  });
});

/** A lab with one simulated session, made by the CLI. */
function labWithSession(): { dir: string; lab: string } {
  const dir = tempDir('predlab-damaged-lab-');
  const lab = path.join(dir, 'lab.sqlite');
  const r = predlab(['--db', lab, 'session', 'simulate', '--paradigm', 'flash-lag', '--sigma', '0.5', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return { dir, lab };
}

function raw(lab: string, sql: string): void {
  const db = new Database(lab);
  try {
    db.pragma('foreign_keys = OFF');
    db.unsafeMode(true);
    db.exec(sql);
  } finally {
    db.close();
  }
}

const trialCount = (lab: string) => {
  const db = new Database(lab, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM trials').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('damage quick_check misses: refused before any write, in one line', () => {
  const simulate = (lab: string) => predlab(['--db', lab, 'session', 'simulate', '--paradigm', 'flash-lag', '--sigma', '0.5']);

  it('an index that disagrees with its table (integrity_check); nothing is written', () => {
    const { lab } = labWithSession();
    // The index's entries stay those of session_id; its declared column becomes trial_index.
    raw(lab, "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE INDEX trials_session ON trials(trial_index)' WHERE name = 'trials_session';");
    const before = trialCount(lab);
    const r = simulate(lab);
    refusedInOneLine(r, /lab\.sqlite is damaged \(integrity_check: .*\d+ more problem\(s\): --verbose lists them\)\. PredLab will not write to it/);
    expect(trialCount(lab)).toBe(before);
  });

  it('the same in a lab too large for integrity_check at open: the first answer of a session checks its rows, is refused and rolled back', () => {
    const { lab } = labWithSession();
    // Past FULL_CHECK_LIMIT_BYTES the open-time check is quick_check, which misses this damage.
    raw(lab, `CREATE TABLE padding (b BLOB); INSERT INTO padding VALUES (zeroblob(${FULL_CHECK_LIMIT_BYTES + 2 ** 20}));`);
    // trials_session rebuilt on trial_index, then declared on session_id again: its entries hold another column.
    raw(lab, "DROP INDEX trials_session; CREATE INDEX trials_session ON trials(trial_index); PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE INDEX trials_session ON trials(session_id)' WHERE name = 'trials_session';");
    const before = trialCount(lab);
    refusedInOneLine(simulate(lab), /lab\.sqlite is damaged \(session 2 has 1 trial row\(s\) in the table, but its indexes find 2 and 1: an index disagrees with its table\)\. PredLab will not write to it/);
    expect(trialCount(lab)).toBe(before);
  });

  it('rows that refer to rows that do not exist (foreign_key_check); nothing is written', () => {
    const { lab } = labWithSession();
    raw(lab, "INSERT INTO trials (session_id, trial_index, condition, stimulus, response) VALUES (999, 0, 'c', '{}', 'left');");
    const before = trialCount(lab);
    refusedInOneLine(simulate(lab), /damaged \(foreign_key_check: 1 row\(s\) refer to rows that do not exist, e\.g\. trials row \d+ to a missing sessions row\)/);
    expect(trialCount(lab)).toBe(before);
  });

  it('a stored row that is not JSON: session list, analyze and export say so in one line naming the lab', () => {
    const { dir, lab } = labWithSession();
    raw(lab, "UPDATE participants SET details = '{not json' WHERE id = 1; UPDATE trials SET stimulus = '[1,' WHERE id = 1;");
    refusedInOneLine(predlab(['--db', lab, 'session', 'list']), /lab\.sqlite is damaged: participants row 1 \(details\) is not valid JSON/);
    refusedInOneLine(predlab(['--db', lab, 'analyze', '--session', '1', '--bootstrap', '0']), /lab\.sqlite .*(is damaged|not valid JSON)/);
    refusedInOneLine(predlab(['--db', lab, 'export', '--session', '1', '--format', 'csv', '--out', path.join(dir, 'out')]), /lab\.sqlite .*(is damaged|not valid JSON)/);
  });
});

describe('unclear errors made one line naming the file and the reason', () => {
  it('a 0-byte database on a read command', () => {
    const dir = tempDir('predlab-empty-db-');
    const lab = path.join(dir, 'lab.sqlite');
    fs.writeFileSync(lab, '');
    refusedInOneLine(predlab(['--db', lab, 'session', 'list']), /lab\.sqlite holds no lab yet \(an empty file, 0 bytes\)/);
    expect(fs.statSync(lab).size).toBe(0);
  });

  it('a registered checkpoint whose manifest was edited to version 1 (no checksums) and whose weights changed is refused, naming the file; nothing is written', () => {
    const dir = tempDir('predlab-v1-manifest-');
    const lab = path.join(dir, 'lab.sqlite');
    const ck = path.join(dir, 'ck');
    expect(predlab(['--db', lab, 'model', 'init', '--preset', 'small', '--height', '16', '--width', '16', '--out', ck, '--json']).code).toBe(0);
    const manifestFile = path.join(ck, 'predlab-checkpoint.json');
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { version: number; weights: { sha256?: string }[]; optimizer: { sha256?: string }[] };
    m.version = 1;
    for (const e of [...m.weights, ...m.optimizer]) delete e.sha256;
    fs.writeFileSync(manifestFile, JSON.stringify(m));
    const bin = path.join(ck, 'weights.bin');
    const bytes = fs.readFileSync(bin);
    bytes[101]! ^= 0x40; // one exponent bit of one weight
    fs.writeFileSync(bin, bytes);
    const run = () => predlab(['--db', lab, 'session', 'run', '--model', ck, '--param', 'trialsPerOffset=1', '--no-references', '--json'], {}, 300_000);
    refusedInOneLine(run(), /ck\/weights\.bin is not the file registered as model 1 \('ck', \d{4}-\d\d-\d\d\): its SHA-256 is [0-9a-f]{12}…, the lab recorded [0-9a-f]{12}…/);
    const sessions = () => (new Database(lab, { readonly: true }).prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
    expect(sessions()).toBe(0);
    // The registered bytes back (the version 1 manifest itself is legal): it runs.
    bytes[101]! ^= 0x40;
    fs.writeFileSync(bin, bytes);
    expect(run().code).toBe(0);
    expect(sessions()).toBe(1);
  });

  it('a .npy with a dimension that is not a whole number names the file', () => {
    const dir = tempDir('predlab-npy-dim-');
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5, 2), }";
    const padded = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
    const head = Buffer.alloc(10);
    Buffer.from('\x93NUMPY', 'latin1').copy(head);
    head[6] = 1;
    head.writeUInt16LE(padded.length, 8);
    fs.writeFileSync(path.join(dir, 'x.npy'), Buffer.concat([head, Buffer.from(padded, 'latin1'), Buffer.alloc(12)]));
    const r = predlab(['model', 'predict', '--checkpoint', path.resolve(import.meta.dirname, '../../native-models/default-model'), '--input', path.join(dir, 'x.npy'), '--out', path.join(dir, 'out.npy')]);
    refusedInOneLine(r, /x\.npy has a shape of \(1\.5, 2\): '1\.5' is not a whole number/);
  });

  it('output piped into a program that stops reading (head): a quiet exit, no EPIPE stack', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../bin/predlab.js'), 'paradigms'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before anything is written
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
