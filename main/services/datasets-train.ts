/**
 * Training on a stored dataset. The trainer reads frames through openFileVideo: each batch is
 * read from the recordings' files, so a dataset of many GB trains in the memory of a few batches.
 *
 * This runs the trainer in the calling thread (the CLI's), with the same job interface as
 * startTraining's worker (events, pause / resume / cancel between steps, `done`). The training
 * worker (native-models/training/worker.ts) takes .npy files only; once it can open a dataset's
 * recording files, the app's Training page can run this in the worker instead.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { initBackend } from '../../native-models/backend.js';
import { readManifest } from '../../native-models/checkpoint.js';
import { openFileVideo } from '../../native-models/datasets/file-video.js';
import { CANCEL, createControl, PAUSE, RUN, runTraining, trainOptionsSchema, type TrainOptions } from '../../native-models/training/trainer.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { getDataset, listRecordings } from './datasets.js';
import type { TrainingJob, TrainingResult } from './training.js';

export interface DatasetTrainingSpec {
  dataset: string;
  from: string;
  outDir: string;
  options?: Partial<TrainOptions>;
  backend?: string;
}

/** Checks everything a user can get wrong before any work starts; returns the recordings to read. */
function prepare(db: Db, dataFolder: string, spec: DatasetTrainingSpec) {
  const parsed = trainOptionsSchema.safeParse(spec.options ?? {});
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid training options: ${describeIssues(parsed.error.issues)}`);
  if (!fs.existsSync(spec.from)) throw new PredlabError('not-found', `The checkpoint ${spec.from} does not exist.`);
  const d = getDataset(db, spec.dataset);
  const cfg = readManifest(spec.from).config;
  if (d.height !== cfg.height || d.width !== cfg.width || cfg.stackSizes[0] !== d.channels)
    throw new PredlabError(
      'invalid-argument',
      `Dataset '${d.name}' holds ${d.height}x${d.width} frames; the checkpoint takes ${cfg.height}x${cfg.width}. Make a model of the dataset's size (model init --height ${d.height} --width ${d.width}) or import into a dataset of the model's size.`,
    );
  const recs = listRecordings(db, dataFolder, d.id).filter((r) => r.frames > 0);
  const longest = Math.max(0, ...recs.map((r) => r.frames));
  if (longest < parsed.data.nt)
    throw new PredlabError('invalid-argument', `Dataset '${d.name}' has no recording of ${parsed.data.nt} frames or more (the longest has ${longest}): nothing to train on. Record longer clips or lower --nt.`);
  return { d, recs, options: parsed.data };
}

export function startDatasetTraining(db: Db, dataFolder: string, spec: DatasetTrainingSpec): TrainingJob {
  const { d, recs, options } = prepare(db, dataFolder, spec);
  const control = createControl();
  const emitter = new EventEmitter() as TrainingJob;
  let cancelled = false;
  const done = new Promise<TrainingResult>((resolve, reject) => {
    // Started on the next turn so that the caller's listeners are attached first.
    setImmediate(async () => {
      let video: ReturnType<typeof openFileVideo> | null = null;
      try {
        const backend = await initBackend(spec.backend ? { force: spec.backend } : {});
        emitter.emit('backend', { choice: backend.choice, detail: backend.detail });
        video = openFileVideo(recs, d);
        const meta = await runTraining(
          {
            from: spec.from,
            outDir: spec.outDir,
            data: video,
            dataset: { kind: 'dataset', name: d.name, id: d.id, frames: video.count, recordings: recs.length, height: d.height, width: d.width, fps: d.fps },
            options,
          },
          (event) => {
            if (event.type === 'done') cancelled = event.cancelled;
            emitter.emit('event', event);
          },
          control,
        );
        resolve({ step: meta.step, bestValLoss: meta.bestValLoss, finished: meta.finished, cancelled });
      } catch (e) {
        reject(e instanceof PredlabError || e instanceof RangeError ? e : new PredlabError('invalid-argument', (e as Error).message));
      } finally {
        video?.close();
      }
    });
  });
  const set = (v: number) => Atomics.store(control, 0, v);
  return Object.assign(emitter, { pause: () => set(PAUSE), resume: () => set(RUN), cancel: () => set(CANCEL), done });
}
