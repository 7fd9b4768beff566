/** Running a loaded PredNet on arrays: (N, T, H, W, C) uint8 0-255 or float32 0-1 in, float32 out. */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from './npy.js';
import { parseOutputMode, type OutputMode } from './prednet/config.js';
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

/** checkInput and the batch loop read only the configuration of the model they are given. */
type Configured = Pick<PredNet, 'config'>;

export function checkInput(net: Configured, a: NdArray): void {
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
function outputValuesPerStep(net: Configured, mode: OutputMode): number {
  const c = net.config;
  if (mode === 'prediction') return c.height * c.width * c.stackSizes[0]!;
  if (mode === 'error') return c.stackSizes.length;
  const channels = mode.unit === 'R' ? c.rStackSizes[mode.layer]! : mode.unit === 'E' ? 2 * c.stackSizes[mode.layer]! : c.stackSizes[mode.layer]!;
  return channels * (c.height / 2 ** mode.layer) * (c.width / 2 ** mode.layer);
}

/** One forward pass of an engine over b sequences: (b, T, H, W, C) as given (uint8 0-255 or float32 0-1) in, (b, T, ...) out. */
export type RunBatch = (frames: Uint8Array | Float32Array, shape: [number, number, number, number, number], mode: OutputMode) => Promise<{ data: Float32Array; shape: number[] }>;

/**
 * A predict run on any engine: checks the input and the options against the stated limits,
 * then runs the sequences batch by batch and joins the outputs.
 */
export async function predictInBatches(net: Configured, input: NdArray, o: PredictOptions, runBatch: RunBatch): Promise<NdArray> {
  checkInput(net, input);
  const mode = parseOutputMode(o.outputMode, net.config);
  const [N, T, H, W, C] = input.shape as [number, number, number, number, number];
  if (o.extrapStartTime != null && !(Number.isInteger(o.extrapStartTime) && o.extrapStartTime >= 0 && o.extrapStartTime < T))
    throw new RangeError(`The step to start extrapolating from must be one of the input's time steps, 0..${T - 1}; got ${o.extrapStartTime}.`);
  const bs = o.batchSize ?? 8;
  if (!(Number.isInteger(bs) && bs >= 1 && bs <= PREDICT_LIMITS.batchSize)) throw new RangeError(`The batch size must be a whole number from 1 to ${PREDICT_LIMITS.batchSize}; got ${bs}.`);
  const outBytes = N * T * outputValuesPerStep(net, mode) * 4;
  if (outBytes > PREDICT_LIMITS.outputBytes)
    throw new RangeError(`This run would produce ${(outBytes / 2 ** 30).toFixed(1)} GiB of ${o.outputMode} output; runs are limited to ${PREDICT_LIMITS.outputBytes / 2 ** 30} GiB. Give fewer sequences or frames.`);
  const sequence = T * H * W * C;
  const parts: Float32Array[] = [];
  let outShape: number[] = [];
  for (let n = 0; n < N; n += bs) {
    const b = Math.min(bs, N - n);
    const y = await runBatch(input.data.subarray(n * sequence, (n + b) * sequence) as Uint8Array | Float32Array, [b, T, H, W, C], mode);
    parts.push(y.data);
    outShape = y.shape.slice(1);
    o.onProgress?.(n + b, N);
  }
  if (parts.length === 1) return { dtype: 'float32', shape: [N, ...outShape], data: parts[0]! };
  const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { dtype: 'float32', shape: [N, ...outShape], data };
}

/** predictInBatches on the tfjs engine. */
export function predictArray(net: PredNet, input: NdArray, o: PredictOptions): Promise<NdArray> {
  return predictInBatches(net, input, o, async (frames, shape, mode) => {
    const x = tf.tidy(() =>
      frames instanceof Uint8Array ? tf.div(tf.cast(tf.tensor5d(Int32Array.from(frames), shape, 'int32'), 'float32'), 255) : tf.tensor5d(frames, shape, 'float32'),
    ) as tf.Tensor5D;
    try {
      const y = net.run(x, mode, { extrapStartTime: o.extrapStartTime ?? null });
      try {
        return { data: (await y.data()) as Float32Array, shape: y.shape };
      } finally {
        y.dispose();
      }
    } finally {
      x.dispose();
    }
  });
}
