/** PredNet's training loss (kitti_train.py): weighted mean of the error units over layers and time. */
import * as tf from '@tensorflow/tfjs-core';
import type { PredNet } from '../prednet/model.js';

export type LayerLoss = 'L0' | 'L_all';

export function layerWeights(mode: LayerLoss, layers: number): number[] {
  return [...Array(layers).keys()].map((l) => (l === 0 ? 1 : mode === 'L_all' ? 0.1 : 0));
}

/** 0 for the first step (its prediction is uninformative), 1/(nt-1) after. */
export function timeWeights(nt: number): number[] {
  return [...Array(nt).keys()].map((t) => (t === 0 ? 0 : 1 / (nt - 1)));
}

/**
 * Loss of a batch (B, nt, H, W, C): mean over the batch of sum_t timeW[t] * sum_l layerW[l] * mean(E_l(t)).
 * Not tidied, so it can run under tf.variableGrads.
 */
export function sequenceLoss(net: PredNet, batch: tf.Tensor5D, layerW: number[], timeW: number[]): tf.Scalar {
  const [B, T] = batch.shape;
  let state = net.initialState(B);
  const lw = tf.tensor1d(layerW);
  const terms: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const s = net.step(frameOf(batch, t), state, null);
    state = s.state;
    if (timeW[t]) terms.push(stepLossTerm(s.errors, lw, timeW[t]!));
  }
  return tf.mean(tf.addN(terms)) as tf.Scalar;
}

/** One step's contribution per sequence: timeW * sum_l layerW[l] * mean(E_l), shape (B). */
export function stepLossTerm(errors: tf.Tensor2D, layerW: tf.Tensor1D, timeW: number): tf.Tensor1D {
  return tf.mul(tf.sum(tf.mul(errors, layerW), 1), timeW);
}

/**
 * Frame t of every sequence of a batch (B, T, H, W, C), as (B, H, W, C). Sliced through a 2-D view:
 * tfjs-backend-wasm slices rank-5 tensors element by element in JavaScript (~0.1 s per frame of a
 * small-config batch), rank 2 by one copy per sequence.
 */
export function frameOf(batch: tf.Tensor5D, t: number): tf.Tensor4D {
  const [B, T, H, W, C] = batch.shape;
  const size = H * W * C;
  return tf.reshape(tf.slice(tf.reshape(batch, [B, T * size]), [0, t * size], [B, size]), [B, H, W, C]);
}
