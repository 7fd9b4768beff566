/**
 * Regenerates the default checkpoint shipped with the app (native-models/default-model): a
 * `small` PredNet trained on seeded procedural video (moving and rotating bars, edges, flat and
 * textured shapes, brief flashes; several speeds). About an hour on one core of a 2-core machine
 * with the wasm backend. Records the seed, the data, the options and the losses beside the weights.
 *
 *   npx tsx scripts/train-default-model.ts [--epochs 8] [--lr 0.001] [--out native-models/default-model]
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, initBackend } from '../native-models/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../native-models/checkpoint.js';
import { PRESETS } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { batchOf, splitByRecording } from '../native-models/training/data.js';
import { proceduralVideo } from '../native-models/training/procedural.js';
import { runTraining, trainOptionsSchema } from '../native-models/training/trainer.js';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '8' }, lr: { type: 'string', default: '0.001' }, out: { type: 'string', default: 'native-models/default-model' } } });
const SEED = 20261128;
const data = { height: 64, width: 80, channels: 3, recordings: 360, framesPerRecording: 30, seed: SEED };
const options = trainOptionsSchema.parse({ nt: 10, batchSize: 4, epochs: Number(values.epochs), samplesPerEpoch: 360, valSequences: 48, valFraction: 0.1, lr: Number(values.lr), lrDropEpoch: Math.max(1, Number(values.epochs) - 2), lrAfterDrop: Number(values.lr) / 10, seed: SEED });
const out = path.resolve(values.out!);
const work = fs.mkdtempSync(path.join(path.dirname(out), '.default-model-'));

const backend = await initBackend();
console.log(describeBackend(backend));
const t0 = performance.now();
const video = proceduralVideo(data);
console.log(`procedural video: ${video.count} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const init = path.join(work, 'init');
const net = PredNet.create(PRESETS.small, SEED);
await saveCheckpoint(init, net, { source: { kind: 'init', preset: 'small', seed: SEED } });
net.dispose();

const trainStart = performance.now();
const meta = await runTraining({ from: init, outDir: path.join(work, 'trained'), data: video, dataset: { kind: 'procedural', ...data }, options }, (e) => {
  if (e.type === 'progress' && e.step % 10 === 0) console.log(`step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(5)} ${e.framesPerSec.toFixed(1)} frames/s ETA ${(e.etaSec / 60).toFixed(1)} min`);
  if (e.type === 'epoch') console.log(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(5)} validation ${e.valLoss?.toFixed(5)}${e.best ? ' (best)' : ''}`);
});
const minutes = (performance.now() - trainStart) / 60000;

// The copy-last-frame baseline on the same validation sequences, in the same loss units (mean |E0|).
const split = splitByRecording(video, options.nt, options.valFraction, options.seed);
const val = split.validation.filter((_, i) => i % Math.ceil(split.validation.length / options.valSequences) === 0).slice(0, options.valSequences);
const trained = loadCheckpoint(path.join(work, 'trained'));
const scores = tf.tidy(() => {
  const x = tf.tensor5d(batchOf(video, val, options.nt), [val.length, options.nt, 64, 80, 3]);
  const pred = trained.net.run(x, 'prediction');
  const actual = tf.slice(x, [0, 1, 0, 0, 0], [-1, options.nt - 1, -1, -1, -1]);
  return {
    model: tf.mean(tf.abs(tf.sub(tf.slice(pred, [0, 1, 0, 0, 0], [-1, options.nt - 1, -1, -1, -1]), actual))).dataSync()[0]! / 2,
    copyLastFrame: tf.mean(tf.abs(tf.sub(tf.slice(x, [0, 0, 0, 0, 0], [-1, options.nt - 1, -1, -1, -1]), actual))).dataSync()[0]! / 2,
  };
});
await saveCheckpoint(out, trained.net, {
  source: { kind: 'default-model', script: 'scripts/train-default-model.ts', seed: SEED, data, backend: backend.choice, minutes, validation: scores },
  training: trained.manifest.training,
});
trained.net.dispose();
fs.writeFileSync(
  path.join(out, 'README.md'),
  `# Default PredNet checkpoint

A \`small\` PredNet (64x80 RGB, 3/16/32/64 channels, 771,564 parameters) trained by
\`scripts/train-default-model.ts\` on seeded procedural video (${video.count} frames in ${data.recordings}
recordings of ${data.framesPerRecording}: moving and rotating bars, moving edges, flat and textured shapes,
brief flashes, 0-6 px/frame). Regenerate with \`npx tsx scripts/train-default-model.ts\`.

- seed ${SEED}; options ${JSON.stringify(options)}
- backend ${backend.choice}; ${meta.step} steps in ${minutes.toFixed(1)} min
- final training loss ${meta.history.at(-1)?.loss.toFixed(5)}; best validation loss ${meta.bestValLoss?.toFixed(5)}
- on ${val.length} validation sequences, mean |E0| (the L0 loss): model ${scores.model.toFixed(5)},
  copying the last frame ${scores.copyLastFrame.toFixed(5)} (ratio ${(scores.model / scores.copyLastFrame).toFixed(3)})
`,
);
fs.rmSync(work, { recursive: true, force: true });
console.log(fs.readFileSync(path.join(out, 'README.md'), 'utf8'));
