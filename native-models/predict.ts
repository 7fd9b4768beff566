/** Running a loaded PredNet on arrays: (N, T, H, W, C) uint8 0-255 or float32 0-1 in, float32 out. */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from './npy.js';
import { parseOutputMode } from './prednet/config.js';
import type { PredNet } from './prednet/model.js';

/** Stated limits: sequences per pass (memory), and the size of the array a run may produce. */
export const PREDICT_LIMITS = { batchSize: 256, outputBytes: 2 ** 31 } as const;

export interface PredictOptions {
  outputMode: string;
  extrapStartTime?: number | null;
  /** Sequences per forward pass (bounds memory). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export function checkInput(net: PredNet, a: NdArray): void {
  const c = net.config;
  const want = `(N, T, ${c.height}, ${c.width}, ${c.stackSizes[0]})`;
  if (a.shape.length !== 5) throw new RangeError(`Input must be 5-D ${want}; got shape (${a.shape.join(', ')}).`);
  const [, T, H, W, C] = a.shape as [number, number, number, number, number];
  if (H !== c.height || W !== c.width || C !== c.stackSizes[0]) throw new RangeError(`Input frames are ${H}x${W}x${C}; this model takes ${c.height}x${c.width}x${c.stackSizes[0]} ${want}.`);
  if (a.shape[0]! < 1) throw new RangeError('Input has no sequences (N = 0): nothing to predict.');
  if (T < 1) throw new RangeError('Input has no time steps (T = 0): nothing to predict.');
  if (a.dtype === 'int32') throw new RangeError('Input must be uint8 (0-255) or float32 (0-1); got int32.');
  if (a.dtype === 'float32') {
    const d = a.data as Float32Array;
    for (let i = 0; i < d.length; i++) if (!(d[i]! >= 0 && d[i]! <= 1)) throw new RangeError(`float32 input must lie in [0, 1]; found ${d[i]} at index ${i}. (uint8 input is divided by 255.)`);
  }
}

/** Values per sequence and time step that an output mode produces. */
function outputValuesPerStep(net: PredNet, mode: ReturnType<typeof parseOutputMode>): number {
  const c = net.config;
  if (mode === 'prediction') return c.height * c.width * c.stackSizes[0]!;
  if (mode === 'error') return c.stackSizes.length;
  const channels = mode.unit === 'R' ? c.rStackSizes[mode.layer]! : mode.unit === 'E' ? 2 * c.stackSizes[mode.layer]! : c.stackSizes[mode.layer]!;
  return channels * (c.height / 2 ** mode.layer) * (c.width / 2 ** mode.layer);
}

export async function predictArray(net: PredNet, input: NdArray, o: PredictOptions): Promise<NdArray> {
  checkInput(net, input);
  const mode = parseOutputMode(o.outputMode, net.config);
  const [N, T, H, W, C] = input.shape as [number, number, number, number, number];
  if (o.extrapStartTime != null && !(Number.isInteger(o.extrapStartTime) && o.extrapStartTime >= 0 && o.extrapStartTime < T))
    throw new RangeError(`extrapStartTime must be a step in 0..${T - 1}; got ${o.extrapStartTime}.`);
  const bs = o.batchSize ?? 8;
  if (!(Number.isInteger(bs) && bs >= 1 && bs <= PREDICT_LIMITS.batchSize)) throw new RangeError(`The batch size must be a whole number from 1 to ${PREDICT_LIMITS.batchSize}; got ${bs}.`);
  const outBytes = N * T * outputValuesPerStep(net, mode) * 4;
  if (outBytes > PREDICT_LIMITS.outputBytes)
    throw new RangeError(`This run would produce ${(outBytes / 2 ** 30).toFixed(1)} GiB of ${o.outputMode} output; runs are limited to ${PREDICT_LIMITS.outputBytes / 2 ** 30} GiB. Give fewer sequences or frames.`);
  const frame = H * W * C;
  const parts: Float32Array[] = [];
  let outShape: number[] = [];
  for (let n = 0; n < N; n += bs) {
    const b = Math.min(bs, N - n);
    const x = tf.tidy(() => {
      const slice = input.data.subarray(n * T * frame, (n + b) * T * frame);
      const t = tf.tensor5d(slice instanceof Uint8Array ? Int32Array.from(slice) : slice, [b, T, H, W, C], slice instanceof Uint8Array ? 'int32' : 'float32');
      return slice instanceof Uint8Array ? tf.div(tf.cast(t, 'float32'), 255) : t;
    }) as tf.Tensor5D;
    const y = net.run(x, mode, { extrapStartTime: o.extrapStartTime ?? null });
    parts.push((await y.data()) as Float32Array);
    outShape = y.shape.slice(1);
    tf.dispose([x, y]);
    o.onProgress?.(n + b, N);
  }
  const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { dtype: 'float32', shape: [N, ...outShape], data };
}
