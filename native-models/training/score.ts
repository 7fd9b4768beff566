/**
 * How well a PredNet predicts, against the simplest predictor there is: copying the last frame.
 * Both are in the units of the L0 training loss: the mean of E0 over frames 1..nt-1. E0 holds the
 * positive and negative halves of the error, so its mean is half the mean absolute pixel error.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PredNet } from '../prednet/model.js';
import { batchOf, type VideoData } from './data.js';

export interface PredictionScores {
  /** Mean |E0| of the model's predictions (null when no model was given). */
  model: number | null;
  /** Mean |E0| of predicting each frame by the one before it. */
  copyLastFrame: number;
  sequences: number;
}

/** Sequences scored per forward pass: bounds memory whatever the number of sequences. */
const CHUNK = 4;
export const MAX_SCORED_SEQUENCES = 10_000;

/** Reads are awaited: the WebGPU engine cannot read synchronously in Node. */
export async function predictionScores(v: VideoData, starts: number[], nt: number, net?: PredNet): Promise<PredictionScores> {
  if (starts.length === 0) throw new RangeError('No sequence to score.');
  if (starts.length > MAX_SCORED_SEQUENCES) throw new RangeError(`At most ${MAX_SCORED_SEQUENCES} sequences can be scored at once; got ${starts.length}.`);
  if (nt < 2) throw new RangeError(`Sequences need at least 2 frames to score a prediction; got ${nt}.`);
  let model = 0;
  let copy = 0;
  for (let i = 0; i < starts.length; i += CHUNK) {
    const part = starts.slice(i, i + CHUNK);
    const means = tf.tidy(() => {
      const x = tf.tensor5d(batchOf(v, part, nt), [part.length, nt, v.height, v.width, v.channels]);
      const later = (t: tf.Tensor) => tf.slice(t, [0, 1, 0, 0, 0], [-1, nt - 1, -1, -1, -1]);
      const actual = later(x);
      const meanAbs = (a: tf.Tensor) => tf.mean(tf.abs(tf.sub(a, actual)));
      const copied = meanAbs(tf.slice(x, [0, 0, 0, 0, 0], [-1, nt - 1, -1, -1, -1]));
      return net ? tf.stack([copied, meanAbs(later(net.run(x, 'prediction')))]) : tf.stack([copied]);
    });
    const [c, m] = await means.data();
    means.dispose();
    copy += (c! / 2) * part.length;
    if (net) model += (m! / 2) * part.length;
  }
  return { model: net ? model / starts.length : null, copyLastFrame: copy / starts.length, sequences: starts.length };
}
