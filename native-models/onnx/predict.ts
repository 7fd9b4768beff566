/**
 * The ONNX Runtime counterparts of predictArray (native-models/predict.ts) and prednetPredictor
 * (native-models/observer/predictors.ts): same arguments, same results, another engine.
 */
import type { NdArray } from '../npy.js';
import type { Predictor } from '../observer/predictors.js';
import { checkInput, PREDICT_LIMITS, type PredictOptions } from '../predict.js';
import { parseOutputMode } from '../prednet/config.js';
import type { PredNet } from '../prednet/model.js';
import { outputDims } from './prednet-graph.js';
import type { OnnxPredNet } from './session.js';

/** (N, T, H, W, C) uint8 0-255 or float32 0-1 in, float32 out, as predictArray. */
export async function onnxPredictArray(model: OnnxPredNet, input: NdArray, o: PredictOptions): Promise<NdArray> {
  // checkInput reads only the configuration of the net it is given.
  checkInput({ config: model.config } as PredNet, input);
  const mode = parseOutputMode(o.outputMode, model.config);
  const [N, T, H, W, C] = input.shape as [number, number, number, number, number];
  if (o.extrapStartTime != null && !(Number.isInteger(o.extrapStartTime) && o.extrapStartTime >= 0 && o.extrapStartTime < T))
    throw new RangeError(`extrapStartTime must be a step in 0..${T - 1}; got ${o.extrapStartTime}.`);
  // The same limits as predictArray: sequences per pass, and the size of the whole output.
  const bs = o.batchSize ?? 8;
  if (!(Number.isInteger(bs) && bs >= 1 && bs <= PREDICT_LIMITS.batchSize)) throw new RangeError(`The batch size must be a whole number from 1 to ${PREDICT_LIMITS.batchSize}; got ${bs}.`);
  const outBytes = N * T * outputDims(model.config, mode).reduce((a, b) => a * b, 1) * 4;
  if (outBytes > PREDICT_LIMITS.outputBytes)
    throw new RangeError(`This run would produce ${(outBytes / 2 ** 30).toFixed(1)} GiB of ${o.outputMode} output; runs are limited to ${PREDICT_LIMITS.outputBytes / 2 ** 30} GiB. Give fewer sequences or frames.`);
  const frame = T * H * W * C;
  const parts: Float32Array[] = [];
  let outShape: number[] = [];
  for (let n = 0; n < N; n += bs) {
    const b = Math.min(bs, N - n);
    const slice = input.data.subarray(n * frame, (n + b) * frame);
    const x = slice instanceof Float32Array ? slice : Float32Array.from(slice, (v) => v / 255);
    const y = await model.run(x, [b, T, H, W, C], mode, { extrapStartTime: o.extrapStartTime ?? null });
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

/** The observer's predictor (next frames, and a layer's units), on ONNX Runtime. */
export function onnxPredictor(model: OnnxPredNet, name = 'PredNet'): Predictor {
  return {
    name,
    async predict(frames, s) {
      return (await model.run(frames, [s.batch, s.T, s.height, s.width, s.channels], 'prediction')).data;
    },
    async layer(frames, s, layer) {
      const mode = parseOutputMode(layer, model.config);
      if (typeof mode !== 'object') throw new RangeError(`'${layer}' is not a layer; use e.g. R1 or E0.`);
      const y = await model.run(frames, [s.batch, s.T, s.height, s.width, s.channels], mode);
      const [, , height, width, channels] = y.shape as [number, number, number, number, number];
      return { data: y.data, height, width, channels };
    },
  };
}
