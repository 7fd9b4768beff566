/**
 * The inference engine for a loaded PredNet: ONNX Runtime where it starts, else TensorFlow.js,
 * behind one interface (predictArray and the observer's Predictor), with a report of which ran
 * and why. PREDLAB_INFERENCE=onnxruntime|tfjs forces one; a forced engine that cannot start is an
 * error, not a silent fallback. Training stays on tfjs.
 */
import type { NdArray } from '../npy.js';
import { prednetPredictor, type Predictor, type PredictorOptions } from '../observer/predictors.js';
import { predictArray, type PredictOptions } from '../predict.js';
import type { PredNet } from '../prednet/model.js';
import { onnxPredictArray, onnxPredictor } from './predict.js';
import { describeOnnx, OnnxPredNet, type OnnxOptions } from './session.js';

export const INFERENCE_ENGINES = ['onnxruntime', 'tfjs'] as const;
export type InferenceEngineName = (typeof INFERENCE_ENGINES)[number];

export interface InferenceEngine {
  name: InferenceEngineName;
  /** e.g. "onnxruntime-node 1.30.0 (cpu, 2 threads)" or "tfjs (wasm)". */
  detail: string;
  /** Why ONNX Runtime is not used, when it is not. */
  skipped: string | null;
  predictArray(input: NdArray, o: PredictOptions): Promise<NdArray>;
  /** The observer's predictor; given the checkpoint's manifest, runs honour its extrapStartTime. */
  predictor(name?: string, options?: PredictorOptions): Predictor;
  /** Frees native sessions (the tfjs net stays the caller's). */
  release(): Promise<void>;
}

function tfjsEngine(net: PredNet, tfBackend: string, skipped: string | null): InferenceEngine {
  return {
    name: 'tfjs',
    detail: `tfjs (${tfBackend})`,
    skipped,
    predictArray: (input, o) => predictArray(net, input, o),
    predictor: (name, po) => prednetPredictor(net, name, po),
    release: async () => {},
  };
}

/**
 * The engine for `net`. `force` (default: PREDLAB_INFERENCE) picks one; `tfBackend` names the
 * tfjs backend for the report (initBackend's choice).
 */
export async function inferenceEngine(net: PredNet, options: { force?: string; tfBackend?: string; onnx?: OnnxOptions } = {}): Promise<InferenceEngine> {
  const forced = options.force ?? process.env.PREDLAB_INFERENCE;
  if (forced !== undefined && forced !== '' && !(INFERENCE_ENGINES as readonly string[]).includes(forced))
    throw new Error(`Unknown inference engine '${forced}' (PREDLAB_INFERENCE); choose one of ${INFERENCE_ENGINES.join(', ')}.`);
  const tfBackend = options.tfBackend ?? 'tfjs backend';
  if (forced === 'tfjs') return tfjsEngine(net, tfBackend, 'PREDLAB_INFERENCE=tfjs');
  let model: OnnxPredNet;
  try {
    model = await OnnxPredNet.fromPredNet(net, options.onnx);
  } catch (e) {
    const why = (e as Error).message;
    if (forced === 'onnxruntime') throw new Error(`PREDLAB_INFERENCE=onnxruntime, but ONNX Runtime cannot run this model: ${why}`);
    return tfjsEngine(net, tfBackend, why);
  }
  return {
    name: 'onnxruntime',
    detail: describeOnnx(model.report),
    skipped: null,
    predictArray: (input, o) => onnxPredictArray(model, input, o),
    predictor: (name, po) => onnxPredictor(model, name, po),
    release: () => model.release(),
  };
}
