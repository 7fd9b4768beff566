/** Small checks on services called directly: the PredlabError a call throws, and a table's row count. */
import { PredlabError } from '../../main/errors.js';
import type { Db } from '../../main/store/db.js';

/** The PredlabError `f` throws (anything else is rethrown; no error fails the test). */
export function errorOf(f: () => unknown): PredlabError {
  try {
    f();
  } catch (e) {
    if (e instanceof PredlabError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

export const rowCount = (db: Db, table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
