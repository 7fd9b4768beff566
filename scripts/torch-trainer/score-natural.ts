/**
 * Held-out scores of checkpoints on the natural recipe's test video (natural-recipe.ts): natural
 * motion over the test photographs (a package never used in training or validation), the same as
 * pure camera pans, and fresh procedural video. For each set: the model's mean |E0| (the L0 loss's
 * units) beside copying the last frame, their ratio, and per colour channel the mean absolute error
 * of both and the mean of the frames and of the predictions (a model that loses colour predicts the
 * channels' means alike).
 *
 *   npx tsx scripts/torch-trainer/score-natural.ts --checkpoint native-models/.natural-model-1/trained[,other...] [--out scores.json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint } from '../../native-models/checkpoint.js';
import { evenlySpaced, sequenceStarts, type VideoData } from '../../native-models/training/data.js';
import { predictionScores, type PredictionScores } from '../../native-models/training/score.js';
import { naturalVideo, prepareImages } from '../../native-models/training/natural.js';
import { proceduralVideo } from '../../native-models/training/procedural.js';
import { loadPhotos, NATURAL_DATA, NATURAL_SEEDS, NATURAL_TEST, NT, PURE_PANS } from './natural-recipe.js';

const { values } = parseArgs({ options: { checkpoint: { type: 'string' }, out: { type: 'string' } } });
if (!values.checkpoint) throw new Error('--checkpoint <dir>[,<dir>...] is required');
await initBackend();
const { height: H, width: W, framesPerRecording: T } = NATURAL_DATA;
const test = prepareImages((await loadPhotos('test')).map((p) => p.image));
const sets: { name: string; video: VideoData; starts: number[] }[] = [];
const add = (name: string, video: VideoData, n: number) => sets.push({ name, video, starts: evenlySpaced(sequenceStarts(video.recordings, NT), n) });
add('natural-test', naturalVideo(test, { height: H, width: W, recordings: NATURAL_TEST.naturalRecordings, framesPerRecording: T, seed: NATURAL_SEEDS.naturalTest }), NATURAL_TEST.naturalSequences);
add('natural-test-pans', naturalVideo(test, { height: H, width: W, recordings: NATURAL_TEST.panRecordings, framesPerRecording: T, seed: NATURAL_SEEDS.naturalTest, ...PURE_PANS }), NATURAL_TEST.panSequences);
add('procedural-fresh', proceduralVideo({ height: H, width: W, channels: 3, recordings: NATURAL_TEST.proceduralRecordings, framesPerRecording: T, seed: NATURAL_SEEDS.proceduralTest }), NATURAL_TEST.proceduralSequences);

interface SetScore {
  sequences: number;
  model: number;
  copyLast: number;
  ratio: number;
  perChannel: PredictionScores['perChannel'];
}

async function score(dir: string): Promise<Record<string, SetScore>> {
  const { net } = loadCheckpoint(dir);
  const out: Record<string, SetScore> = {};
  try {
    for (const s of sets) {
      const r = await predictionScores(s.video, s.starts, NT, net);
      const round = (xs: number[] | null) => xs && xs.map((x) => Number(x.toFixed(5)));
      out[s.name] = {
        sequences: r.sequences,
        model: r.model!,
        copyLast: r.copyLastFrame,
        ratio: r.model! / r.copyLastFrame,
        perChannel: { modelAbsError: round(r.perChannel.modelAbsError), copyLastAbsError: round(r.perChannel.copyLastAbsError)!, frameMean: round(r.perChannel.frameMean)!, predictionMean: round(r.perChannel.predictionMean) },
      };
    }
  } finally {
    net.dispose();
  }
  return out;
}

const result: Record<string, Record<string, SetScore>> = {};
for (const dir of values.checkpoint.split(',')) {
  const t0 = performance.now();
  result[dir] = await score(path.resolve(dir));
  for (const [name, s] of Object.entries(result[dir]!))
    console.log(
      `${dir} ${name} (${s.sequences} sequences): ${s.model.toFixed(5)} vs copy-last ${s.copyLast.toFixed(5)} = ${s.ratio.toFixed(3)}x; |error| R,G,B ${s.perChannel.modelAbsError!.join(', ')} (copy-last ${s.perChannel.copyLastAbsError.join(', ')}); mean R,G,B frames ${s.perChannel.frameMean.join(', ')}, predictions ${s.perChannel.predictionMean!.join(', ')}`,
    );
  console.log(`${dir}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
if (values.out) fs.writeFileSync(values.out, JSON.stringify({ recipe: 'scripts/torch-trainer/natural-recipe.ts', seeds: NATURAL_SEEDS, test: NATURAL_TEST, scores: result }, null, 1));
