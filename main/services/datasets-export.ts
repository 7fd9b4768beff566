/**
 * Dataset exports.
 * - HDF5 in the layout of PredNet's SequenceGenerator: `X` (N, H, W, 3) uint8, every recording's
 *   frames in order, and `sources` (N,) strings naming each frame's recording (sequences never
 *   cross a change of source). Written chunk by chunk (X grows along N), so memory stays at one
 *   chunk whatever the dataset's size.
 * - Video: one MP4 (H.264) or WebM (VP9) per recording and an index.json describing them.
 * Both are written beside the destination under a `.partial` name and renamed when complete:
 * a failed or cancelled export leaves nothing at the destination.
 */
import fs from 'node:fs';
import path from 'node:path';
import { h5wasm, hdf5Reason } from '../../native-models/keras-import.js';
import { isDiskFull, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { asJob } from './jobs.js';
import { frameBytes, getDataset, readableRecordings, readFrames, type DatasetInfo, type RecordingInfo } from './datasets.js';
import { cancelled, encodeVideo, type VideoFormat } from './datasets-ffmpeg.js';

/** Frames read and written at once: small, so the app's service thread answers between chunks. */
const CHUNK_BYTES = 4 * 2 ** 20;
/** `sources` is built in memory: one string per frame. */
export const EXPORT_LIMITS = { hdf5Frames: 10_000_000 } as const;

export interface ExportProgress {
  frames: number;
  total: number;
}

export interface ExportOptions {
  onProgress?: (p: ExportProgress) => void;
  signal?: AbortSignal;
  /**
   * A writable connection to the lab where the export's job (its partial file or folder) is
   * recorded, so a killed export's leftovers are removed at the next start-up. Default: `db`
   * when it is writable (the CLI); the app's computing thread reads through a read-only
   * connection and passes its own small writable one.
   */
  ledger?: Db | null;
}

const ledgerOf = (db: Db, opts: ExportOptions) => (opts.ledger !== undefined ? opts.ledger : db.readonly ? null : db);

/** The name a frame's recording goes by in `sources` and in the video index. */
export const recordingName = (r: { id: number }) => `recording-${r.id}`;

function checkDestination(out: string): string {
  const abs = path.resolve(out);
  if (fs.existsSync(abs)) throw new PredlabError('conflict', `${abs} already exists; choose another path or delete it first.`);
  const parent = path.dirname(abs);
  if (!fs.existsSync(parent)) throw new PredlabError('not-found', `The folder ${parent} does not exist.`);
  return abs;
}

function exportable(db: Db, dataFolder: string, name: string): { d: DatasetInfo; recs: RecordingInfo[] } {
  const d = getDataset(db, name);
  // Only finished or truncated recordings: one still being made (or left by a killed import,
  // until the next start-up resolves it) is not data.
  const recs = readableRecordings(db, dataFolder, d.id);
  if (recs.length === 0) throw new PredlabError('invalid-argument', `Dataset '${name}' has no finished frames yet; import or record some first.`);
  return { d, recs };
}

/** Chunks of a recording's frames, `CHUNK_BYTES` at most each. */
function* chunksOf(r: RecordingInfo, fb: number): Generator<{ start: number; count: number; data: Uint8Array }> {
  const per = Math.max(1, Math.floor(CHUNK_BYTES / fb));
  for (let s = 0; s < r.frames; s += per) {
    const count = Math.min(per, r.frames - s);
    yield { start: s, count, data: readFrames(r, fb, s, count) };
  }
}

export interface Hdf5Export {
  out: string;
  frames: number;
  recordings: number;
  shape: [number, number, number, number];
  bytes: number;
}

export async function exportDatasetHdf5(db: Db, dataFolder: string, name: string, out: string, opts: ExportOptions = {}): Promise<Hdf5Export> {
  const { d, recs } = exportable(db, dataFolder, name);
  const dest = checkDestination(out);
  const total = recs.reduce((s, r) => s + r.frames, 0);
  if (total > EXPORT_LIMITS.hdf5Frames) throw new PredlabError('invalid-argument', `Dataset '${name}' has ${total} frames; an HDF5 export holds at most ${EXPORT_LIMITS.hdf5Frames}.`);
  const h5 = await h5wasm();
  const partial = `${dest}.partial`;
  fs.rmSync(partial, { force: true });
  await asJob(ledgerOf(db, opts), { kind: 'export', target: dest, partials: [partial] }, () => writeHdf5(h5, d, recs, total, partial, dest, opts), opts.signal);
  return { out: dest, frames: total, recordings: recs.length, shape: [total, d.height, d.width, d.channels], bytes: fs.statSync(dest).size };
}

/** The HDF5 file written under its partial name and renamed; on any failure it is closed once and removed. */
async function writeHdf5(h5: Awaited<ReturnType<typeof h5wasm>>, d: DatasetInfo, recs: RecordingInfo[], total: number, partial: string, dest: string, opts: ExportOptions): Promise<void> {
  const fb = frameBytes(d);
  let file: InstanceType<typeof h5.File> | null = null;
  try {
    file = new h5.File(partial, 'w');
    file.create_attribute('dataset', d.name);
    file.create_attribute('fps', d.fps);
    file.create_attribute('created_by', 'PredLab');
    const X = file.create_dataset({ name: 'X', data: new Uint8Array(0), shape: [0, d.height, d.width, d.channels], maxshape: [null, d.height, d.width, d.channels], chunks: [1, d.height, d.width, d.channels], dtype: '<B' });
    const sources: string[] = [];
    let n = 0;
    for (const r of recs) {
      for (const c of chunksOf(r, fb)) {
        if (opts.signal?.aborted) throw cancelled();
        X.resize([n + c.count, d.height, d.width, d.channels]);
        X.write_slice([[n, n + c.count], [0, d.height], [0, d.width], [0, d.channels]], c.data);
        n += c.count;
        opts.onProgress?.({ frames: n, total });
        // Let a cancel (or the app's other work) in between chunks.
        await new Promise((res) => setImmediate(res));
      }
      for (let i = 0; i < r.frames; i++) sources.push(recordingName(r));
    }
    file.create_dataset({ name: 'sources', data: sources });
    // Closing flushes: a full disk may show only here. The file is closed once, whatever happens.
    const closing = file;
    file = null;
    closing.close();
    fs.renameSync(partial, dest);
  } catch (e) {
    if (file) {
      try {
        file.close();
      } catch {
        /* the write already failed; its reason is the one given */
      }
    }
    fs.rmSync(partial, { force: true });
    if (e instanceof PredlabError) throw e;
    throw new PredlabError('storage', `Cannot write ${dest}: ${isDiskFull(e, partial) ? 'the disk is full' : hdf5Reason(e)}. Nothing was left there.`);
  }
}


export interface VideoIndex {
  dataset: { name: string; height: number; width: number; fps: number };
  format: VideoFormat;
  recordings: { id: number; name: string; file: string; frames: number; source: string; status: string; createdAt: string }[];
}

export interface VideoExport {
  out: string;
  index: string;
  files: string[];
  frames: number;
}

/** One video per recording into the folder `out` (created), plus index.json. */
export async function exportDatasetVideos(db: Db, dataFolder: string, name: string, out: string, format: VideoFormat, opts: ExportOptions = {}): Promise<VideoExport> {
  const { d, recs } = exportable(db, dataFolder, name);
  const dest = checkDestination(out);
  const partial = `${dest}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  return asJob(ledgerOf(db, opts), { kind: 'export', target: dest, partials: [partial] }, () => writeVideos(d, recs, partial, dest, format, opts), opts.signal);
}

async function writeVideos(d: DatasetInfo, recs: RecordingInfo[], partial: string, dest: string, format: VideoFormat, opts: ExportOptions): Promise<VideoExport> {
  fs.mkdirSync(partial);
  const total = recs.reduce((s, r) => s + r.frames, 0);
  const fb = frameBytes(d);
  const index: VideoIndex = { dataset: { name: d.name, height: d.height, width: d.width, fps: d.fps }, format, recordings: [] };
  let done = 0;
  try {
    for (const r of recs) {
      const file = `${recordingName(r)}.${format}`;
      const frames = (function* () {
        for (const c of chunksOf(r, fb)) {
          yield c.data;
          done += c.count;
          opts.onProgress?.({ frames: done, total });
        }
      })();
      await encodeVideo(path.join(partial, file), { width: d.width, height: d.height, fps: d.fps, format }, frames, opts.signal);
      index.recordings.push({ id: r.id, name: recordingName(r), file, frames: r.frames, source: r.source, status: r.status, createdAt: r.createdAt });
    }
    fs.writeFileSync(path.join(partial, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
    fs.renameSync(partial, dest);
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (e instanceof PredlabError) throw e;
    throw new PredlabError('storage', `Cannot write ${dest}: ${(e as Error).message}. Nothing was left there.`);
  }
  return { out: dest, index: path.join(dest, 'index.json'), files: index.recordings.map((r) => path.join(dest, r.file)), frames: total };
}
