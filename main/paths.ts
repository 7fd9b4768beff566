/** Where the lab's data lives: the same folder Electron's app.getPath('userData') gives. */
import os from 'node:os';
import path from 'node:path';

export const APP_NAME = 'PredLab';

export function defaultDataDir(): string {
  if (process.env.PREDLAB_DATA_DIR) return process.env.PREDLAB_DATA_DIR;
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_NAME);
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
    default:
      return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
  }
}

export function defaultDatabasePath(): string {
  return path.join(defaultDataDir(), 'predlab.sqlite');
}
