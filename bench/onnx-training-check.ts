/**
 * The ONNX Runtime training step against the tfjs trainer at full size (too slow for CI, whose
 * test/unit/onnx-training.test.ts runs a tiny PredNet): the same random PredNet (Glorot kernels,
 * random biases) and the same random batches, N Adam steps on each engine, then the largest
 * difference of every weight and moment relative to that tensor's largest value; for batches of 2
 * or more, beside the same for tfjs against itself with the batch summed in another order.
 *
 *   tsx bench/onnx-training-check.ts --preset small --batch 4 --nt 10 --loss L_all --steps 5
 *
 * --checkpoint-steps k: the tfjs side recomputes its forward pass in segments of k time steps (as
 * the trainer does when a batch would not fit the wasm heap: KITTI batch 4); the same values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { initBackend } from '../native-models/backend.js';
import { OnnxTrainer } from '../native-models/onnx/train-session.js';
import { PRESETS, type PresetName } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { layerWeights, timeWeights, type LayerLoss } from '../native-models/training/loss.js';
import { GradientPool } from '../native-models/training/parallel.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'small' }, batch: { type: 'string', default: '4' }, nt: { type: 'string', default: '10' }, loss: { type: 'string', default: 'L0' }, steps: { type: 'string', default: '5' }, lr: { type: 'string', default: '1e-3' }, 'checkpoint-steps': { type: 'string' } } });
const preset = values.preset as PresetName;
const [batch, nt, steps, lr] = [Number(values.batch), Number(values.nt), Number(values.steps), Number(values.lr)];
const loss = values.loss as LayerLoss;
const segment = values['checkpoint-steps'] === undefined ? null : Number(values['checkpoint-steps']);
if (!(preset in PRESETS) || !(batch >= 1 && batch <= 16) || !(nt >= 2 && nt <= 20) || !(steps >= 1 && steps <= 20) || !['L0', 'L_all'].includes(loss) || !(lr > 0 && lr <= 1) || (segment !== null && !(Number.isInteger(segment) && segment >= 1 && segment <= nt))) {
  console.error('usage: --preset small|kitti --batch 1..16 --nt 2..20 --loss L0|L_all --steps 1..20 --lr (0, 1] [--checkpoint-steps 1..nt]');
  process.exit(2);
}
const cfg = PRESETS[preset];
const backend = await initBackend();
const randomNet = () => {
  const net = PredNet.create(cfg, 5);
  let s = 12345;
  for (const v of net.trainableVariables) if (v.shape.length === 1) v.assign(tf.tensor1d(Array.from({ length: v.size }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.4 - 0.1)));
  return net;
};
const net = randomNet();
const arrays = (n = net) => n.trainableVariables.map((v) => ({ name: n.stableNames.get(v.name)!, shape: v.shape, data: (v.dataSync() as Float32Array).slice() }));
const trainer = await OnnxTrainer.create(cfg, { batch, nt, layerLoss: loss });
trainer.setWeights(arrays());
const pool = await GradientPool.open(net, 1, layerWeights(loss, net.layers), timeWeights(nt));
const adam = tf.train.adam(lr);
// The control: tfjs again, the batch split over two gradient threads, so only the order in which
// the batch is summed differs. Its distance from tfjs on one thread is what rounding alone gives.
const control = batch > 1 ? { net: randomNet(), adam: tf.train.adam(lr) } : null;
const controlPool = control ? await GradientPool.open(control.net, 2, layerWeights(loss, net.layers), timeWeights(nt)) : null;
const rel = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let m = 1e-30;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(a[i]!), Math.abs(b[i]!));
  }
  return d / m;
};
console.log(`${preset} batch ${batch} nt ${nt} ${loss}, ${steps} Adam steps (lr ${lr}); tfjs on ${backend.choice}, ${trainer.report.provider} for ONNX Runtime`);
for (let step = 0; step < steps; step++) {
  const x = tf.tidy(() => tf.randomUniform([batch, nt, cfg.height, cfg.width, cfg.stackSizes[0]!], 0, 1, 'float32', 100 + step).dataSync() as Float32Array).slice();
  const t0 = performance.now();
  const a = await pool.trainStep(adam, x, batch, nt, () => segment);
  const t1 = performance.now();
  const b = await trainer.step(x, lr);
  const t2 = performance.now();
  if (control) await controlPool!.trainStep(control.adam, x, batch, nt, () => segment);
  console.log(`  step ${step + 1}: loss tfjs ${a.toPrecision(7)}, ONNX Runtime ${b.toPrecision(7)} (relative difference ${(Math.abs(a - b) / a).toExponential(1)}); ${((t1 - t0) / 1000).toFixed(1)} s vs ${((t2 - t1) / 1000).toFixed(1)} s`);
}
const state = await adam.getWeights();
const ref = [...arrays(), ...state.slice(1).map((w) => ({ name: w.name, data: w.tensor.dataSync() as Float32Array }))];
const { m, v } = trainer.getAdam();
const ours = [...trainer.getWeights(), ...m, ...v];
const diffs = ours.map((w, i) => ({ name: w.name, d: rel(w.data, ref[i]!.data) }));
const worst = diffs.reduce((p, q) => (q.d > p.d ? q : p));
console.log(`largest relative difference of ${diffs.length} weights and moments: ${worst.d.toExponential(2)} (${worst.name}); weights only: ${Math.max(...diffs.slice(0, ref.length / 3).map((d) => d.d)).toExponential(2)}`);
if (control) {
  const w = arrays(control.net);
  const d = w.map((x, i) => ({ name: x.name, d: rel(x.data, ref[i]!.data) })).reduce((p, q) => (q.d > p.d ? q : p));
  console.log(`control, tfjs with 2 gradient threads against 1: weights ${d.d.toExponential(2)} (${d.name})`);
  await controlPool!.close();
}
await pool.close();
process.exit(0);
