/**
 * The inference engine choice: ONNX Runtime by default, tfjs when forced or when ONNX Runtime
 * cannot start (with the reason), a clear error when a forced engine cannot start; and the
 * shipped default checkpoint gives the same predictions and errors on both engines.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint } from '../../native-models/checkpoint.js';
import { inferenceEngine } from '../../native-models/onnx/engine.js';
import { KNOWN_PROVIDERS, onnxRuntimeStatus } from '../../native-models/onnx/session.js';
import { PRESETS } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { predictArray } from '../../native-models/predict.js';
import { maxAbsDiff } from '../support/arrays.js';

let tfBackend: string;
beforeAll(async () => {
  tfBackend = (await initBackend()).choice;
});

describe('inference engine choice', () => {
  let net: PredNet;
  beforeAll(() => {
    net = PredNet.create({ ...PRESETS.small, height: 16, width: 24 }, 2);
  });
  afterAll(() => net.dispose());

  it('uses ONNX Runtime by default and says so', async () => {
    const e = await inferenceEngine(net, { force: '', tfBackend });
    expect(e.name).toBe('onnxruntime');
    expect(e.detail).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ \((cpu|cuda|dml|coreml), \d+ threads?/);
    expect(e.skipped).toBeNull();
    await e.release();
  });

  it('reports whether ONNX Runtime starts, without a checkpoint (for predlab backend)', async () => {
    const ok = await onnxRuntimeStatus();
    if (!ok.ok) throw new Error(`ONNX Runtime did not start: ${ok.reason}`);
    expect(KNOWN_PROVIDERS).toContain(ok.report.provider);
    const bad = await onnxRuntimeStatus({ threads: 0 });
    expect(bad).toEqual({ ok: false, reason: 'threads must be an integer in 1..256; got 0.' });
  });

  it('uses tfjs when PREDLAB_INFERENCE=tfjs', async () => {
    const e = await inferenceEngine(net, { force: 'tfjs', tfBackend });
    expect([e.name, e.detail, e.skipped]).toEqual(['tfjs', `tfjs (${tfBackend})`, 'PREDLAB_INFERENCE=tfjs']);
  });

  it("honours the checkpoint's extrapStartTime in predictors on both engines, as predictArray does", async () => {
    const c = net.config;
    const T = 5;
    const frames = Float32Array.from({ length: T * c.height * c.width * 3 }, (_, i) => ((i * 7919) % 251) / 250);
    const s = { batch: 1, T, height: c.height, width: c.width, channels: 3 };
    const input = { dtype: 'float32' as const, shape: [1, T, c.height, c.width, 3], data: frames };
    const extrap = await predictArray(net, input, { outputMode: 'prediction', extrapStartTime: 2 });
    const plain = await predictArray(net, input, { outputMode: 'prediction' });
    expect(maxAbsDiff(extrap.data as Float32Array, plain.data as Float32Array)).toBeGreaterThan(1e-3);
    for (const force of ['onnxruntime', 'tfjs']) {
      const e = await inferenceEngine(net, { force, tfBackend });
      try {
        const got = await e.predictor('PredNet', { manifest: { extrapStartTime: 2 } }).predict(frames, s);
        expect(maxAbsDiff(got, extrap.data as Float32Array), force).toBeLessThanOrEqual(1e-4);
        // A run too short to reach the step does not extrapolate.
        const short = await e.predictor('PredNet', { manifest: { extrapStartTime: T } }).predict(frames, s);
        expect(maxAbsDiff(short, plain.data as Float32Array), force).toBeLessThanOrEqual(1e-4);
        const layer = await e.predictor('PredNet', { manifest: { extrapStartTime: 2 } }).layer!(frames, s, 'R1');
        const wantLayer = await predictArray(net, input, { outputMode: 'R1', extrapStartTime: 2 });
        expect(maxAbsDiff(layer.data, wantLayer.data as Float32Array), force).toBeLessThanOrEqual(1e-4);
      } finally {
        await e.release();
      }
    }
  });

  it('falls back to tfjs with the reason when ONNX Runtime cannot start, and refuses when it was forced', async () => {
    const broken = { providers: ['tpu'] };
    const e = await inferenceEngine(net, { force: '', tfBackend, onnx: broken });
    expect(e.name).toBe('tfjs');
    expect(e.skipped).toMatch(/Unknown ONNX Runtime execution provider 'tpu'/);
    await expect(inferenceEngine(net, { force: 'onnxruntime', onnx: broken })).rejects.toThrow(/PREDLAB_INFERENCE=onnxruntime, but ONNX Runtime cannot run this model: Unknown ONNX Runtime execution provider 'tpu'/);
    await expect(inferenceEngine(net, { force: 'torch' })).rejects.toThrow(/Unknown inference engine 'torch' \(PREDLAB_INFERENCE\); choose one of onnxruntime, tfjs/);
  });
});

describe('the shipped default checkpoint on both engines', () => {
  it('gives the same predictions and errors (to 1e-4) on a moving bar', async () => {
    const { net } = loadCheckpoint(path.join(import.meta.dirname, '../../native-models/default-model'));
    const c = net.config;
    // A bright bar moving right over 6 frames: what the observer shows the model.
    const T = 6;
    const frame = c.height * c.width * c.stackSizes[0]!;
    const data = new Float32Array(T * frame).fill(0.5);
    for (let t = 0; t < T; t++) for (let y = 20; y < 44; y++) for (let x = 10 + 4 * t; x < 14 + 4 * t; x++) for (let ch = 0; ch < 3; ch++) data[t * frame + (y * c.width + x) * 3 + ch] = 1;
    const input = { dtype: 'float32' as const, shape: [1, T, c.height, c.width, 3], data };
    const onnx = await inferenceEngine(net, { force: 'onnxruntime' });
    try {
      for (const outputMode of ['prediction', 'error', 'R3']) {
        const got = await onnx.predictArray(input, { outputMode });
        const want = await predictArray(net, input, { outputMode });
        expect(maxAbsDiff(got.data as Float32Array, want.data as Float32Array), outputMode).toBeLessThanOrEqual(1e-4);
      }
      const viaPredictor = await onnx.predictor().predict(data, { batch: 1, T, height: c.height, width: c.width, channels: 3 });
      const want = await predictArray(net, input, { outputMode: 'prediction' });
      expect(maxAbsDiff(viaPredictor, want.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    } finally {
      await onnx.release();
      net.dispose();
    }
  });
});
