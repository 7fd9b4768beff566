/**
 * Video datasets: named sets of recordings, all at one frame size and rate. Frames live in one
 * raw file of uint8 RGB per recording (frame after frame, row-major H x W x C) under
 * `<dataFolder>/datasets/<dataset id>/`; SQLite holds the names, sizes and frame counts. A
 * recording grows chunk by chunk (capture, import); its frame count in the database is only
 * raised after its bytes are on disk, and bytes past that count (a crash between the two) are
 * cut off before the next append, so the count always tells what can be read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PredlabError } from '../errors.js';
import type { DatasetView, DeletedDatasetView, RecordingView } from '../../preload/channels/datasets.js';
import type { Db } from '../store/db.js';
import { beginJob, endRecordingJob } from './jobs.js';

/** Stated limits of the store. */
export const DATASET_LIMITS = {
  datasets: 1000,
  nameLength: 64,
  /** Frame height and width: even (video encoders need it), from 8 to 1024 pixels. */
  minSide: 8,
  maxSide: 1024,
  minFps: 1,
  maxFps: 120,
  recordingsPerDataset: 100_000,
  framesPerRecording: 1_000_000,
  /** One append: at most this many bytes (a capture page sends far smaller chunks). */
  chunkBytes: 256 * 2 ** 20,
} as const;

export const DATASETS_FOLDER = 'datasets';
const CHANNELS = 3;

/** A dataset as the lab lists it; the shape the Video page gets (preload/channels/datasets.ts). */
export type DatasetInfo = DatasetView;

/** A recording as the page sees it, and where its frames are. */
export interface RecordingInfo extends RecordingView {
  /** Absolute path of the raw frame file (the page never sees it). */
  file: string;
}

export interface NewDataset {
  name: string;
  height: number;
  width: number;
  fps: number;
}

interface DatasetRow {
  id: number;
  name: string;
  height: number;
  width: number;
  channels: number;
  fps: number;
  created_at: string;
  recordings: number;
  frames: number;
}

interface RecordingRow {
  id: number;
  dataset_id: number;
  file: string;
  frames: number;
  source: string;
  status: RecordingView['status'];
  created_at: string;
  updated_at: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const frameBytes = (d: { height: number; width: number; channels: number }) => d.height * d.width * d.channels;

const toDataset = (r: DatasetRow): DatasetInfo => ({
  id: r.id,
  name: r.name,
  height: r.height,
  width: r.width,
  channels: r.channels,
  fps: r.fps,
  createdAt: r.created_at,
  recordings: r.recordings,
  frames: r.frames,
  bytes: r.frames * frameBytes(r),
});

const toRecording = (dataFolder: string, r: RecordingRow): RecordingInfo => ({
  id: r.id,
  datasetId: r.dataset_id,
  frames: r.frames,
  source: r.source,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  file: path.join(dataFolder, r.file),
});

const SELECT_DATASETS = `
  SELECT d.*, count(r.id) AS recordings, coalesce(sum(r.frames), 0) AS frames
  FROM datasets d LEFT JOIN recordings r ON r.dataset_id = d.id`;

/** The new dataset's settings, checked; throws naming the first problem. */
export function checkNewDataset(d: NewDataset): void {
  const bad = (m: string) => new PredlabError('invalid-argument', m);
  if (typeof d.name !== 'string' || !NAME.test(d.name) || d.name.length > DATASET_LIMITS.nameLength)
    throw bad(`A dataset name is 1 to ${DATASET_LIMITS.nameLength} letters, digits, '.', '_' or '-', starting with a letter or digit; got '${d.name}'.`);
  for (const k of ['height', 'width'] as const) {
    const v = d[k];
    if (!(Number.isInteger(v) && v >= DATASET_LIMITS.minSide && v <= DATASET_LIMITS.maxSide && v % 2 === 0))
      throw bad(`The frame ${k} must be an even whole number from ${DATASET_LIMITS.minSide} to ${DATASET_LIMITS.maxSide} pixels; got ${v}.`);
  }
  if (!(Number.isFinite(d.fps) && d.fps >= DATASET_LIMITS.minFps && d.fps <= DATASET_LIMITS.maxFps))
    throw bad(`The frame rate must be from ${DATASET_LIMITS.minFps} to ${DATASET_LIMITS.maxFps} frames/s; got ${d.fps}.`);
}

export function createDataset(db: Db, d: NewDataset): DatasetInfo {
  checkNewDataset(d);
  const id = db.transaction(() => {
    if (db.prepare('SELECT 1 FROM datasets WHERE name = ?').get(d.name)) throw new PredlabError('conflict', `A dataset named '${d.name}' already exists.`);
    const n = (db.prepare('SELECT count(*) AS n FROM datasets').get() as { n: number }).n;
    if (n >= DATASET_LIMITS.datasets) throw new PredlabError('invalid-argument', `The lab already holds ${n} datasets (the limit); delete one first.`);
    return Number(db.prepare('INSERT INTO datasets (name, height, width, channels, fps) VALUES (?, ?, ?, ?, ?)').run(d.name, d.height, d.width, CHANNELS, d.fps).lastInsertRowid);
  })();
  return getDatasetById(db, id);
}

function getDatasetById(db: Db, id: number): DatasetInfo {
  const row = db.prepare(`${SELECT_DATASETS} WHERE d.id = ? GROUP BY d.id`).get(id) as DatasetRow | undefined;
  if (!row) throw new PredlabError('not-found', `No dataset with id ${id}.`);
  return toDataset(row);
}

export function findDataset(db: Db, name: string): DatasetInfo | null {
  const row = db.prepare(`${SELECT_DATASETS} WHERE d.name = ? GROUP BY d.id`).get(name) as DatasetRow | undefined;
  return row ? toDataset(row) : null;
}

export function getDataset(db: Db, name: string): DatasetInfo {
  const d = findDataset(db, name);
  if (!d) {
    const names = listDatasets(db).map((x) => x.name);
    throw new PredlabError('not-found', `No dataset named '${name}'.${names.length ? ` Datasets: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', ...' : ''}.` : ' There are no datasets yet (`predlab dataset import`).'}`);
  }
  return d;
}

export function listDatasets(db: Db): DatasetInfo[] {
  return (db.prepare(`${SELECT_DATASETS} GROUP BY d.id ORDER BY d.name`).all() as DatasetRow[]).map(toDataset);
}

/** Recordings of a dataset in the order they were made (the order of every export). */
export function listRecordings(db: Db, dataFolder: string, datasetId: number): RecordingInfo[] {
  return (db.prepare('SELECT * FROM recordings WHERE dataset_id = ? ORDER BY id').all(datasetId) as RecordingRow[]).map((r) => toRecording(dataFolder, r));
}

/**
 * The recordings that may be read as data (exports, training): finished ('complete') or cut
 * short and counted ('truncated'), with frames. One still 'recording' is being made, or was left
 * by a process that died and is resolved at the next start-up: never read.
 */
export function readableRecordings(db: Db, dataFolder: string, datasetId: number): RecordingInfo[] {
  return listRecordings(db, dataFolder, datasetId).filter((r) => r.status !== 'recording' && r.frames > 0);
}

export function getRecording(db: Db, dataFolder: string, id: number): RecordingInfo {
  const row = db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as RecordingRow | undefined;
  if (!row) throw new PredlabError('not-found', `No recording with id ${id}.`);
  return toRecording(dataFolder, row);
}

/** The lab's data folder: the database's own folder (as for every other file the lab keeps). */
export const dataFolderOf = (db: Db) => path.dirname(path.resolve(db.name));

export const datasetFolder = (dataFolder: string, datasetId: number) => path.join(dataFolder, DATASETS_FOLDER, String(datasetId));

/** What starts a recording: a capture ('recording') or an import (which may know its frame count and may have made the dataset). */
export interface RecordingJob {
  kind: 'recording' | 'import';
  expectedFrames?: number | null;
  createdDatasetId?: number;
}

/**
 * Start a recording (an empty frame file, its row and its job's row, in one transaction); frames
 * follow with appendFrames. Left unfinished by a process that died, it is resolved at the next
 * start-up (main/services/recovery.ts).
 */
export function startRecording(db: Db, dataFolder: string, datasetName: string, source: string, job: RecordingJob = { kind: 'recording' }): RecordingInfo {
  const d = getDataset(db, datasetName);
  if (d.recordings >= DATASET_LIMITS.recordingsPerDataset)
    throw new PredlabError('invalid-argument', `Dataset '${d.name}' already holds ${d.recordings} recordings (the limit); make another dataset.`);
  const folder = datasetFolder(dataFolder, d.id);
  fs.mkdirSync(folder, { recursive: true });
  const id = db.transaction(() => {
    const rid = Number(db.prepare("INSERT INTO recordings (dataset_id, file, source) VALUES (?, '', ?)").run(d.id, source.slice(0, 1000)).lastInsertRowid);
    const rel = path.join(DATASETS_FOLDER, String(d.id), `${rid}.u8`);
    // 'w': a stale file of a deleted recording with this id is emptied.
    fs.closeSync(fs.openSync(path.join(dataFolder, rel), 'w'));
    db.prepare('UPDATE recordings SET file = ? WHERE id = ?').run(rel, rid);
    beginJob(db, { kind: job.kind, recordingId: rid, expectedFrames: job.expectedFrames ?? null, ...(job.createdDatasetId !== undefined ? { createdDatasetId: job.createdDatasetId } : {}), target: `dataset '${d.name}'` });
    return rid;
  })();
  return getRecording(db, dataFolder, id);
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/**
 * Append whole frames (uint8, frame after frame) to a recording that is still being made.
 * On a full disk the frames that fit are kept, the recording is marked 'truncated', and a
 * 'storage' error says how many frames were kept.
 */
export function appendFrames(db: Db, dataFolder: string, recordingId: number, chunk: Uint8Array): RecordingInfo {
  const rec = getRecording(db, dataFolder, recordingId);
  const d = getDatasetById(db, rec.datasetId);
  const fb = frameBytes(d);
  if (rec.status !== 'recording') throw new PredlabError('conflict', `Recording ${rec.id} is ${rec.status}; frames can only be added while it is being made.`);
  if (chunk.length === 0 || chunk.length % fb !== 0)
    throw new PredlabError('invalid-argument', `A chunk must hold whole ${d.height}x${d.width}x${d.channels} frames (${fb} bytes each); got ${chunk.length} bytes.`);
  if (chunk.length > DATASET_LIMITS.chunkBytes) throw new PredlabError('invalid-argument', `A chunk may hold at most ${DATASET_LIMITS.chunkBytes / 2 ** 20} MiB; got ${(chunk.length / 2 ** 20).toFixed(1)} MiB.`);
  const n = chunk.length / fb;
  if (rec.frames + n > DATASET_LIMITS.framesPerRecording)
    throw new PredlabError('invalid-argument', `A recording holds at most ${DATASET_LIMITS.framesPerRecording} frames; recording ${rec.id} has ${rec.frames} and the chunk ${n} more.`);
  const committed = rec.frames * fb;
  const fd = fs.openSync(rec.file, 'r+');
  let written = 0;
  try {
    // Bytes past the committed frames are leftovers of an interrupted append.
    if (fs.fstatSync(fd).size !== committed) fs.ftruncateSync(fd, committed);
    while (written < chunk.length) written += fs.writeSync(fd, chunk, written, chunk.length - written, committed + written);
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const kept = rec.frames + Math.floor(written / fb);
    try {
      fs.ftruncateSync(fd, kept * fb);
    } catch {
      /* the count below still bounds what is read */
    }
    fs.closeSync(fd);
    db.transaction(() => {
      db.prepare("UPDATE recordings SET frames = ?, status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(kept, DISK_FULL.has(code) ? 'truncated' : rec.status, rec.id);
      if (DISK_FULL.has(code)) endRecordingJob(db, rec.id, 'failed', `the disk is full; ${kept} frame(s) kept`);
    })();
    if (DISK_FULL.has(code))
      throw new PredlabError('storage', `The disk is full: recording ${rec.id} of '${d.name}' keeps the ${kept} frame(s) written so far (${rec.file}); the rest of this chunk was not saved. Free some space to record more.`);
    throw new PredlabError('storage', `Cannot write frames to ${rec.file}: ${(e as Error).message}. Recording ${rec.id} keeps its ${kept} frame(s).`);
  }
  fs.closeSync(fd);
  db.prepare("UPDATE recordings SET frames = frames + ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(n, rec.id);
  return { ...rec, frames: rec.frames + n };
}

/** Close a recording: no more frames; an empty one is removed (returns null). */
export function finishRecording(db: Db, dataFolder: string, recordingId: number): RecordingInfo | null {
  const rec = getRecording(db, dataFolder, recordingId);
  if (rec.frames === 0) {
    removeRecording(db, dataFolder, recordingId);
    return null;
  }
  db.transaction(() => {
    if (rec.status === 'recording') db.prepare("UPDATE recordings SET status = 'complete', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(rec.id);
    endRecordingJob(db, rec.id, 'done');
  })();
  return getRecording(db, dataFolder, recordingId);
}

/**
 * Remove one recording and its frames (a failed or cancelled import, or the user's choice). The
 * file is emptied first, so a full disk gets its space back before the row is deleted; if the
 * row cannot be deleted, the recording's job stays 'running' and the next start-up removes it.
 */
export function removeRecording(db: Db, dataFolder: string, recordingId: number, state: 'failed' | 'cancelled' = 'failed'): void {
  const rec = getRecording(db, dataFolder, recordingId);
  if (rec.status === 'recording') fs.truncateSync(rec.file, 0);
  db.transaction(() => {
    endRecordingJob(db, rec.id, state, `recording ${rec.id} removed`);
    db.prepare('DELETE FROM recordings WHERE id = ?').run(rec.id);
  })();
  fs.rmSync(rec.file, { force: true });
}

/** Delete a dataset, its recordings and their frame files. (Callers ask the user first.) */
export function deleteDataset(db: Db, dataFolder: string, name: string): DeletedDatasetView {
  const d = getDataset(db, name);
  db.transaction(() => {
    db.prepare('DELETE FROM recordings WHERE dataset_id = ?').run(d.id);
    db.prepare('DELETE FROM datasets WHERE id = ?').run(d.id);
  })();
  const folder = datasetFolder(dataFolder, d.id);
  try {
    fs.rmSync(folder, { recursive: true, force: true });
  } catch (e) {
    throw new PredlabError('storage', `Dataset '${name}' was deleted from the lab, but its frame files in ${folder} could not be removed (${(e as Error).message}); delete that folder by hand.`);
  }
  return { name: d.name, recordings: d.recordings, frames: d.frames, bytes: d.bytes };
}

/**
 * Read `count` frames of a recording from frame `start`, into `out` when given (reused buffers
 * keep a long export or a training run from allocating per batch).
 */
export function readFrames(rec: { file: string; frames: number; id: number }, fb: number, start: number, count: number, out?: Uint8Array): Uint8Array {
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= rec.frames))
    throw new RangeError(`Frames ${start}..${start + count} lie outside recording ${rec.id} (${rec.frames} frames).`);
  const buf = out ?? new Uint8Array(count * fb);
  const fd = fs.openSync(rec.file, 'r');
  try {
    let got = 0;
    const want = count * fb;
    while (got < want) {
      const n = fs.readSync(fd, buf, got, want - got, start * fb + got);
      if (n === 0) throw new PredlabError('storage', `${rec.file} is shorter than its ${rec.frames} recorded frames; the file was changed outside PredLab.`);
      got += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return buf;
}
