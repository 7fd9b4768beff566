/**
 * IPC channels of the datasets feature (the Video page): list, create and delete datasets,
 * import a video or image folder chosen in a dialog, export, and capture from a camera in
 * chunks of frames. Imports and exports are background jobs whose progress is pushed (imports, exports events): imports on the
 * service thread (datasets:jobs), exports on the computing thread (datasets:export-jobs), where
 * loading the HDF5 library (seconds of compiling WebAssembly) stalls no other request.
 * Merged into preload/contract.ts.
 */
import { z } from 'zod';
import { id } from '../schema-parts.js';

/** Stated limits of what the page may send. */
export const DATASET_CHANNEL_LIMITS = {
  /** One capture chunk: whole frames, at most this many bytes (one second of 128x160 video at 30 frames/s is 5.5 MiB). */
  chunkBytes: 8 * 2 ** 20,
  /** The capture source's description (the camera's label). */
  sourceChars: 200,
  /** Recordings listed by datasets:show (the newest first). */
  recordingsShown: 1000,
  /** Finished jobs remembered for the page (running ones always are). */
  jobsKept: 50,
} as const;

const datasetName = z.string().min(1).max(64);
const side = z.number().int().min(8).max(1024).refine((v) => v % 2 === 0, { message: 'must be even' });

export const datasetsSchemas = {
  'datasets:list': z.object({}).strict(),
  'datasets:show': z.object({ name: datasetName }).strict(),
  'datasets:create': z.object({ name: datasetName, height: side, width: side, fps: z.number().finite().min(1).max(120) }).strict(),
  /** The page asks the person first. */
  'datasets:delete': z.object({ name: datasetName }).strict(),
  /** A main-process dialog asks for the file ('video') or the folder of images ('images'). */
  'datasets:import': z.object({ dataset: datasetName, kind: z.enum(['video', 'images']) }).strict(),
  /** A main-process dialog asks for the folder to write into. */
  'datasets:export': z.object({ name: datasetName, format: z.enum(['hdf5', 'mp4', 'webm']) }).strict(),
  /** Import jobs. */
  'datasets:jobs': z.object({}).strict(),
  'datasets:cancel-job': z.object({ jobId: id }).strict(),
  /** Export jobs. */
  'datasets:export-jobs': z.object({}).strict(),
  'datasets:cancel-export': z.object({ jobId: id }).strict(),
  'datasets:capture-begin': z.object({ dataset: datasetName, source: z.string().max(DATASET_CHANNEL_LIMITS.sourceChars) }).strict(),
  'datasets:capture-append': z
    .object({
      recordingId: id,
      frames: z
        .instanceof(Uint8Array, { message: 'must be a Uint8Array of RGB frames' })
        .refine((b) => b.byteLength > 0 && b.byteLength <= DATASET_CHANNEL_LIMITS.chunkBytes, { message: `must hold 1 byte to ${DATASET_CHANNEL_LIMITS.chunkBytes / 2 ** 20} MiB of frames` }),
    })
    .strict(),
  'datasets:capture-finish': z.object({ recordingId: id }).strict(),
  /** Discard a recording still being made (its frames are removed). */
  'datasets:capture-abandon': z.object({ recordingId: id }).strict(),
} as const;

export interface DatasetView {
  id: number;
  name: string;
  height: number;
  width: number;
  channels: number;
  fps: number;
  createdAt: string;
  recordings: number;
  frames: number;
  /** Bytes of frames on disk (frames x H x W x C). */
  bytes: number;
}

export interface RecordingView {
  id: number;
  datasetId: number;
  frames: number;
  source: string;
  /** 'truncated': the disk filled while it was written; the frames counted are kept. */
  status: 'recording' | 'complete' | 'truncated';
  createdAt: string;
  updatedAt: string;
}

export interface DatasetDetail extends DatasetView {
  /** The newest recordings first, at most DATASET_CHANNEL_LIMITS.recordingsShown. */
  recordingList: RecordingView[];
}

export interface CaptureStart {
  recording: RecordingView;
  /** Bytes of one frame (height x width x 3) and the most one chunk may carry. */
  frameBytes: number;
  maxChunkBytes: number;
}

export interface DatasetJob {
  id: number;
  kind: 'import' | 'export';
  dataset: string;
  state: 'running' | 'done' | 'error' | 'cancelled';
  /** Frames handled so far; total when known (an export, an image folder, a video's duration x rate). */
  frames: number;
  total: number | null;
  /** What was read (import) or written (export). */
  path: string;
  /** When finished: what happened, in a sentence. */
  message: string | null;
  startedAt: string;
}

export interface DeletedDatasetView {
  name: string;
  recordings: number;
  frames: number;
  bytes: number;
}

export interface DatasetResults {
  'datasets:list': DatasetView[];
  'datasets:show': DatasetDetail;
  'datasets:create': DatasetView;
  'datasets:delete': DeletedDatasetView;
  'datasets:import': DatasetJob;
  'datasets:export': DatasetJob;
  'datasets:jobs': DatasetJob[];
  'datasets:cancel-job': DatasetJob;
  'datasets:export-jobs': DatasetJob[];
  'datasets:cancel-export': DatasetJob;
  'datasets:capture-begin': CaptureStart;
  'datasets:capture-append': RecordingView;
  'datasets:capture-finish': RecordingView | null;
  'datasets:capture-abandon': { removed: boolean };
}

/**
 * Channels of this feature answered on the computing thread (see main/bootstrap.ts): exports
 * (they only read the database). Imports write, so they run on the service thread: ffmpeg (a
 * child process) decodes and resizes, and the thread only writes 4 MiB at a time between awaits.
 */
export const datasetsHeavyChannels: readonly string[] = ['datasets:export', 'datasets:export-jobs', 'datasets:cancel-export'];
