/**
 * What a person watching a run needs besides the loss: the copy-last-frame baseline in the units
 * of the L0 loss, and small thumbnails of actual vs predicted frames of one sequence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PredNet } from '../prednet/model.js';
import { asFrameSource, frameBytesOf, type TrainingVideo } from './data.js';

/** Thumbnails are at most this wide (frames are shrunk by a whole factor) and show at most this many steps. */
export const PREVIEW_LIMITS = { width: 80, frames: 10 } as const;

export interface Thumbnails {
  width: number;
  height: number;
  channels: number;
  /** Frames shown (the first `frames` steps of the sequence). */
  frames: number;
  /** uint8, frames x height x width x channels each. */
  actual: Uint8Array;
  predicted: Uint8Array;
}

/**
 * Mean |E0| of predicting each frame by the previous one, over steps 1..nt-1 of the sequences:
 * E0 holds both signs of the error, so its mean is half the mean absolute pixel error (in 0-1).
 * Equals the L0 loss a model copying the last frame would get. Plain arithmetic, no engine.
 */
export function copyLastFrameLoss(v: TrainingVideo, starts: number[], nt: number): number {
  const source = asFrameSource(v);
  const fb = frameBytesOf(v);
  let sum = 0;
  for (const s of starts) {
    const x = source.read(s, nt);
    for (let i = fb; i < nt * fb; i++) sum += Math.abs(x[i]! - x[i - fb]!);
  }
  return sum / (starts.length * (nt - 1) * fb * 255 * 2);
}

/** Shrink frames (n, h, w, c) uint8 by a whole factor k (box average). */
function shrink(src: Uint8Array, n: number, h: number, w: number, c: number, k: number): Uint8Array {
  if (k === 1) return src.slice();
  const H = Math.floor(h / k);
  const W = Math.floor(w / k);
  const out = new Uint8Array(n * H * W * c);
  for (let f = 0; f < n; f++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) sum += src[((f * h + y * k + dy) * w + x * k + dx) * c + ch]!;
          out[((f * H + y) * W + x) * c + ch] = Math.round(sum / (k * k));
        }
  return out;
}

/** The sequence starting at `start` and the network's prediction of each of its frames, as thumbnails. */
export async function thumbnails(net: PredNet, v: TrainingVideo, start: number, nt: number): Promise<Thumbnails> {
  const { height: h, width: w, channels: c } = v;
  const frames = Math.min(nt, PREVIEW_LIMITS.frames);
  const actual = asFrameSource(v).read(start, nt).slice(0, frames * h * w * c);
  const y = tf.tidy(() => {
    const x = tf.tensor5d(Float32Array.from(actual, (b) => b / 255), [1, frames, h, w, c]);
    return tf.round(tf.mul(tf.clipByValue(net.run(x, 'prediction'), 0, 1), 255));
  });
  // Awaited read: the WebGPU engine cannot read synchronously in Node.
  const predicted = Uint8Array.from(await y.data());
  y.dispose();
  const k = Math.max(1, Math.ceil(w / PREVIEW_LIMITS.width));
  return { width: Math.floor(w / k), height: Math.floor(h / k), channels: c, frames, actual: shrink(actual, frames, h, w, c, k), predicted: shrink(predicted, frames, h, w, c, k) };
}
