/**
 * PredNet in TensorFlow.js, computing exactly what the reference Keras code computes.
 * Per time step: a top-down pass (l = L-1..0) updates the convolutional LSTMs R from
 * [R_l(t-1), E_l(t-1), upsample(R_{l+1}(t))]; a bottom-up pass (l = 0..L-1) predicts
 * Ahat_l = relu(conv(R_l)) (min pixelMax at l = 0: the frame prediction), computes
 * E_l = [relu(Ahat - A), relu(A - Ahat)] and the next target A_{l+1} = maxpool(relu(conv(E_l))).
 * Gates use Keras's hard_sigmoid, clip(0.2 x + 0.5, 0, 1). All states start at zero.
 *
 * The four gate convolutions of a layer run as one convolution with 4R output channels; the
 * weights are stored that way ("fused", gate order i, f, c, o) and converted to Keras's separate
 * layer_i/f/c/o weights at the import/export boundary.
 */
import * as tf from '@tensorflow/tfjs-core';
import { kerasWeightShapes, layerCount, type OutputMode, type PredNetConfig } from './config.js';

// A type alias, not an interface, so tf.tidy can take it as a TensorContainer.
export type State = {
  r: tf.Tensor4D[];
  c: tf.Tensor4D[];
  e: tf.Tensor4D[];
  /** Last frame prediction (fed back as input when extrapolating). */
  prediction?: tf.Tensor4D;
};

interface Conv {
  kernel: tf.Variable;
  bias: tf.Variable;
}

export interface StepResult {
  state: State;
  prediction: tf.Tensor4D;
  /** Mean of each layer's E units, shape (N, L). */
  errors: tf.Tensor2D;
  /** The requested layer output (R/E/A/Ahat of one layer), if any. */
  unit: tf.Tensor4D | null;
  /** Every layer's R, E, A and Ahat at this step (the paper battery records several at once). */
  units: { R: tf.Tensor4D; E: tf.Tensor4D; A: tf.Tensor4D; Ahat: tf.Tensor4D }[];
}

export interface StepOptions {
  /** Zero the top-down input upsample(R_{l+1}) to every R_l: the feedback ablation of the paper battery. */
  ablateFeedback?: boolean;
}

const hardSigmoid = (x: tf.Tensor) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);

function conv(x: tf.Tensor4D, w: Conv, activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: w.kernel as tf.Tensor4D, strides: 1, pad: 'same', bias: w.bias, activation });
}

function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2]);
}

export class PredNet {
  readonly layers: number;
  private readonly gates: Conv[] = [];
  private readonly ahat: Conv[] = [];
  private readonly a: Conv[] = [];
  /** tfjs variable name -> our stable name (tfjs names must be unique per process). */
  readonly stableNames = new Map<string, string>();

  private constructor(readonly config: PredNetConfig, weights: Map<string, tf.Tensor>) {
    this.layers = layerCount(config);
    const v = (name: string) => {
      const t = weights.get(name);
      if (!t) throw new Error(`weight ${name} is missing`);
      const variable = tf.variable(t, true, `${name}_${Math.random().toString(36).slice(2, 8)}`);
      this.stableNames.set(variable.name, name);
      return variable;
    };
    for (let l = 0; l < this.layers; l++) {
      this.gates.push({ kernel: v(`gates_${l}/kernel`), bias: v(`gates_${l}/bias`) });
      this.ahat.push({ kernel: v(`ahat_${l}/kernel`), bias: v(`ahat_${l}/bias`) });
      if (l < this.layers - 1) this.a.push({ kernel: v(`a_${l}/kernel`), bias: v(`a_${l}/bias`) });
    }
  }

  /** Glorot-uniform kernels and zero biases, as Keras initialises them; seeded. */
  static create(config: PredNetConfig, seed = 1): PredNet {
    const keras = new Map<string, tf.Tensor>();
    let s = seed;
    for (const [name, shape] of kerasWeightShapes(config)) {
      if (name.endsWith('/bias')) keras.set(name, tf.zeros(shape));
      else {
        const [kh, kw, cin, cout] = shape as [number, number, number, number];
        const limit = Math.sqrt(6 / (kh * kw * cin + kh * kw * cout));
        keras.set(name, tf.randomUniform(shape, -limit, limit, 'float32', s++));
      }
    }
    const net = PredNet.fromKeras(config, keras);
    tf.dispose([...keras.values()]);
    return net;
  }

  /** From weights named as in Keras (layer_i_0/kernel, ...), checked against the configuration. */
  static fromKeras(config: PredNetConfig, keras: Map<string, tf.Tensor>): PredNet {
    const expected = kerasWeightShapes(config);
    for (const [name, shape] of expected) {
      const t = keras.get(name);
      if (!t) throw new Error(`weight ${name} is missing`);
      if (t.shape.join() !== shape.join()) throw new Error(`weight ${name} has shape [${t.shape}], expected [${shape}]`);
    }
    for (const name of keras.keys()) if (!expected.has(name)) throw new Error(`unexpected weight ${name}`);
    // tidy keeps only tensors it can see in the result: return a plain object, not a Map.
    const fusedObj = tf.tidy(() => {
      const m: Record<string, tf.Tensor> = {};
      for (let l = 0; l < layerCount(config); l++) {
        const g = ['i', 'f', 'c', 'o'];
        m[`gates_${l}/kernel`] = tf.concat(g.map((x) => keras.get(`layer_${x}_${l}/kernel`)!), 3);
        m[`gates_${l}/bias`] = tf.concat(g.map((x) => keras.get(`layer_${x}_${l}/bias`)!), 0);
        for (const k of ['kernel', 'bias']) {
          m[`ahat_${l}/${k}`] = tf.clone(keras.get(`layer_ahat_${l}/${k}`)!);
          if (l < layerCount(config) - 1) m[`a_${l}/${k}`] = tf.clone(keras.get(`layer_a_${l}/${k}`)!);
        }
      }
      return m;
    });
    const fused = new Map(Object.entries(fusedObj));
    const net = new PredNet(config, fused);
    tf.dispose([...fused.values()]);
    return net;
  }

  /** Weights in Keras's naming and layout (new tensors; the caller disposes them). */
  kerasWeights(): Map<string, tf.Tensor> {
    const obj = tf.tidy(() => {
      const m: Record<string, tf.Tensor> = {};
      for (let l = 0; l < this.layers; l++) {
        const R = this.config.rStackSizes[l]!;
        const ks = tf.split(this.gates[l]!.kernel, [R, R, R, R], 3);
        const bs = tf.split(this.gates[l]!.bias, [R, R, R, R], 0);
        ['i', 'f', 'c', 'o'].forEach((g, j) => {
          m[`layer_${g}_${l}/kernel`] = ks[j]!;
          m[`layer_${g}_${l}/bias`] = bs[j]!;
        });
        m[`layer_ahat_${l}/kernel`] = tf.clone(this.ahat[l]!.kernel);
        m[`layer_ahat_${l}/bias`] = tf.clone(this.ahat[l]!.bias);
        if (l < this.layers - 1) {
          m[`layer_a_${l}/kernel`] = tf.clone(this.a[l]!.kernel);
          m[`layer_a_${l}/bias`] = tf.clone(this.a[l]!.bias);
        }
      }
      return m;
    });
    return new Map(Object.entries(obj));
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.gates, ...this.ahat, ...this.a].flatMap((c) => [c.kernel, c.bias]);
  }

  initialState(batch: number): State {
    const c = this.config;
    const z = (l: number, ch: number) => tf.zeros([batch, c.height / 2 ** l, c.width / 2 ** l, ch]) as tf.Tensor4D;
    const r: tf.Tensor4D[] = [];
    const cs: tf.Tensor4D[] = [];
    const e: tf.Tensor4D[] = [];
    for (let l = 0; l < this.layers; l++) {
      r.push(z(l, c.rStackSizes[l]!));
      cs.push(z(l, c.rStackSizes[l]!));
      e.push(z(l, 2 * c.stackSizes[l]!));
    }
    return { r, c: cs, e };
  }

  /** One time step. Not tidied: callers tidy (inference) or keep the tape (training). */
  step(frame: tf.Tensor4D, prev: State, unit: Exclude<OutputMode, 'prediction' | 'error'> | null, extrapolate = false, options: StepOptions = {}): StepResult {
    const L = this.layers;
    const r: tf.Tensor4D[] = new Array(L);
    const c: tf.Tensor4D[] = new Array(L);
    for (let l = L - 1; l >= 0; l--) {
      const parts = [prev.r[l]!, prev.e[l]!];
      // Ablated, the input keeps its channels (the weights expect them) but carries zeros.
      if (l < L - 1) parts.push(options.ablateFeedback ? tf.zeros([r[l + 1]!.shape[0], r[l + 1]!.shape[1] * 2, r[l + 1]!.shape[2] * 2, r[l + 1]!.shape[3]]) : upsample2x(r[l + 1]!));
      const z = conv(tf.concat(parts, 3) as tf.Tensor4D, this.gates[l]!);
      const R = this.config.rStackSizes[l]!;
      const [zi, zf, zc, zo] = tf.split(z, [R, R, R, R], 3) as tf.Tensor4D[];
      c[l] = tf.add(tf.mul(hardSigmoid(zf!), prev.c[l]!), tf.mul(hardSigmoid(zi!), tf.tanh(zc!)));
      r[l] = tf.mul(hardSigmoid(zo!), tf.tanh(c[l]!));
    }
    let a: tf.Tensor4D = extrapolate && prev.prediction ? prev.prediction : frame;
    const e: tf.Tensor4D[] = [];
    let prediction: tf.Tensor4D | null = null;
    let unitOut: tf.Tensor4D | null = null;
    const means: tf.Tensor[] = [];
    const units: StepResult['units'] = [];
    for (let l = 0; l < L; l++) {
      let ahat = conv(r[l]!, this.ahat[l]!, 'relu');
      if (l === 0) {
        ahat = tf.minimum(ahat, this.config.pixelMax);
        prediction = ahat;
      }
      e.push(tf.concat([tf.relu(tf.sub(ahat, a)), tf.relu(tf.sub(a, ahat))], 3) as tf.Tensor4D);
      means.push(tf.mean(e[l]!, [1, 2, 3]));
      units.push({ R: r[l]!, E: e[l]!, A: a, Ahat: ahat });
      if (unit && unit.layer === l) unitOut = unit.unit === 'R' ? r[l]! : unit.unit === 'E' ? e[l]! : unit.unit === 'A' ? a : ahat;
      if (l < L - 1) a = tf.maxPool(conv(e[l]!, this.a[l]!, 'relu'), 2, 2, 'valid');
    }
    return { state: { r, c, e, prediction: prediction! }, prediction: prediction!, errors: tf.stack(means, 1) as tf.Tensor2D, unit: unitOut, units };
  }

  /**
   * Runs a batch of sequences (N, T, H, W, C), values in [0, pixelMax], and returns the chosen
   * output for every step: prediction (N,T,H,W,C), error (N,T,L), or one layer's units
   * (N,T,h,w,c). From `extrapStartTime` on, the previous prediction is fed as the input.
   * Memory stays flat: each step's intermediates are freed before the next.
   */
  run(frames: tf.Tensor5D, mode: OutputMode, options: { extrapStartTime?: number | null } = {}): tf.Tensor {
    const [N, T, H, W, C] = frames.shape;
    if (H !== this.config.height || W !== this.config.width || C !== this.config.stackSizes[0])
      throw new RangeError(`Input frames are ${H}x${W}x${C}; this model takes ${this.config.height}x${this.config.width}x${this.config.stackSizes[0]}.`);
    const unit = typeof mode === 'object' ? mode : null;
    let state = this.initialState(N);
    const outputs: tf.Tensor[] = [];
    try {
      for (let t = 0; t < T; t++) {
        const extrapolate = options.extrapStartTime != null && t >= options.extrapStartTime;
        const next = tf.tidy(() => {
          const frame = tf.squeeze(tf.slice(frames, [0, t, 0, 0, 0], [N, 1, H, W, C]), [1]) as tf.Tensor4D;
          const s = this.step(frame, state, unit, extrapolate);
          const out = mode === 'prediction' ? s.prediction : mode === 'error' ? s.errors : s.unit!;
          return { state: s.state, out: tf.clone(out) };
        });
        disposeState(state);
        state = next.state;
        outputs.push(next.out);
      }
      return tf.stack(outputs, 1);
    } finally {
      tf.dispose(outputs);
      disposeState(state);
    }
  }

  dispose(): void {
    tf.dispose(this.trainableVariables);
  }
}

export function disposeState(s: State): void {
  tf.dispose([...s.r, ...s.c, ...s.e]);
  s.prediction?.dispose();
}
