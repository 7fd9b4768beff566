/**
 * Turns the best weights of a scripts/torch-trainer/train.py run into a PredLab checkpoint
 * (<work>/trained, with its training history), after checking that our engine computes the same
 * validation loss as PyTorch did for those weights, and the same predicted frames (max absolute
 * difference of every pixel of a few validation sequences, saved by train.py): the proof that both
 * run the same PredNet. Works on any work folder of prepare.ts or prepare-natural.ts (its
 * config.json names the data and seed recorded in the checkpoint).
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
import { readNpy } from '../../native-models/npy.js';
import { batchOf, type VideoData } from '../../native-models/training/data.js';
import { predictionScores } from '../../native-models/training/score.js';
import { DEFAULT_MODEL_DATA, DEFAULT_MODEL_SEED, NT } from './recipe.js';

/** Largest difference allowed between PyTorch's and our engine's predicted pixel (values 0-1): float32 arithmetic in another order, not another model. */
const FRAME_TOLERANCE = 1e-4;

/** The sequences of nt frames from `starts` of a uint8 (N, H, W, C) .npy, read from the file (not all of it): one recording per sequence. */
function sequencesOf(file: string, starts: number[], nt: number): VideoData & { starts: number[] } {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    fs.readSync(fd, head, 0, head.length, 0);
    const len = head.readUInt16LE(8);
    const header = head.toString('latin1', 10, 10 + len);
    const shape = /'shape': \(([^)]*)\)/.exec(header)?.[1]?.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    if (!/'descr': '\|u1'/.test(header) || !shape || shape.length !== 4) throw new Error(`${file} is not a uint8 (N, H, W, C) array: ${header}`);
    const [count, height, width, channels] = shape as [number, number, number, number];
    const fb = height * width * channels;
    const frames = new Uint8Array(starts.length * nt * fb);
    starts.forEach((s, k) => {
      if (s < 0 || s + nt > count) throw new Error(`Sequence start ${s} lies outside ${file} (${count} frames).`);
      fs.readSync(fd, frames, k * nt * fb, nt * fb, 10 + len + s * fb);
    });
    const recordings = new Int32Array(starts.length * nt);
    for (let k = 0; k < starts.length; k++) recordings.fill(k, k * nt, (k + 1) * nt);
    return { frames, count: starts.length * nt, height, width, channels, recordings, starts: starts.map((_, k) => k * nt) };
  } finally {
    fs.closeSync(fd);
  }
}

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

// The work folder's own validation sequences (read from frames.npy, only the frames they need).
const config = JSON.parse(fs.readFileSync(path.join(work, 'config.json'), 'utf8')) as { nt?: number; seed?: number; recipe?: string; instance?: number; initSeed?: number; dataset?: Record<string, unknown>; data?: Record<string, unknown> };
const nt = config.nt ?? NT;
const framesFile = path.join(work, 'frames.npy');
const valStarts = Array.from(readNpy(path.join(work, 'val_starts.npy')).data);
const valSet = sequencesOf(framesFile, valStarts, nt);
const ours = (await predictionScores(valSet, valSet.starts, nt, net)).model!;
const gap = Math.abs(ours - best.valLoss) / best.valLoss;
console.log(`validation loss of the best epoch (${best.epoch}): PyTorch ${best.valLoss.toFixed(6)}, PredLab engine ${ours.toFixed(6)} (relative difference ${gap.toExponential(2)})`);
if (gap > 1e-3) throw new Error('PyTorch and the PredLab engine disagree on these weights: the two models are not the same PredNet.');

// Frame by frame: PyTorch's predicted frames of a few validation sequences (train.py keeps them
// for the best epoch) against our engine's, on the same inputs.
let frameCheck: { sequences: number; maxAbsDifference: number; meanAbsDifference: number } | null = null;
const predsFile = path.join(work, 'torch-best-preds.npy');
if (fs.existsSync(predsFile)) {
  const theirs = readNpy(predsFile);
  const starts = Array.from(readNpy(path.join(work, 'torch-best-preds-starts.npy')).data);
  const seqs = sequencesOf(framesFile, starts, nt);
  const fb = seqs.height * seqs.width * seqs.channels;
  const x = tf.tensor5d(batchOf(seqs, seqs.starts, nt), [starts.length, nt, seqs.height, seqs.width, seqs.channels]);
  const predicted = net.run(x, 'prediction');
  const mine = (await predicted.data()) as Float32Array;
  tf.dispose([x, predicted]);
  if (mine.length !== theirs.data.length || theirs.data.length !== starts.length * nt * fb) throw new Error(`torch-best-preds.npy holds ${theirs.data.length} values; ${starts.length} sequences of ${nt} frames need ${starts.length * nt * fb}.`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < mine.length; i++) {
    const d = Math.abs(mine[i]! - theirs.data[i]!);
    sum += d;
    if (d > max) max = d;
  }
  frameCheck = { sequences: starts.length, maxAbsDifference: max, meanAbsDifference: sum / mine.length };
  console.log(`predicted frames of ${starts.length} validation sequences x ${nt} frames: max |PyTorch - PredLab engine| ${max.toExponential(2)}, mean ${(sum / mine.length).toExponential(2)} (pixel values 0-1; tolerance ${FRAME_TOLERANCE})`);
  if (!(max <= FRAME_TOLERANCE)) throw new Error('PyTorch and the PredLab engine predict different frames from these weights: the two models are not the same PredNet.');
} else console.log('torch-best-preds.npy is missing (a train.py from before per-frame checks): only the loss was compared.');

const rows = fs.readFileSync(path.join(work, 'curve.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
const history = rows.filter((r) => r[0]! <= best.step).map(([step, epoch, lr, loss, valLoss]) => ({ epoch: epoch! - 1, step: step!, loss: loss!, valLoss: valLoss!, lr: lr! }));
await saveCheckpoint(path.join(work, 'trained'), net, {
  source: { kind: 'trained', trainer: 'pytorch (scripts/torch-trainer/train.py)', seed: config.seed ?? DEFAULT_MODEL_SEED, ...(frameCheck ? { torchAgreement: { valLossRelativeDifference: gap, ...frameCheck } } : {}) },
  training: {
    step: best.step,
    epoch: best.epoch,
    seed: config.seed ?? DEFAULT_MODEL_SEED,
    // prepare-natural.ts's work folders name their recipe and data; prepare.ts's are procedural.
    dataset: config.dataset ?? (config.recipe === 'natural' ? { kind: 'natural+procedural', recipe: 'scripts/torch-trainer/natural-recipe.ts', instance: config.instance, initSeed: config.initSeed, ...config.data } : { kind: 'procedural', ...DEFAULT_MODEL_DATA }),
    // train.py's --steps-per-epoch and --lr, as its curve shows them (batch size 4).
    options: { nt, batchSize: 4, samplesPerEpoch: 4 * (rows[0]![0]! / rows[0]![1]!), valSequences: valStarts.length, lr: rows[0]![2]!, layerLoss: 'L0', trainer: 'pytorch' },
    history,
    bestValLoss: best.valLoss,
    finished: true,
  },
});
net.dispose();
console.log(`wrote ${path.join(work, 'trained')}`);
