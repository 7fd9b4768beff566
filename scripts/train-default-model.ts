/**
 * Regenerates the default checkpoint shipped with the app (native-models/default-model): a
 * small PredNet trained on seeded procedural video (moving and rotating bars, edges, flat and
 * textured shapes, brief flashes; several speeds); scripts/torch-trainer/recipe.ts holds its
 * config, data and validation sequences. Many hours on one core with the wasm backend, so
 * the run lives in a fixed work folder and can be resumed, watched and shipped at any time:
 *
 *   npx tsx scripts/train-default-model.ts [--epochs 30] [--drop-epoch 26] [--lr 0.001]   start afresh
 *   npx tsx scripts/train-default-model.ts --from <checkpoint> [...]                    start afresh from trained weights
 *   npx tsx scripts/train-default-model.ts --resume [--epochs N --drop-epoch M]         continue from the last epoch
 *   npx tsx scripts/train-default-model.ts --finish                                     ship the best checkpoint so far
 *
 * After every epoch a line goes to <work>/curve.csv: step, training loss, validation loss, the
 * copy-last-frame baseline on the same validation sequences in the same units, and their ratio.
 * A run that completes all its epochs finishes by itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, initBackend } from '../native-models/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../native-models/checkpoint.js';
import { parameterCount } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { sequenceStarts } from '../native-models/training/data.js';
import { proceduralVideo } from '../native-models/training/procedural.js';
import { predictionScores, type PredictionScores } from '../native-models/training/score.js';
import { resumeDirOf, runTraining, trainOptionsSchema } from '../native-models/training/trainer.js';
import { DEFAULT_MODEL_CONFIG as config, DEFAULT_MODEL_DATA as data, DEFAULT_MODEL_SEED as SEED, defaultModelValidationStarts, FRESH_SEED, NT, VAL_FRACTION, VAL_SEQUENCES } from './torch-trainer/recipe.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '30' },
    'drop-epoch': { type: 'string' },
    lr: { type: 'string', default: '0.001' },
    out: { type: 'string', default: 'native-models/default-model' },
    work: { type: 'string', default: 'native-models/.default-model-work' },
    from: { type: 'string' },
    resume: { type: 'boolean', default: false },
    finish: { type: 'boolean', default: false },
  },
});
/** Fresh recordings for the held-out score at --finish: three seeds, never seen in training or validation. */
const FRESH_SEEDS = [FRESH_SEED, FRESH_SEED + 1, FRESH_SEED + 2];
const epochs = Number(values.epochs);
if (!Number.isInteger(epochs) || epochs < 1 || epochs > 200) throw new Error(`--epochs must be an integer 1-200; got ${values.epochs}`);
const dropEpoch = values['drop-epoch'] === undefined ? Math.max(1, epochs - 4) : Number(values['drop-epoch']);
const lr = Number(values.lr);
const options = trainOptionsSchema.parse({ nt: NT, batchSize: 4, epochs, samplesPerEpoch: 800, valSequences: VAL_SEQUENCES, valFraction: VAL_FRACTION, lr, lrDropEpoch: dropEpoch, lrAfterDrop: lr / 10, seed: SEED });
const out = path.resolve(values.out!);
const work = path.resolve(values.work!);
const trainedDir = path.join(work, 'trained');
const curveFile = path.join(work, 'curve.csv');
const CURVE_HEADER = 'step,epoch,lr,train_loss,val_loss,copy_last,ratio,minutes\n';

const backend = await initBackend();
console.log(describeBackend(backend));
const t0 = performance.now();
const video = proceduralVideo(data);
console.log(`procedural video: ${video.count} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// The trainer's own validation sequences: its split (same seed and fraction), evenly spaced.
const valStarts = defaultModelValidationStarts(video).validation;
const baselineFile = path.join(work, 'baseline.json');

async function train(): Promise<boolean> {
  const resumeDir = resumeDirOf(trainedDir);
  let from: string;
  if (values.resume) {
    if (!fs.existsSync(resumeDir)) throw new Error(`Nothing to resume: ${resumeDir} does not exist. Start without --resume.`);
    from = resumeDir;
  } else {
    if (fs.existsSync(trainedDir) || fs.existsSync(resumeDir)) throw new Error(`${work} already holds a run: continue it with --resume, ship it with --finish, or delete the folder.`);
    fs.mkdirSync(work, { recursive: true });
    from = path.join(work, 'init');
    if (values.from) {
      // A copy, so the run does not depend on a folder that --finish may overwrite.
      fs.cpSync(path.resolve(values.from), from, { recursive: true });
    } else {
      const net = PredNet.create(config, SEED);
      await saveCheckpoint(from, net, { source: { kind: 'init', preset: 'small', rStackSizes: config.rStackSizes, seed: SEED } });
      net.dispose();
    }
  }
  if (!fs.existsSync(baselineFile)) fs.writeFileSync(baselineFile, JSON.stringify({ sequences: valStarts.length, copyLastFrame: (await predictionScores(video, valStarts, options.nt)).copyLastFrame }));
  const copyLast = (JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as { copyLastFrame: number }).copyLastFrame;
  console.log(`copy-last-frame baseline on ${valStarts.length} validation sequences: ${copyLast.toFixed(5)}`);
  if (!fs.existsSync(curveFile)) fs.writeFileSync(curveFile, CURVE_HEADER);

  const trainStart = performance.now();
  const meta = await runTraining({ from, outDir: trainedDir, data: video, dataset: { kind: 'procedural', ...data }, options }, (e) => {
    if (e.type === 'start') console.log(`training from step ${e.startStep} to ${e.totalSteps} (${e.trainSequences} training sequences)`);
    if (e.type === 'progress' && e.step % 10 === 0) console.log(`step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(5)} lr ${e.lr} ${e.framesPerSec.toFixed(1)} frames/s ETA ${(e.etaSec / 60).toFixed(1)} min`);
    if (e.type === 'epoch') {
      const epochLr = options.lrDropEpoch !== null && e.epoch >= options.lrDropEpoch ? options.lrAfterDrop : options.lr;
      const ratio = e.valLoss === null ? '' : (e.valLoss / copyLast).toFixed(4);
      fs.appendFileSync(curveFile, `${e.step},${e.epoch + 1},${epochLr},${e.loss.toFixed(6)},${e.valLoss?.toFixed(6) ?? ''},${copyLast.toFixed(6)},${ratio},${((performance.now() - trainStart) / 60000).toFixed(1)}\n`);
      console.log(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(5)} validation ${e.valLoss?.toFixed(5)} copy-last ${copyLast.toFixed(5)} ratio ${ratio}${e.best ? ' (best)' : ''}`);
    }
  });
  console.log(`stopped at step ${meta.step}; finished: ${meta.finished}`);
  return meta.finished;
}

/** Scores the best checkpoint so far and ships it with its curve and README. */
async function finish(): Promise<void> {
  if (!fs.existsSync(trainedDir)) throw new Error(`No trained checkpoint in ${work}: train first.`);
  const trained = loadCheckpoint(trainedDir);
  const net = trained.net;
  const meta = trained.manifest.training!;
  const nt = options.nt;
  const val = await predictionScores(video, valStarts, nt, net);
  // Recordings never seen in training or validation: the same generator with other seeds; every
  // 7th window of 40 recordings per seed (120 sequences), scored per seed and pooled.
  const perSeed: { seed: number; scores: PredictionScores }[] = [];
  for (const seed of FRESH_SEEDS) {
    const fresh = proceduralVideo({ ...data, recordings: 40, seed });
    perSeed.push({ seed, scores: await predictionScores(fresh, sequenceStarts(fresh.recordings, nt).filter((_, i) => i % 7 === 0), nt, net) });
  }
  const mean = (f: (s: PredictionScores) => number) => perSeed.reduce((t, p) => t + f(p.scores), 0) / perSeed.length;
  const test: Omit<PredictionScores, 'perChannel'> = { model: mean((s) => s.model!), copyLastFrame: mean((s) => s.copyLastFrame), sequences: perSeed.reduce((t, p) => t + p.scores.sequences, 0) };
  const ratio = (s: Omit<PredictionScores, 'perChannel'>) => s.model! / s.copyLastFrame;
  const curve = fs.existsSync(curveFile) ? fs.readFileSync(curveFile, 'utf8') : CURVE_HEADER;
  // Trained here (tfjs), or by another trainer on the same data and recipe (scripts/torch-trainer).
  const trainer = typeof trained.manifest.source.trainer === 'string' ? trained.manifest.source.trainer : `tfjs (${backend.choice} backend)`;
  // The folder is replaced as a whole: keep the flash-lag script that lives beside the checkpoint.
  const script = path.join(out, 'measure-flash-lag.sh');
  const kept = fs.existsSync(script) ? fs.readFileSync(script) : null;
  await saveCheckpoint(out, net, {
    source: { kind: 'default-model', script: 'scripts/train-default-model.ts', seed: SEED, data, trainer, trainedBy: trained.manifest.source, validation: val, heldOut: { seeds: FRESH_SEEDS, recordings: 40 * FRESH_SEEDS.length, ...test } },
    training: meta,
  });
  net.dispose();
  if (kept) fs.writeFileSync(script, kept, { mode: 0o755 });
  fs.writeFileSync(path.join(out, 'curve.csv'), curve);
  const rows = curve
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .map(([step, epoch, lrs, tl, vl, cl, r]) => `| ${step} | ${epoch} | ${lrs} | ${tl} | ${vl} | ${cl} | ${r} |`);
  fs.writeFileSync(
    path.join(out, 'README.md'),
    `# Default PredNet checkpoint

A small PredNet (${config.height}x${config.width} RGB; A channels ${config.stackSizes.join('/')}, recurrent channels ${config.rStackSizes.join('/')}; ${parameterCount(config).toLocaleString('en')} parameters)
trained on seeded procedural video (${video.count} frames in ${data.recordings} recordings of ${data.framesPerRecording}: translating bars in any direction, some rotating; moving edges;
flat and textured shapes that occlude one another; brief flashes; grey or drifting textured
backgrounds; 0-6 px/frame; things bounce off the frame's sides), with ${trainer}; scored and shipped by
\`npx tsx scripts/train-default-model.ts --finish\` (that script also trains it with tfjs:
\`--resume\` continues a run; scripts/torch-trainer does the same recipe faster).

- seed ${SEED}; options ${JSON.stringify(meta.options)}
- ${meta.step} training steps (${meta.epoch} epochs) up to the shipped, best-validation epoch
- best validation loss ${meta.bestValLoss?.toFixed(5)}

## How well it predicts

Mean |E0| over frames 2-${nt} of ${nt}-frame sequences (the training loss L0: half the mean absolute
pixel error of the predicted frame), against copying the last frame:

| data | sequences | model | copy last frame | ratio |
|---|---|---|---|---|
| validation recordings (held out from training) | ${valStarts.length} | ${val.model!.toFixed(5)} | ${val.copyLastFrame.toFixed(5)} | **${ratio(val).toFixed(3)}** |
${perSeed.map(({ seed, scores }) => `| fresh recordings (seed ${seed}, never seen) | ${scores.sequences} | ${scores.model!.toFixed(5)} | ${scores.copyLastFrame.toFixed(5)} | ${ratio(scores).toFixed(3)} |`).join('\n')}
| all fresh recordings | ${test.sequences} | ${test.model!.toFixed(5)} | ${test.copyLastFrame.toFixed(5)} | **${ratio(test).toFixed(3)}** |

Target: ratio at most 0.75. ${ratio(val) <= 0.75 && ratio(test) <= 0.75 ? 'Reached on the validation and on the fresh recordings.' : 'Not reached by this checkpoint.'}

## Training curve

Validation loss after every epoch, with the copy-last-frame baseline on the same validation
sequences in the same units (also in \`curve.csv\`; minutes are since the start of that run).

| step | epoch | lr | training loss | validation loss | copy last frame | ratio |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`,
  );
  console.log(fs.readFileSync(path.join(out, 'README.md'), 'utf8'));
}

if (values.finish) await finish();
else if (await train()) await finish();
