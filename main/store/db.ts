/**
 * Opening the lab database. Writers: WAL, synchronous=FULL, foreign keys, migrations, an
 * integrity check (integrity_check up to FULL_CHECK_LIMIT_BYTES, else quick_check, and
 * foreign_key_check: a damaged file is never written to), and a rolling backup before migrations
 * and once a day. Readers (`readonly`): no folder, file, WAL switch or migration is ever made, so
 * a mistyped path or a read-only folder cannot change anything. Every SQLite failure on opening
 * becomes a PredlabError that says what to do.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { BUSY_TIMEOUT_MS, PredlabError, storageError } from '../errors.js';
import { APPLICATION_ID, LATEST_VERSION, migrations } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path of a better_sqlite3.node built for this runtime's ABI (Electron, when not packaged). */
  nativeBinding?: string;
  /** Apply migrations up to this version only (tests of upgrades). */
  targetVersion?: number;
  /** Only read: the file must exist; nothing is created or changed. */
  readonly?: boolean;
  /** How long to wait for another program's lock (default BUSY_TIMEOUT_MS). */
  busyTimeoutMs?: number;
  /** Keep rolling backups in <folder>/backups (default true for writers). */
  backups?: boolean;
}

export const BACKUP_FOLDER = 'backups';
/** Backups kept; older ones are deleted. */
export const BACKUPS_KEPT = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

const SQLITE_MAGIC = 'SQLite format 3\0';

function checkFile(file: string): void {
  if (!fs.existsSync(file)) return;
  if (fs.statSync(file).isDirectory()) throw new PredlabError('storage', `Cannot read the database file ${file}: it is a folder.`);
  const head = Buffer.alloc(16);
  let n: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      n = fs.readSync(fd, head, 0, 16, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new PredlabError('storage', `Cannot read the database file ${file}: ${(e as Error).message}`);
  }
  if (n > 0 && (n < 16 || head.toString('latin1') !== SQLITE_MAGIC))
    throw new PredlabError('storage', `${file} is not a SQLite database (it may be corrupt, or another kind of file). It was left untouched.`);
}

/** Any failure on opening as a PredlabError naming the file. */
function asStorageError(e: unknown, file: string, options: OpenOptions = {}): PredlabError {
  if (e instanceof PredlabError) return e;
  return storageError(e, file, options.busyTimeoutMs) ?? new PredlabError('storage', `Cannot open the database ${file}: ${(e as Error).message}`);
}

function construct(file: string, options: OpenOptions): Db {
  try {
    return new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  } catch (e) {
    throw asStorageError(e, file, options);
  }
}

/** Is this one of ours, and one this version can use? */
function checkIdentity(db: Db, file: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
  if (appId !== APPLICATION_ID && (appId !== 0 || tables > 0))
    throw new PredlabError('storage', `${file} is a SQLite database, but not a PredLab one (application_id ${appId}). It was left untouched.`);
  if (version > LATEST_VERSION)
    throw new PredlabError('storage', `${file} was written by a newer PredLab (schema ${version}; this version knows up to ${LATEST_VERSION}). Update PredLab to open it.`);
}

/**
 * Labs up to this size get SQLite's full integrity_check when opened for writing (it compares
 * every index with its table: about 2.8 s per 100 MiB on a busy 2-core machine, measured); larger ones get quick_check
 * (pages, records and their order, no index cross-check). Every writer also runs
 * foreign_key_check (rows that refer to rows that do not exist).
 */
export const FULL_CHECK_LIMIT_BYTES = 64 * 2 ** 20;

const damaged = (file: string, what: string, details: string[] = []) =>
  new PredlabError(
    'storage',
    `${file} is damaged (${what}). PredLab will not write to it. Restore the newest copy from ${path.join(path.dirname(file), BACKUP_FOLDER)} over it (keep the damaged file aside).`,
    details,
  );

/** SQLite's listing as one clause: the first problem, and how many more. */
function firstOf(problems: string[], check: string): string {
  const first = problems[0]!.replace(/\s+/g, ' ').trim().slice(0, 200);
  return `${check}: ${first}${problems.length > 1 ? `; ${problems.length - 1} more problem(s): --verbose lists them` : ''}`;
}

/**
 * The open-time check: integrity_check (small labs) or quick_check, and for writers
 * foreign_key_check. A damaged lab is refused in one line naming the first problem.
 */
/** Writers whose open-time check was quick_check (it does not compare indexes with tables). */
const quickCheckedWriters = new WeakSet<Db>();

function checkIntegrity(db: Db, file: string, writer = false): void {
  let size = 0;
  try {
    size = fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
  } catch {
    /* a snapshot or a file being created: quick_check */
  }
  const check = writer && size <= FULL_CHECK_LIMIT_BYTES ? 'integrity_check' : 'quick_check';
  if (writer && check === 'quick_check') quickCheckedWriters.add(db);
  const rows = db.pragma(`${check}(20)`, { simple: false }) as Record<string, string>[];
  const problems = rows.map((r) => Object.values(r)[0]!).filter((r) => r !== 'ok');
  if (problems.length) throw damaged(file, firstOf(problems, check), problems);
  if (!writer) return;
  const orphans = db.pragma('foreign_key_check', { simple: false }) as { table: string; rowid: number; parent: string }[];
  if (orphans.length) {
    const o = orphans[0]!;
    throw damaged(file, `foreign_key_check: ${orphans.length} row(s) refer to rows that do not exist, e.g. ${o.table} row ${o.rowid} to a missing ${o.parent} row`, orphans.slice(0, 1000).map((x) => `${x.table} row ${x.rowid} refers to a missing ${x.parent} row`));
  }
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const abs = path.resolve(file);
  if (options.readonly) return openReadonly(abs, options);
  checkFile(abs);
  try {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
  } catch (e) {
    throw new PredlabError('storage', `Cannot create the folder for the database ${abs}: ${(e as Error).message}`);
  }
  checkWritable(abs);
  const db = construct(abs, options);
  try {
    checkIdentity(db, abs);
    checkIntegrity(db, abs, true);
    db.pragma('journal_mode = WAL');
    // FULL: a committed trial survives a power cut, not only a crash.
    db.pragma('synchronous = FULL');
    const target = options.targetVersion ?? LATEST_VERSION;
    if (options.backups !== false && hasData(db)) {
      const current = schemaVersion(db);
      if (current < target) backupDatabase(db, abs, `before-v${target}`);
      else if (backupDue(abs)) dailyBackup(db, abs);
    }
    migrate(db, target);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    db.close();
    throw asStorageError(e, abs, options);
  }
}

/**
 * A writable connection to a lab another connection of this process opened (and checked and
 * migrated) already, for the rows of jobs only: the app's computing thread reads through a
 * read-only connection and records its exports' jobs through this one. Null when the file cannot
 * be written (then those jobs are not recorded; they still clean up after themselves).
 */
/**
 * A session's rows as the table holds them and as each index of `trials` finds them. Labs over
 * FULL_CHECK_LIMIT_BYTES get quick_check when opened, which does not compare indexes with tables,
 * so in those the first answer a session writes checks its own rows (one scan of the table); a
 * disagreement is damage, refused as the open-time check refuses it. Smaller labs had the full
 * check at open and pay nothing here.
 */
export function verifySessionTrials(db: Db, sessionId: number): void {
  if (!quickCheckedWriters.has(db)) return;
  const counts: number[] = [];
  try {
    for (const how of ['NOT INDEXED', 'INDEXED BY trials_session', 'INDEXED BY sqlite_autoindex_trials_1'])
      counts.push((db.prepare(`SELECT count(*) AS n FROM trials ${how} WHERE session_id = ?`).get(sessionId) as { n: number }).n);
  } catch (e) {
    throw damaged(db.name, `the trials table's indexes cannot be used: ${(e as Error).message}`);
  }
  if (new Set(counts).size > 1)
    throw damaged(db.name, `session ${sessionId} has ${counts[0]} trial row(s) in the table, but its indexes find ${counts[1]} and ${counts[2]}: an index disagrees with its table`);
}

export function openLedger(file: string, options: Pick<OpenOptions, 'nativeBinding' | 'busyTimeoutMs'> = {}): Db | null {
  try {
    const db = new Database(path.resolve(file), { fileMustExist: true, timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
    db.pragma('foreign_keys = ON');
    if (db.readonly) {
      db.close();
      return null;
    }
    return db;
  } catch {
    return null;
  }
}

function openReadonly(file: string, options: OpenOptions): Db {
  if (!fs.existsSync(file)) throw new PredlabError('not-found', `There is no database at ${file} (nothing was created). Check the path given with --db, or PREDLAB_DATA_DIR.`);
  checkFile(file);
  let db = construct(file, options);
  try {
    checkIdentity(db, file);
  } catch (e) {
    db.close();
    if (e instanceof PredlabError || !readonlyFolderWal(e)) throw asStorageError(e, file, options);
    // A WAL database in a folder this user cannot write: SQLite cannot make the shared-memory
    // file a reader needs. Read a private snapshot instead (the command only reads).
    db = construct(snapshot(file), options);
    checkIdentity(db, file);
  }
  try {
    if (!hasData(db)) {
      const size = fs.statSync(file).size;
      throw new PredlabError('not-found', `${file} holds no lab yet (${size === 0 ? 'an empty file, 0 bytes' : 'a database without tables'}): there is nothing to read. Commands that write (session simulate, dataset import, ...) make a lab in it.`);
    }
    checkIntegrity(db, file);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    db.close();
    throw asStorageError(e, file, options);
  }
}

/**
 * A writer needs the file and its folder (WAL and shared-memory files beside it). SQLite would
 * otherwise open a read-only file read-only without a word and fail on the first answer stored.
 */
function checkWritable(file: string): void {
  const canWrite = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  const readOnly = fs.existsSync(file) && !canWrite(file) ? 'the file is read-only' : !canWrite(path.dirname(file)) ? `its folder ${path.dirname(file)} is read-only` : null;
  if (readOnly)
    throw new PredlabError('storage', `${file} cannot be written: ${readOnly}. Commands that only read still work; to write, make it writable or use another --db / PREDLAB_DATA_DIR.`);
}

/** The daily copy is best effort: a lab that cannot copy itself still opens (the copy before a migration is not optional). */
function dailyBackup(db: Db, file: string): void {
  try {
    backupDatabase(db, file, 'daily');
  } catch {
    /* disk full or folder not writable: the next opening tries again */
  }
}

function readonlyFolderWal(e: unknown): boolean {
  const code = String((e as { code?: unknown }).code ?? '');
  return code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY');
}

/** Copy the database (and its write-ahead log, if any) to a private temporary folder. */
function snapshot(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-readonly-'));
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return copy;
}

function hasData(db: Db): boolean {
  return (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n > 0;
}

export function backupFolder(file: string): string {
  return path.join(path.dirname(path.resolve(file)), BACKUP_FOLDER);
}

/** The backups of this database file, newest first. */
export function listBackups(file: string): string[] {
  const dir = backupFolder(file);
  const stem = path.basename(file).replace(/\.sqlite$/, '');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.sqlite'))
    .sort()
    .reverse()
    .map((f) => path.join(dir, f));
}

function backupDue(file: string): boolean {
  const newest = listBackups(file)[0];
  return !newest || Date.now() - fs.statSync(newest).mtimeMs > DAY_MS;
}

/**
 * A consistent copy of the open database in <folder>/backups, named by time and reason, keeping
 * the newest BACKUPS_KEPT. VACUUM INTO is SQLite's synchronous online copy (better-sqlite3's
 * backup() is asynchronous, and opening must finish before the migrations it protects).
 */
export function backupDatabase(db: Db, file: string, reason: string): string {
  const dir = backupFolder(file);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = path.join(dir, `${path.basename(file).replace(/\.sqlite$/, '')}-${stamp}-${reason}.sqlite`);
  const partial = `${dest}.partial-${process.pid}-${threadId}`;
  fs.rmSync(partial, { force: true });
  db.prepare('VACUUM INTO ?').run(partial);
  fs.renameSync(partial, dest);
  for (const old of listBackups(file).slice(BACKUPS_KEPT)) fs.rmSync(old, { force: true });
  return dest;
}

/** Apply pending migrations, each in its own transaction together with its version bump. */
export function migrate(db: Db, target = LATEST_VERSION): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}
