/**
 * Writes the work folder for scripts/torch-trainer/train.py: the default model's procedural video
 * (the same data, seed and validation sequences as scripts/train-default-model.ts), the initial
 * weights (PredNet.create with the same seed) and the copy-last-frame baseline.
 *
 *   npx tsx scripts/torch-trainer/prepare.ts [--work native-models/.default-model-torch] [--from <checkpoint>] [--r-stack a,b,c,d] [--extra-recordings N]
 *
 * --from starts from a trained checkpoint (e.g. the shipped default, to train it further) instead
 * of fresh weights (recipe.ts's config). --r-stack gives fresh weights other recurrent widths.
 * --extra-recordings N adds N recordings of the same generator with another seed to the training
 * sequences only (the validation sequences stay those of the recipe).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../../native-models/checkpoint.js';
import { writeNpy } from '../../native-models/npy.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { sequenceStarts } from '../../native-models/training/data.js';
import { proceduralVideo } from '../../native-models/training/procedural.js';
import { predictionScores } from '../../native-models/training/score.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_MODEL_DATA, DEFAULT_MODEL_SEED, defaultModelValidationStarts, EXTRA_SEED, NT } from './recipe.js';

const { values } = parseArgs({ options: { work: { type: 'string', default: 'native-models/.default-model-torch' }, from: { type: 'string' }, 'extra-recordings': { type: 'string', default: '0' }, 'r-stack': { type: 'string' } } });
const work = path.resolve(values.work!);
fs.mkdirSync(work, { recursive: true });
await initBackend();
const base = proceduralVideo(DEFAULT_MODEL_DATA);
const { train: baseTrain, validation } = defaultModelValidationStarts(base);
const extraCount = Number(values['extra-recordings']);
if (!Number.isInteger(extraCount) || extraCount < 0 || extraCount > 5000) throw new Error(`--extra-recordings must be an integer 0-5000; got ${values['extra-recordings']}`);
const extra = extraCount > 0 ? proceduralVideo({ ...DEFAULT_MODEL_DATA, recordings: extraCount, seed: EXTRA_SEED }) : null;
const video = extra ? { ...base, count: base.count + extra.count, frames: concatBytes(base.frames, extra.frames) } : base;
const train = extra ? [...baseTrain, ...sequenceStarts(extra.recordings, NT).map((s) => s + base.count)] : baseTrain;
function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
writeNpy(path.join(work, 'frames.npy'), { dtype: 'uint8', shape: [video.count, video.height, video.width, video.channels], data: video.frames });
writeNpy(path.join(work, 'train_starts.npy'), { dtype: 'int32', shape: [train.length], data: Int32Array.from(train) });
writeNpy(path.join(work, 'val_starts.npy'), { dtype: 'int32', shape: [validation.length], data: Int32Array.from(validation) });
// --r-stack sets other recurrent widths (e.g. 3,16,32,64: the small preset's) to compare with the recipe's.
const rStack = values['r-stack']?.split(',').map(Number);
if (rStack && (rStack.length !== DEFAULT_MODEL_CONFIG.rStackSizes.length || rStack.some((n) => !Number.isInteger(n) || n < 1 || n > 256))) throw new Error(`--r-stack must be ${DEFAULT_MODEL_CONFIG.rStackSizes.length} integers 1-256; got ${values['r-stack']}`);
const config = rStack ? { ...DEFAULT_MODEL_CONFIG, rStackSizes: rStack } : DEFAULT_MODEL_CONFIG;
const net = values.from ? loadCheckpoint(path.resolve(values.from)).net : PredNet.create(config, DEFAULT_MODEL_SEED);
const source = values.from ? { kind: 'continued', from: values.from } : { kind: 'init', preset: 'small', rStackSizes: config.rStackSizes, seed: DEFAULT_MODEL_SEED };
await saveCheckpoint(path.join(work, 'init'), net, { source });
net.dispose();
const baseline = await predictionScores(base, validation, NT);
fs.writeFileSync(path.join(work, 'baseline.json'), JSON.stringify({ sequences: validation.length, copyLastFrame: baseline.copyLastFrame }));
fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({ data: DEFAULT_MODEL_DATA, extra: extra ? { recordings: extraCount, seed: EXTRA_SEED } : null, nt: NT }));
console.log(`${work}: ${video.count} frames, ${train.length} training and ${validation.length} validation sequences; copy-last ${baseline.copyLastFrame.toFixed(5)}`);
