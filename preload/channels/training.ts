/** IPC channels of the training feature: argument schemas and result types (merged into preload/contract.ts). */
import { z } from 'zod';
import { id } from '../schema-parts.js';

/**
 * Hyperparameters a run takes from the page, with the defaults of PredNet's kitti_train.py
 * (nt 10, batch 4, Adam 1e-3 dropped to 1e-4 at epoch 75 of 150, 500 sequences per epoch,
 * 100 validation sequences) and a stated limit each.
 */
export const TRAINING_OPTION_LIMITS = {
  nt: [2, 100],
  batchSize: [1, 64],
  epochs: [1, 10_000],
  samplesPerEpoch: [1, 100_000],
  valSequences: [0, 10_000],
  lr: [1e-7, 1],
  lrDropEpoch: [0, 10_000],
  seed: [0, 2 ** 32 - 1],
} as const;

const L = TRAINING_OPTION_LIMITS;
const int = (k: keyof typeof L) => z.number().int().min(L[k][0]).max(L[k][1]);

export const trainingOptionsSchema = z
  .object({
    nt: int('nt').optional(),
    batchSize: int('batchSize').optional(),
    epochs: int('epochs').optional(),
    samplesPerEpoch: int('samplesPerEpoch').optional(),
    valSequences: int('valSequences').optional(),
    lr: z.number().min(L.lr[0]).max(L.lr[1]).optional(),
    /** Epoch from which the rate is 1e-4; null: never dropped. */
    lrDropEpoch: int('lrDropEpoch').nullable().optional(),
    layerLoss: z.enum(['L0', 'L_all']).optional(),
    seed: int('seed').optional(),
  })
  .strict();
export type TrainingOptionsInput = z.infer<typeof trainingOptionsSchema>;

/** What the page's form starts with: kitti_train.py's recipe. */
export const KITTI_TRAIN_DEFAULTS = { nt: 10, batchSize: 4, epochs: 150, samplesPerEpoch: 500, valSequences: 100, lr: 0.001, lrDropEpoch: 75, layerLoss: 'L0', seed: 1 } as const;

export const startPointSchema = z.discriminatedUnion('kind', [
  /** A fresh PredNet of a preset architecture at the dataset's frame size. */
  z.object({ kind: z.literal('new'), preset: z.enum(['small', 'kitti']), seed: int('seed') }).strict(),
  /** A registered model: a trained checkpoint, or imported Keras weights. */
  z.object({ kind: z.literal('model'), modelId: id }).strict(),
]);
export type StartPoint = z.infer<typeof startPointSchema>;

export const TRAINING_LABEL_MAX = 100;
const runId = z.object({ runId: id }).strict();

export const trainingSchemas = {
  /** Datasets and models to choose from, the defaults and limits. */
  'training:setup': z.object({}).strict(),
  'training:start': z
    .object({
      dataset: z.string().min(1).max(64),
      start: startPointSchema,
      label: z.string().trim().max(TRAINING_LABEL_MAX).optional(),
      options: trainingOptionsSchema,
    })
    .strict(),
  /** Every run, newest first (loss curves left out). */
  'training:runs': z.object({}).strict(),
  /** One run with its loss curve so far. */
  'training:status': runId,
  /** The newest actual/predicted thumbnails of a run (null before the first). */
  'training:preview': runId,
  'training:pause': runId,
  /** A paused run goes on; an interrupted (app restart), cancelled or failed one continues from its resume state. */
  'training:resume': runId,
  'training:cancel': runId,
} as const;

export type RunState = 'running' | 'paused' | 'finished' | 'cancelled' | 'failed' | 'interrupted';

export interface TrainingRunOptions {
  nt: number;
  batchSize: number;
  epochs: number;
  samplesPerEpoch: number;
  valSequences: number;
  valFraction: number;
  lr: number;
  lrDropEpoch: number | null;
  lrAfterDrop: number;
  layerLoss: 'L0' | 'L_all';
  seed: number;
}

/** A training run as the page shows it. */
export interface TrainingRun {
  id: number;
  label: string;
  dataset: string;
  /** Where it started; 'folder': a checkpoint folder the lab does not list (`predlab train --events`). */
  start: StartPoint | { kind: 'folder'; path: string };
  /** Where the run started from, in words. */
  startLabel: string;
  options: TrainingRunOptions;
  state: RunState;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  /** Folder of the best-validation checkpoint. */
  checkpoint: string;
  /** A resume state is on disk (an epoch ended, or the run was stopped). */
  resumable: boolean;
  /** The model registered when the run finished. */
  modelId: number | null;
  backend: string | null;
  step: number;
  totalSteps: number;
  epoch: number;
  framesPerSec: number | null;
  etaSec: number | null;
  /** Copy-last-frame loss on the validation sequences: the line a model must get under. */
  baseline: number | null;
  /** Training loss per step (thinned past a stated number of points). */
  losses: { step: number; loss: number }[];
  epochs: { epoch: number; step: number; loss: number; valLoss: number | null }[];
  /** Epoch of the newest thumbnails (null: none yet in this app session). */
  previewEpoch: number | null;
}

/** Actual and predicted frames of a fixed validation sequence; frames base64 uint8 (frames x height x width x channels). */
export interface RunPreview {
  runId: number;
  epoch: number;
  step: number;
  width: number;
  height: number;
  channels: number;
  frames: number;
  actual: string;
  predicted: string;
}

export interface TrainingSetup {
  datasets: { name: string; height: number; width: number; fps: number; recordings: number; frames: number; longestRecording: number }[];
  models: { id: number; label: string; height: number; width: number; channels: number; source: string; parameters: number }[];
  presets: ('small' | 'kitti')[];
  defaults: typeof KITTI_TRAIN_DEFAULTS;
  limits: typeof TRAINING_OPTION_LIMITS;
  /** Only one run trains at a time. */
  activeRunId: number | null;
}

export interface TrainingResults {
  'training:setup': TrainingSetup;
  'training:start': TrainingRun;
  'training:runs': TrainingRun[];
  'training:status': TrainingRun;
  'training:preview': RunPreview | null;
  'training:pause': TrainingRun;
  'training:resume': TrainingRun;
  'training:cancel': TrainingRun;
}

/** Channels of this feature answered on the computing thread (see main/bootstrap.ts). Training runs in its own worker, started from the light thread, so none. */
export const trainingHeavyChannels: readonly string[] = [];
