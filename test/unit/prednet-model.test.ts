import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { kerasWeightShapes, parameterCount, parseOutputMode, PRESETS, predNetConfigSchema, type PredNetConfig } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { createRng } from '../../paradigms/rng.js';
import { referencePredNet, type Arr, type W } from '../support/prednet-reference.js';

// Tiny but awkward: 3 layers, R sizes unlike stack sizes, mixed filter sizes including an even one.
const tiny: PredNetConfig = predNetConfigSchema.parse({
  height: 8, width: 12, stackSizes: [2, 3, 4], rStackSizes: [3, 2, 5], aFiltSizes: [3, 1], ahatFiltSizes: [3, 3, 1], rFiltSizes: [3, 2, 3],
});

function randomWeights(cfg: PredNetConfig, seed: number): Map<string, W> {
  const rng = createRng(seed);
  const m = new Map<string, W>();
  for (const [name, shape] of kerasWeightShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    m.set(name, { shape, data: Float32Array.from({ length: n }, () => (rng.next() - 0.5) * (name.endsWith('bias') ? 0.4 : 1.2)) });
  }
  return m;
}

function randomFrames(cfg: PredNetConfig, N: number, T: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: N * T * cfg.height * cfg.width * cfg.stackSizes[0]! }, () => rng.next());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

let net: PredNet;
let weights: Map<string, W>;
const N = 2;
const T = 4;
let frames: Float32Array;
let refs: ReturnType<typeof referencePredNet>[];
let refsExtrap: ReturnType<typeof referencePredNet>[];

beforeAll(async () => {
  await initBackend();
  weights = randomWeights(tiny, 3);
  const tensors = new Map([...weights].map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
  net = PredNet.fromKeras(tiny, tensors);
  tf.dispose([...tensors.values()]);
  frames = randomFrames(tiny, N, T, 9);
  const frameSize = tiny.height * tiny.width * tiny.stackSizes[0]!;
  const seq = (n: number): Arr[] =>
    [...Array(T).keys()].map((t) => ({ h: tiny.height, w: tiny.width, c: tiny.stackSizes[0]!, d: Float64Array.from(frames.subarray((n * T + t) * frameSize, (n * T + t + 1) * frameSize)) }));
  refs = [0, 1].map((n) => referencePredNet(tiny, weights, seq(n)));
  refsExtrap = [0, 1].map((n) => referencePredNet(tiny, weights, seq(n), 2));
});

function runMode(mode: string, extrapStartTime: number | null = null): { shape: number[]; data: Float32Array } {
  const input = tf.tensor5d(frames, [N, T, tiny.height, tiny.width, tiny.stackSizes[0]!]);
  const out = net.run(input, parseOutputMode(mode, tiny), { extrapStartTime });
  const r = { shape: out.shape, data: out.dataSync() as Float32Array };
  tf.dispose([input, out]);
  return r;
}

/** Reference values of a mode, flattened as (N, T, ...). */
function expected(mode: string, source = refs): number[] {
  const out: number[] = [];
  for (const seq of source)
    for (const step of seq) {
      if (mode === 'prediction') out.push(...step.prediction.d);
      else if (mode === 'error') out.push(...step.errors);
      else {
        const m = /^(R|E|A|Ahat)(\d)$/.exec(mode)!;
        out.push(...step[m[1] as 'R' | 'E' | 'A' | 'Ahat'][Number(m[2])]!.d);
      }
    }
  return out;
}

describe('PredNet matches an independent plain-loop reference', () => {
  const modes = ['prediction', 'error', ...[0, 1, 2].flatMap((l) => [`R${l}`, `E${l}`, `A${l}`, `Ahat${l}`])];
  for (const mode of modes)
    it(`output mode ${mode}`, () => {
      const got = runMode(mode);
      const want = expected(mode);
      expect(got.data.length).toBe(want.length);
      expect(maxAbsDiff(got.data, want)).toBeLessThan(1e-4);
      expect(got.shape.slice(0, 2)).toEqual([N, T]);
    });

  it('extrapolation feeds the previous prediction from extrapStartTime on', () => {
    const got = runMode('prediction', 2);
    expect(maxAbsDiff(got.data, expected('prediction', refsExtrap))).toBeLessThan(1e-4);
    // and it differs from the non-extrapolated run only from t = 3 (the first step that sees a fed-back input affects the next prediction)
    const plain = runMode('A0', null);
    const ext = runMode('A0', 2);
    expect(maxAbsDiff(ext.data, expected('A0', refsExtrap))).toBeLessThan(1e-4);
    expect(maxAbsDiff(plain.data, ext.data)).toBeGreaterThan(1e-3);
  });

  it('output shapes follow the reference: error (N,T,L), units (N,T,h,w,c)', () => {
    expect(runMode('error').shape).toEqual([N, T, 3]);
    expect(runMode('E1').shape).toEqual([N, T, 4, 6, 6]);
    expect(runMode('R2').shape).toEqual([N, T, 2, 3, 5]);
    expect(runMode('prediction').shape).toEqual([N, T, 8, 12, 2]);
  });

  it('the prediction at t = 0 is uninformative (all states start at zero)', () => {
    const p = runMode('prediction');
    const frameSize = tiny.height * tiny.width * tiny.stackSizes[0]!;
    const t0 = p.data.subarray(0, frameSize);
    // With zero states the gate input is zero: every pixel gets the same value.
    expect(Math.max(...t0) - Math.min(...t0)).toBeLessThan(1e-6);
  });

  it('keeps memory flat over a long sequence', () => {
    const long = tf.randomUniform([1, 30, tiny.height, tiny.width, 2]) as tf.Tensor5D;
    const before = tf.memory().numTensors;
    for (const mode of ['prediction', 'error', 'E1', 'A0']) tf.dispose(net.run(long, parseOutputMode(mode, tiny)));
    expect(tf.memory().numTensors).toBe(before);
    long.dispose();
  });

  it('round-trips its weights through the Keras layout', () => {
    const keras = net.kerasWeights();
    for (const [name, w] of weights) expect(maxAbsDiff(keras.get(name)!.dataSync(), w.data)).toBe(0);
    tf.dispose([...keras.values()]);
  });

  it('rejects frames of the wrong size and unknown output modes', () => {
    const wrong = tf.zeros([1, 2, 8, 10, 2]) as tf.Tensor5D;
    expect(() => net.run(wrong, 'prediction')).toThrow(/8x10x2; this model takes 8x12x2/);
    wrong.dispose();
    expect(() => parseOutputMode('R7', tiny)).toThrow(/layers 0..2/);
    expect(() => parseOutputMode('Z0', tiny)).toThrow(/Unknown output mode/);
  });
});

describe('PredNet configuration', () => {
  it('the KITTI preset has the paper\'s 6,915,948 parameters', () => {
    expect(parameterCount(PRESETS.kitti)).toBe(6_915_948);
  });
  it('refuses inconsistent architectures with a reason', () => {
    const bad = predNetConfigSchema.safeParse({ ...PRESETS.small, height: 66 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toMatch(/divisible by 2\^\(layers-1\) = 8/);
    expect(predNetConfigSchema.safeParse({ ...PRESETS.small, rStackSizes: [3, 16] }).error!.issues[0]!.message).toMatch(/rStackSizes needs 4 entries/);
  });
});
