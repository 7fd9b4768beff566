/** Data-parallel training threads and gradient checkpointing give the single-thread result; no thread outlives a run. */
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../../native-models/checkpoint.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { activationBytesPerStep, lossAndGrads, segmentSteps } from '../../native-models/training/gradients.js';
import { layerWeights, timeWeights } from '../../native-models/training/loss.js';
import { liveGradientThreads, shareSizes, trainingThreads } from '../../native-models/training/parallel.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import { CANCEL, createControl, resumeDirOf, runTraining, trainOptionsSchema, type TrainEvent } from '../../native-models/training/trainer.js';
import { tempDir } from '../support/db.js';

const cfg = predNetConfigSchema.parse({ height: 16, width: 16, stackSizes: [1, 8, 16], rStackSizes: [1, 8, 16], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3] });
const data = movingBarVideo({ height: 16, width: 16, recordings: 12, framesPerRecording: 14, seed: 4 });
const nt = 6;
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = tempDir('predlab-parallel-');
  const net = PredNet.create(cfg, 3);
  await saveCheckpoint(path.join(dir, 'init'), net, { source: { kind: 'init', seed: 3 } });
  net.dispose();
});

/** The trained weights of a run's resume state, by stable name. */
function weightsOf(outDir: string): Map<string, Float32Array> {
  const { net } = loadCheckpoint(resumeDirOf(outDir));
  const m = new Map(net.trainableVariables.map((v) => [net.stableNames.get(v.name)!, v.dataSync() as Float32Array]));
  net.dispose();
  return m;
}

/** Largest |a - b| over a weight tensor, relative to that tensor's largest |a|. */
function worstRelativeDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(x[i]!));
    }
    worst = Math.max(worst, diff / (scale || 1));
  }
  return worst;
}

const threeSteps = (extra: Record<string, unknown>) => trainOptionsSchema.parse({ nt, batchSize: 4, epochs: 1, samplesPerEpoch: 12, valSequences: 4, lr: 3e-3, seed: 5, ...extra });

async function train(out: string, extra: Record<string, unknown>, onEvent: (e: TrainEvent) => void = () => undefined) {
  const events: TrainEvent[] = [];
  const meta = await runTraining({ from: path.join(dir, 'init'), outDir: path.join(dir, out), data, dataset: {}, engine: 'tfjs', options: threeSteps(extra) }, (e) => {
    events.push(e);
    onEvent(e);
  });
  return { meta, events, weights: weightsOf(path.join(dir, out)) };
}

// Gradient threads and checkpointing are the tfjs engine's (ONNX Runtime, the default, runs its own threads).
describe('gradient checkpointing over time steps', () => {
  it('gives the loss and gradient of the whole sequence, for every segment length', () => {
    const net = PredNet.create(cfg, 7);
    const x = tf.randomUniform([3, 7, 16, 16, 1], 0, 1, 'float32', 9) as tf.Tensor5D;
    for (const mode of ['L0', 'L_all'] as const) {
      const lw = layerWeights(mode, net.layers);
      const tw = timeWeights(7);
      const whole = lossAndGrads(net, x, lw, tw, null);
      for (const k of [1, 3, 6]) {
        const before = tf.memory().numTensors;
        const seg = lossAndGrads(net, x, lw, tw, k);
        expect(seg.loss.dataSync()[0]!).toBeCloseTo(whole.loss.dataSync()[0]!, 6);
        const worst = tf.tidy(() => Math.max(...whole.grads.map((g, i) => tf.max(tf.abs(tf.sub(g, seg.grads[i]!))).dataSync()[0]! / tf.max(tf.abs(g)).dataSync()[0]!)));
        expect(worst).toBeLessThan(1e-5);
        tf.dispose([seg.loss, ...seg.grads]);
        // Nothing but the returned loss and gradients is left behind.
        expect(tf.memory().numTensors).toBe(before);
      }
      tf.dispose([whole.loss, ...whole.grads]);
    }
    tf.dispose(x);
    net.dispose();
  });

  it('turns itself on when the activations would not fit, with segments as long as fit', () => {
    const kitti = predNetConfigSchema.parse({ height: 128, width: 160, stackSizes: [3, 48, 96, 192], rStackSizes: [3, 48, 96, 192], aFiltSizes: [3, 3, 3], ahatFiltSizes: [3, 3, 3, 3], rFiltSizes: [3, 3, 3, 3] });
    const small = predNetConfigSchema.parse({ height: 64, width: 80, stackSizes: [3, 16, 32, 64], rStackSizes: [3, 16, 32, 64], aFiltSizes: [3, 3, 3], ahatFiltSizes: [3, 3, 3, 3], rFiltSizes: [3, 3, 3, 3] });
    // KITTI batch 4 nt 10 in one thread is ~3.7 GB of activations: checkpointed; small fits whole.
    expect(activationBytesPerStep(kitti) * 40).toBeGreaterThan(3e9);
    const k = segmentSteps(kitti, 4, 10, 'auto')!;
    expect(k).toBeGreaterThanOrEqual(1);
    expect(k).toBeLessThan(10);
    expect(k * 4 * activationBytesPerStep(kitti)).toBeLessThanOrEqual(1.5 * 2 ** 30);
    expect(segmentSteps(small, 4, 10, 'auto')).toBeNull();
    expect(segmentSteps(small, 4, 10, 'off')).toBeNull();
    expect(segmentSteps(small, 4, 10, 3)).toBe(3);
  });
});

describe('data-parallel training threads', () => {
  it('splits a batch evenly and uses at most one thread per sequence', () => {
    expect(shareSizes(4, 3)).toEqual([2, 1, 1]);
    expect(shareSizes(5, 2)).toEqual([3, 2]);
    expect(trainingThreads(8, 3, 'wasm').threads).toBe(3);
    expect(trainingThreads('auto', 1, 'wasm').threads).toBe(1);
    expect(trainingThreads(4, 8, 'tensorflow')).toMatchObject({ threads: 1 });
    expect(() => trainOptionsSchema.parse({ workers: 17 })).toThrow();
    expect(() => trainOptionsSchema.parse({ workers: 0 })).toThrow();
  });

  it('three steps on 1 thread, on 3 threads and checkpointed end with the same weights; the events say how', async () => {
    const one = await train('one', { workers: 1, checkpoint: 'off' });
    const three = await train('three', { workers: 3, checkpoint: 'off' });
    const ckpt = await train('ckpt', { workers: 2, checkpoint: 2 });
    expect(one.meta.step).toBe(3);
    expect(three.meta.step).toBe(3);
    expect(one.events.find((e) => e.type === 'start')).toMatchObject({ threads: 1, checkpointSteps: null });
    expect(three.events.find((e) => e.type === 'start')).toMatchObject({ threads: 3, checkpointSteps: null });
    expect(ckpt.events.find((e) => e.type === 'start')).toMatchObject({ threads: 2, checkpointSteps: 2 });
    // The weights moved (three Adam steps at lr 3e-3), and moved the same way.
    const init = loadCheckpoint(path.join(dir, 'init'));
    const start = new Map(init.net.trainableVariables.map((v) => [init.net.stableNames.get(v.name)!, v.dataSync() as Float32Array]));
    init.net.dispose();
    expect(worstRelativeDifference(start, one.weights)).toBeGreaterThan(1e-3);
    expect(worstRelativeDifference(one.weights, three.weights)).toBeLessThan(1e-5);
    expect(worstRelativeDifference(one.weights, ckpt.weights)).toBeLessThan(1e-5);
    const loss = (r: typeof one) => r.events.filter((e): e is Extract<TrainEvent, { type: 'progress' }> => e.type === 'progress').map((e) => e.loss);
    loss(three).forEach((l, i) => expect(l).toBeCloseTo(loss(one)[i]!, 5));
    expect(liveGradientThreads()).toBe(0);
  }, 180_000);

  it('no gradient thread outlives a run: finished, cancelled, or failed', async () => {
    const control = createControl();
    const out = path.join(dir, 'cancel');
    const cancelled = await runTraining({ from: path.join(dir, 'init'), outDir: out, data, dataset: {}, engine: 'tfjs', options: threeSteps({ workers: 2, samplesPerEpoch: 40 }) }, (e) => {
      if (e.type === 'progress' && e.step === 2) Atomics.store(control, 0, CANCEL);
    }, control);
    expect(cancelled.step).toBe(2);
    expect(liveGradientThreads()).toBe(0);
    // A failure inside the loop (here the caller's event handler) still stops the threads.
    await expect(
      runTraining({ from: path.join(dir, 'init'), outDir: path.join(dir, 'fail'), data, dataset: {}, engine: 'tfjs', options: threeSteps({ workers: 2 }) }, (e) => {
        if (e.type === 'progress') {
          expect(liveGradientThreads()).toBe(1);
          throw new Error('listener failed');
        }
      }),
    ).rejects.toThrow('listener failed');
    expect(liveGradientThreads()).toBe(0);
    // Also before the first step (the threads start before the 'start' event).
    await expect(
      runTraining({ from: path.join(dir, 'init'), outDir: path.join(dir, 'fail-start'), data, dataset: {}, engine: 'tfjs', options: threeSteps({ workers: 2 }) }, (e) => {
        if (e.type === 'start') throw new Error('start listener failed');
      }),
    ).rejects.toThrow('start listener failed');
    expect(liveGradientThreads()).toBe(0);
  }, 120_000);
});
