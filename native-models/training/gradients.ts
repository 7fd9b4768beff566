/**
 * The loss gradient of one batch, whole (tf.variableGrads over sequenceLoss: every time step's
 * activations live until the backward pass) or with gradient checkpointing over time steps:
 * a forward pass without a tape keeps only the recurrent state at the start of each segment of
 * k steps; then, last segment first, each segment's forward is recomputed under a tape and
 * differentiated. The state gradient flows between segments through the vector-Jacobian
 * identity d<out, g>/d(in) = J^T g: a segment's objective is its loss plus the sum of its output
 * state times the gradient the later segments gave that state. Exact (the same sums in another
 * order); costs one extra forward pass; holds k steps' activations instead of nt.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layerCount, type PredNetConfig } from '../prednet/config.js';
import type { PredNet, State } from '../prednet/model.js';
import { frameOf, sequenceLoss, stepLossTerm } from './loss.js';

export interface LossAndGrads {
  loss: tf.Scalar;
  /** In the order of net.trainableVariables. */
  grads: tf.Tensor[];
}

/**
 * Bytes one time step of one sequence adds to a thread's heap while its gradient is computed.
 * Counted from PredNet.step (per layer: the gate input and its convolution, the gate
 * nonlinearities and cell update ~ 21R floats, the prediction and error units ~ 12S, the
 * upsampled top-down input, the next layer's target), then scaled by 2.8, the ratio measured on
 * the wasm heap (the tape keeps operands as well as results; gradients pile up in the backward
 * pass): small config 25 MB per sequence-step measured, 9 MB counted.
 */
export function activationBytesPerStep(cfg: PredNetConfig): number {
  let floats = 0;
  for (let l = 0; l < layerCount(cfg); l++) {
    const hw = (cfg.height / 2 ** l) * (cfg.width / 2 ** l);
    const R = cfg.rStackSizes[l]!;
    const S = cfg.stackSizes[l]!;
    floats += hw * (24 * R + 12 * S + 2 * (cfg.rStackSizes[l + 1] ?? 0) + (cfg.stackSizes[l + 1] ?? 0));
  }
  return Math.round(floats * 4 * 2.8);
}

/** Activation memory one gradient thread may use before checkpointing starts (the wasm heap is 4 GB and does not shrink). */
export const ACTIVATION_BUDGET = 1.5 * 2 ** 30;

/**
 * Steps per checkpoint segment: as many as fit the budget (recomputation costs one forward pass
 * whatever the segment length), null when all nt fit (no checkpointing).
 * `setting`: 'auto', 'off', or a segment length.
 */
export function segmentSteps(cfg: PredNetConfig, sequences: number, nt: number, setting: 'auto' | 'off' | number, budget = ACTIVATION_BUDGET): number | null {
  if (setting === 'off') return null;
  if (typeof setting === 'number') return setting >= nt ? null : setting;
  const k = Math.max(1, Math.floor(budget / (activationBytesPerStep(cfg) * sequences)));
  return k >= nt ? null : k;
}

const flat = (s: State): tf.Tensor[] => [...s.r, ...s.c, ...s.e];
function unflat(ts: tf.Tensor[], L: number): State {
  return { r: ts.slice(0, L) as tf.Tensor4D[], c: ts.slice(L, 2 * L) as tf.Tensor4D[], e: ts.slice(2 * L, 3 * L) as tf.Tensor4D[] };
}

/** Loss (mean over the batch, as sequenceLoss) and its gradient; `segment` null: no checkpointing. */
export function lossAndGrads(net: PredNet, batch: tf.Tensor5D, layerW: number[], timeW: number[], segment: number | null): LossAndGrads {
  const vars = net.trainableVariables;
  if (segment === null) {
    const { value, grads } = tf.variableGrads(() => sequenceLoss(net, batch, layerW, timeW), vars);
    return { loss: value, grads: vars.map((v) => grads[v.name]!) };
  }
  const [B, T] = batch.shape;
  const L = net.layers;
  const frameAt = (t: number) => frameOf(batch, t);
  const lw = tf.tensor1d(layerW);
  const bounds: number[] = [];
  for (let t = 0; t < T; t += segment) bounds.push(t);
  // Forward without a tape: the state entering every segment.
  const entry: tf.Tensor[][] = [flat(net.initialState(B))];
  const disposeLater: tf.Tensor[] = [lw, ...entry[0]!];
  try {
    for (let j = 1; j < bounds.length; j++) {
      const next = tf.tidy(() => {
        let state = unflat(entry[j - 1]!, L);
        for (let t = bounds[j - 1]!; t < bounds[j]!; t++) state = net.step(frameAt(t), state, null).state;
        return flat(state);
      });
      entry.push(next);
      disposeLater.push(...next);
    }
    let stateGrad: tf.Tensor[] | null = null;
    let varGrads: tf.Tensor[] | null = null;
    let loss: tf.Scalar = tf.scalar(0);
    for (let j = bounds.length - 1; j >= 0; j--) {
      const from = bounds[j]!;
      const to = Math.min(T, from + segment);
      const inputs = entry[j]!;
      const g: tf.Tensor[] | null = stateGrad;
      const kept: { loss?: tf.Scalar } = {};
      const { value, grads }: { value: tf.Scalar; grads: tf.Tensor[] } = tf.engine().gradients(
        (): tf.Scalar => {
          let state = unflat(inputs, L);
          const terms: tf.Tensor[] = [];
          for (let t = from; t < to; t++) {
            const s = net.step(frameAt(t), state, null);
            state = s.state;
            if (timeW[t]) terms.push(stepLossTerm(s.errors, lw, timeW[t]!));
          }
          const segLoss = tf.keep(terms.length ? (tf.mean(tf.addN(terms)) as tf.Scalar) : tf.scalar(0));
          kept.loss = segLoss;
          if (!g) return segLoss;
          const out = flat(state);
          return tf.addN([segLoss, ...out.map((o, i) => tf.sum(tf.mul(o, g[i]!)))]) as tf.Scalar;
        },
        [...inputs, ...vars],
        undefined,
        true,
      );
      const segLoss = kept.loss!;
      if (value !== segLoss) value.dispose();
      const prevLoss = loss;
      loss = tf.add(loss, segLoss) as tf.Scalar;
      tf.dispose([prevLoss, segLoss]);
      if (g) tf.dispose(g);
      // Missing entries: no path from that input to the objective (a zero gradient).
      stateGrad = inputs.map((x, i): tf.Tensor => grads[i] ?? tf.zerosLike(x));
      const vg = vars.map((v, i): tf.Tensor => grads[inputs.length + i] ?? tf.zerosLike(v));
      if (!varGrads) varGrads = vg;
      else {
        const sum: tf.Tensor[] = varGrads.map((a, i): tf.Tensor => tf.add(a, vg[i]!));
        tf.dispose([...varGrads, ...vg]);
        varGrads = sum;
      }
    }
    tf.dispose(stateGrad ?? []);
    return { loss, grads: varGrads! };
  } finally {
    tf.dispose(disposeLater);
  }
}
