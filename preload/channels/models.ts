/** IPC channels for getting models: the paper's released PredNet (issue 9 part 2). */
import { z } from 'zod';

export const modelsSchemas = {
  /**
   * Starts getting a release in the background; its progress is pushed (the download event; models:download-status reads it). From the release's
   * own address (or the mirror set outside the page: PREDLAB_MODEL_MIRROR, or the CLI's --url),
   * or, with fromFile, from an archive the user picks in the main process's file dialog. The page
   * never names an address: the main process fetches nothing else for it.
   */
  'models:download': z
    .object({
      release: z.enum(['kitti']),
      fromFile: z.boolean().optional(),
    })
    .strict(),
  'models:download-status': z.object({}).strict(),
  'models:download-cancel': z.object({}).strict(),
} as const;

export interface DownloadJob {
  id: number;
  release: string;
  destDir: string;
  state: 'running' | 'done' | 'error' | 'cancelled';
  phase: 'starting' | 'download' | 'verify' | 'import';
  /** Bytes (download) or files/checkpoints done, of total (null: unknown size). */
  done: number;
  total: number | null;
  detail: string;
  modelIds: number[];
  error: string | null;
}

export interface ModelsResults {
  'models:download': DownloadJob;
  'models:download-status': DownloadJob | null;
  'models:download-cancel': DownloadJob | null;
}

export const modelsHeavyChannels: readonly string[] = [];
