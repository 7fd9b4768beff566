/**
 * Import of a video file (mp4, webm, mov) or a folder of images (png or jpg) as one recording
 * of a dataset. ffmpeg decodes at the dataset's frame rate (images: one frame each, in natural
 * name order) and, in the same pass, resizes to the dataset's height and centre-crops its width
 * (PredNet's KITTI recipe, the geometry of the trainer's fitFrames), so the calling thread only
 * writes: the app runs imports on its service thread, which must stay responsive. A source that
 * yields no frame, or fails to decode, leaves nothing behind (not even the dataset, if this
 * import was creating it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDiskFull, PredlabError, storageError } from '../errors.js';
import type { Db } from '../store/db.js';
import { appendFrames, checkNewDataset, createDataset, DATASET_LIMITS, deleteDataset, findDataset, finishRecording, getRecording, removeRecording, startRecording, type DatasetInfo, type RecordingInfo } from './datasets.js';
import { decodeFrames, ffmpegPath, probeVideo } from './datasets-ffmpeg.js';
import { frameSize } from '../../paradigms/format.js';

export const VIDEO_EXTENSIONS = ['.mp4', '.webm', '.mov'] as const;
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;
/** KITTI's preprocessing (height 128, centre-cropped to 160) at about its 10 frames/s. */
export const DEFAULT_DATASET = { height: 128, width: 160, fps: 10 } as const;
/** Decoded bytes appended at once (bounds the memory of a chunk and each write's time). */
const CHUNK_BYTES = 4 * 2 ** 20;

export interface ImportSpec {
  dataset: string;
  /** A video file or a folder of images. */
  input: string;
  /** For a new dataset (defaults DEFAULT_DATASET); for an existing one, must match if given. */
  height?: number;
  width?: number;
  fps?: number;
  onProgress?: (p: { frames: number }) => void;
  /** Called once every check has passed, before anything is written: the frames to expect (null if unknown). */
  onChecked?: (expected: { frames: number | null }) => void;
  signal?: AbortSignal;
}

export interface ImportResult {
  dataset: DatasetInfo;
  recording: RecordingInfo;
  createdDataset: boolean;
  source: { kind: 'video' | 'images'; width: number; height: number; durationSec: number | null; fps: number | null; images?: number };
}

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** The images of a folder, in natural order ("2.png" before "10.png"); one kind only. */
function listImages(folder: string): string[] {
  const files = fs.readdirSync(folder, { withFileTypes: true }).filter((e) => e.isFile() && (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(e.name).toLowerCase()));
  if (files.length === 0) throw new PredlabError('invalid-argument', `${folder} holds no .png or .jpg images. Nothing was stored.`);
  const png = files.filter((f) => path.extname(f.name).toLowerCase() === '.png').length;
  if (png > 0 && png < files.length) throw new PredlabError('invalid-argument', `${folder} mixes ${png} PNG and ${files.length - png} JPEG images; put one kind in a folder. Nothing was stored.`);
  if (files.length > DATASET_LIMITS.framesPerRecording) throw new PredlabError('invalid-argument', `${folder} holds ${files.length} images; a recording holds at most ${DATASET_LIMITS.framesPerRecording}. Nothing was stored.`);
  return files.map((f) => path.join(folder, f.name)).sort(natural.compare);
}

/** ffmpeg's concat list: one `file '...'` line per image (quotes escaped as the format wants). */
function concatList(images: string[]): string {
  return `ffconcat version 1.0\n${images.map((f) => `file '${path.resolve(f).replace(/\\/g, '/').replace(/'/g, "'\\''")}'`).join('\n')}\n`;
}

/** The dataset to import into: the existing one (settings must agree) or a new one's settings. */
function resolveTarget(db: Db, spec: ImportSpec): { existing: DatasetInfo | null; settings: { height: number; width: number; fps: number } } {
  const existing = findDataset(db, spec.dataset);
  if (existing) {
    const differs = (['height', 'width', 'fps'] as const).filter((k) => spec[k] !== undefined && spec[k] !== existing[k]);
    if (differs.length)
      throw new PredlabError(
        'invalid-argument',
        `Dataset '${existing.name}' is ${frameSize(existing.height, existing.width)} (height × width) at ${existing.fps} frames/s; ${differs.map((k) => `${k} ${spec[k]}`).join(', ')} differs. Leave those options out to import at its settings, or import into a new dataset.`,
      );
    return { existing, settings: existing };
  }
  const settings = { height: spec.height ?? DEFAULT_DATASET.height, width: spec.width ?? DEFAULT_DATASET.width, fps: spec.fps ?? DEFAULT_DATASET.fps };
  checkNewDataset({ name: spec.dataset, ...settings });
  return { existing: null, settings };
}

/** Unreadable images named: each is probed (only when the counts differ, so the check costs nothing on a good folder). */
async function unreadableImages(images: string[], expected: number, got: number, folder: string, signal?: AbortSignal): Promise<PredlabError> {
  const bad: string[] = [];
  for (const f of images) {
    if (bad.length >= 5 || signal?.aborted) break;
    try {
      await probeVideo(f, signal);
    } catch {
      bad.push(path.basename(f));
    }
  }
  const missing = expected - got;
  const named = bad.length ? `: ${bad.join(', ')}${missing > bad.length ? ', ...' : ''}` : '';
  return new PredlabError('invalid-argument', `${folder}: ${missing > 0 ? `${missing} of ${expected} images could not be read` : `the ${expected} images gave ${got} frames`}${named}. Remove or replace ${missing === 1 ? 'it' : 'them'} and import again. Nothing was stored.`);
}

/** A failure as a short clause (SQLite's codes said in words). */
function failure(e: unknown, dataFolder: string): string {
  if (isDiskFull(e)) return 'the disk is full';
  const s = storageError(e, path.join(dataFolder, 'the lab database'));
  return (s ?? (e as Error))?.message ?? String(e);
}

export async function importIntoDataset(db: Db, dataFolder: string, spec: ImportSpec): Promise<ImportResult> {
  // Everything is checked before anything is written.
  let stat: fs.Stats;
  try {
    stat = fs.statSync(spec.input);
  } catch {
    throw new PredlabError('not-found', `${spec.input} does not exist.`);
  }
  const { existing, settings } = resolveTarget(db, spec);
  let input: string[];
  let source: ImportResult['source'];
  let listFile: string | null = null;
  if (stat.isDirectory()) {
    const images = listImages(spec.input);
    const first = await probeVideo(images[0]!, spec.signal);
    source = { kind: 'images', width: first.width, height: first.height, durationSec: null, fps: null, images: images.length };
    listFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-import-')), 'images.ffconcat');
    fs.writeFileSync(listFile, concatList(images));
    input = ['-f', 'concat', '-safe', '0', '-i', listFile];
  } else {
    const ext = path.extname(spec.input).toLowerCase();
    if (!(VIDEO_EXTENSIONS as readonly string[]).includes(ext))
      throw new PredlabError('invalid-argument', `${spec.input}: PredLab imports ${VIDEO_EXTENSIONS.join(', ')} videos or folders of .png/.jpg images, not '${ext || 'no extension'}' files.`);
    if (stat.size === 0) throw new PredlabError('invalid-argument', `${spec.input} is empty (0 bytes). Nothing was stored.`);
    const p = await probeVideo(spec.input, spec.signal);
    source = { kind: 'video', ...p };
    input = ['-i', spec.input];
  }
  try {
    // fitFrames' geometry: scale to the dataset's height (a source narrower than the dataset is
    // stretched to its width), then keep the centre columns.
    const { height: H, width: W } = settings;
    const scaledW = Math.max(W, Math.round((source.width * H) / source.height));
    const x0 = Math.floor((scaledW - W) / 2);
    const filter = [source.kind === 'video' ? `fps=${settings.fps}` : null, `scale=${scaledW}:${H}:flags=area`, `crop=${W}:${H}:${x0}:0`, 'setsar=1'].filter(Boolean).join(',');
    ffmpegPath(); // a missing decoder is reported before the dataset is made
    const expected = source.kind === 'images' ? source.images! : source.durationSec !== null ? Math.max(1, Math.round(source.durationSec * settings.fps)) : null;
    spec.onChecked?.({ frames: expected });
    const dataset = existing ?? createDataset(db, { name: spec.dataset, ...settings });
    let recording: RecordingInfo | null = null;
    try {
      // An image folder must yield every image; a video's frame count is only an estimate.
      recording = startRecording(db, dataFolder, dataset.name, path.resolve(spec.input), { kind: 'import', expectedFrames: source.kind === 'images' ? expected : null, ...(existing ? {} : { createdDatasetId: dataset.id }) });
      const rec = recording;
      let frames = 0;
      await decodeFrames(
        { input, filter, width: W, height: H, chunkFrames: Math.max(1, Math.min(256, Math.floor(CHUNK_BYTES / (W * H * 3)))), maxFrames: DATASET_LIMITS.framesPerRecording, ...(spec.signal ? { signal: spec.signal } : {}) },
        (chunk, count) => {
          appendFrames(db, dataFolder, rec.id, chunk);
          frames += count;
          spec.onProgress?.({ frames });
        },
      );
      if (frames === 0) throw new PredlabError('invalid-argument', `${spec.input} yielded no frame (a zero-length video?). Nothing was stored.`);
      // ffmpeg skips an image it cannot decode and goes on: a folder must yield one frame per image.
      if (source.kind === 'images' && frames !== source.images) throw await unreadableImages(listImages(spec.input), source.images!, frames, spec.input, spec.signal);
      const done = finishRecording(db, dataFolder, rec.id)!;
      return { dataset: findDataset(db, dataset.name)!, recording: done, createdDataset: existing === null, source };
    } catch (e) {
      // A full disk keeps the frames written (appendFrames marked the recording 'truncated' and
      // says so); any other failure leaves nothing behind. If the clean-up itself fails (the
      // database's disk is full too), the import's job stays 'running' in the lab and the next
      // start-up removes what it left.
      try {
        const kept = recording ? getRecording(db, dataFolder, recording.id) : null;
        if (kept && kept.status === 'truncated' && kept.frames > 0) throw e;
        if (recording) removeRecording(db, dataFolder, recording.id, spec.signal?.aborted ? 'cancelled' : 'failed');
        if (!existing) deleteDataset(db, dataFolder, dataset.name);
      } catch (cleanup) {
        if (cleanup === e) throw e;
        throw new PredlabError(
          'storage',
          `The import of ${spec.input} failed (${failure(e, dataFolder)}) and its clean-up could not be saved either (${failure(cleanup, dataFolder)}). Nothing of it counts as data: the unfinished recording${recording ? ` ${recording.id}` : ''} is removed the next time PredLab opens the lab.`,
        );
      }
      if (isDiskFull(e)) throw new PredlabError('storage', `The disk is full: the import of ${spec.input} was not saved, and nothing of it was kept. Free some space and import again.`);
      throw e;
    }
  } finally {
    if (listFile) fs.rmSync(path.dirname(listFile), { recursive: true, force: true });
  }
}
