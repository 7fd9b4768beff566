/**
 * Drift or defect? Trains the same PredNet on the same moving-bar batches on three step engines in
 * lockstep, through the app's own step engines (training/step-engine.ts): ONNX Runtime, tfjs with
 * one gradient thread, and tfjs with two (the control: the same maths, only the order of the
 * batch's summation differs). Every --every steps it prints each engine's training loss, the
 * validation loss of a fixed held-out batch (each engine's own `loss`, as the trainer computes it)
 * and the largest weight difference from tfjs (1 thread), relative to each tensor's largest value.
 * At the end, a re-synchronised step: ONNX Runtime is given tfjs's trained weights and Adam state
 * and both take one more step on the same batch; a defect that shows only late in training (Adam's
 * bias correction at a high step count, saturated units) shows there as a difference far above
 * the 1e-6 of a fresh start.
 *
 *   tsx bench/onnx-training-drift.ts --preset small --batch 4 --nt 10 --steps 200 --every 10 --seed 7
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { createRng, subSeed } from '../paradigms/rng.js';
import { initBackend } from '../native-models/backend.js';
import { PRESETS, type PresetName } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { batchOf, sequenceStarts } from '../native-models/training/data.js';
import { layerWeights, timeWeights, type LayerLoss } from '../native-models/training/loss.js';
import { openStepEngine, type StepEngine } from '../native-models/training/step-engine.js';
import { movingBarVideo } from '../native-models/training/synthetic.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    batch: { type: 'string', default: '4' },
    nt: { type: 'string', default: '10' },
    loss: { type: 'string', default: 'L0' },
    steps: { type: 'string', default: '200' },
    every: { type: 'string', default: '10' },
    seed: { type: 'string', default: '7' },
    lr: { type: 'string', default: '1e-3' },
  },
});
const preset = values.preset as PresetName;
const [batch, nt, steps, every, seed, lr] = [values.batch, values.nt, values.steps, values.every, values.seed, values.lr].map(Number) as [number, number, number, number, number, number];
const layerLoss = values.loss as LayerLoss;
if (!(preset in PRESETS) || !(batch >= 1 && batch <= 16) || !(nt >= 2 && nt <= 20) || !(steps >= 1 && steps <= 2000) || !(every >= 1) || !Number.isInteger(seed) || !['L0', 'L_all'].includes(layerLoss) || !(lr > 0 && lr <= 1)) {
  console.error('usage: --preset small|kitti --batch 1..16 --nt 2..20 --steps 1..2000 --every N --seed INT --loss L0|L_all --lr (0, 1]');
  process.exit(2);
}
const cfg = PRESETS[preset];
await initBackend();
const video = movingBarVideo({ height: cfg.height, width: cfg.width, channels: cfg.stackSizes[0]!, recordings: 60, framesPerRecording: 40, barWidth: Math.max(1, Math.round(cfg.width / 16)), speed: [0.5, cfg.width / 20], seed });
const starts = sequenceStarts(video.recordings, nt);
const trainStarts = starts.filter((s) => video.recordings[s]! < 50);
const valStarts = starts.filter((s) => video.recordings[s]! >= 50).filter((_, i) => i % 10 === 0).slice(0, 40);
const valBatch = batchOf(video, valStarts, nt);
const common = { batchSize: batch, nt, layerLoss, layerW: layerWeights(layerLoss, cfg.stackSizes.length), timeW: timeWeights(nt), checkpoint: 'off' as const };

interface Run {
  label: string;
  net: PredNet;
  engine: StepEngine;
  loss: number;
}
const open = async (label: string, force: 'onnxruntime' | 'tfjs', workers: number): Promise<Run> => {
  const net = PredNet.create(cfg, seed);
  return { label, net, engine: await openStepEngine(net, { ...common, workers, force }, [], 'the start'), loss: NaN };
};
const runs = [await open('tfjs 1 thread', 'tfjs', 1), await open('tfjs 2 threads', 'tfjs', 2), await open('ONNX Runtime', 'onnxruntime', 1)];
const [reference] = runs as [Run, ...Run[]];

/** The largest difference of any weight from the reference's, relative to that tensor's largest value. */
const weightDrift = (net: PredNet): number => {
  let worst = 0;
  net.trainableVariables.forEach((v, i) => {
    const a = v.dataSync();
    const b = reference.net.trainableVariables[i]!.dataSync();
    let d = 0;
    let m = 1e-30;
    for (let j = 0; j < a.length; j++) {
      d = Math.max(d, Math.abs(a[j]! - b[j]!));
      m = Math.max(m, Math.abs(a[j]!), Math.abs(b[j]!));
    }
    worst = Math.max(worst, d / m);
  });
  return worst;
};

console.log(`${preset} batch ${batch} nt ${nt} ${layerLoss}, ${steps} Adam steps (lr ${lr}), seed ${seed}; ${trainStarts.length} training and ${valStarts.length} validation sequences of moving bars`);
for (const r of runs) console.log(`  ${r.label}: ${r.engine.detail}`);
const row = async (step: number) => {
  const cells = [];
  for (const r of runs) {
    await r.engine.sync();
    const val = await r.engine.loss(valBatch, valStarts.length);
    cells.push(`${r.label}: train ${r.loss.toPrecision(5)} val ${val.toPrecision(5)}${r === reference ? '' : ` drift ${weightDrift(r.net).toExponential(1)}`}`);
  }
  console.log(`step ${String(step).padStart(4)}  ${cells.join(' | ')}`);
};
const batchAt = (step: number) => {
  const rng = createRng(subSeed(seed, step));
  return batchOf(video, Array.from({ length: batch }, () => trainStarts[rng.int(trainStarts.length)]!), nt);
};
const t0 = performance.now();
for (let step = 0; step < steps; step++) {
  const x = batchAt(step);
  for (const r of runs) r.loss = await r.engine.step(x, lr);
  if ((step + 1) % every === 0 || step + 1 === steps) await row(step + 1);
}
console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);

// One more step from tfjs's state on both engines.
const state = await reference.engine.optimizerState();
const resynced = PredNet.create(cfg, seed);
reference.net.trainableVariables.forEach((v, i) => resynced.trainableVariables[i]!.assign(v));
const onnx = await openStepEngine(resynced, { ...common, workers: 1, force: 'onnxruntime' }, state, 'tfjs after training');
state.forEach((s) => s.tensor.dispose());
const x = batchAt(steps);
const [a, b] = [await reference.engine.step(x, lr), await onnx.step(x, lr)];
await onnx.sync();
console.log(`re-synchronised at step ${steps}, one more step: loss tfjs ${a.toPrecision(7)}, ONNX Runtime ${b.toPrecision(7)} (relative ${(Math.abs(a - b) / a).toExponential(1)}); weights ${weightDrift(resynced).toExponential(2)} apart`);
for (const r of [...runs, { engine: onnx }]) await r.engine.close();
tf.disposeVariables();
process.exit(0);
