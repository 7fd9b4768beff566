/** Opening the lab database: WAL, foreign keys, migrations, and refusal of foreign files. */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { PredlabError } from '../errors.js';
import { APPLICATION_ID, LATEST_VERSION, migrations } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path of a better_sqlite3.node built for this runtime's ABI (Electron, when not packaged). */
  nativeBinding?: string;
  /** Apply migrations up to this version only (tests of upgrades). */
  targetVersion?: number;
  readonly?: boolean;
}

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

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  checkFile(file);
  if (!options.readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  } catch (e) {
    throw new PredlabError('storage', `Cannot open the database ${file}: ${(e as Error).message}`);
  }
  try {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    if (appId !== APPLICATION_ID && (appId !== 0 || tables > 0))
      throw new PredlabError('storage', `${file} is a SQLite database, but not a PredLab one (application_id ${appId}). It was left untouched.`);
    if (version > LATEST_VERSION)
      throw new PredlabError('storage', `${file} was written by a newer PredLab (schema ${version}; this version knows up to ${LATEST_VERSION}). Update PredLab to open it.`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // FULL: a committed trial survives a power cut, not only a crash.
      db.pragma('synchronous = FULL');
      migrate(db, options.targetVersion ?? LATEST_VERSION);
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (e) {
    db.close();
    if (e instanceof PredlabError) throw e;
    throw new PredlabError('storage', `Cannot use the database ${file}: ${(e as Error).message}`);
  }
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
