/**
 * Training on a stored dataset, in the training worker: the worker reads each sequence from the
 * recordings' frame files when a batch needs it (native-models/training/file-frames.ts), so a
 * dataset of many GB trains in the memory of one batch plus one sequence buffer.
 */
import fs from 'node:fs';
import { readManifest } from '../../native-models/checkpoint.js';
import type { PredNetConfig } from '../../native-models/prednet/config.js';
import { trainOptionsSchema, type TrainOptions } from '../../native-models/training/trainer.js';
import type { WorkerVideo } from '../../native-models/training/worker.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { getDataset, readableRecordings } from './datasets.js';
import { startTrainingWorker, type TrainingJob } from './training.js';
import { frameSize } from '../../paradigms/format.js';

export interface DatasetTrainingSpec {
  dataset: string;
  from: string;
  outDir: string;
  options?: Partial<TrainOptions>;
  backend?: string;
}

/**
 * Checks everything a user can get wrong about a dataset and a model before any work starts:
 * the options, the frame size against the model's, a recording long enough for one sequence.
 * Returns the options and the video for the worker.
 */
export function checkDatasetTraining(db: Db, dataFolder: string, dataset: string, cfg: PredNetConfig, options: Partial<TrainOptions> | undefined): { options: TrainOptions; video: WorkerVideo } {
  const parsed = trainOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid training options: ${describeIssues(parsed.error.issues)}`);
  const d = getDataset(db, dataset);
  if (d.height !== cfg.height || d.width !== cfg.width || cfg.stackSizes[0] !== d.channels)
    throw new PredlabError(
      'invalid-argument',
      `Dataset '${d.name}' holds ${frameSize(d.height, d.width)} frames (height × width); the checkpoint takes ${frameSize(cfg.height, cfg.width)}. Make a model of the dataset's size (model init --height ${d.height} --width ${d.width}) or import into a dataset of the model's size.`,
    );
  const recs = readableRecordings(db, dataFolder, d.id);
  const longest = Math.max(0, ...recs.map((r) => r.frames));
  if (longest < parsed.data.nt)
    throw new PredlabError('invalid-argument', `Dataset '${d.name}' has no recording of ${parsed.data.nt} frames or more (the longest has ${longest}): nothing to train on. Record longer clips or lower --nt.`);
  return {
    options: parsed.data,
    video: {
      kind: 'files',
      recordings: recs.map((r) => ({ file: r.file, frames: r.frames })),
      height: d.height,
      width: d.width,
      channels: d.channels,
      describe: { kind: 'dataset', name: d.name, id: d.id, height: d.height, width: d.width, fps: d.fps },
    },
  };
}

export function startDatasetTraining(db: Db, dataFolder: string, spec: DatasetTrainingSpec): TrainingJob {
  if (!fs.existsSync(spec.from)) throw new PredlabError('not-found', `The checkpoint ${spec.from} does not exist.`);
  const { options, video } = checkDatasetTraining(db, dataFolder, spec.dataset, readManifest(spec.from).config, spec.options);
  return startTrainingWorker({ from: spec.from, outDir: spec.outDir, video, options, ...(spec.backend ? { backend: spec.backend } : {}) });
}
