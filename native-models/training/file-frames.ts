/**
 * Training video read from recording files on demand: one raw uint8 file per recording (frame
 * after frame, H x W x C), as the dataset store writes them. Nothing but the recording lengths is
 * held in memory; each read fills one buffer that is reused, so the reader's memory is the
 * largest read asked for (one sequence: nt frames), capped at READ_LIMITS.bufferBytes.
 */
import fs from 'node:fs';
import { frameBytesOf, type FrameSource } from './data.js';

export interface RecordingFile {
  file: string;
  frames: number;
}

export const READ_LIMITS = {
  /** The one read buffer: a sequence of nt frames must fit (KITTI size: 1,092 frames). */
  bufferBytes: 64 * 2 ** 20,
  /** Recordings in one video (the dataset store's own limit). */
  recordings: 100_000,
} as const;

export interface FileFrameSource extends FrameSource {
  /** Bytes read from disk so far. */
  bytesRead(): number;
  /** Size of the reused read buffer now (the reader's memory). */
  bufferBytes(): number;
}

/** Recordings in the given order, recording ids 0, 1, ... Files are checked to hold their frames before any read. */
export function openRecordingFiles(recordings: RecordingFile[], shape: { height: number; width: number; channels: number }, limits: { bufferBytes?: number } = {}): FileFrameSource {
  const fb = frameBytesOf(shape);
  const maxBuffer = limits.bufferBytes ?? READ_LIMITS.bufferBytes;
  if (recordings.length > READ_LIMITS.recordings) throw new RangeError(`At most ${READ_LIMITS.recordings} recordings can be read; got ${recordings.length}.`);
  for (const r of recordings) {
    if (!(Number.isInteger(r.frames) && r.frames >= 0)) throw new RangeError(`${r.file}: ${r.frames} is not a frame count.`);
    let size: number;
    try {
      size = fs.statSync(r.file).size;
    } catch {
      throw new RangeError(`The frame file ${r.file} is missing; the dataset was changed outside PredLab.`);
    }
    if (size < r.frames * fb) throw new RangeError(`${r.file} holds ${Math.floor(size / fb)} frames, fewer than its ${r.frames} recorded; the dataset was changed outside PredLab.`);
  }
  // First global frame of each recording, and the total.
  const firsts = [0];
  for (const r of recordings) firsts.push(firsts.at(-1)! + r.frames);
  const count = firsts.at(-1)!;
  const ids = new Int32Array(count);
  recordings.forEach((r, k) => ids.fill(k, firsts[k]!, firsts[k + 1]!));
  let buffer = new Uint8Array(0);
  let bytesRead = 0;

  /** The recording holding global frame f: the last first-frame <= f (binary search). */
  const recordingOf = (f: number): number => {
    let lo = 0;
    let hi = recordings.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (firsts[mid]! <= f) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  function read(start: number, n: number): Uint8Array {
    if (!(Number.isInteger(start) && Number.isInteger(n) && start >= 0 && n >= 0 && start + n <= count))
      throw new RangeError(`Frames ${start}..${start + n} lie outside the video (${count} frames).`);
    const want = n * fb;
    if (want > maxBuffer) throw new RangeError(`A read of ${n} frames (${want} bytes) exceeds the reader's ${maxBuffer}-byte buffer; use shorter sequences.`);
    if (buffer.length < want) buffer = new Uint8Array(want);
    let f = start;
    for (let r = n > 0 ? recordingOf(start) : 0; f < start + n; r++) {
      const stop = Math.min(start + n, firsts[r + 1]!);
      if (stop <= f) continue; // an empty recording
      const fd = fs.openSync(recordings[r]!.file, 'r');
      try {
        let got = 0;
        const len = (stop - f) * fb;
        while (got < len) {
          const k = fs.readSync(fd, buffer, (f - start) * fb + got, len - got, (f - firsts[r]!) * fb + got);
          if (k === 0) throw new RangeError(`${recordings[r]!.file} ended early; the dataset was changed outside PredLab.`);
          got += k;
        }
      } finally {
        fs.closeSync(fd);
      }
      f = stop;
    }
    bytesRead += want;
    return buffer.subarray(0, want);
  }

  return { count, height: shape.height, width: shape.width, channels: shape.channels, recordings: ids, read, bytesRead: () => bytesRead, bufferBytes: () => buffer.length };
}
