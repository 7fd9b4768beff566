/**
 * Training speed and peak memory of a PredNet configuration, as the trainer runs it (gradient
 * threads, checkpointing, Adam), on random frames: for the benchmark (bench/model.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../../paradigms/rng.js';
import type { PredNetConfig } from '../prednet/config.js';
import { PredNet } from '../prednet/model.js';
import { layerWeights, timeWeights } from './loss.js';
import { segmentSteps } from './gradients.js';
import { GradientPool, shareSizes, trainingThreads } from './parallel.js';

export interface TrainingMeasurement {
  batch: number;
  nt: number;
  threads: number;
  /** Time steps per checkpoint segment (null: none). */
  checkpointSteps: number | null;
  steps: number;
  /** Wall time per trained frame (batch * nt frames per step), after one warm-up step. */
  msPerFrame: number;
  /** The process's peak resident memory so far (the OS high-water mark: includes earlier work in this process). */
  peakRssBytes: number;
  /** WebAssembly heap of each thread (this one first); null off wasm. */
  wasmHeapBytes: (number | null)[];
}

/** Limits of a measurement (it runs on the caller's thread). */
export const MEASURE_LIMITS = { steps: 50, batch: 64, nt: 100 } as const;

export async function measureTraining(
  config: PredNetConfig,
  o: { batch: number; nt: number; workers?: 'auto' | number; checkpoint?: 'auto' | 'off' | number; steps?: number; seed?: number },
): Promise<TrainingMeasurement> {
  const steps = o.steps ?? 3;
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= MEASURE_LIMITS.steps)) throw new RangeError(`steps must be 1..${MEASURE_LIMITS.steps}, got ${steps}.`);
  if (!(Number.isInteger(o.batch) && o.batch >= 1 && o.batch <= MEASURE_LIMITS.batch)) throw new RangeError(`batch must be 1..${MEASURE_LIMITS.batch}, got ${o.batch}.`);
  if (!(Number.isInteger(o.nt) && o.nt >= 2 && o.nt <= MEASURE_LIMITS.nt)) throw new RangeError(`nt must be 2..${MEASURE_LIMITS.nt}, got ${o.nt}.`);
  const net = PredNet.create(config, o.seed ?? 1);
  const lw = layerWeights('L0', net.layers);
  const tw = timeWeights(o.nt);
  const { threads } = trainingThreads(o.workers ?? 'auto', o.batch);
  const segmentOf = (n: number) => segmentSteps(config, n, o.nt, o.checkpoint ?? 'auto');
  const optimizer = tf.train.adam(1e-3);
  const rng = createRng(o.seed ?? 1);
  const frames = new Float32Array(o.batch * o.nt * config.height * config.width * config.stackSizes[0]!);
  for (let i = 0; i < frames.length; i++) frames[i] = rng.next();
  let pool: GradientPool | null = null;
  try {
    pool = await GradientPool.open(net, threads, lw, tw);
    const step = () => pool!.trainStep(optimizer, frames, o.batch, o.nt, segmentOf);
    await step();
    let ms = 0;
    for (let s = 0; s < steps; s++) {
      const t = performance.now();
      await step();
      ms += performance.now() - t;
    }
    return {
      batch: o.batch,
      nt: o.nt,
      threads,
      checkpointSteps: segmentOf(shareSizes(o.batch, threads)[0]!),
      steps,
      msPerFrame: ms / steps / (o.batch * o.nt),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      wasmHeapBytes: pool.heapBytes(),
    };
  } finally {
    await pool?.close();
    optimizer.dispose();
    net.dispose();
  }
}
