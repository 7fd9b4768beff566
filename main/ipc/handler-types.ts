/** What every handler file gets and must provide (main/ipc/handlers.ts merges them). */
import type { z } from 'zod';
import type { Notify } from '../event-hub.js';
import type { DownloadJobs } from '../services/download-jobs.js';
import type { ModelJobs } from '../services/model-jobs.js';
import type { Db } from '../store/db.js';

/** What the main process's open dialog asks for: a video, a folder of images, a model archive (zip), an online study's data (jsPsych JSON/CSV, JATOS results). */
export type ImportKind = 'video' | 'images' | 'archive' | 'online-data';

export interface HandlerDeps {
  db: Db;
  /** A writable connection for the jobs' rows where `db` only reads (the computing thread's exports); default `db`. */
  ledger?: Db;
  /** Asks where to export (a folder dialog in the app); null if the user cancelled. */
  chooseExportDir: (suggestedName: string) => Promise<string | null>;
  /** Asks for a video file or a folder of images to import (a dialog in the app); null if cancelled or unavailable. */
  chooseImportSource?: (kind: ImportKind) => Promise<string | null>;
  /** The address of the model archive set outside the page (PREDLAB_MODEL_MIRROR); null: the release's own. */
  modelMirror?: () => Promise<string | null>;
  /** Background model sessions (absent: the companion option is refused). */
  modelJobs?: ModelJobs;
  /** Downloads of released models (absent: refused, pointing to the CLI). */
  downloads?: DownloadJobs;
  /** Puts the app window in or out of fullscreen (absent where there is no window). */
  setFullScreen?: (on: boolean) => boolean;
  /** The app's files (the default model, bundled workers' folder) on this machine. */
  appRoot?: string;
  log?: (message: string) => void;
  /** Tells the page a job's progress or state changed (pushed events; absent: no one listens). */
  notify?: Notify;
  /** Registers what must happen before the thread closes (cancel a feature's jobs and wait for them to clean up). */
  onClose?: (close: () => Promise<void> | void) => void;
}

/** One feature's handlers: every channel of its schema map, given parsed arguments. */
export type FeatureHandlers<S extends Record<string, z.ZodType>, R> = {
  [C in keyof S & keyof R]: (args: z.output<S[C]>) => R[C] | Promise<R[C]>;
};
