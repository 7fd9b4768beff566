/** Worker-thread entry for training: opens the video (a .npy file in memory, or a dataset's recording files read on demand), runs the trainer, reports events. */
import { parentPort, workerData } from 'node:worker_threads';
import { useOrtGate } from '../onnx/ort-gate.js';
import { initBackend } from '../backend.js';
import { readManifest, saveCheckpoint } from '../checkpoint.js';
import { predNetConfigSchema, type PredNetConfig } from '../prednet/config.js';
import { PredNet } from '../prednet/model.js';
import type { TrainingVideo } from './data.js';
import { openRecordingFiles, type RecordingFile } from './file-frames.js';
import { loadVideo } from './load-video.js';
import { runTraining, type TrainEvent, type TrainOptions } from './trainer.js';

export type WorkerVideo =
  | { kind: 'npy'; framesFile: string; recordingsFile: string | null }
  /** A dataset's recordings, read from disk sequence by sequence; `describe` goes into the checkpoint's training record. */
  | { kind: 'files'; recordings: RecordingFile[]; height: number; width: number; channels: number; describe: Record<string, unknown> };

export interface WorkerJob {
  from: string;
  outDir: string;
  video: WorkerVideo;
  options: TrainOptions;
  backend?: string;
  /** Create `from` first: a fresh PredNet of this architecture (weights made here, off the caller's thread). */
  init?: { config: PredNetConfig; seed: number; source: Record<string, unknown> };
}

export type WorkerMessage =
  | { type: 'backend'; choice: string; detail: string }
  | { type: 'event'; event: TrainEvent }
  | { type: 'finished'; step: number; bestValLoss: number | null; finished: boolean }
  | { type: 'error'; message: string };

const { job, control, ortGate } = workerData as { job: WorkerJob; control: Int32Array; ortGate?: SharedArrayBuffer };
useOrtGate(ortGate);
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

async function openVideo(v: WorkerVideo, from: string): Promise<{ data: TrainingVideo; dataset: Record<string, unknown> }> {
  if (v.kind === 'files') {
    const data = openRecordingFiles(v.recordings, v);
    return { data, dataset: { ...v.describe, frames: data.count, recordings: v.recordings.length } };
  }
  const cfg = readManifest(from).config;
  const video = await loadVideo(v.framesFile, v.recordingsFile, { height: cfg.height, width: cfg.width, channels: cfg.stackSizes[0]! });
  return { data: video, dataset: { ...video.source, frames: video.count, recordings: new Set(video.recordings).size } };
}

// No top-level await: the app bundles this file as CommonJS.
async function main(): Promise<void> {
  try {
    const backend = await initBackend(job.backend ? { force: job.backend } : {});
    post({ type: 'backend', choice: backend.choice, detail: backend.detail });
    if (job.init) {
      const net = PredNet.create(predNetConfigSchema.parse(job.init.config), job.init.seed);
      try {
        await saveCheckpoint(job.from, net, { source: job.init.source });
      } finally {
        net.dispose();
      }
    }
    const { data, dataset } = await openVideo(job.video, job.from);
    const meta = await runTraining(
      { from: job.from, outDir: job.outDir, data, dataset, options: job.options },
      (event) => {
        // Which engine trains, said where the backend is (the CLI's and the Training page's line).
        if (event.type === 'start')
          post(
            event.engine === 'onnxruntime'
              ? // The providers skipped are `predlab backend`'s business; one line here.
                { type: 'backend', choice: 'onnxruntime', detail: `${event.engineDetail.replace(/; skipped .*\)$/, ')')}; previews on tfjs ${backend.choice}` }
              : { type: 'backend', choice: backend.choice, detail: `${backend.detail}${event.engineDetail.replace(/^tfjs \([^)]*\)/, '')}` },
          );
        post({ type: 'event', event });
      },
      control,
    );
    post({ type: 'finished', step: meta.step, bestValLoss: meta.bestValLoss, finished: meta.finished });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
}

void main();
