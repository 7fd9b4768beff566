/**
 * Video for training from .npy files: frames (N, H, W, C) with an optional recording id per frame,
 * or clips (S, T, H, W, C), each clip its own recording. uint8 0..255 or float32 0..1. Frames of
 * another size are resized to the model's height and centre-cropped to its width, as PredNet's
 * KITTI preprocessing did.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NpyError, readNpy } from '../npy.js';
import type { VideoData } from './data.js';

export interface LoadedVideo extends VideoData {
  source: { frames: string; recordings: string | null; originalShape: number[]; resized: boolean };
}

function toUint8(data: Uint8Array | Float32Array | Int32Array, file: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof Int32Array) throw new NpyError(`${file} holds int32 values; frames must be uint8 (0-255) or float32 (0-1).`);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= -1e-6 && v <= 1 + 1e-6)) throw new NpyError(`${file}: float frames must lie in [0, 1]; found ${v} at index ${i}.`);
    out[i] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  return out;
}

/** Resize (bilinear) to the target height, keeping the aspect ratio, then centre-crop the width. Reads are awaited (WebGPU has no synchronous one in Node). */
export async function fitFrames(frames: Uint8Array, count: number, h: number, w: number, c: number, H: number, W: number): Promise<Uint8Array> {
  if (h === H && w === W) return frames;
  const newW = Math.max(W, Math.round((w * H) / h));
  const x0 = Math.floor((newW - W) / 2);
  const out = new Uint8Array(count * H * W * c);
  const chunk = 64;
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    const part = tf.tidy(() => {
      const x = tf.tensor4d(frames.subarray(s * h * w * c, (s + n) * h * w * c), [n, h, w, c], 'int32');
      const resized = tf.image.resizeBilinear(tf.cast(x, 'float32') as tf.Tensor4D, [H, newW], true);
      return tf.cast(tf.round(tf.clipByValue(tf.slice(resized, [0, 0, x0, 0], [n, H, W, c]), 0, 255)), 'int32');
    });
    out.set(Uint8Array.from(await part.data()), s * H * W * c);
    part.dispose();
  }
  return out;
}

export async function loadVideo(framesFile: string, recordingsFile: string | null, target: { height: number; width: number; channels: number }): Promise<LoadedVideo> {
  const a = readNpy(framesFile);
  let count: number;
  let recordings: Int32Array;
  const [h, w, c] = a.shape.slice(-3) as [number, number, number];
  if (a.shape.length === 4) {
    count = a.shape[0]!;
    if (recordingsFile) {
      const r = readNpy(recordingsFile);
      if (r.shape.length !== 1 || r.shape[0] !== count) throw new NpyError(`${recordingsFile} must hold one recording id per frame: shape (${count},), got (${r.shape.join(', ')}).`);
      recordings = Int32Array.from(r.data as ArrayLike<number>);
    } else recordings = new Int32Array(count);
  } else if (a.shape.length === 5) {
    if (recordingsFile) throw new NpyError(`${framesFile} holds clips (S, T, H, W, C): each clip is a recording, so --recordings is not used.`);
    const [S, T] = a.shape as [number, number];
    count = S * T;
    recordings = Int32Array.from({ length: count }, (_, i) => Math.floor(i / T));
  } else throw new NpyError(`${framesFile} has shape (${a.shape.join(', ')}); expected frames (N, H, W, C) or clips (S, T, H, W, C).`);
  if (c !== target.channels) throw new NpyError(`${framesFile} has ${c} channel(s); the model takes ${target.channels}.`);
  if (count < 2) throw new NpyError(`${framesFile} holds ${count} frame(s); training needs sequences.`);
  const frames = await fitFrames(toUint8(a.data, framesFile), count, h, w, c, target.height, target.width);
  return {
    frames,
    count,
    height: target.height,
    width: target.width,
    channels: c,
    recordings,
    source: { frames: framesFile, recordings: recordingsFile, originalShape: a.shape, resized: h !== target.height || w !== target.width },
  };
}
