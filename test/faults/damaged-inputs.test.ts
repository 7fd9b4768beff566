/**
 * A table of damaged inputs through the CLI as a user runs it (issue 8): .npy frames, HDF5
 * weights, lab databases and paradigm parameters. Each row must exit non-zero with one clear
 * line on stderr, no stack trace, and change nothing: the damaged file keeps its bytes, no file
 * appears or disappears, and the lab's tables are as they were.
 * Damaged checkpoints are covered by test/unit/checkpoint.test.ts ("damaged checkpoints are
 * refused by every command, changing nothing"); more HDF5/JSON cases by test/unit/keras-import.test.ts.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE_HINT } from '../../main/cli/format.js';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const DEFAULT_MODEL = path.join(root, 'native-models', 'default-model');

/** The CLI in a child process, as a user runs it (async, so rows can run two at a time). */
function run(args: string[], opts: { uid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: tempDir('predlab-home-') };
    delete env.PREDLAB_DATA_DIR;
    if (opts.uid !== undefined) fs.chmodSync(env.HOME!, 0o777);
    const child = spawn(process.execPath, [path.join(root, 'bin', 'predlab.js'), ...args], { cwd: root, env, ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An .npy file: header dict, padded as NumPy pads it (v1: 2-byte length, v2: 4-byte). */
function npy(header: string, data: Buffer, version: 1 | 2 = 1, declaredLength?: number): Buffer {
  const pre = version === 1 ? 10 : 12;
  const padded = header + ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(pre);
  Buffer.from('\x93NUMPY', 'latin1').copy(head);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(declaredLength ?? padded.length, 8);
  else head.writeUInt32LE(declaredLength ?? padded.length, 8);
  return Buffer.concat([head, Buffer.from(padded, 'latin1'), data]);
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every file under `dir` with its hash (SQLite's -wal/-shm and backups aside: a lab's tables are compared instead). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const f = path.join(e.parentPath, e.name);
    if (e.isFile() && !/-(wal|shm)$/.test(e.name)) out[path.relative(dir, f)] = sha(f);
  }
  return out;
}

function tables(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return JSON.stringify(names.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).raw().all()]));
  } finally {
    db.close();
  }
}

/** What differs between two snapshots, or '' if nothing. */
function changed(before: Record<string, string>, after: Record<string, string>): string {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => before[f] !== after[f]);
  return names.length ? `files changed: ${names.map((f) => `${f} (${!(f in before) ? 'new' : !(f in after) ? 'gone' : 'modified'})`).join(', ')}` : '';
}

interface Row {
  what: string;
  args: (dir: string) => string[];
  /** Makes the damaged input in `dir`. */
  make?: (dir: string) => void | Promise<void>;
  /** The one line must say this. */
  says: RegExp;
  /** 'copy': the row starts from a copy of a lab with one session (made before make()); 'compare': also its tables must not change. */
  lab?: 'copy' | 'compare';
  /** Progress lines the command prints before it fails (train names its backend first; see the report). */
  info?: RegExp;
  /** A usage error (exit 2): the one line, then the hint where the options are listed. */
  usage?: boolean;
  uid?: number;
  /** Holds the database while the command runs (a lock); returns the release. */
  hold?: (dir: string) => () => void;
}

const f32 = (n: number) => Buffer.alloc(n * 4);
const predict = (input: string) => (d: string) => ['model', 'predict', '--checkpoint', DEFAULT_MODEL, '--input', path.join(d, input), '--out', path.join(d, 'out.npy')];
const simulate = (...params: string[]) => (d: string) => ['--db', path.join(d, 'lab.sqlite'), 'session', 'simulate', '--paradigm', 'flash-lag', '--sigma', '0.5', ...params.flatMap((p) => ['--param', p])];
const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

const ROWS: Row[] = [
  // .npy frames (model predict reads them before the model loads; train reads them too)
  { what: 'npy: truncated data', make: (d) => fs.writeFileSync(path.join(d, 'x.npy'), npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 32, 32, 3), }", f32(1000))), args: predict('x.npy'), says: /truncated/ },
  { what: 'npy: wrong dtype (complex128)', make: (d) => fs.writeFileSync(path.join(d, 'x.npy'), npy("{'descr': '<c16', 'fortran_order': False, 'shape': (4,), }", Buffer.alloc(64))), args: predict('x.npy'), says: /uint8, float32 and int32|not a NumPy|c16|complex/ },
  { what: 'npy: Fortran order', make: (d) => fs.writeFileSync(path.join(d, 'x.npy'), npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2, 8, 8, 3), }", f32(384))), args: predict('x.npy'), says: /Fortran order/ },
  { what: 'npy: header length past the end (4 GiB)', make: (d) => fs.writeFileSync(path.join(d, 'x.npy'), npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f32(4), 2, 0xffffffff)), args: predict('x.npy'), says: /not a NumPy|header|truncated/ },
  { what: 'npy: a shape of 2^62 values', make: (d) => fs.writeFileSync(path.join(d, 'x.npy'), npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2147483648, 2147483648), }", Buffer.alloc(16))), args: predict('x.npy'), says: /truncated|too large|limit|refused|not a NumPy/ },
  { what: 'npy: not an .npy file', make: (d) => fs.writeFileSync(path.join(d, 'x.npy'), 'frames,as,csv\n1,2,3\n'), args: predict('x.npy'), says: /not a NumPy/ },
  { what: 'npy: truncated recordings for train', make: (d) => {
      fs.writeFileSync(path.join(d, 'f.npy'), npy("{'descr': '|u1', 'fortran_order': False, 'shape': (20, 8, 8, 3), }", Buffer.alloc(20 * 192)));
      fs.writeFileSync(path.join(d, 'r.npy'), npy("{'descr': '<i4', 'fortran_order': False, 'shape': (20,), }", Buffer.alloc(40)));
    }, args: (d) => ['train', '--checkpoint', DEFAULT_MODEL, '--data', path.join(d, 'f.npy'), '--recordings', path.join(d, 'r.npy'), '--out', path.join(d, 'trained')], info: /^backend: /, says: /r.npy is truncated/ },
  // HDF5 weights (model import-keras)
  { what: 'h5: truncated after the signature', lab: 'compare', make: (d) => fs.writeFileSync(path.join(d, 'w.h5'), Buffer.concat([HDF5_MAGIC, Buffer.alloc(40, 1)])), args: (d) => ['--db', path.join(d, 'lab.sqlite'), 'model', 'import-keras', path.join(d, 'w.h5'), '--out', path.join(d, 'imported')], says: /HDF5|truncated|damaged|cannot/i },
  { what: 'h5: not HDF5, no lab yet (none created)', make: (d) => fs.writeFileSync(path.join(d, 'w.h5'), 'not weights'), args: (d) => ['--db', path.join(d, 'new', 'lab.sqlite'), 'model', 'import-keras', path.join(d, 'w.h5'), '--out', path.join(d, 'imported')], says: /HDF5/ },
  { what: 'h5: not HDF5', lab: 'compare', make: (d) => fs.writeFileSync(path.join(d, 'w.h5'), '{"weights": [1, 2, 3]}'), args: (d) => ['--db', path.join(d, 'lab.sqlite'), 'model', 'import-keras', path.join(d, 'w.h5'), '--out', path.join(d, 'imported')], says: /HDF5/ },
  { what: 'h5: HDF5 of another layout (no PredNet weights)', lab: 'compare', make: async (d) => {
      const h5wasm = (await import('h5wasm/node')).default;
      await h5wasm.ready;
      const f = new h5wasm.File(path.join(d, 'w.h5'), 'w');
      f.create_group('dense_1').create_dataset({ name: 'kernel', data: new Float32Array(6), shape: [2, 3] });
      f.close();
    }, args: (d) => ['--db', path.join(d, 'lab.sqlite'), 'model', 'import-keras', path.join(d, 'w.h5'), '--out', path.join(d, 'imported')], says: /PredNet|layer|weights/ },
  // lab databases
  { what: 'database: not SQLite', make: (d) => fs.writeFileSync(path.join(d, 'lab.sqlite'), 'this is a text file, not a database\n'.repeat(200)), args: simulate(), says: /not a PredLab database|not a database|damaged|not SQLite/i },
  { what: 'database: truncated', lab: 'copy', make: async (d) => {
      const file = path.join(d, 'lab.sqlite');
      const full = fs.readFileSync(file);
      fs.writeFileSync(file, full.subarray(0, Math.floor(full.length / 3)));
    }, args: simulate(), says: /damaged|malformed|truncated/i },
  { what: 'database: from a newer PredLab (schema 999)', lab: 'copy', make: async (d) => {
      const db = new Database(path.join(d, 'lab.sqlite'));
      db.pragma('journal_mode = DELETE');
      db.pragma('user_version = 999');
      db.close();
    }, args: simulate(), says: /newer|version/i },
  { what: 'database: read-only file (as an ordinary user)', make: (d) => {
      fs.chmodSync(d, 0o777);
      fs.chmodSync(path.join(d, 'lab.sqlite'), 0o444);
    }, args: simulate(), uid: 65534, lab: 'compare', says: /read-only|cannot be written/i },
  { what: 'database: locked by another program', hold: (d) => {
      const db = new Database(path.join(d, 'lab.sqlite'));
      db.exec('BEGIN EXCLUSIVE');
      return () => {
        db.exec('ROLLBACK');
        db.close();
      };
    }, args: simulate(), lab: 'compare', says: /locked/ },
  // paradigm parameters
  { what: 'params: bad JSON', args: simulate('offsetsDeg=[1,2'), lab: 'compare', usage: true, says: /offsetsDeg/ },
  { what: 'params: out of range', args: simulate('trialsPerOffset=1000000'), lab: 'compare', says: /trialsPerOffset/ },
  { what: 'params: unknown key', args: simulate('flashColour=red'), lab: 'compare', says: /flashColour/ },
  { what: 'params: __proto__ key', args: simulate('__proto__={"trialsPerOffset":1}'), lab: 'compare', says: /__proto__/ },
  { what: 'params: constructor key', args: simulate('constructor=1'), lab: 'compare', says: /constructor/ },
  { what: "params: paradigm 'toString'", args: (d) => ['--db', path.join(d, 'lab.sqlite'), 'session', 'simulate', '--paradigm', 'toString', '--sigma', '0.5'], lab: 'compare', says: /Unknown paradigm 'toString'/ },
];

describe('damaged inputs through the CLI: one clear line, no stack trace, nothing changed', () => {
  let template = '';
  beforeAll(() => {
    // A lab with two sessions, copied for each row that needs one; the second run made today's
    // backup (PredLab keeps one a day), so a refused command has no reason to write one.
    template = tempDir('predlab-damaged-lab-');
    for (let i = 0; i < 2; i++) {
      const r = predlab(['--db', path.join(template, 'lab.sqlite'), 'session', 'simulate', '--paradigm', 'flash-lag', '--sigma', '0.5', '--json']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(fs.readdirSync(path.join(template, 'backups'))).toHaveLength(1);
  });

  it(`${ROWS.length} rows`, async () => {
    const results: string[] = [];
    const check = async (row: Row) => {
      const dir = tempDir('predlab-damaged-');
      if (row.lab) fs.cpSync(template, dir, { recursive: true });
      await row.make?.(dir);
      const labFile = path.join(dir, 'lab.sqlite');
      const labBefore = row.lab === 'compare' ? tables(labFile) : '';
      const before = snapshot(dir);
      const release = row.hold?.(dir);
      const r = await run(row.args(dir), row.uid !== undefined ? { uid: row.uid } : {});
      release?.();
      const lines = r.stderr.trim().split('\n').filter((l) => !row.info?.test(l));
      const problems = [
        r.code === 0 || r.code === null ? `exit ${r.code}` : '',
        row.usage ? (r.code !== 2 || lines.length !== 2 || lines[1] !== USAGE_HINT ? 'not a one-line usage error and its hint' : '') : lines.length !== 1 ? `${lines.length} lines on stderr` : '',
        /^\s+at /m.test(r.stderr + r.stdout) ? 'a stack trace' : '',
        !row.says.test(r.stderr) ? `does not say ${row.says}` : '',
        changed(before, snapshot(dir)),
        row.lab === 'compare' && tables(labFile) !== labBefore ? 'the lab tables changed' : '',
      ].filter(Boolean);
      results.push(`${problems.length ? 'FAIL' : 'ok  '} ${row.what}: exit ${r.code}: ${lines[0]?.slice(0, 160)}${problems.length ? `\n       ${problems.join('; ')}\n       stderr: ${r.stderr.slice(0, 600)}` : ''}`);
    };
    // Two rows at a time (the machine has two cores).
    const queue = [...ROWS];
    await Promise.all([0, 1].map(async () => {
      for (let row = queue.shift(); row; row = queue.shift()) await check(row);
    }));
    console.log(results.join('\n'));
    expect(results.filter((r) => r.startsWith('FAIL'))).toEqual([]);
  });
});
