/** IPC channels for getting models: the paper's released PredNet (issue 9 part 2). */
import { z } from 'zod';

export const modelsSchemas = {
  /** Starts fetching a release in the background; poll models:download-status. */
  'models:download': z
    .object({
      release: z.enum(['kitti']),
      /** Another address for the archive (a mirror); default: the release's own. */
      url: z.string().url().max(2048).refine((u) => /^https?:\/\//.test(u), { message: 'must be an http(s) address' }).optional(),
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
