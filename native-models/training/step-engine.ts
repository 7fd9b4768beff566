/**
 * What computes a training step: ONNX Runtime (onnx/train-session.ts: forward, backward and Adam
 * in one native session run, every core) wherever it starts, else TensorFlow.js (gradient
 * threads over the batch, tfjs's Adam). PREDLAB_TRAINING=onnxruntime|tfjs forces one; a forced
 * engine that cannot start is an error, not a silent fallback. Either way the tfjs PredNet is the
 * model of record: `sync` brings its variables up to date before previews and saves, and the
 * Adam state is saved under the same names, so checkpoints and resume states do not depend on
 * the engine (a run may resume on the other one).
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import type { NamedTensor } from '../checkpoint.js';
import { describeOnnx, OnnxPredNet, onnxRuntimeStatus } from '../onnx/session.js';
import type { NamedArray, OnnxTrainer } from '../onnx/train-session.js';
import type { PredNetConfig } from '../prednet/config.js';
import type { PredNet } from '../prednet/model.js';
import { activationBytesPerStep, segmentSteps } from './gradients.js';
import { sequenceLoss, type LayerLoss } from './loss.js';
import { GradientPool, shareSizes, trainingThreads } from './parallel.js';

export const TRAINING_ENGINES = ['onnxruntime', 'tfjs'] as const;
export type TrainingEngineName = (typeof TRAINING_ENGINES)[number];

export interface StepEngineOptions {
  batchSize: number;
  nt: number;
  layerLoss: LayerLoss;
  layerW: number[];
  timeW: number[];
  workers: 'auto' | number;
  checkpoint: 'auto' | 'off' | number;
  /** Force an engine (default: PREDLAB_TRAINING). */
  force?: string;
}

export interface StepEngine {
  name: TrainingEngineName;
  /** e.g. "onnxruntime-node 1.30.0 (cpu, 2 threads)" or "tfjs (wasm)"; with why ONNX Runtime is not used. */
  detail: string;
  threads: number;
  threadsReason: string;
  /** Time steps per gradient-checkpoint segment (null: none). */
  checkpointSteps: number | null;
  /** One Adam step on a batch (batchSize, nt, H, W, C); returns the loss (not finite: nothing changed). */
  step(batch: Float32Array, lr: number): Promise<number>;
  /** The loss of a batch of any size (validation), with the current weights. */
  loss(batch: Float32Array, sequences: number): Promise<number>;
  /** Writes the current weights into the tfjs PredNet's variables (before previews and saves). */
  sync(): Promise<void>;
  /** Adam's state as checkpoints store it: 'iter', then '<weight>/m' for every weight, then '<weight>/v' (new tensors: the caller disposes them). */
  optimizerState(): Promise<NamedTensor[]>;
  close(): Promise<void>;
}

/** The engine forced by `force` (default: PREDLAB_TRAINING), or null; an unknown name is an error. */
export function forcedTrainingEngine(force: string | undefined = process.env.PREDLAB_TRAINING): TrainingEngineName | null {
  if (force === undefined || force === '') return null;
  if (!(TRAINING_ENGINES as readonly string[]).includes(force)) throw new Error(`Unknown training engine '${force}' (PREDLAB_TRAINING); choose one of ${TRAINING_ENGINES.join(', ')}.`);
  return force as TrainingEngineName;
}

/** Adam's state names under our stable weight names. */
function adamStateNames(net: PredNet): string[] {
  const names = net.trainableVariables.map((v) => net.stableNames.get(v.name)!);
  return ['iter', ...names.map((n) => `${n}/m`), ...names.map((n) => `${n}/v`)];
}

/**
 * Checks a saved Adam state against the net: positions (tfjs restores moments by position, the
 * order of net.trainableVariables), shapes and, in states saved with stable names, names.
 * Returns the step count (older states stored 'iter' as int32 bytes in a float32 slot).
 */
async function checkedAdamState(saved: NamedTensor[], net: PredNet, from: string): Promise<number> {
  const vars = net.trainableVariables;
  const expected = adamStateNames(net);
  const known = new Set(expected);
  if (saved.length !== expected.length) throw new Error(`The Adam state in ${from} has ${saved.length} tensors; this PredNet needs ${expected.length}. The resume state belongs to another model.`);
  saved.forEach((w, i) => {
    const shape = i === 0 ? [] : vars[(i - 1) % vars.length]!.shape;
    if (w.tensor.shape.join() !== shape.join() || (known.has(w.name) && w.name !== expected[i]))
      throw new Error(`The Adam state in ${from} does not fit this PredNet: entry ${i} is ${w.name} (${w.tensor.shape}), expected ${expected[i]} (${shape}).`);
  });
  let iter = (await saved[0]!.tensor.data())[0]!;
  if (!Number.isInteger(iter)) iter = new Int32Array(Float32Array.of(iter).buffer)[0]!;
  return iter;
}

/**
 * The step engine for `net`: ONNX Runtime unless forced to tfjs or it cannot start (then tfjs,
 * with the reason in `detail`). `saved`: a resume state's Adam tensors (the caller disposes them).
 */
export async function openStepEngine(net: PredNet, o: StepEngineOptions, saved: NamedTensor[], from: string): Promise<StepEngine> {
  const forced = forcedTrainingEngine(o.force);
  const iter = saved.length > 0 ? await checkedAdamState(saved, net, from) : 0;
  const asked = o.force === undefined ? `PREDLAB_TRAINING=${forced}` : `the job asked for ${forced}`;
  let skipped = forced === 'tfjs' ? asked : '';
  if (forced !== 'tfjs') {
    try {
      return await onnxEngine(net, o, saved, iter);
    } catch (e) {
      const why = (e as Error).message;
      if (forced === 'onnxruntime') throw new Error(`${asked}, but ONNX Runtime cannot train this model: ${why}`);
      skipped = why;
    }
  }
  return tfjsEngine(net, o, saved, iter, skipped);
}

const arrays = async (net: PredNet): Promise<NamedArray[]> =>
  Promise.all(net.trainableVariables.map(async (v) => ({ name: net.stableNames.get(v.name)!, shape: v.shape, data: (await v.data()) as Float32Array })));

/**
 * Why the ONNX Runtime step would not fit in memory, or null. Its graph keeps every time step's
 * activations (no checkpointing over time, unlike the tfjs trainer): activationBytesPerStep
 * without the wasm heap's factor of 2.8, per sequence and step (KITTI batch 4, nt 10: 3.4 GiB
 * counted, 2.6 GiB peak measured). Allowed: half the machine's memory.
 */
export function onnxMemoryProblem(cfg: PredNetConfig, batch: number, nt: number, totalBytes = os.totalmem()): string | null {
  const need = (activationBytesPerStep(cfg) / 2.8) * batch * nt;
  if (need <= totalBytes / 2) return null;
  const gib = (b: number) => (b / 2 ** 30).toFixed(1);
  return `its training step would hold about ${gib(need)} GiB of activations, more than half this machine's ${gib(totalBytes)} GiB (lower the batch size or nt)`;
}

async function onnxEngine(net: PredNet, o: StepEngineOptions, saved: NamedTensor[], iter: number): Promise<StepEngine> {
  const tooBig = onnxMemoryProblem(net.config, o.batchSize, o.nt);
  if (tooBig) throw new Error(tooBig);
  const { OnnxTrainer } = await import('../onnx/train-session.js');
  const trainer: OnnxTrainer = await OnnxTrainer.create(net.config, { batch: o.batchSize, nt: o.nt, layerLoss: o.layerLoss });
  trainer.setWeights(await arrays(net));
  if (saved.length > 0) {
    const n = net.trainableVariables.length;
    const named = async (list: NamedTensor[]) => Promise.all(list.map(async (w, i) => ({ name: net.stableNames.get(net.trainableVariables[i]!.name)!, shape: w.tensor.shape, data: (await w.tensor.data()) as Float32Array })));
    trainer.setAdam(iter, await named(saved.slice(1, 1 + n)), await named(saved.slice(1 + n)));
  }
  // Validation runs the inference graph on the weights of the last sync.
  let inference: OnnxPredNet | null = null;
  let stale = true;
  const sync = async () => {
    if (!stale) return;
    const byName = new Map(trainer.getWeights().map((w) => [w.name, w]));
    for (const v of net.trainableVariables) {
      const w = byName.get(net.stableNames.get(v.name)!)!;
      const t = tf.tensor(w.data, w.shape);
      v.assign(t);
      t.dispose();
    }
    stale = false;
  };
  return {
    name: 'onnxruntime',
    detail: describeOnnx(trainer.report),
    threads: trainer.report.threads,
    threadsReason: "ONNX Runtime's own threads, one per core",
    checkpointSteps: null,
    async step(batch, lr) {
      const loss = await trainer.step(batch, lr);
      stale = true;
      if (inference) {
        await inference.release();
        inference = null;
      }
      return loss;
    },
    async loss(batch, sequences) {
      await sync();
      inference ??= await OnnxPredNet.fromPredNet(net);
      const c = net.config;
      const { data } = await inference.run(batch, [sequences, o.nt, c.height, c.width, c.stackSizes[0]!], 'error');
      // (N, T, L) layer means -> the trainer's loss (loss.ts), mean over the sequences.
      const L = o.layerW.length;
      let sum = 0;
      for (let n = 0; n < sequences; n++) for (let t = 0; t < o.nt; t++) for (let l = 0; l < L; l++) sum += o.timeW[t]! * o.layerW[l]! * data[(n * o.nt + t) * L + l]!;
      return sum / sequences;
    },
    sync,
    async optimizerState() {
      const { iterations, m, v } = trainer.getAdam();
      return [{ name: 'iter', tensor: tf.scalar(iterations, 'int32') }, ...[...m, ...v].map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) }))];
    },
    async close() {
      await inference?.release();
    },
  };
}

async function tfjsEngine(net: PredNet, o: StepEngineOptions, saved: NamedTensor[], iter: number, skipped: string): Promise<StepEngine> {
  const cfg = net.config;
  const optimizer = tf.train.adam(1e-3);
  if (saved.length > 0) {
    const iterTensor = tf.scalar(iter, 'int32');
    try {
      await optimizer.setWeights([{ name: 'iter', tensor: iterTensor }, ...saved.slice(1)]);
    } finally {
      iterTensor.dispose();
    }
  }
  const segmentOf = (sequences: number) => segmentSteps(cfg, sequences, o.nt, o.checkpoint);
  let { threads, reason: threadsReason } = trainingThreads(o.workers, o.batchSize);
  let pool: GradientPool;
  try {
    pool = await GradientPool.open(net, threads, o.layerW, o.timeW);
  } catch (e) {
    // Training still works on this thread alone; say why it did not split.
    pool = await GradientPool.open(net, 1, o.layerW, o.timeW);
    threadsReason = `gradient threads failed to start: ${(e as Error).message}`;
    threads = 1;
  }
  const names = adamStateNames(net);
  return {
    name: 'tfjs',
    detail: `tfjs (${tf.getBackend()})${skipped ? `; ONNX Runtime not used: ${skipped}` : ''}`,
    threads,
    threadsReason,
    checkpointSteps: segmentOf(shareSizes(o.batchSize, threads)[0]!),
    async step(batch, lr) {
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      try {
        return await pool.trainStep(optimizer, batch, o.batchSize, o.nt, segmentOf);
      } catch (e) {
        if (tf.getBackend() === 'wasm' && /Aborted/.test(String((e as Error).message)))
          throw new Error(`The WebAssembly backend ran out of memory (its heap is limited to 4 GB): lower --batch-size or --nt, or install @tensorflow/tfjs-node. The checkpoints saved so far are intact.`);
        throw e;
      }
    },
    async loss(batch, sequences) {
      const t = tf.tidy(() => sequenceLoss(net, tf.tensor5d(batch, [sequences, o.nt, cfg.height, cfg.width, cfg.stackSizes[0]!]), o.layerW, o.timeW));
      const value = (await t.data())[0]!;
      t.dispose();
      return value;
    },
    sync: async () => {},
    async optimizerState() {
      const w = await optimizer.getWeights();
      if (w.length !== names.length) throw new Error(`Internal: Adam holds ${w.length} tensors for ${names.length} expected.`);
      // Copies: the optimizer keeps its own ('iter' is made for the call).
      const copies = w.map(({ tensor }, i) => ({ name: names[i]!, tensor: tf.clone(tensor) }));
      w[0]!.tensor.dispose();
      return copies;
    },
    async close() {
      await pool.close();
      optimizer.dispose();
    },
  };
}

export interface TrainingStatus {
  /** The engine training would use; null when a forced engine cannot start. */
  name: TrainingEngineName | null;
  detail: string;
}

/**
 * Which engine training would use, without a checkpoint (for `predlab backend`): the choice
 * openStepEngine makes, with ONNX Runtime checked on a one-pixel PredNet.
 */
export async function trainingStatus(tfBackend: string): Promise<TrainingStatus> {
  const forced = forcedTrainingEngine();
  if (forced === 'tfjs') return { name: 'tfjs', detail: `tfjs (${tfBackend}); ONNX Runtime not used: PREDLAB_TRAINING=tfjs` };
  const onnx = await onnxRuntimeStatus();
  if (onnx.ok) return { name: 'onnxruntime', detail: describeOnnx(onnx.report) };
  if (forced === 'onnxruntime') return { name: null, detail: `PREDLAB_TRAINING=onnxruntime, but ONNX Runtime cannot start: ${onnx.reason}` };
  return { name: 'tfjs', detail: `tfjs (${tfBackend}); ONNX Runtime not used: ${onnx.reason}` };
}
