/**
 * PredNet through ONNX Runtime equals the TensorFlow.js model to 1e-4, for every output mode,
 * with and without extrapolation, on a saved-and-loaded random checkpoint (odd and even filter
 * sizes, non-zero biases) and on weights imported from a Keras-layout HDF5 file.
 */
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../../native-models/checkpoint.js';
import { importKerasWeights, writeKerasWeights } from '../../native-models/keras-import.js';
import * as ort from 'onnxruntime-node';
import { sequenceModel, stepModel, stepStates, unrolledModel, type KerasWeights } from '../../native-models/onnx/prednet-graph.js';
import { onnxPredictArray, onnxPredictor } from '../../native-models/onnx/predict.js';
import { describeOnnx, KNOWN_PROVIDERS, OnnxPredNet } from '../../native-models/onnx/session.js';
import { layerCount, parseOutputMode, predNetConfigSchema, type PredNetConfig } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { prednetPredictor } from '../../native-models/observer/predictors.js';
import { predictArray } from '../../native-models/predict.js';
import { maxAbsDiff } from '../support/arrays.js';
import { tempDir } from '../support/db.js';

const TOL = 1e-4;
// Filter sizes 1..5, odd and even: TensorFlow's 'same' padding puts the extra row/column after.
const oddCfg: PredNetConfig = predNetConfigSchema.parse({ height: 8, width: 12, stackSizes: [3, 4, 6], rStackSizes: [3, 5, 6], aFiltSizes: [3, 4], ahatFiltSizes: [3, 1, 2], rFiltSizes: [3, 5, 2] });
const kerasCfg: PredNetConfig = predNetConfigSchema.parse({ height: 8, width: 16, stackSizes: [1, 4, 8, 8], rStackSizes: [2, 4, 6, 8], aFiltSizes: [3, 3, 3], ahatFiltSizes: [3, 3, 3, 3], rFiltSizes: [3, 3, 3, 3] });

let dir: string;

/** Keras weights with Glorot kernels (seeded) and random, non-zero biases, so no mix-up can pass. */
function randomWeights(cfg: PredNetConfig, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const net = PredNet.create(cfg, seed);
  const k = net.kerasWeights();
  let s = seed * 7919;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.6 - 0.3;
  const out = new Map([...k].map(([n, t]) => [n, { shape: t.shape, data: n.endsWith('bias') ? Float32Array.from(t.dataSync(), rand) : (t.dataSync() as Float32Array).slice() }]));
  tf.dispose([...k.values()]);
  net.dispose();
  return out;
}

function frames(cfg: PredNetConfig, N: number, T: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform([N, T, cfg.height, cfg.width, cfg.stackSizes[0]!], 0, 1, 'float32', seed).dataSync() as Float32Array).slice();
}

function allModes(cfg: PredNetConfig): string[] {
  const units = Array.from({ length: layerCount(cfg) }, (_, l) => ['R', 'E', 'A', 'Ahat'].map((u) => `${u}${l}`)).flat();
  return ['prediction', 'error', ...units];
}

function spread(a: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}

/** Every mode, with and without extrapolation: ONNX vs tfjs on the same net and input. */
async function compareAll(net: PredNet, onnx: OnnxPredNet, N: number, T: number) {
  const cfg = net.config;
  const x = frames(cfg, N, T, 11);
  const input = { dtype: 'float32' as const, shape: [N, T, cfg.height, cfg.width, cfg.stackSizes[0]!], data: x };
  const rows: { mode: string; extrap: number | null; diff: number; spread: number; got: Float32Array }[] = [];
  for (const extrap of [null, 0, 2]) {
    for (const mode of allModes(cfg)) {
      const want = await predictArray(net, input, { outputMode: mode, extrapStartTime: extrap });
      const got = await onnx.run(x, input.shape, parseOutputMode(mode, cfg), { extrapStartTime: extrap });
      expect(got.shape, `${mode} shape`).toEqual(want.shape);
      rows.push({ mode, extrap, diff: maxAbsDiff(got.data, want.data as Float32Array), spread: spread(want.data as Float32Array), got: got.data });
    }
  }
  for (const r of rows) {
    expect(r.diff, `${r.mode}, extrapStartTime ${r.extrap}`).toBeLessThanOrEqual(TOL);
    // Outputs that are constant (all zero) would compare equal whatever the graph did.
    expect(r.spread, `${r.mode} varies`).toBeGreaterThan(1e-3);
  }
  // Extrapolation changes what the network sees (A0 is its input): the runs differ.
  const a0 = rows.filter((r) => r.mode === 'A0').map((r) => r.got);
  expect(maxAbsDiff(a0[0]!, a0[2]!)).toBeGreaterThan(0.01);
  expect(maxAbsDiff(a0[1]!, a0[2]!)).toBeGreaterThan(0.01);
}

beforeAll(async () => {
  await initBackend();
  dir = tempDir('predlab-onnx-');
});

describe('PredNet on ONNX Runtime', () => {
  let net: PredNet;
  let onnx: OnnxPredNet;

  beforeAll(async () => {
    // A real checkpoint on disk, loaded back as the engine loads it.
    const src = PredNet.fromKeras(oddCfg, new Map([...randomWeights(oddCfg, 3)].map(([n, w]) => [n, tf.tensor(w.data, w.shape)])));
    await saveCheckpoint(path.join(dir, 'random'), src, { source: { kind: 'test' } });
    src.dispose();
    net = loadCheckpoint(path.join(dir, 'random')).net;
    onnx = await OnnxPredNet.fromPredNet(net);
  });
  afterAll(async () => {
    await onnx.release();
    net.dispose();
  });

  it('runs on a provider it reports, after the ones it skipped', () => {
    expect(KNOWN_PROVIDERS).toContain(onnx.report.provider);
    expect(onnx.report.skipped.map((s) => s.provider)).not.toContain(onnx.report.provider);
    for (const s of onnx.report.skipped) expect(s.reason.length).toBeGreaterThan(0);
    expect(describeOnnx(onnx.report)).toMatch(new RegExp(`^onnxruntime-node \\d+\\.\\d+\\.\\d+ \\(${onnx.report.provider}, \\d+ threads?`));
  });

  it('equals the tfjs model for every output mode, with and without extrapStartTime (random checkpoint)', async () => {
    await compareAll(net, onnx, 2, 5);
  });

  it('takes uint8 input and batches like predictArray', async () => {
    const N = 3;
    const T = 4;
    const shape = [N, T, oddCfg.height, oddCfg.width, 3];
    const u8 = Uint8Array.from(frames(oddCfg, N, T, 5), (v) => Math.round(v * 255));
    const input = { dtype: 'uint8' as const, shape, data: u8 };
    const seen: number[] = [];
    const got = await onnxPredictArray(onnx, input, { outputMode: 'E1', batchSize: 2, onProgress: (d) => seen.push(d) });
    const want = await predictArray(net, input, { outputMode: 'E1' });
    expect(got.shape).toEqual(want.shape);
    expect(maxAbsDiff(got.data as Float32Array, want.data as Float32Array)).toBeLessThanOrEqual(TOL);
    expect(seen).toEqual([2, 3]);
  });

  it('serves as the observer predictor: next frames and a layer', async () => {
    const s = { batch: 2, T: 3, height: oddCfg.height, width: oddCfg.width, channels: 3 };
    const x = frames(oddCfg, 2, 3, 9);
    const [ours, tfjs] = [onnxPredictor(onnx), prednetPredictor(net)];
    expect(maxAbsDiff(await ours.predict(x, s), await tfjs.predict(x, s))).toBeLessThanOrEqual(TOL);
    const [a, b] = [await ours.layer!(x, s, 'E1'), await tfjs.layer!(x, s, 'E1')];
    expect([a.height, a.width, a.channels]).toEqual([4, 6, 8]);
    expect([a.height, a.width, a.channels]).toEqual([b.height, b.width, b.channels]);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(TOL);
    await expect(ours.layer!(x, s, 'error')).rejects.toThrow(/'error' is not a layer/);
  });

  it('refuses bad input with a message naming the problem', async () => {
    const x = frames(oddCfg, 1, 2, 1);
    await expect(onnx.run(x, [1, 2, 8, 10, 3], 'prediction')).rejects.toThrow(/Input is \(1, 2, 8, 10, 3\); this model takes \(N, T, 8, 12, 3\)/);
    await expect(onnx.run(x, [1, 2, 8, 12, 3], 'prediction', { extrapStartTime: 2 })).rejects.toThrow(/extrapStartTime must be a step in 0..1; got 2/);
    await expect(onnx.run(x.subarray(1), [1, 2, 8, 12, 3], 'prediction')).rejects.toThrow(/needs 576/);
    const bad = { dtype: 'float32' as const, shape: [1, 2, 8, 12, 3], data: Float32Array.from(x, (v, i) => (i === 5 ? 1.5 : v)) };
    await expect(onnxPredictArray(onnx, bad, { outputMode: 'prediction' })).rejects.toThrow(/float32 input must lie in \[0, 1\]; found 1.5 at index 5/);
    await expect(onnxPredictArray(onnx, { ...bad, data: x }, { outputMode: 'R7' })).rejects.toThrow(/layers 0..2/);
    await expect(onnxPredictArray(onnx, { ...bad, data: x }, { outputMode: 'E0', batchSize: 0 })).rejects.toThrow(/batch size must be a whole number from 1 to 256; got 0/);
    // 2^31 bytes of output is the limit (as in predictArray): 8 x 12 x 3 prediction values per frame.
    const huge = { dtype: 'uint8' as const, shape: [1, 2 ** 31 / (4 * 288) + 1, 8, 12, 3], data: new Uint8Array(0) };
    await expect(onnxPredictArray(onnx, huge, { outputMode: 'prediction' })).rejects.toThrow(/runs are limited to 2 GiB/);
    await expect(OnnxPredNet.create(oddCfg, new Map(), { providers: ['tpu'] })).rejects.toThrow(/weight layer_i_0\/kernel is missing/);
    await expect(OnnxPredNet.create(oddCfg, randomWeights(oddCfg, 1), { providers: ['tpu'] })).rejects.toThrow(/Unknown ONNX Runtime execution provider 'tpu'/);
  });
});

describe('PredNet on ONNX Runtime, Keras-imported weights', () => {
  it('equals the tfjs model for every output mode, with and without extrapStartTime', async () => {
    const file = path.join(dir, 'keras.h5');
    await writeKerasWeights(file, randomWeights(kerasCfg, 8), { layout: 'full-model' });
    const imported = await importKerasWeights(file, { height: kerasCfg.height, width: kerasCfg.width });
    expect(imported.config).toEqual(kerasCfg);
    // A pixel maximum other than 1 exercises the Min on the frame prediction.
    const net = PredNet.fromKeras({ ...imported.config, pixelMax: 0.8 }, imported.weights);
    tf.dispose([...imported.weights.values()]);
    const onnx = await OnnxPredNet.fromPredNet(net);
    try {
      await compareAll(net, onnx, 3, 6);
    } finally {
      await onnx.release();
      net.dispose();
    }
  });
});

describe('the graph variants bench/onnx.ts compares', () => {
  it('unrolled over T and a step graph called T times equal the Scan graph', async () => {
    const w: KerasWeights = randomWeights(oddCfg, 5);
    const [N, T] = [2, 4];
    const x = frames(oddCfg, N, T, 3);
    const dims = [N, T, oddCfg.height, oddCfg.width, 3];
    const mode = parseOutputMode('E1', oddCfg);
    const feeds = { frames: new ort.Tensor('float32', x, dims), extrap_from: new ort.Tensor('int64', BigInt64Array.of(2n), []) };
    const run = async (bytes: Uint8Array) => {
      const s = await ort.InferenceSession.create(bytes);
      const out = (await s.run(feeds)).output!.data as Float32Array;
      await s.release();
      return out;
    };
    const scan = await run(sequenceModel(oddCfg, w, mode));
    expect(maxAbsDiff(await run(unrolledModel(oddCfg, w, mode, T)), scan)).toBeLessThanOrEqual(1e-6);

    const step = await ort.InferenceSession.create(stepModel(oddCfg, w, mode));
    const frame = oddCfg.height * oddCfg.width * 3;
    const perStep: Float32Array[] = [];
    let state: ort.InferenceSession.OnnxValueMapType | null = null;
    for (let t = 0; t < T; t++) {
      const f: Record<string, ort.Tensor> = { extrap_from: feeds.extrap_from };
      // Sequence n's frame t, for both sequences.
      const ft = new Float32Array(N * frame);
      for (let n = 0; n < N; n++) ft.set(x.subarray((n * T + t) * frame, (n * T + t + 1) * frame), n * frame);
      f.frame = new ort.Tensor('float32', ft, [N, oddCfg.height, oddCfg.width, 3]);
      for (const { key, dims: d } of stepStates(oddCfg))
        f[`in_${key}`] = state ? (state[`out_${key}`] as ort.Tensor) : key === 't' ? new ort.Tensor('int64', BigInt64Array.of(0n), []) : new ort.Tensor('float32', new Float32Array(N * d.reduce((a, b) => a * b, 1)), [N, ...d]);
      state = await step.run(f);
      perStep.push((state.output as ort.Tensor).data as Float32Array);
    }
    await step.release();
    // (T, N, ...) -> (N, T, ...)
    const per = perStep[0]!.length / N;
    const stepped = new Float32Array(scan.length);
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) stepped.set(perStep[t]!.subarray(n * per, (n + 1) * per), (n * T + t) * per);
    expect(maxAbsDiff(stepped, scan)).toBeLessThanOrEqual(1e-6);
  });
});
