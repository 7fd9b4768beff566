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
  /**
   * Per colour channel, over the predicted frames (1..nt-1): the mean absolute pixel error of the
   * model and of copying the last frame, and the mean value of the frames and of the model's
   * predictions (a model that loses colour predicts the channels' means alike). Model fields are
   * null without a model.
   */
  perChannel: { modelAbsError: number[] | null; copyLastAbsError: number[]; frameMean: number[]; predictionMean: number[] | null };
}

/** Sequences scored per forward pass: bounds memory whatever the number of sequences. */
const CHUNK = 4;
export const MAX_SCORED_SEQUENCES = 10_000;

/** Reads are awaited: the WebGPU engine cannot read synchronously in Node. */
export async function predictionScores(v: VideoData, starts: number[], nt: number, net?: PredNet): Promise<PredictionScores> {
  if (starts.length === 0) throw new RangeError('No sequence to score.');
  if (starts.length > MAX_SCORED_SEQUENCES) throw new RangeError(`At most ${MAX_SCORED_SEQUENCES} sequences can be scored at once; got ${starts.length}.`);
  if (nt < 2) throw new RangeError(`Sequences need at least 2 frames to score a prediction; got ${nt}.`);
  const C = v.channels;
  const sums = { copy: new Array<number>(C).fill(0), model: new Array<number>(C).fill(0), frame: new Array<number>(C).fill(0), pred: new Array<number>(C).fill(0) };
  for (let i = 0; i < starts.length; i += CHUNK) {
    const part = starts.slice(i, i + CHUNK);
    // Per-channel means of this chunk (rows: copy-last |error|, frames[, model |error|, predictions]).
    const means = tf.tidy(() => {
      const x = tf.tensor5d(batchOf(v, part, nt), [part.length, nt, v.height, v.width, C]);
      const later = (t: tf.Tensor) => tf.slice(t, [0, 1, 0, 0, 0], [-1, nt - 1, -1, -1, -1]);
      const actual = later(x);
      const perChannel = (a: tf.Tensor) => tf.mean(a, [0, 1, 2, 3]);
      const rows = [perChannel(tf.abs(tf.sub(tf.slice(x, [0, 0, 0, 0, 0], [-1, nt - 1, -1, -1, -1]), actual))), perChannel(actual)];
      if (net) {
        const predicted = later(net.run(x, 'prediction'));
        rows.push(perChannel(tf.abs(tf.sub(predicted, actual))), perChannel(predicted));
      }
      return tf.stack(rows);
    });
    const m = await means.data();
    means.dispose();
    for (let c = 0; c < C; c++) {
      sums.copy[c]! += m[c]! * part.length;
      sums.frame[c]! += m[C + c]! * part.length;
      if (net) {
        sums.model[c]! += m[2 * C + c]! * part.length;
        sums.pred[c]! += m[3 * C + c]! * part.length;
      }
    }
  }
  const perSequence = (xs: number[]) => xs.map((x) => x / starts.length);
  const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const copyLastAbsError = perSequence(sums.copy);
  const modelAbsError = net ? perSequence(sums.model) : null;
  // E0 holds both halves of the error: its mean is half the mean absolute error.
  return {
    model: modelAbsError ? average(modelAbsError) / 2 : null,
    copyLastFrame: average(copyLastAbsError) / 2,
    sequences: starts.length,
    perChannel: { modelAbsError, copyLastAbsError, frameMean: perSequence(sums.frame), predictionMean: net ? perSequence(sums.pred) : null },
  };
}
