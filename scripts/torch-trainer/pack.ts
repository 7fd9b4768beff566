/**
 * Turns the best weights of a scripts/torch-trainer/train.py run into a PredLab checkpoint
 * (<work>/trained, with its training history), after checking that our engine computes the same
 * validation loss as PyTorch did for those weights: the proof that both run the same PredNet.
 * `npx tsx scripts/train-default-model.ts --work <work> --finish` then ships it.
 *
 *   npx tsx scripts/torch-trainer/pack.ts [--work native-models/.default-model-torch]
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../native-models/backend.js';
import { readManifest, saveCheckpoint } from '../../native-models/checkpoint.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { proceduralVideo } from '../../native-models/training/procedural.js';
import { predictionScores } from '../../native-models/training/score.js';
import { DEFAULT_MODEL_DATA, DEFAULT_MODEL_SEED, defaultModelValidationStarts, NT } from './recipe.js';

const { values } = parseArgs({ options: { work: { type: 'string', default: 'native-models/.default-model-torch' } } });
const work = path.resolve(values.work!);
await initBackend();
const init = readManifest(path.join(work, 'init'));
const blob = fs.readFileSync(path.join(work, 'torch-best.bin'));
const best = JSON.parse(fs.readFileSync(path.join(work, 'torch-best.json'), 'utf8')) as { step: number; epoch: number; valLoss: number };
const floats = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
let at = 0;
const keras = new Map<string, tf.Tensor>();
for (const e of init.weights) {
  const n = e.shape.reduce((a, b) => a * b, 1);
  keras.set(e.name, tf.tensor(floats.subarray(at, at + n), e.shape));
  at += n;
}
if (at !== floats.length) throw new Error(`torch-best.bin holds ${floats.length} values; the architecture needs ${at}.`);
const net = PredNet.fromKeras(init.config, keras);
tf.dispose([...keras.values()]);

const video = proceduralVideo(DEFAULT_MODEL_DATA);
const { validation } = defaultModelValidationStarts(video);
const ours = (await predictionScores(video, validation, NT, net)).model!;
const gap = Math.abs(ours - best.valLoss) / best.valLoss;
console.log(`validation loss of the best epoch (${best.epoch}): PyTorch ${best.valLoss.toFixed(6)}, PredLab engine ${ours.toFixed(6)} (relative difference ${gap.toExponential(2)})`);
if (gap > 1e-3) throw new Error('PyTorch and the PredLab engine disagree on these weights: the two models are not the same PredNet.');

const rows = fs.readFileSync(path.join(work, 'curve.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
const history = rows.filter((r) => r[0]! <= best.step).map(([step, epoch, lr, loss, valLoss]) => ({ epoch: epoch! - 1, step: step!, loss: loss!, valLoss: valLoss!, lr: lr! }));
await saveCheckpoint(path.join(work, 'trained'), net, {
  source: { kind: 'trained', trainer: 'pytorch (scripts/torch-trainer/train.py)', seed: DEFAULT_MODEL_SEED },
  training: {
    step: best.step,
    epoch: best.epoch,
    seed: DEFAULT_MODEL_SEED,
    dataset: { kind: 'procedural', ...DEFAULT_MODEL_DATA },
    // train.py's --steps-per-epoch and --lr, as its curve shows them (batch size 4).
    options: { nt: NT, batchSize: 4, samplesPerEpoch: 4 * (rows[0]![0]! / rows[0]![1]!), valSequences: validation.length, lr: rows[0]![2]!, layerLoss: 'L0', trainer: 'pytorch' },
    history,
    bestValLoss: best.valLoss,
    finished: true,
  },
});
net.dispose();
console.log(`wrote ${path.join(work, 'trained')}`);
