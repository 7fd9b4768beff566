/**
 * Training video: frames (count, H, W, C) uint8 and a recording id per frame. Sequences of nt
 * frames never cross a recording boundary (as PredNet's SequenceGenerator); the validation set
 * is made of whole recordings. The trainer reads frames through a FrameSource: an array in
 * memory (VideoData) or a reader over files (file-frames.ts), so a dataset need not fit in memory.
 */
import { createRng, shuffled, subSeed } from '../../paradigms/rng.js';

export interface VideoData {
  frames: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Recording id of every frame (contiguous runs). */
  recordings: Int32Array;
}

/** Frames read on demand: the trainer asks for one sequence at a time. */
export interface FrameSource {
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Recording id of every frame (contiguous runs). */
  recordings: Int32Array;
  /**
   * Frames [start, start + n) as uint8, frame after frame. The returned view may be reused by the
   * next read (a file reader keeps one buffer): copy what must outlive it.
   */
  read(start: number, n: number): Uint8Array;
}

/** Either kind of training video. */
export type TrainingVideo = VideoData | FrameSource;

export const frameBytesOf = (v: { height: number; width: number; channels: number }) => v.height * v.width * v.channels;

/** In-memory video as a FrameSource (views into its array, no copy). */
export function memorySource(v: VideoData): FrameSource {
  const fb = frameBytesOf(v);
  return {
    count: v.count,
    height: v.height,
    width: v.width,
    channels: v.channels,
    recordings: v.recordings,
    read(start, n) {
      if (!(Number.isInteger(start) && Number.isInteger(n) && start >= 0 && n >= 0 && start + n <= v.count))
        throw new RangeError(`Frames ${start}..${start + n} lie outside the video (${v.count} frames).`);
      return v.frames.subarray(start * fb, (start + n) * fb);
    },
  };
}

export const asFrameSource = (v: TrainingVideo): FrameSource => ('read' in v ? v : memorySource(v));

export function validateVideo(v: TrainingVideo): void {
  if (!('frames' in v)) {
    if (v.recordings.length !== v.count) throw new RangeError(`Recording ids: ${v.recordings.length} given for ${v.count} frames.`);
    return;
  }
  const { count, height, width, channels } = v;
  if (v.frames.length !== count * height * width * channels)
    throw new RangeError(`Video data holds ${v.frames.length} values, not ${count}x${height}x${width}x${channels}.`);
  if (v.recordings.length !== count) throw new RangeError(`Recording ids: ${v.recordings.length} given for ${count} frames.`);
}

/** First frames of every nt-long window inside one recording. */
/** At most n of the items, evenly spaced from the first (all of them when there are n or fewer): fixed validation and scoring sets. */
export function evenlySpaced<T>(items: readonly T[], n: number): T[] {
  const k = Math.min(n, items.length);
  return Array.from({ length: k }, (_, i) => items[Math.floor((i * items.length) / k)]!);
}

export function sequenceStarts(recordings: Int32Array, nt: number, only?: Set<number>): number[] {
  const starts: number[] = [];
  for (let i = 0; i + nt <= recordings.length; i++) {
    const r = recordings[i]!;
    if (recordings[i + nt - 1] !== r) continue;
    if (only && !only.has(r)) continue;
    // Contiguous recordings: equal ids at both ends mean no boundary in between.
    starts.push(i);
  }
  return starts;
}

export interface Split {
  train: number[];
  validation: number[];
  trainRecordings: number[];
  validationRecordings: number[];
}

/**
 * Whole recordings go to validation (about `fraction` of them, at least one when there are two
 * or more). A single recording is cut in time: its last `fraction` becomes a separate recording.
 */
export function splitByRecording(v: { recordings: Int32Array }, nt: number, fraction: number, seed: number): Split {
  let recordings = v.recordings;
  const ids = [...new Set(recordings)];
  if (ids.length === 1) {
    recordings = recordings.slice();
    const cut = Math.floor(recordings.length * (1 - fraction));
    for (let i = cut; i < recordings.length; i++) recordings[i] = ids[0]! + 1;
    ids.push(ids[0]! + 1);
  }
  const nVal = fraction > 0 ? Math.max(1, Math.round(ids.length * fraction)) : 0;
  const order = shuffled(ids, createRng(subSeed(seed, 5)));
  const val = new Set(order.slice(0, nVal));
  const trainIds = ids.filter((r) => !val.has(r));
  const train = sequenceStarts(recordings, nt, new Set(trainIds));
  const validation = sequenceStarts(recordings, nt, val);
  if (train.length === 0) throw new RangeError(`No training sequence of ${nt} frames fits inside one recording; record longer videos or lower nt.`);
  return { train, validation, trainRecordings: trainIds, validationRecordings: [...val] };
}

/** Pixel values of sequences starting at `starts`, as float32 in [0, 1], shape (B, nt, H, W, C). */
export function batchOf(v: TrainingVideo, starts: number[], nt: number): Float32Array {
  const source = asFrameSource(v);
  const frameSize = frameBytesOf(v);
  const out = new Float32Array(starts.length * nt * frameSize);
  starts.forEach((s, b) => {
    const src = source.read(s, nt);
    const o = b * nt * frameSize;
    for (let i = 0; i < src.length; i++) out[o + i] = src[i]! / 255;
  });
  return out;
}
