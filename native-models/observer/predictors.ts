/**
 * Next-frame predictors the observer can read out: PredNet; the two reference observers every
 * model result is read beside (copy-last: predicts the last frame it saw, no motion learned;
 * oracle: predicts the true next frame, what a perfect predictor would report given the display);
 * and a per-row velocity extrapolator that validates the readout without PredNet.
 * All take and return (B, T, H, W, C) float32 in [0, 1]; prediction t is made from frames < t.
 */
import * as tf from '@tensorflow/tfjs-core';
import { defaultExtrapStartTime, type Manifest } from '../checkpoint.js';
import { parseOutputMode } from '../prednet/config.js';
import type { PredNet } from '../prednet/model.js';

export interface Shape5 {
  batch: number;
  T: number;
  height: number;
  width: number;
  channels: number;
}

export interface LayerOutput {
  /** (B, T, h, w, c) */
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

export type Predictor = {
  name: string;
  predict(frames: Float32Array, s: Shape5): Promise<Float32Array>;
  /** One layer's units over time (e.g. 'E1', 'R2'), for readouts that read a layer. */
  layer?(frames: Float32Array, s: Shape5, layer: string): Promise<LayerOutput>;
};

/** What a PredNet predictor (on any engine) takes from its checkpoint. */
export interface PredictorOptions {
  manifest?: Pick<Manifest, 'extrapStartTime'> | null;
}

/** The run options for a run of T steps: the checkpoint's extrapStartTime when T reaches it. */
export function checkpointRunOptions(options: PredictorOptions): (T: number) => { extrapStartTime: number | null } {
  return (T) => ({ extrapStartTime: options.manifest ? defaultExtrapStartTime(options.manifest as Manifest, T) : null });
}

/**
 * PredNet as a predictor. Given its checkpoint's manifest, a run uses the checkpoint's own
 * extrapStartTime when the run is long enough to reach it (an extrapolation-finetuned model is
 * meant to be fed its own predictions from that step on), as every other entry point does.
 */
export function prednetPredictor(net: PredNet, name = 'PredNet', options: PredictorOptions = {}): Predictor {
  const runOptions = checkpointRunOptions(options);
  return {
    name,
    async predict(frames, s) {
      const x = tf.tensor5d(frames, [s.batch, s.T, s.height, s.width, s.channels]);
      const y = net.run(x, 'prediction', runOptions(s.T));
      const out = (await y.data()) as Float32Array;
      tf.dispose([x, y]);
      return out;
    },
    async layer(frames, s, layer) {
      const mode = parseOutputMode(layer, net.config);
      if (typeof mode !== 'object') throw new RangeError(`'${layer}' is not a layer; use e.g. R1 or E0.`);
      const x = tf.tensor5d(frames, [s.batch, s.T, s.height, s.width, s.channels]);
      const y = net.run(x, mode, runOptions(s.T));
      const [, , h, w, c] = y.shape as number[];
      const data = (await y.data()) as Float32Array;
      tf.dispose([x, y]);
      return { data, height: h!, width: w!, channels: c! };
    },
  };
}

/** Prediction t = frame t-1 (frame 0 for t = 0). */
export const copyLastFrame: Predictor = {
  name: 'copy last frame',
  async predict(frames, s) {
    const f = s.height * s.width * s.channels;
    const out = new Float32Array(frames.length);
    for (let b = 0; b < s.batch; b++)
      for (let t = 0; t < s.T; t++) out.set(frames.subarray((b * s.T + Math.max(0, t - 1)) * f, (b * s.T + Math.max(0, t - 1) + 1) * f), (b * s.T + t) * f);
    return out;
  },
};

/** Prediction t = frame t itself: the true next frame, what a perfect predictor would give. */
export const oracle: Predictor = {
  name: 'oracle',
  async predict(frames) {
    return frames.slice();
  },
};

export const REFERENCE_KINDS = ['copy-last', 'oracle'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

/** The reference observers, as models are listed: what each predicts, in a sentence. */
export const REFERENCES: Record<ReferenceKind, { predictor: Predictor; label: string; description: string }> = {
  'copy-last': {
    predictor: copyLastFrame,
    label: 'copy-last (reference)',
    description: 'Predicts the last frame it saw: it has learned no motion. An effect it shows comes from the display and the readout, not from prediction.',
  },
  oracle: {
    predictor: oracle,
    label: 'oracle (reference)',
    description: 'Predicts the true next frame: a perfect predictor of the display. What it shows is the display\'s own doing, not an illusion.',
  },
};

export const isReferenceKind = (x: unknown): x is ReferenceKind => typeof x === 'string' && (REFERENCE_KINDS as readonly string[]).includes(x);

function median(xs: Float32Array): number {
  return Float32Array.from(xs).sort()[xs.length >> 1]!;
}

/** Horizontal centroid of |row - background|, or null if the row is empty. */
function rowCentroid(row: Float32Array, bg: number): number | null {
  let m = 0;
  let mx = 0;
  for (let j = 0; j < row.length; j++) {
    const w = Math.abs(row[j]! - bg);
    if (w < 0.02) continue;
    m += w;
    mx += w * (j + 0.5);
  }
  return m > 0.1 ? mx / m : null;
}

/**
 * Each row moves on by the horizontal shift its content made between the last two frames
 * (zero for content that just appeared): objects in different rows keep their own velocities.
 */
export const velocityExtrapolator: Predictor = {
  name: 'velocity extrapolator',
  async predict(frames, s) {
    const { height: H, width: W, channels: C } = s;
    const f = H * W * C;
    const out = new Float32Array(frames.length);
    const row = (b: number, t: number, i: number, ch: number) => Float32Array.from({ length: W }, (_, j) => frames[(b * s.T + t) * f + (i * W + j) * C + ch]!);
    for (let b = 0; b < s.batch; b++)
      for (let t = 0; t < s.T; t++) {
        if (t < 2) {
          out.set(frames.subarray((b * s.T + Math.max(0, t - 1)) * f, (b * s.T + Math.max(0, t - 1) + 1) * f), (b * s.T + t) * f);
          continue;
        }
        for (let i = 0; i < H; i++) {
          const last = row(b, t - 1, i, 0);
          const bg = median(last);
          const c1 = rowCentroid(last, bg);
          const c2 = rowCentroid(row(b, t - 2, i, 0), bg);
          const v = c1 !== null && c2 !== null ? c1 - c2 : 0;
          for (let ch = 0; ch < C; ch++) {
            const src = ch === 0 ? last : row(b, t - 1, i, ch);
            for (let j = 0; j < W; j++) {
              // Sample the last frame at j - v (linear interpolation), background outside.
              const x = j - v;
              const j0 = Math.floor(x);
              const a = x - j0;
              const at = (k: number) => (k >= 0 && k < W ? src[k]! : bg);
              out[(b * s.T + t) * f + (i * W + j) * C + ch] = (1 - a) * at(j0) + a * at(j0 + 1);
            }
          }
        }
      }
    return out;
  },
};
