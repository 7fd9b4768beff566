/**
 * The ONNX Runtime counterparts of predictArray (native-models/predict.ts) and prednetPredictor
 * (native-models/observer/predictors.ts): same arguments, same results, another engine.
 */
import type { NdArray } from '../npy.js';
import { checkpointRunOptions, type Predictor, type PredictorOptions } from '../observer/predictors.js';
import { predictInBatches, type PredictOptions } from '../predict.js';
import { parseOutputMode } from '../prednet/config.js';
import type { OnnxPredNet } from './session.js';

/** (N, T, H, W, C) uint8 0-255 or float32 0-1 in, float32 out: predictArray's checks, limits and batches. */
export function onnxPredictArray(model: OnnxPredNet, input: NdArray, o: PredictOptions): Promise<NdArray> {
  return predictInBatches(model, input, o, (frames, shape, mode) =>
    model.run(frames instanceof Float32Array ? frames : Float32Array.from(frames, (v) => v / 255), shape, mode, { extrapStartTime: o.extrapStartTime ?? null }),
  );
}

/**
 * The observer's predictor (next frames, and a layer's units), on ONNX Runtime. As
 * prednetPredictor: given the checkpoint's manifest, a run long enough to reach its
 * extrapStartTime extrapolates from there.
 */
export function onnxPredictor(model: OnnxPredNet, name = 'PredNet', options: PredictorOptions = {}): Predictor {
  const runOptions = checkpointRunOptions(options);
  return {
    name,
    async predict(frames, s) {
      return (await model.run(frames, [s.batch, s.T, s.height, s.width, s.channels], 'prediction', runOptions(s.T))).data;
    },
    async layer(frames, s, layer) {
      const mode = parseOutputMode(layer, model.config);
      if (typeof mode !== 'object') throw new RangeError(`'${layer}' is not a layer; use e.g. R1 or E0.`);
      const y = await model.run(frames, [s.batch, s.T, s.height, s.width, s.channels], mode, runOptions(s.T));
      const [, , height, width, channels] = y.shape as [number, number, number, number, number];
      return { data: y.data, height, width, channels };
    },
  };
}
