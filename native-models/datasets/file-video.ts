/**
 * A dataset's recordings as training video without loading them: frames are read from the raw
 * uint8 files (one per recording, frame after frame) when a batch asks for them.
 *
 * The trainer reads `VideoData.frames` only through `.length` and `.subarray(begin, end)` (see
 * batchOf in training/data.ts), so this object offers exactly those two, each subarray call
 * being one positioned file read. Until the trainer takes a frame reader of its own, it is
 * passed where a Uint8Array is expected; anything else done with it throws, naming this file.
 */
import fs from 'node:fs';
import type { VideoData } from '../training/data.js';

export interface RecordingFile {
  file: string;
  frames: number;
}

export interface FileVideo extends VideoData {
  /** Bytes read from disk so far (for throughput reports). */
  readonly bytesRead: () => number;
  close(): void;
}

class FileFrames {
  private readonly fds: number[];
  /** First global byte offset of each recording, and the total. */
  private readonly offsets: number[];
  bytesRead = 0;
  readonly length: number;

  constructor(private readonly recordings: RecordingFile[], frameSize: number) {
    this.offsets = [0];
    for (const r of recordings) this.offsets.push(this.offsets.at(-1)! + r.frames * frameSize);
    this.length = this.offsets.at(-1)!;
    this.fds = [];
    try {
      for (const r of recordings) {
        const fd = fs.openSync(r.file, 'r');
        this.fds.push(fd);
        if (fs.fstatSync(fd).size < r.frames * frameSize) throw new RangeError(`${r.file} holds fewer bytes than its ${r.frames} frames; the dataset is damaged.`);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Bytes [begin, end) of the concatenated recordings, read from their files. */
  subarray(begin: number, end: number): Uint8Array {
    if (!(begin >= 0 && end >= begin && end <= this.length)) throw new RangeError(`Frame bytes ${begin}..${end} lie outside the dataset (${this.length} bytes).`);
    const out = new Uint8Array(end - begin);
    let pos = begin;
    // Recording holding `pos`: the last offset <= pos (binary search).
    let lo = 0;
    let hi = this.recordings.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    for (let r = lo; pos < end; r++) {
      const stop = Math.min(end, this.offsets[r + 1]!);
      let got = 0;
      while (got < stop - pos) {
        const n = fs.readSync(this.fds[r]!, out, pos - begin + got, stop - pos - got, pos - this.offsets[r]! + got);
        if (n === 0) throw new RangeError(`${this.recordings[r]!.file} ended early; the dataset is damaged.`);
        got += n;
      }
      pos = stop;
    }
    this.bytesRead += out.length;
    return out;
  }

  close(): void {
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
  }
}

/** Training video over recording files (each its own recording id, in the given order). */
export function openFileVideo(recordings: RecordingFile[], shape: { height: number; width: number; channels: number }): FileVideo {
  const frameSize = shape.height * shape.width * shape.channels;
  const count = recordings.reduce((s, r) => s + r.frames, 0);
  const ids = new Int32Array(count);
  let i = 0;
  recordings.forEach((r, k) => {
    ids.fill(k, i, i + r.frames);
    i += r.frames;
  });
  const frames = new FileFrames(recordings, frameSize);
  const guarded = new Proxy(frames, {
    get(target, prop, receiver) {
      if (prop === 'length' || prop === 'bytesRead') return Reflect.get(target, prop, receiver);
      if (prop === 'subarray') return target.subarray.bind(target);
      throw new TypeError(`Dataset frames are read from disk on demand (native-models/datasets/file-video.ts): only .length and .subarray() are offered, not .${String(prop)}.`);
    },
  });
  return {
    // See the header: a reader standing in for the array the trainer indexes by subarray.
    frames: guarded as unknown as Uint8Array,
    count,
    recordings: ids,
    height: shape.height,
    width: shape.width,
    channels: shape.channels,
    bytesRead: () => frames.bytesRead,
    close: () => frames.close(),
  };
}
