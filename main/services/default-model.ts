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
export function registerDefaultModel(db: Db, appRoot: string, dirs?: readonly SetFolder[], log: (message: string) => void = () => undefined): ModelRecord | null {
  const found = dirs ? dirs.filter((d) => isCheckpoint(d.dir)) : defaultSetDirs(appRoot);
  let first: ModelRecord | null = null;
  for (const d of found) {
    if (d.instance === 1) first = registerCheckpoint(db, d.dir, defaultModelLabel(1));
    else {
      // The set's other instances are not the default: a damaged one is skipped and said, not fatal.
      try {
        registerCheckpoint(db, d.dir, defaultModelLabel(d.instance));
      } catch (e) {
        log(`the default set's instance ${d.instance} (${d.dir}) was not registered: ${(e as Error).message}`);
      }
    }
  }
  return first;
}
