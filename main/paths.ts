/**
 * Where the lab's data lives. One function for the app and the CLI, so both use the same
 * database by default: PREDLAB_DATA_DIR when set, else the folder Electron's
 * app.getPath('userData') gives for productName "PredLab" (package.json's productName must
 * stay equal to APP_NAME; a test checks it).
 */
import os from 'node:os';
import path from 'node:path';

export const APP_NAME = 'PredLab';
export const DATABASE_FILE = 'predlab.sqlite';

export interface DataDirContext {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

export function resolveDataDir(ctx: DataDirContext = {}): string {
  const env = ctx.env ?? process.env;
  if (env.PREDLAB_DATA_DIR) return path.resolve(env.PREDLAB_DATA_DIR);
  const home = ctx.home ?? env.HOME ?? os.homedir();
  switch (ctx.platform ?? process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_NAME);
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
    default:
      return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_NAME);
  }
}

export function databasePath(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE);
}

/** The CLI's default --db. */
export function defaultDatabasePath(): string {
  return databasePath(resolveDataDir());
}
