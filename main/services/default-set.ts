/**
 * The PredNet checkpoints that ship with the app: the default set, three instances of one recipe
 * (native-models/default-model/README.md) that differ only in their seeds. Instance 1 is the
 * default; every model number is read beside the spread of the set (Kirubeswaran & Storrs 2023:
 * identically trained PredNets disagree on illusions). Names and folders only (no engine: the
 * Electron entry reads it); registering them in a lab is default-model.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PredlabError } from '../errors.js';

export const DEFAULT_MODEL_LABEL = 'default (small, natural video)';
/** Instances of the default set (folders default-model, default-model-2, ...). */
export const DEFAULT_SET_SIZE = 3;
/** What the CLI takes for the whole set where several checkpoints are allowed. */
export const DEFAULT_SET_NAME = 'default-set';

/** Folder of instance `instance` (1: the default) under the app's files. */
export function defaultModelDir(appRoot: string, instance = 1): string {
  return path.join(appRoot, 'native-models', instance === 1 ? 'default-model' : `default-model-${instance}`);
}

/** The label a lab gives instance `instance`: the set's name, then "instance n" after the first (Compare groups by it; "#n" would read as a session). */
export function defaultModelLabel(instance: number): string {
  return instance === 1 ? DEFAULT_MODEL_LABEL : `${DEFAULT_MODEL_LABEL} instance ${instance}`;
}

export const isCheckpoint = (dir: string) => fs.existsSync(path.join(dir, 'predlab-checkpoint.json'));

/** The set's folders that are installed, in instance order. */
export interface SetFolder {
  instance: number;
  dir: string;
}

export function defaultSetDirs(appRoot: string): SetFolder[] {
  return Array.from({ length: DEFAULT_SET_SIZE }, (_, i) => ({ instance: i + 1, dir: defaultModelDir(appRoot, i + 1) })).filter((d) => isCheckpoint(d.dir));
}

/**
 * A CLI checkpoint argument as folders: 'default' (instance 1), 'default-2' .. 'default-N', and,
 * where `allowSet`, 'default-set' (every instance); anything else is a folder, returned as given.
 */
export function resolveShippedCheckpoint(arg: string, appRoot: string, allowSet = false): string[] {
  if (arg === DEFAULT_SET_NAME && !allowSet && !fs.existsSync(arg)) throw new PredlabError('invalid-argument', `'${DEFAULT_SET_NAME}' names the ${DEFAULT_SET_SIZE} checkpoints of the default set; this takes one: 'default', 'default-2' .. 'default-${DEFAULT_SET_SIZE}'.`);
  if (arg === DEFAULT_SET_NAME && allowSet) {
    const dirs = defaultSetDirs(appRoot).map((d) => d.dir);
    if (dirs.length === 0) throw new PredlabError('not-found', `The default set is not installed (${defaultModelDir(appRoot)}).`);
    return dirs;
  }
  const m = /^default(?:-(\d+))?$/.exec(arg);
  if (!m) return [arg];
  const instance = m[1] === undefined ? 1 : Number(m[1]);
  if (instance < 1 || instance > DEFAULT_SET_SIZE) throw new PredlabError('invalid-argument', `'${arg}': the default set has instances 1 to ${DEFAULT_SET_SIZE} ('default', 'default-2' .. 'default-${DEFAULT_SET_SIZE}').`);
  const dir = defaultModelDir(appRoot, instance);
  if (!isCheckpoint(dir)) throw new PredlabError('not-found', `The default checkpoint${instance === 1 ? '' : ` (instance ${instance})`} is not installed (${dir}).`);
  return [dir];
}

