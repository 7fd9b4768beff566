/**
 * Errors a person can act on, and SQLite failures said as such. The error type itself lives with
 * the model engine (native-models/errors.ts), which the main process may import and the engine
 * needs too; it is re-exported here for the main process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PredlabError } from '../native-models/errors.js';

export { describeIssues, PredlabError, type ErrorCode } from '../native-models/errors.js';

/** How long a command waits for another program's lock on the lab database before giving up. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * A SQLite failure (better-sqlite3's SqliteError, by its code) as a message a person can act on,
 * or null if `e` is not one. The CLI and the IPC handlers should pass unknown errors through this
 * before calling them unexpected.
 */
export function storageError(e: unknown, file = 'the lab database', busyTimeoutMs = BUSY_TIMEOUT_MS): PredlabError | null {
  // JSON.parse of a stored column that does not parse, where no parseStored named it (a
  // stored row edited or corrupted outside PredLab): damage, in one line, not a stack.
  if (e instanceof SyntaxError && /JSON/.test(e.message))
    return new PredlabError('storage', `${file} holds a row that is not valid JSON (${e.message.split('\n')[0]!.slice(0, 120)}): it was changed or damaged outside PredLab. Restore the newest copy from the "backups" folder beside it (keep the damaged file aside).`);
  const code = (e as { code?: unknown } | null)?.code;
  if (!(e instanceof Error) || typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const base = code.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
  const say = (m: string) => new PredlabError('storage', m);
  switch (base) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return say(`${file} is locked by another program (or another PredLab) that did not release it within ${busyTimeoutMs / 1000} s. Close it and try again; nothing was changed.`);
    case 'SQLITE_READONLY':
      return say(`${file} cannot be written: the file or its folder is read-only (${e.message}). Commands that only read still work; to write, make it writable or use another --db / PREDLAB_DATA_DIR.`);
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return say(`${file} is damaged (${e.message}). PredLab will not write to it. Restore the newest copy from the "backups" folder beside it (keep the damaged file aside).`);
    case 'SQLITE_FULL':
      return say(`The disk holding ${file} is full; the last change was not saved. Free some space and try again.`);
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return say(`Cannot open ${file}: the file or its folder cannot be accessed (${e.message}).`);
    case 'SQLITE_IOERR':
      if (path.isAbsolute(file) && isDiskFull(e, file))
        return say(`The disk holding ${file} is full (${e.message}): SQLite needs some room even to read a lab. Free some space and try again; what was saved before is intact.`);
      return say(`A disk error while using ${file} (${e.message}); the last change may not have been saved.`);
    default:
      return say(`The database ${file} failed: ${e.message} (${code}).`);
  }
}

/**
 * Was this write failure a full disk? Node says ENOSPC/EDQUOT/EFBIG, SQLite SQLITE_FULL, HDF5
 * "No space left on device" somewhere in its error stack; when `file` is given, a file system
 * with no space left counts too (HDF5 sometimes reports only "can't close file").
 */
export function isDiskFull(e: unknown, file?: string): boolean {
  const code = String((e as { code?: unknown } | null)?.code ?? '');
  if (/^(ENOSPC|EDQUOT|EFBIG|SQLITE_FULL)/.test(code)) return true;
  if (/No space left on device/i.test(String((e as Error)?.message ?? e))) return true;
  if (!file) return false;
  try {
    return fs.statfsSync(path.dirname(file)).bavail === 0;
  } catch {
    return false;
  }
}
