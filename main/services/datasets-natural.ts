/**
 * Natural-image motion video from a folder of photographs, into a dataset
 * (`predlab dataset natural`): camera pans, zooms and small turns over each photograph, with now
 * and then moving cut-outs of the others (native-models/training/natural.ts). Every photograph is
 * decoded (ffmpeg, scaled down to at most NATURAL_IMAGE_SIDE on its long side) and checked before
 * anything is written; an unreadable one is refused, never skipped. Each recording lands in the
 * dataset tables and files as an imported video does (one recording per clip); a failure or a
 * cancel removes every recording this call made, and the dataset if it made it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MIN_IMAGE_SIDE, naturalRecording, prepareImages, type NaturalRecordingInfo, type RgbImage } from '../../native-models/training/natural.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { appendFrames, checkNewDataset, createDataset, DATASET_LIMITS, deleteDataset, findDataset, finishRecording, removeRecording, startRecording, type DatasetInfo, type RecordingInfo } from './datasets.js';
import { cancelled, decodeFrames, ffmpegPath, probeVideo } from './datasets-ffmpeg.js';
import { frameSize } from '../../paradigms/format.js';

export const NATURAL_IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;
/** Photographs are decoded at most this many pixels on their long side (never enlarged). */
export const NATURAL_IMAGE_SIDE = 640;
/** The default model's frame size at 10 frames/s: a new dataset's settings unless given. */
export const NATURAL_DEFAULT_DATASET = { height: 64, width: 80, fps: 10 } as const;
export const NATURAL_DEFAULTS_CLI = { recordings: 100, framesPerRecording: 30, seed: 1 } as const;

/** Stated limits of one call: they bound its time, memory and disk. */
export const NATURAL_LIMITS = {
  /** Images in the folder (all are decoded and kept in memory, about 1.3 MB each at 640 px). */
  images: 500,
  /** Bytes of one image file. */
  imageBytes: 200 * 2 ** 20,
  recordings: 20_000,
  minFramesPerRecording: 2,
  maxFramesPerRecording: 1000,
  /** Frames of one call in all (recordings x frames per recording). */
  frames: 500_000,
  /** Bytes of one call in all (frames x height x width x 3). */
  bytes: 8 * 2 ** 30,
  seed: 2 ** 31 - 1,
} as const;

export interface NaturalSpec {
  /** Folder of photographs (.png, .jpg, .jpeg, .webp; sub-folders are not read). */
  images: string;
  dataset: string;
  recordings?: number;
  framesPerRecording?: number;
  seed?: number;
  /** For a new dataset (defaults NATURAL_DEFAULT_DATASET); for an existing one, must match if given. */
  height?: number;
  width?: number;
  onProgress?: (p: { stage: 'decode'; done: number; total: number } | { stage: 'render'; done: number; total: number; frames: number }) => void;
  signal?: AbortSignal;
}

export interface NaturalResult {
  dataset: DatasetInfo;
  createdDataset: boolean;
  recordings: { id: number; frames: number; background: string; objects: string[] }[];
  frames: number;
  images: { file: string; width: number; height: number; decodedWidth: number; decodedHeight: number }[];
  seed: number;
}

const bad = (m: string) => new PredlabError('invalid-argument', m);
const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** The images of a folder, in natural name order. */
export function listNaturalImages(folder: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new PredlabError('not-found', `${folder} does not exist.`);
  }
  if (!stat.isDirectory()) throw bad(`${folder} is not a folder; --images takes a folder of photographs (${NATURAL_IMAGE_EXTENSIONS.join(', ')}).`);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch (e) {
    throw bad(`Cannot read the folder ${folder}: ${(e as Error).message}.`);
  }
  const files = entries.filter((e) => e.isFile() && (NATURAL_IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(e.name).toLowerCase()));
  if (files.length === 0) throw bad(`${folder} holds no photographs (${NATURAL_IMAGE_EXTENSIONS.join(', ')} files). Nothing was stored.`);
  if (files.length > NATURAL_LIMITS.images) throw bad(`${folder} holds ${files.length} images; at most ${NATURAL_LIMITS.images} are used at once. Split them into several folders (and datasets). Nothing was stored.`);
  return files.map((f) => path.join(folder, f.name)).sort(natural.compare);
}

/** One photograph, decoded to RGB and scaled down to at most `maxSide` on its long side. */
export async function decodeImage(file: string, maxSide = NATURAL_IMAGE_SIDE, signal?: AbortSignal): Promise<{ image: RgbImage; width: number; height: number }> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new PredlabError('not-found', `${file} does not exist.`);
  }
  if (size === 0) throw bad(`${file} is empty (0 bytes). Nothing was stored.`);
  if (size > NATURAL_LIMITS.imageBytes) throw bad(`${file} is ${(size / 2 ** 20).toFixed(0)} MiB; an image may be at most ${NATURAL_LIMITS.imageBytes / 2 ** 20} MiB. Nothing was stored.`);
  let probe: { width: number; height: number };
  try {
    probe = await probeVideo(file, signal);
  } catch (e) {
    if (e instanceof PredlabError && /^Cannot read/.test(e.message)) throw bad(`Cannot read ${file} as an image: it is damaged, empty or not a picture. Remove it from the folder or replace it. Nothing was stored.`);
    throw e;
  }
  const k = Math.min(1, maxSide / Math.max(probe.width, probe.height));
  // Even sides are not needed; at least MIN_IMAGE_SIDE each.
  const w = Math.max(1, Math.round(probe.width * k));
  const h = Math.max(1, Math.round(probe.height * k));
  if (w < MIN_IMAGE_SIDE || h < MIN_IMAGE_SIDE) throw bad(`${file} is ${probe.width} px wide and ${probe.height} px high; each side must be at least ${MIN_IMAGE_SIDE} (after scaling its long side to at most ${maxSide}). Nothing was stored.`);
  const data = new Uint8Array(w * h * 3);
  let got = 0;
  try {
    got = await decodeFrames({ input: ['-i', file, '-frames:v', '1'], filter: `scale=${w}:${h}:flags=area,setsar=1`, width: w, height: h, chunkFrames: 1, maxFrames: 1, ...(signal ? { signal } : {}) }, (frame) => {
      data.set(frame);
    });
  } catch (e) {
    if (signal?.aborted) throw cancelled();
    if (e instanceof PredlabError && e.code === 'invalid-argument') throw bad(`Cannot decode ${file} as an image (${e.message.replace(/ Nothing was stored\.$/, '')}). Remove it from the folder or replace it. Nothing was stored.`);
    throw e;
  }
  if (got !== 1) throw bad(`Cannot decode ${file} as an image: ffmpeg returned no picture. Remove it from the folder or replace it. Nothing was stored.`);
  return { image: { width: w, height: h, data }, width: probe.width, height: probe.height };
}

function checkCount(name: string, v: number, lo: number, hi: number): void {
  if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw bad(`${name} must be a whole number from ${lo} to ${hi}; got ${v}.`);
}

/** Everything about the call that needs no image: counts, the dataset's settings. */
function checkSpec(db: Db, spec: NaturalSpec): { existing: DatasetInfo | null; settings: { height: number; width: number; fps: number }; recordings: number; framesPerRecording: number; seed: number } {
  const recordings = spec.recordings ?? NATURAL_DEFAULTS_CLI.recordings;
  const framesPerRecording = spec.framesPerRecording ?? NATURAL_DEFAULTS_CLI.framesPerRecording;
  const seed = spec.seed ?? NATURAL_DEFAULTS_CLI.seed;
  checkCount('The number of recordings (--recordings)', recordings, 1, NATURAL_LIMITS.recordings);
  checkCount('The frames per recording (--frames-per-recording)', framesPerRecording, NATURAL_LIMITS.minFramesPerRecording, NATURAL_LIMITS.maxFramesPerRecording);
  checkCount('The seed (--seed)', seed, 0, NATURAL_LIMITS.seed);
  const frames = recordings * framesPerRecording;
  if (frames > NATURAL_LIMITS.frames) throw bad(`${recordings} recordings of ${framesPerRecording} frames are ${frames} frames; one call makes at most ${NATURAL_LIMITS.frames}. Make fewer or shorter recordings (or run it again into the same dataset with another --seed).`);
  const existing = findDataset(db, spec.dataset);
  let settings: { height: number; width: number; fps: number };
  if (existing) {
    const differs = (['height', 'width'] as const).filter((k) => spec[k] !== undefined && spec[k] !== existing[k]);
    if (differs.length) throw bad(`Dataset '${existing.name}' is ${frameSize(existing.height, existing.width)} (height × width); ${differs.map((k) => `${k} ${spec[k]}`).join(', ')} differs. Leave those options out to add to it at its size, or name a new dataset.`);
    if (existing.recordings + recordings > DATASET_LIMITS.recordingsPerDataset) throw bad(`Dataset '${existing.name}' holds ${existing.recordings} recordings; ${recordings} more would pass the limit of ${DATASET_LIMITS.recordingsPerDataset}. Use another dataset.`);
    settings = existing;
  } else {
    settings = { height: spec.height ?? NATURAL_DEFAULT_DATASET.height, width: spec.width ?? NATURAL_DEFAULT_DATASET.width, fps: NATURAL_DEFAULT_DATASET.fps };
    checkNewDataset({ name: spec.dataset, ...settings });
  }
  const bytes = frames * settings.height * settings.width * 3;
  const perRecording = framesPerRecording * settings.height * settings.width * 3;
  if (perRecording > DATASET_LIMITS.chunkBytes) throw bad(`A recording of ${framesPerRecording} frames of ${frameSize(settings.height, settings.width)} is ${(perRecording / 2 ** 20).toFixed(0)} MiB; one recording is made in memory and may be at most ${DATASET_LIMITS.chunkBytes / 2 ** 20} MiB. Use fewer frames per recording.`);
  if (bytes > NATURAL_LIMITS.bytes) throw bad(`${frames} frames of ${frameSize(settings.height, settings.width)} are ${(bytes / 2 ** 30).toFixed(1)} GiB; one call writes at most ${NATURAL_LIMITS.bytes / 2 ** 30} GiB. Make fewer or shorter recordings.`);
  return { existing, settings, recordings, framesPerRecording, seed };
}

export async function makeNaturalDataset(db: Db, dataFolder: string, spec: NaturalSpec): Promise<NaturalResult> {
  // Everything is checked (every image decoded) before anything is written.
  const plan = checkSpec(db, spec);
  const files = listNaturalImages(spec.images);
  ffmpegPath();
  const decoded: Awaited<ReturnType<typeof decodeImage>>[] = [];
  for (const f of files) {
    if (spec.signal?.aborted) throw cancelled();
    decoded.push(await decodeImage(f, NATURAL_IMAGE_SIDE, spec.signal));
    spec.onProgress?.({ stage: 'decode', done: decoded.length, total: files.length });
  }
  const prepared = prepareImages(decoded.map((d) => d.image));
  const { height: H, width: W } = plan.settings;
  const options = { height: H, width: W, recordings: plan.recordings, framesPerRecording: plan.framesPerRecording, seed: plan.seed };
  const dataset = plan.existing ?? createDataset(db, { name: spec.dataset, ...plan.settings });
  const made: { rec: RecordingInfo; info: NaturalRecordingInfo }[] = [];
  try {
    let frames = 0;
    for (let k = 0; k < plan.recordings; k++) {
      if (spec.signal?.aborted) throw cancelled();
      const { frames: data, info } = naturalRecording(prepared, options, k);
      const source = `natural video (seed ${plan.seed}, recording ${k + 1} of ${plan.recordings}) over ${files[info.background]}${info.objects.length ? `; cut-outs of ${info.objects.map((i) => path.basename(files[i]!)).join(', ')}` : ''}`;
      const rec = startRecording(db, dataFolder, dataset.name, source, { kind: 'import', expectedFrames: plan.framesPerRecording, ...(plan.existing ? {} : { createdDatasetId: dataset.id }) });
      made.push({ rec, info });
      appendFrames(db, dataFolder, rec.id, data);
      made[made.length - 1]!.rec = finishRecording(db, dataFolder, rec.id)!;
      frames += plan.framesPerRecording;
      spec.onProgress?.({ stage: 'render', done: k + 1, total: plan.recordings, frames });
      // Let a Ctrl-C (and the app's other work) in between recordings.
      await new Promise((r) => setImmediate(r));
    }
    return {
      dataset: findDataset(db, dataset.name)!,
      createdDataset: plan.existing === null,
      recordings: made.map(({ rec, info }) => ({ id: rec.id, frames: rec.frames, background: files[info.background]!, objects: info.objects.map((i) => files[i]!) })),
      frames,
      images: files.map((file, i) => ({ file, width: decoded[i]!.width, height: decoded[i]!.height, decodedWidth: decoded[i]!.image.width, decodedHeight: decoded[i]!.image.height })),
      seed: plan.seed,
    };
  } catch (e) {
    for (const { rec } of made) {
      try {
        removeRecording(db, dataFolder, rec.id);
      } catch {
        /* already gone */
      }
    }
    if (!plan.existing) deleteDataset(db, dataFolder, dataset.name);
    throw e;
  }
}
