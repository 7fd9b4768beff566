/**
 * Run by webgpu-engine.test.ts in its own process (the backend is chosen once per process, and
 * VK_ICD_FILENAMES must be in the real environment before Dawn loads): the same PredNet, inputs
 * and training step on the engine initBackend chose and on tfjs-cpu; prints one JSON line with
 * the largest differences and the cpu values' scale for each output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../native-models/backend.js';
import { kerasWeightShapes, parseOutputMode, type PredNetConfig } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { layerWeights, sequenceLoss, timeWeights } from '../../native-models/training/loss.js';

const cfg: PredNetConfig = { height: 16, width: 16, stackSizes: [3, 4, 8], rStackSizes: [3, 4, 8], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3], pixelMax: 1 };
const [N, T] = [2, 4];
const MODES = ['prediction', 'error', ...[0, 1, 2].flatMap((l) => ['R', 'E', 'A', 'Ahat'].map((u) => `${u}${l}`))];

/** Deterministic pseudo-random values (mulberry32), the same on every backend. */
function values(n: number, seed: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  });
}

// Kernels and biases both random (a zero bias would hide a bias bug), Glorot-sized.
const weights = [...kerasWeightShapes(cfg)].map(([name, shape], i) => {
  const fanSum = shape.length === 4 ? shape[0]! * shape[1]! * (shape[2]! + shape[3]!) : 20;
  const limit = Math.sqrt(6 / fanSum);
  return { name, shape, data: values(shape.reduce((a, b) => a * b, 1), 100 + i, -limit, limit) };
});
const frames = values(N * T * cfg.height * cfg.width * 3, 7, 0, 1);

interface Results {
  backend: string;
  outputs: Record<string, Float32Array>;
}

async function runOn(backend: string): Promise<Results> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  const net = PredNet.fromKeras(cfg, new Map(weights.map((w) => [w.name, tf.tensor(w.data, w.shape)])));
  const x = tf.tensor5d(frames, [N, T, cfg.height, cfg.width, 3]);
  const outputs: Record<string, Float32Array> = {};
  for (const mode of MODES) {
    const y = net.run(x, parseOutputMode(mode, cfg));
    outputs[mode] = (await y.data()) as Float32Array;
    y.dispose();
  }
  const ex = net.run(x, 'prediction', { extrapStartTime: 2 });
  outputs['prediction, extrap_start_time 2'] = (await ex.data()) as Float32Array;
  ex.dispose();

  // One training step as native-models/training/trainer.ts takes it.
  const optimizer = tf.train.adam(1e-3);
  const { value, grads } = tf.variableGrads(() => sequenceLoss(net, x, layerWeights('L_all', net.layers), timeWeights(T)), net.trainableVariables);
  outputs['loss'] = (await value.data()) as Float32Array;
  for (const [name, g] of Object.entries(grads)) outputs[`gradient ${net.stableNames.get(name)}`] = (await g.data()) as Float32Array;
  optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
  tf.dispose([value, ...Object.values(grads)]);
  const updated = net.kerasWeights();
  for (const [name, w] of updated) outputs[`updated ${name}`] = (await w.data()) as Float32Array;
  tf.dispose([...updated.values(), x]);
  optimizer.dispose();
  net.dispose();
  return { backend: tf.getBackend(), outputs };
}

const report = await initBackend();
// Synchronous reads: values uploaded from the CPU read back; a computed result says why it cannot.
const uploaded = tf.tensor1d([1, 2, 3]);
// (a convolution: tfjs-webgpu computes tiny elementwise ops on the CPU, whose results read anyway)
const computed = tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same');
let syncError = '';
try {
  computed.dataSync();
} catch (e) {
  syncError = (e as Error).message;
}
const syncRead = { uploaded: Array.from(uploaded.dataSync()), computedAsync: Array.from(await computed.data()), syncError };
tf.dispose([uploaded, computed]);
const t0 = performance.now();
const engine = await runOn(report.tfBackend);
const engineMs = performance.now() - t0;
const cpu = await runOn('cpu');
const before = Object.fromEntries(weights.map((w) => [w.name, w.data]));
const compared = Object.keys(cpu.outputs).map((key) => {
  const a = engine.outputs[key]!;
  const b = cpu.outputs[key]!;
  let maxAbsDiff = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < b.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i]! - b[i]!));
  // For updated weights: how far the cpu step moved them, so a step that did nothing shows.
  const prev = key.startsWith('updated ') ? before[key.slice(8)] : undefined;
  const moved = prev ? Math.max(...b.map((v, i) => Math.abs(v - prev[i]!))) : null;
  return { key, n: b.length, maxAbsDiff, scale: Math.max(...b.map(Math.abs)), moved };
});
process.stdout.write(`${JSON.stringify({ report, ranOn: engine.backend, engineMs, syncRead, compared })}\n`);
