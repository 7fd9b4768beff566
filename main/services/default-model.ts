/** The shipped default set made known to a lab (the names and folders: default-set.ts). */
import type { Db } from '../store/db.js';
import { defaultModelLabel, defaultSetDirs, isCheckpoint, type SetFolder } from './default-set.js';
import { registerCheckpoint, type ModelRecord } from './models.js';

export { DEFAULT_MODEL_LABEL, DEFAULT_SET_NAME, DEFAULT_SET_SIZE, defaultModelDir, defaultModelLabel, defaultSetDirs, resolveShippedCheckpoint } from './default-set.js';

/**
 * Make the shipped checkpoints known models of this lab (once; later calls refresh them), in
 * instance order. `dirs`: an installed app's copies in the data folder (main/packaged-paths.ts);
 * else the folders in the app's files. Returns instance 1's record (null: none).
 */
export function registerDefaultModel(db: Db, appRoot: string, dirs?: readonly SetFolder[]): ModelRecord | null {
  const found = dirs ? dirs.filter((d) => isCheckpoint(d.dir)) : defaultSetDirs(appRoot);
  const records = found.map((d) => ({ instance: d.instance, record: registerCheckpoint(db, d.dir, defaultModelLabel(d.instance)) }));
  return records.find((r) => r.instance === 1)?.record ?? null;
}
