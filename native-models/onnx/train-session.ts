/**
 * PredNet training steps on ONNX Runtime: holds the weights and Adam's moments (ONNX layout,
 * float32) and runs the step graph of train-graph.ts, one session per (architecture, batch, nt,
 * layer loss), cached for the process. Weights and moments go in and out in the tfjs model's
 * layout (fused gates, kernels (kh, kw, in, out)) under its stable names, so the checkpoint
 * format stays the tfjs trainer's.
 */
import type { InferenceSession as Session, Tensor as OrtTensor } from 'onnxruntime-node';
import type { PredNetConfig } from '../prednet/config.js';
import type { LayerLoss } from '../training/loss.js';
import { ortCall } from './ort-gate.js';
import { baseSessionOptions, loadOrt, sessionOnFirstProvider, type OnnxOptions, type ProviderReport } from './session.js';
import { ADAM, paramIO, TRAIN_C1, TRAIN_C2, TRAIN_FRAMES, TRAIN_LOSS, TRAIN_LR, trainableParams, trainStepModel, type TrainParam } from './train-graph.js';

/** A weight or moment in the tfjs model's layout. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface OnnxTrainShape {
  batch: number;
  nt: number;
  layerLoss: LayerLoss;
}

/** Accelerated providers tried before the CPU, as inference tries them. */

const sessions = new Map<string, Promise<{ session: Session; report: ProviderReport }>>();

/** (kh, kw, in, out) <-> (out, in, kh, kw); biases as they are. */
function toOnnxLayout(data: Float32Array, shape: number[]): Float32Array {
  if (shape.length !== 4) return data.slice();
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[((o * ci + c) * kh + i) * kw + j] = data[((i * kw + j) * ci + c) * co + o]!;
  return out;
}
function fromOnnxLayout(data: Float32Array, onnxShape: number[]): NamedArray['data'] {
  if (onnxShape.length !== 4) return data.slice();
  const [co, ci, kh, kw] = onnxShape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[((i * kw + j) * ci + c) * co + o] = data[((o * ci + c) * kh + i) * kw + j]!;
  return out;
}
const tfjsShape = (p: TrainParam) => (p.shape.length === 4 ? [p.shape[2]!, p.shape[3]!, p.shape[1]!, p.shape[0]!] : p.shape);

export class OnnxTrainer {
  private readonly params: TrainParam[];
  private weights: Float32Array[];
  private m: Float32Array[];
  private v: Float32Array[];
  /** Adam steps taken (tfjs's `iter`). */
  iterations = 0;
  /** beta^iterations, accumulated in float32 as tfjs does. */
  private accBeta1: number;
  private accBeta2: number;

  private constructor(
    private readonly ort: typeof import('onnxruntime-node'),
    readonly config: PredNetConfig,
    readonly shape: OnnxTrainShape,
    private readonly session: Session,
    readonly report: ProviderReport,
  ) {
    this.params = trainableParams(config);
    const zeros = () => this.params.map((p) => new Float32Array(p.shape.reduce((a, b) => a * b, 1)));
    this.weights = zeros();
    this.m = zeros();
    this.v = zeros();
    this.accBeta1 = Math.fround(ADAM.beta1);
    this.accBeta2 = Math.fround(ADAM.beta2);
  }

  /**
   * A trainer for batches of `shape.batch` sequences of `shape.nt` frames. The session (and its
   * graph) is built once per process for each architecture and shape.
   */
  static async create(config: PredNetConfig, shape: OnnxTrainShape, options: OnnxOptions = {}): Promise<OnnxTrainer> {
    if (!(Number.isInteger(shape.batch) && shape.batch >= 1 && shape.batch <= 256)) throw new RangeError(`batch must be an integer in 1..256; got ${shape.batch}.`);
    if (!(Number.isInteger(shape.nt) && shape.nt >= 2 && shape.nt <= 1000)) throw new RangeError(`nt must be an integer in 2..1000; got ${shape.nt}.`);
    const ort = await loadOrt();
    const key = JSON.stringify([config, shape.batch, shape.nt, shape.layerLoss, options.providers ?? null, options.threads ?? null, options.spin ?? false]);
    let s = sessions.get(key);
    if (!s) {
      s = openSession(ort, trainStepModel(config, shape), options);
      sessions.set(key, s);
      s.catch(() => sessions.delete(key));
    }
    const { session, report } = await s;
    return new OnnxTrainer(ort, config, shape, session, report);
  }

  /** Trainable weight names, in net.trainableVariables order. */
  get names(): string[] {
    return this.params.map((p) => p.name);
  }

  private check(list: NamedArray[], what: string): Float32Array[] {
    if (list.length !== this.params.length) throw new Error(`${what}: ${list.length} tensors for ${this.params.length} weights.`);
    return this.params.map((p, i) => {
      const a = list[i]!;
      const want = tfjsShape(p);
      if (a.name !== p.name || a.shape.join() !== want.join() || a.data.length !== p.shape.reduce((x, y) => x * y, 1))
        throw new Error(`${what}: entry ${i} is ${a.name} (${a.shape}), expected ${p.name} (${want}).`);
      return toOnnxLayout(a.data, a.shape);
    });
  }

  /** Sets the weights (tfjs layout, net.trainableVariables order). */
  setWeights(list: NamedArray[]): void {
    this.weights = this.check(list, 'Weights');
  }

  /** Sets Adam's state as the tfjs optimizer holds it: `iterations` steps taken, moments by weight. */
  setAdam(iterations: number, m: NamedArray[], v: NamedArray[]): void {
    if (!(Number.isInteger(iterations) && iterations >= 0)) throw new RangeError(`Adam's step count must be a whole number; got ${iterations}.`);
    this.m = this.check(m, "Adam's first moments");
    this.v = this.check(v, "Adam's second moments");
    this.iterations = iterations;
    // As tfjs's setWeights: the next step's bias corrections use beta^(iterations + 1).
    this.accBeta1 = Math.fround(Math.fround(ADAM.beta1) ** (iterations + 1));
    this.accBeta2 = Math.fround(Math.fround(ADAM.beta2) ** (iterations + 1));
  }

  private named(list: Float32Array[], suffix: string): NamedArray[] {
    return this.params.map((p, i) => ({ name: `${p.name}${suffix}`, shape: tfjsShape(p), data: fromOnnxLayout(list[i]!, p.shape) }));
  }

  /** The weights in the tfjs model's layout. */
  getWeights(): NamedArray[] {
    return this.named(this.weights, '');
  }

  /** Adam's moments in the tfjs model's layout, named '<weight>/m' and '<weight>/v'. */
  getAdam(): { iterations: number; m: NamedArray[]; v: NamedArray[] } {
    return { iterations: this.iterations, m: this.named(this.m, '/m'), v: this.named(this.v, '/v') };
  }

  /** One Adam step on a batch (batch, nt, H, W, C) float32 in [0, pixelMax]; returns the loss. */
  async step(frames: Float32Array, lr: number): Promise<number> {
    const c = this.config;
    const dims = [this.shape.batch, this.shape.nt, c.height, c.width, c.stackSizes[0]!];
    const n = dims.reduce((a, b) => a * b, 1);
    if (frames.length !== n) throw new RangeError(`A training batch holds ${frames.length} values; (${dims.join(', ')}) needs ${n}.`);
    if (!(lr > 0 && lr <= 1)) throw new RangeError(`The learning rate must be in (0, 1]; got ${lr}.`);
    const T = this.ort.Tensor;
    const scalar = (x: number) => new T('float32', Float32Array.of(x), []);
    const feeds: Record<string, OrtTensor> = {
      [TRAIN_FRAMES]: new T('float32', frames, dims),
      [TRAIN_LR]: scalar(lr),
      [TRAIN_C1]: scalar(1 - this.accBeta1),
      [TRAIN_C2]: scalar(1 - this.accBeta2),
    };
    this.params.forEach((p, i) => {
      const io = paramIO(p.name);
      feeds[io.w] = new T('float32', this.weights[i]!, p.shape);
      feeds[io.m] = new T('float32', this.m[i]!, p.shape);
      feeds[io.v] = new T('float32', this.v[i]!, p.shape);
    });
    const out = await ortCall(() => this.session.run(feeds));
    const loss = (out[TRAIN_LOSS]!.data as Float32Array)[0]!;
    // A diverged step changes nothing: the caller reports it and the last good weights stay.
    if (!Number.isFinite(loss)) return loss;
    this.params.forEach((p, i) => {
      const io = paramIO(p.name);
      this.weights[i] = out[io.wOut]!.data as Float32Array;
      this.m[i] = out[io.mOut]!.data as Float32Array;
      this.v[i] = out[io.vOut]!.data as Float32Array;
    });
    this.iterations++;
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(ADAM.beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(ADAM.beta2));
    return loss;
  }
}

async function openSession(ort: typeof import('onnxruntime-node'), model: Uint8Array, options: OnnxOptions): Promise<{ session: Session; report: ProviderReport }> {
  // The arena keeps freed buffers for the next node (without it, every large buffer is mapped
  // afresh and page-faulted: steps 2-2.5x slower). The memory pattern is off: it plans one block
  // for all of a run's buffers, which for a step that holds nt time steps of activations is most
  // of the peak (KITTI batch 4, nt 10, quiet machine: 8.1 s and 2.4 GiB peak without it, 7.0 s
  // and 4.3 GiB with it, 11.2 s and 3.9 GiB with neither arena nor pattern).
  const { session, report } = await sessionOnFirstProvider(ort, model, { ...baseSessionOptions(options), enableMemPattern: false }, options.providers, 'the PredNet training step');
  return { session, report };
}
