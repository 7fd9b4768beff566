/**
 * Trains PredNet as the reference script does: random nt-frame sequences inside recordings,
 * L0 / L_all layer weights, time weights, Adam, a learning-rate drop, validation on held-out
 * recordings after every epoch, the best-validation weights kept. Emits progress events and
 * honours pause / cancel between steps. Runs in a worker thread or in-process.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { createRng, subSeed } from '../../paradigms/rng.js';
import { loadCheckpoint, saveCheckpoint, type NamedTensor, type TrainingMeta } from '../checkpoint.js';
import type { PredNet } from '../prednet/model.js';
import { batchOf, evenlySpaced, frameBytesOf, splitByRecording, validateVideo, type TrainingVideo } from './data.js';
import { copyLastFrameLoss, thumbnails, type Thumbnails } from './preview.js';
import { layerWeights, timeWeights } from './loss.js';
import { MAX_TRAINING_THREADS } from './parallel.js';
import { openStepEngine, type StepEngine, type TrainingEngineName } from './step-engine.js';

export const trainOptionsSchema = z
  .object({
    nt: z.number().int().min(2).max(1000).default(10),
    batchSize: z.number().int().min(1).max(256).default(4),
    epochs: z.number().int().min(1).max(100000).default(150),
    samplesPerEpoch: z.number().int().min(1).default(500),
    valSequences: z.number().int().min(0).default(100),
    valFraction: z.number().min(0).max(0.9).default(0.1),
    lr: z.number().positive().max(1).default(1e-3),
    /** Epoch from which lrAfterDrop is used (the reference drops at 75 of 150). null: never. */
    lrDropEpoch: z.number().int().min(0).nullable().default(null),
    lrAfterDrop: z.number().positive().max(1).default(1e-4),
    layerLoss: z.enum(['L0', 'L_all']).default('L0'),
    seed: z.number().int().default(1),
    /** Threads computing each batch's gradient (data parallel): 'auto' = one per core on the wasm/cpu backends, at most one per sequence. */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(MAX_TRAINING_THREADS)]).default('auto'),
    /**
     * Gradient checkpointing over time steps: 'auto' = only when a thread's activations would
     * exceed ACTIVATION_BUDGET (gradients.ts); 'off'; or recompute in segments of this many steps.
     */
    checkpoint: z.union([z.literal('auto'), z.literal('off'), z.number().int().min(1).max(1000)]).default('auto'),
  })
  .strict();
export type TrainOptions = z.output<typeof trainOptionsSchema>;

export type TrainEvent =
  | {
      type: 'start';
      startStep: number;
      totalSteps: number;
      trainSequences: number;
      valSequences: number;
      trainRecordings: number;
      valRecordings: number;
      /** Threads computing each step's gradient, and why that many. */
      threads: number;
      threadsReason: string;
      /** Time steps per gradient-checkpoint segment (null: no checkpointing). */
      checkpointSteps: number | null;
      /** Which engine computes the steps (step-engine.ts), and its details (why not ONNX Runtime, when not). */
      engine: TrainingEngineName;
      engineDetail: string;
    }
  | { type: 'progress'; step: number; totalSteps: number; epoch: number; loss: number; lr: number; framesPerSec: number; etaSec: number }
  | { type: 'epoch'; epoch: number; step: number; loss: number; valLoss: number | null; best: boolean; saved: string | null }
  /** The copy-last-frame baseline on the validation sequences (training ones if none), in L0 loss units. */
  | { type: 'baseline'; copyLastFrame: number; sequences: number }
  /** Actual and predicted frames of one fixed validation sequence, after every epoch (and before the first). */
  | ({ type: 'preview'; epoch: number; step: number } & Thumbnails)
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; step: number; cancelled: boolean; bestValLoss: number | null; outDir: string; resumeDir: string };

/** Shared control word: 0 run, 1 pause, 2 cancel (an Int32Array over a SharedArrayBuffer). */
export const RUN = 0;
export const PAUSE = 1;
export const CANCEL = 2;

export function createControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

export interface TrainJob {
  /** Checkpoint to start from (a fresh `model init`, or a `.resume` folder to continue). */
  from: string;
  /** Where the best-validation checkpoint goes; the latest state goes to `${outDir}.resume`. */
  outDir: string;
  /** Frames in memory or read from files on demand (see data.ts). */
  data: TrainingVideo;
  dataset: Record<string, unknown>;
  options: TrainOptions;
  /** Force a training engine ('onnxruntime' | 'tfjs'; default: PREDLAB_TRAINING, else ONNX Runtime where it starts). */
  engine?: string;
}

/** A batch is converted to float32 whole: its size is capped so a bad choice fails at once, not by running out of memory. */
export const TRAIN_LIMITS = { batchBytes: 512 * 2 ** 20 } as const;

export const resumeDirOf = (outDir: string) => `${outDir}.resume`;

/** Options a resumed run cannot change (the number of epochs and the learning rates it can). */
const RESUME_FIXED = ['nt', 'batchSize', 'samplesPerEpoch', 'valSequences', 'valFraction', 'layerLoss', 'seed'] as const;

export async function runTraining(job: TrainJob, onEvent: (e: TrainEvent) => void, control: Int32Array = createControl()): Promise<TrainingMeta> {
  const o = trainOptionsSchema.parse(job.options);
  validateVideo(job.data);
  const loaded = loadCheckpoint(job.from);
  const net = loaded.net;
  const cfg = net.config;
  const prev = loaded.manifest.training;
  // A resume state (it has Adam's moments) always continues, also a finished run given more epochs.
  const resuming = prev !== null && loaded.optimizer.length > 0;
  try {
    if (job.data.height !== cfg.height || job.data.width !== cfg.width || job.data.channels !== cfg.stackSizes[0])
      throw new RangeError(`Frames are ${job.data.height}x${job.data.width}x${job.data.channels}; the model takes ${cfg.height}x${cfg.width}x${cfg.stackSizes[0]}.`);
    const batchBytes = o.batchSize * o.nt * frameBytesOf({ height: cfg.height, width: cfg.width, channels: cfg.stackSizes[0]! }) * 4;
    if (batchBytes > TRAIN_LIMITS.batchBytes)
      throw new RangeError(`A batch of ${o.batchSize} sequences of ${o.nt} frames takes ${Math.round(batchBytes / 2 ** 20)} MB as float32; the limit is ${TRAIN_LIMITS.batchBytes / 2 ** 20} MB. Lower the batch size or nt.`);
    // Steps are numbered by the sampling recipe: a resumed run must draw its batches as the original would have.
    const changed = resuming ? RESUME_FIXED.filter((k) => prev.options[k] !== undefined && prev.options[k] !== o[k]) : [];
    if (changed.length > 0)
      throw new RangeError(`A resumed run goes on as it was started: ${changed.map((k) => `${k} (--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}) was ${String(prev!.options[k])}, now ${String(o[k])}`).join('; ')}. Give the same values, or train from the checkpoint anew (without resuming).`);
  } catch (e) {
    net.dispose();
    tf.dispose(loaded.optimizer.map((w) => w.tensor));
    throw e;
  }
  const split = splitByRecording(job.data, o.nt, o.valFraction, o.seed);
  // A fixed, evenly spaced validation set, so validation losses are comparable across epochs.
  const valStarts = evenlySpaced(split.validation, o.valSequences);

  const stepsPerEpoch = Math.ceil(o.samplesPerEpoch / o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  const meta: TrainingMeta = resuming
    ? { ...prev, options: o, dataset: job.dataset }
    : { step: 0, epoch: 0, seed: o.seed, dataset: job.dataset, options: o, history: [], bestValLoss: null, finished: false };
  const lw = layerWeights(o.layerLoss, net.layers);
  const tw = timeWeights(o.nt);
  let engine: StepEngine;
  try {
    engine = await openStepEngine(net, { batchSize: o.batchSize, nt: o.nt, layerLoss: o.layerLoss, layerW: lw, timeW: tw, workers: o.workers, checkpoint: o.checkpoint, ...(job.engine ? { force: job.engine } : {}) }, resuming ? loaded.optimizer : [], job.from);
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    tf.dispose(loaded.optimizer.map((w) => w.tensor));
  }
  let cancelled = false;
  // From here on every exit (a failing listener included) stops the gradient threads.
  try {
    onEvent({ type: 'start', startStep: meta.step, totalSteps, trainSequences: split.train.length, valSequences: valStarts.length, trainRecordings: split.trainRecordings.length, valRecordings: split.validationRecordings.length, threads: engine.threads, threadsReason: engine.threadsReason, checkpointSteps: engine.checkpointSteps, engine: engine.name, engineDetail: engine.detail });
    // The baseline and the preview sequence: validation data when there is some, else training sequences.
    const baselineStarts = valStarts.length > 0 ? valStarts : split.train.slice(0, Math.min(split.train.length, Math.max(1, o.valSequences)));
    const copyLastFrame = copyLastFrameLoss(job.data, baselineStarts, o.nt);
    onEvent({ type: 'baseline', copyLastFrame, sequences: baselineStarts.length });
    const previewStart = baselineStarts[0]!;
    const preview = async (epoch: number) => {
      await engine.sync();
      onEvent({ type: 'preview', epoch, step: meta.step, ...(await thumbnails(net, job.data, previewStart, o.nt)) });
    };
    await preview(meta.epoch);

    const lossOf = (starts: number[]) => engine.loss(batchOf(job.data, starts, o.nt), starts.length);
    const validate = async () => {
      if (valStarts.length === 0) return null;
      let sum = 0;
      for (let i = 0; i < valStarts.length; i += o.batchSize) {
        const part = valStarts.slice(i, i + o.batchSize);
        sum += (await lossOf(part)) * part.length;
      }
      return sum / valStarts.length;
    };

    // Where the weights came from, carried through resumed runs, and how the model is run (an imported extrapolation model's step).
    const extrapStartTime = loaded.manifest.extrapStartTime;
    const source = { kind: 'training', from: job.from, origin: loaded.manifest.source.kind === 'training' ? (loaded.manifest.source.origin ?? null) : loaded.manifest.source };
    const t0 = performance.now();
    const firstStep = meta.step;
    for (let epoch = meta.epoch; epoch < o.epochs && !cancelled; epoch++) {
      const lr = o.lrDropEpoch !== null && epoch >= o.lrDropEpoch ? o.lrAfterDrop : o.lr;
      let epochLoss = 0;
      let steps = 0;
      for (let s = meta.step - epoch * stepsPerEpoch; s < stepsPerEpoch; s++) {
        if (Atomics.load(control, 0) === PAUSE) {
          onEvent({ type: 'paused' });
          // Poll with a timer: a pending Atomics.waitAsync does not keep a worker's event loop alive.
          while (Atomics.load(control, 0) === PAUSE) await new Promise((r) => setTimeout(r, 50));
          onEvent({ type: 'resumed' });
        }
        if (Atomics.load(control, 0) === CANCEL) {
          cancelled = true;
          break;
        }
        // Each step's batch comes from its own random stream: a resumed run draws what the original would have.
        const rng = createRng(subSeed(o.seed, meta.step));
        const starts = Array.from({ length: o.batchSize }, () => split.train[rng.int(split.train.length)]!);
        const loss = await engine.step(batchOf(job.data, starts, o.nt), lr);
        if (!Number.isFinite(loss)) throw new Error(`Training diverged at step ${meta.step} (loss ${loss}); lower the learning rate.`);
        meta.step++;
        epochLoss += loss;
        steps++;
        const elapsed = (performance.now() - t0) / 1000;
        const done = meta.step - firstStep;
        onEvent({ type: 'progress', step: meta.step, totalSteps, epoch, loss, lr, framesPerSec: (done * o.batchSize * o.nt) / elapsed, etaSec: ((totalSteps - meta.step) * elapsed) / done });
        // Let messages (pause, cancel) through between steps.
        await new Promise((r) => setImmediate(r));
      }
      if (steps === 0) break;
      const complete = meta.step === (epoch + 1) * stepsPerEpoch;
      const valLoss = complete ? await validate() : null;
      if (complete) meta.epoch = epoch + 1;
      meta.history.push({ epoch, step: meta.step, loss: epochLoss / steps, valLoss, lr });
      const best = complete && (valLoss === null || meta.bestValLoss === null || valLoss < meta.bestValLoss);
      if (best) meta.bestValLoss = valLoss;
      // The saved weights' validation loss beside copying the last frame on the same sequences, in the
      // shape predictionCheck reads. Only with the L0 loss: L_all adds higher layers, so it is not |E0|.
      if (best && valLoss !== null && o.layerLoss === 'L0') meta.validation = { model: valLoss, copyLastFrame, sequences: valStarts.length, epoch };
      meta.finished = !cancelled && meta.epoch >= o.epochs;
      await engine.sync();
      if (best) await saveCheckpoint(job.outDir, net, { source, training: { ...meta }, extrapStartTime });
      const optimizer = await engine.optimizerState();
      try {
        await saveCheckpoint(resumeDirOf(job.outDir), net, { source, training: { ...meta }, optimizer, extrapStartTime });
      } finally {
        tf.dispose(optimizer.map((w) => w.tensor));
      }
      onEvent({ type: 'epoch', epoch, step: meta.step, loss: epochLoss / steps, valLoss, best, saved: best ? job.outDir : null });
      if (complete) await preview(epoch + 1);
    }
  } finally {
    await engine.close();
    net.dispose();
  }
  onEvent({ type: 'done', step: meta.step, cancelled, bestValLoss: meta.bestValLoss, outDir: job.outDir, resumeDir: resumeDirOf(job.outDir) });
  return meta;
}
