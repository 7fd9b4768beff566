/**
 * Writes the work folder of one instance of the natural-video recipe (natural-recipe.ts) for
 * scripts/torch-trainer/train.py: natural video over the train photographs mixed with procedural
 * video, validation sequences from the held-out photographs and from fresh procedural video (each
 * group scored on its own: val_groups.npy), their copy-last-frame baselines, and the default
 * model's architecture from fresh weights (the instance's seed).
 *
 *   npx tsx scripts/torch-trainer/prepare-natural.ts --instance 1 [--data native-models/.natural-data] [--work native-models/.natural-model-1]
 *
 * The video is made once, into --data, and hard-linked into each instance's work folder (the
 * instances share their data; they differ in initial weights and batch order). train-args.txt
 * holds the instance's train.py arguments (scripts/torch-trainer/train-natural.sh reads it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../native-models/backend.js';
import { saveCheckpoint } from '../../native-models/checkpoint.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { evenlySpaced, sequenceStarts, type VideoData } from '../../native-models/training/data.js';
import { naturalRecording, prepareImages, type NaturalRecordingInfo } from '../../native-models/training/natural.js';
import { proceduralVideo } from '../../native-models/training/procedural.js';
import { predictionScores } from '../../native-models/training/score.js';
import { loadPhotos, NATURAL_DATA, NATURAL_INSTANCES, NATURAL_MODEL_CONFIG, NATURAL_PACKAGES, NATURAL_SCHEDULE, NATURAL_SEEDS, NT, type NaturalPhoto } from './natural-recipe.js';

const { values } = parseArgs({ options: { instance: { type: 'string', default: '1' }, data: { type: 'string', default: 'native-models/.natural-data' }, work: { type: 'string' } } });
const inst = NATURAL_INSTANCES.find((i) => String(i.instance) === values.instance);
if (!inst) throw new Error(`--instance must be one of ${NATURAL_INSTANCES.map((i) => i.instance).join(', ')}; got ${values.instance}`);
const dataDir = path.resolve(values.data!);
const work = path.resolve(values.work ?? `native-models/.natural-model-${inst.instance}`);
const FILES = ['frames.npy', 'train_starts.npy', 'val_starts.npy', 'val_groups.npy', 'baseline.json', 'data.json'];

/** A .npy v1 file written from parts, without a second copy of a large array in memory. */
function writeNpyParts(file: string, dtype: '|u1' | '<i4', shape: number[], parts: Uint8Array[]): void {
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const tmp = `${file}.partial`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, pre);
    fs.writeSync(fd, Buffer.from(header, 'latin1'));
    for (const p of parts) for (let at = 0; at < p.length; ) at += fs.writeSync(fd, p, at, Math.min(p.length - at, 2 ** 28));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
const int32 = (a: number[]) => new Uint8Array(Int32Array.from(a).buffer);

async function makeData(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const t0 = performance.now();
  const { height: H, width: W, framesPerRecording: T } = NATURAL_DATA;
  const fb = H * W * 3;
  const train = await loadPhotos('train');
  const val = await loadPhotos('validation');
  const parts: { name: string; recordings: number }[] = [
    { name: 'natural-train', recordings: NATURAL_DATA.naturalTrainRecordings },
    { name: 'procedural-train', recordings: NATURAL_DATA.proceduralTrainRecordings },
    { name: 'natural-validation', recordings: NATURAL_DATA.naturalValRecordings },
    { name: 'procedural-validation', recordings: NATURAL_DATA.proceduralValRecordings },
  ];
  const totalRec = parts.reduce((a, p) => a + p.recordings, 0);
  const frames = new Uint8Array(totalRec * T * fb);
  const recordings = new Int32Array(totalRec * T);
  for (let r = 0; r < totalRec; r++) recordings.fill(r, r * T, (r + 1) * T);
  const sources: Record<string, { recording: number; background: string; flipped: boolean; objects: string[]; camera: NaturalRecordingInfo['camera']; shutter: number }[]> = {};
  let rec = 0;
  const ranges: Record<string, [number, number]> = {};
  for (const part of parts) {
    const first = rec;
    if (part.name.startsWith('natural')) {
      const photos = part.name === 'natural-train' ? train : val;
      const images = prepareImages(photos.map((p) => p.image));
      const o = { height: H, width: W, recordings: part.recordings, framesPerRecording: T, seed: part.name === 'natural-train' ? NATURAL_SEEDS.naturalTrain : NATURAL_SEEDS.naturalValidation };
      const list = (sources[part.name] = [] as (typeof sources)[string]);
      for (let k = 0; k < part.recordings; k++) {
        const r = naturalRecording(images, o, k);
        frames.set(r.frames, (rec + k) * T * fb);
        const id = (i: number) => photos[i]!.photo.id;
        list.push({ recording: rec + k, background: id(r.info.background), flipped: r.info.flipped, objects: r.info.objects.map(id), camera: r.info.camera, shutter: r.info.shutter });
        if (k % 200 === 199) console.log(`${part.name}: ${k + 1}/${part.recordings} recordings (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      }
    } else {
      const v = proceduralVideo({ height: H, width: W, channels: 3, recordings: part.recordings, framesPerRecording: T, seed: part.name === 'procedural-train' ? NATURAL_SEEDS.proceduralTrain : NATURAL_SEEDS.proceduralValidation });
      frames.set(v.frames, rec * T * fb);
    }
    rec += part.recordings;
    ranges[part.name] = [first, rec];
  }
  const video: VideoData = { frames, count: totalRec * T, height: H, width: W, channels: 3, recordings };
  const only = (name: string) => {
    const [a, b] = ranges[name]!;
    return sequenceStarts(recordings, NT, new Set(Array.from({ length: b - a }, (_, i) => a + i)));
  };
  const trainStarts = [...only('natural-train'), ...only('procedural-train')];
  const natVal = evenlySpaced(only('natural-validation'), NATURAL_DATA.naturalValSequences);
  const procVal = evenlySpaced(only('procedural-validation'), NATURAL_DATA.proceduralValSequences);
  const valStarts = [...natVal, ...procVal];
  const groups = [...natVal.map(() => 0), ...procVal.map(() => 1)];
  const scoreOf = async (s: number[]) => (await predictionScores(video, s, NT)).copyLastFrame;
  const baseline = {
    sequences: valStarts.length,
    copyLastFrame: await scoreOf(valStarts),
    groups: [
      { name: 'natural', sequences: natVal.length, copyLastFrame: await scoreOf(natVal) },
      { name: 'procedural', sequences: procVal.length, copyLastFrame: await scoreOf(procVal) },
    ],
  };
  writeNpyParts(path.join(dataDir, 'frames.npy'), '|u1', [totalRec * T, H, W, 3], [frames]);
  writeNpyParts(path.join(dataDir, 'train_starts.npy'), '<i4', [trainStarts.length], [int32(trainStarts)]);
  writeNpyParts(path.join(dataDir, 'val_starts.npy'), '<i4', [valStarts.length], [int32(valStarts)]);
  writeNpyParts(path.join(dataDir, 'val_groups.npy'), '<i4', [groups.length], [int32(groups)]);
  fs.writeFileSync(path.join(dataDir, 'baseline.json'), JSON.stringify(baseline, null, 1));
  const photo = (p: { photo: NaturalPhoto }) => p.photo.id;
  fs.writeFileSync(
    path.join(dataDir, 'data.json'),
    JSON.stringify(
      {
        recipe: 'scripts/torch-trainer/natural-recipe.ts',
        data: NATURAL_DATA,
        seeds: NATURAL_SEEDS,
        packages: NATURAL_PACKAGES,
        photos: { train: train.map(photo), validation: val.map(photo) },
        ranges,
        sequences: { train: trainStarts.length, naturalValidation: natVal.length, proceduralValidation: procVal.length },
        sources,
        seconds: Math.round((performance.now() - t0) / 1000),
      },
      null,
      1,
    ),
  );
  console.log(`${dataDir}: ${video.count} frames (${totalRec} recordings), ${trainStarts.length} training sequences, validation ${natVal.length} natural + ${procVal.length} procedural; copy-last ${baseline.groups.map((g) => `${g.name} ${g.copyLastFrame.toFixed(5)}`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

await initBackend();
if (!FILES.every((f) => fs.existsSync(path.join(dataDir, f)))) await makeData();
fs.mkdirSync(work, { recursive: true });
for (const f of FILES) {
  const to = path.join(work, f);
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(path.join(dataDir, f), to);
  } catch {
    fs.copyFileSync(path.join(dataDir, f), to);
  }
}
const net = PredNet.create(NATURAL_MODEL_CONFIG, inst.initSeed);
await saveCheckpoint(path.join(work, 'init'), net, { source: { kind: 'init', preset: 'small', rStackSizes: NATURAL_MODEL_CONFIG.rStackSizes, seed: inst.initSeed } });
net.dispose();
const s = NATURAL_SCHEDULE;
fs.writeFileSync(
  path.join(work, 'config.json'),
  JSON.stringify({ recipe: 'natural', instance: inst.instance, initSeed: inst.initSeed, trainSeed: inst.trainSeed, seed: inst.trainSeed, nt: NT, schedule: s, data: NATURAL_DATA, dataset: { kind: 'natural+procedural', recipe: 'scripts/torch-trainer/natural-recipe.ts', ...NATURAL_DATA, seeds: NATURAL_SEEDS } }, null, 1),
);
fs.writeFileSync(path.join(work, 'train-args.txt'), `--epochs ${s.epochs} --steps-per-epoch ${s.stepsPerEpoch} --drop-epoch ${s.dropEpoch} --lr ${s.lr} --batch-size ${s.batchSize} --threads ${s.threads} --seed ${inst.trainSeed}\n`);
console.log(`${work}: instance ${inst.instance} (initial weights seed ${inst.initSeed}, batch order seed ${inst.trainSeed}); train.py ${fs.readFileSync(path.join(work, 'train-args.txt'), 'utf8').trim()}`);
