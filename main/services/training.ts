/**
 * Training in a worker thread: PredNet trains there, reports progress as events, and can be
 * paused, resumed and cancelled. The UI and the CLI never wait on the training loop itself.
 * startTraining takes .npy files; datasets-train.ts starts the same worker on a dataset.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { CANCEL, createControl, PAUSE, RUN, trainOptionsSchema, type TrainEvent, type TrainOptions } from '../../native-models/training/trainer.js';
import type { WorkerJob, WorkerMessage, WorkerVideo } from '../../native-models/training/worker.js';
import { describeIssues, PredlabError } from '../errors.js';
import { gatedWorker, stopThread } from '../thread-stop.js';
import { workerEntry } from './worker-entry.js';

export interface TrainingSpec {
  from: string;
  outDir: string;
  framesFile: string;
  recordingsFile?: string | null;
  options?: Partial<TrainOptions>;
  backend?: string;
}

export interface TrainingResult {
  step: number;
  bestValLoss: number | null;
  finished: boolean;
  cancelled: boolean;
}

export interface TrainingJob extends EventEmitter {
  on(event: 'event', listener: (e: TrainEvent) => void): this;
  on(event: 'backend', listener: (b: { choice: string; detail: string }) => void): this;
  pause(): void;
  resume(): void;
  cancel(): void;
  /** Stop the worker at once, as quitting the app does: nothing more is saved (the resume state of the last epoch stays). */
  terminate(): Promise<void>;
  readonly done: Promise<TrainingResult>;
}


export function startTraining(spec: TrainingSpec): TrainingJob {
  const parsed = trainOptionsSchema.safeParse(spec.options ?? {});
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid training options: ${describeIssues(parsed.error.issues)}`);
  for (const [what, file] of [['data', spec.framesFile], ['checkpoint', spec.from]] as const)
    if (!fs.existsSync(file)) throw new PredlabError('not-found', `The ${what} ${file} does not exist.`);
  const video: WorkerVideo = { kind: 'npy', framesFile: spec.framesFile, recordingsFile: spec.recordingsFile ?? null };
  return startTrainingWorker({ from: spec.from, outDir: spec.outDir, video, options: parsed.data, ...(spec.backend ? { backend: spec.backend } : {}) });
}

/** Run a checked job in the training worker. */
export function startTrainingWorker(job: WorkerJob): TrainingJob {
  const control = createControl();
  const worker = gatedWorker(workerEntry('native-models/training/worker-dev.mjs', 'training-worker.cjs'), { workerData: { job, control } });
  const emitter = new EventEmitter() as TrainingJob;
  let cancelled = false;
  const done = new Promise<TrainingResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'backend') emitter.emit('backend', { choice: m.choice, detail: m.detail });
      else if (m.type === 'event') {
        if (m.event.type === 'done') cancelled = m.event.cancelled;
        emitter.emit('event', m.event);
      } else if (m.type === 'finished') {
        settled = true;
        resolve({ step: m.step, bestValLoss: m.bestValLoss, finished: m.finished, cancelled });
      } else if (m.type === 'error') {
        settled = true;
        reject(new PredlabError('invalid-argument', m.message));
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(new PredlabError('internal', `The training worker failed: ${e.message}`));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new PredlabError('internal', `The training worker stopped unexpectedly (exit code ${code}).`));
    });
  });
  const set = (v: number) => {
    Atomics.store(control, 0, v);
    Atomics.notify(control, 0);
  };
  return Object.assign(emitter, {
    pause: () => set(PAUSE),
    resume: () => set(RUN),
    cancel: () => set(CANCEL),
    // Never inside a training step on ONNX Runtime (that would abort the process): the step under
    // way ends first, nothing after it starts.
    terminate: () => stopThread(worker),
    done: done.finally(() => void stopThread(worker)),
  });
}
