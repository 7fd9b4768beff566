/** Worker-thread entry for training: loads the video, runs the trainer, reports events. */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend.js';
import { readManifest } from '../checkpoint.js';
import { loadVideo } from './load-video.js';
import { runTraining, type TrainOptions } from './trainer.js';

export interface WorkerJob {
  from: string;
  outDir: string;
  framesFile: string;
  recordingsFile: string | null;
  options: TrainOptions;
  backend?: string;
}

export type WorkerMessage =
  | { type: 'backend'; choice: string; detail: string }
  | { type: 'event'; event: import('./trainer.js').TrainEvent }
  | { type: 'finished'; step: number; bestValLoss: number | null; finished: boolean }
  | { type: 'error'; message: string };

const { job, control } = workerData as { job: WorkerJob; control: Int32Array };
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

// No top-level await: the app bundles this file as CommonJS.
async function main(): Promise<void> {
  try {
    const backend = await initBackend(job.backend ? { force: job.backend } : {});
    post({ type: 'backend', choice: backend.choice, detail: backend.detail });
    const cfg = readManifest(job.from).config;
    const video = loadVideo(job.framesFile, job.recordingsFile, { height: cfg.height, width: cfg.width, channels: cfg.stackSizes[0]! });
    const meta = await runTraining(
      { from: job.from, outDir: job.outDir, data: video, dataset: { ...video.source, frames: video.count, recordings: new Set(video.recordings).size }, options: job.options },
      (event) => post({ type: 'event', event }),
      control,
    );
    post({ type: 'finished', step: meta.step, bestValLoss: meta.bestValLoss, finished: meta.finished });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
}

void main();
