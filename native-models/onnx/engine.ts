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
import { describeOnnx, OnnxPredNet, onnxRuntimeStatus, type OnnxOptions } from './session.js';

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
/** The engine forced by `force` (default: PREDLAB_INFERENCE), or null; an unknown name is an error. */
function forcedEngine(force: string | undefined): InferenceEngineName | null {
  const forced = force ?? process.env.PREDLAB_INFERENCE;
  if (forced === undefined || forced === '') return null;
  if (!(INFERENCE_ENGINES as readonly string[]).includes(forced))
    throw new Error(`Unknown inference engine '${forced}' (PREDLAB_INFERENCE); choose one of ${INFERENCE_ENGINES.join(', ')}.`);
  return forced as InferenceEngineName;
}

export async function inferenceEngine(net: PredNet, options: { force?: string; tfBackend?: string; onnx?: OnnxOptions } = {}): Promise<InferenceEngine> {
  const forced = forcedEngine(options.force);
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

export interface InferenceStatus {
  /** The engine inference jobs would use; null when a forced engine cannot start. */
  name: InferenceEngineName | null;
  detail: string;
  /** Why ONNX Runtime is not used, when it is not. */
  skipped: string | null;
}

/**
 * Which engine inference would use, without a checkpoint (for `predlab backend`): the same
 * choice as inferenceEngine, with ONNX Runtime checked on a one-pixel PredNet.
 */
export async function inferenceStatus(options: { force?: string; tfBackend?: string; onnx?: OnnxOptions } = {}): Promise<InferenceStatus> {
  const forced = forcedEngine(options.force);
  const tfjs = `tfjs (${options.tfBackend ?? 'tfjs backend'})`;
  if (forced === 'tfjs') return { name: 'tfjs', detail: tfjs, skipped: 'PREDLAB_INFERENCE=tfjs' };
  const onnx = await onnxRuntimeStatus(options.onnx);
  if (onnx.ok) return { name: 'onnxruntime', detail: describeOnnx(onnx.report), skipped: null };
  if (forced === 'onnxruntime') return { name: null, detail: `PREDLAB_INFERENCE=onnxruntime, but ONNX Runtime cannot start: ${onnx.reason}`, skipped: onnx.reason };
  return { name: 'tfjs', detail: tfjs, skipped: onnx.reason };
}

/** One line for `predlab backend`. */
export function describeInference(s: InferenceStatus): string {
  if (s.name === null) return `inference: none (${s.detail})`;
  return `inference: ${s.detail}${s.name === 'tfjs' && s.skipped ? `; ONNX Runtime not used: ${s.skipped}` : ''}`;
}
