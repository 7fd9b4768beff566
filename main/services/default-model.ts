/** The PredNet checkpoint that ships with the app (see native-models/default-model/README.md). */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.js';
import { registerCheckpoint, type ModelRecord } from './models.js';

export const DEFAULT_MODEL_LABEL = 'default (small, natural video)';

export function defaultModelDir(appRoot: string): string {
  return path.join(appRoot, 'native-models', 'default-model');
}

/**
 * Make the shipped checkpoint a known model of this lab (once; later calls refresh it). `dir`: an
 * installed app's copy in the data folder (main/packaged-paths.ts), else the one in the app's files.
 */
export function registerDefaultModel(db: Db, appRoot: string, dir = defaultModelDir(appRoot)): ModelRecord | null {
  if (!fs.existsSync(path.join(dir, 'predlab-checkpoint.json'))) return null;
  return registerCheckpoint(db, dir, DEFAULT_MODEL_LABEL);
}
