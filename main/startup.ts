/**
 * What the app does when it cannot start (the database cannot be opened, the default model
 * cannot be registered): tell the person what went wrong and the way out, then quit cleanly,
 * releasing the single-instance lock. Kept free of Electron so it can be tested; main.ts passes
 * the dialog and the quit.
 */
import path from 'node:path';
import { DATABASE_FILE } from './paths.js';

export interface StartupUi {
  /** A modal error dialog (Electron's dialog.showErrorBox). */
  showError(title: string, detail: string): void | Promise<void>;
  releaseSingleInstanceLock(): void;
  exit(code: number): void;
}

export function describeStartupFailure(error: unknown, dataDir: string): { title: string; detail: string } {
  const problem = error instanceof Error ? error.message : String(error);
  const db = path.join(dataDir, DATABASE_FILE);
  return {
    title: 'PredLab could not start',
    detail: [
      problem,
      '',
      `The lab database is ${db}; nothing in it was changed.`,
      `To recover, close PredLab and copy the newest file from ${path.join(dataDir, 'backups')} over it (keep the damaged one aside),`,
      'or start PredLab on another data folder by setting the PREDLAB_DATA_DIR environment variable.',
      'The command line (npx predlab) uses the same folder and says the same.',
    ].join('\n'),
  };
}

/** Run the start-up; on failure explain, release the lock and exit with status 1. */
export async function startOrExplain<T>(start: () => Promise<T>, ui: StartupUi, dataDir: string): Promise<T | null> {
  try {
    return await start();
  } catch (e) {
    const { title, detail } = describeStartupFailure(e, dataDir);
    try {
      await ui.showError(title, detail);
    } finally {
      ui.releaseSingleInstanceLock();
      ui.exit(1);
    }
    return null;
  }
}
