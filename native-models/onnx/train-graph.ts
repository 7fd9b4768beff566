/**
 * One PredNet training step as an ONNX graph, for a fixed (architecture, batch, nt, layer loss):
 * inputs the frames (N, nt, H, W, C) in [0, pixelMax], every trainable weight with Adam's two
 * moments, the learning rate and Adam's bias corrections; outputs the loss, the new weights and
 * the new moments. The forward pass is unrolled over nt steps and computes what prednet-graph.ts
 * (and so the tfjs model) computes; the loss is the trainer's (loss.ts: mean over the batch of
 * sum_t timeW[t] sum_l layerW[l] mean(E_l(t))); the backward pass is written by autodiff.ts; Adam
 * is tfjs's (beta1 0.9, beta2 0.999, epsilon 1e-7, the same order of operations).
 *
 * Weights are the tfjs model's (fused gates, order i, f, c, o) in ONNX's layout: kernels
 * (out, in, kh, kw), biases (out). `trainableParams` lists them in net.trainableVariables order.
 */
import { layerCount, type PredNetConfig } from '../prednet/config.js';
import { layerWeights, timeWeights, type LayerLoss } from '../training/loss.js';
import { Tape, type Value } from './autodiff.js';
import { encodeModel, Graph } from './graph-builder.js';

export const TRAIN_FRAMES = 'frames';
export const TRAIN_LR = 'lr';
/** 1 - beta1^t and 1 - beta2^t for step t (1-based), as tfjs accumulates them. */
export const TRAIN_C1 = 'c1';
export const TRAIN_C2 = 'c2';
export const TRAIN_LOSS = 'loss';
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** Input and output names of one weight's value and moments. */
export const paramIO = (p: string) => ({ w: p, m: `${p}/m`, v: `${p}/v`, wOut: `${p}:new`, mOut: `${p}/m:new`, vOut: `${p}/v:new`, grad: `${p}:grad` });

export interface TrainParam {
  /** The tfjs model's stable name (gates_0/kernel, ...), as in checkpoints. */
  name: string;
  /** ONNX layout: (out, in, kh, kw) or (out). */
  shape: number[];
}

/** The trainable weights in net.trainableVariables order (gates, ahat, a; kernel then bias). */
export function trainableParams(cfg: PredNetConfig): TrainParam[] {
  const L = layerCount(cfg);
  const out: TrainParam[] = [];
  const add = (stem: string, cout: number, cin: number, k: number) => out.push({ name: `${stem}/kernel`, shape: [cout, cin, k, k] }, { name: `${stem}/bias`, shape: [cout] });
  for (let l = 0; l < L; l++) {
    const inR = 2 * cfg.stackSizes[l]! + cfg.rStackSizes[l]! + (l < L - 1 ? cfg.rStackSizes[l + 1]! : 0);
    add(`gates_${l}`, 4 * cfg.rStackSizes[l]!, inR, cfg.rFiltSizes[l]!);
  }
  for (let l = 0; l < L; l++) add(`ahat_${l}`, cfg.stackSizes[l]!, cfg.rStackSizes[l]!, cfg.ahatFiltSizes[l]!);
  for (let l = 0; l < L - 1; l++) add(`a_${l}`, cfg.stackSizes[l + 1]!, 2 * cfg.stackSizes[l]!, cfg.aFiltSizes[l]!);
  return out;
}

/** TensorFlow's 'same' padding: the extra row/column, if any, after. */
function samePads(k: number): [number, number, number, number] {
  const before = Math.floor((k - 1) / 2);
  return [before, before, k - 1 - before, k - 1 - before];
}

export interface TrainGraphOptions {
  batch: number;
  nt: number;
  layerLoss: LayerLoss;
  /** Also output every weight's gradient as `<name>:grad` (for tests). */
  gradients?: boolean;
}

export function trainStepModel(cfg: PredNetConfig, o: TrainGraphOptions): Uint8Array {
  const L = layerCount(cfg);
  const N = o.batch;
  const { height: H, width: W } = cfg;
  const C = cfg.stackSizes[0]!;
  const g = new Graph('prednet_train');
  const t = new Tape(g);
  const params = trainableParams(cfg);
  const w = new Map<string, Value>(params.map((p) => [p.name, t.param({ name: g.input(p.name, 'float32', p.shape), shape: p.shape })]));
  const conv = (x: Value, stem: string) => {
    const k = w.get(`${stem}/kernel`)!;
    return t.conv(x, k, w.get(`${stem}/bias`)!, samePads(k.shape[2]!));
  };
  g.input(TRAIN_FRAMES, 'float32', [N, o.nt, H, W, C]);
  const framesT = g.op1('Transpose', [TRAIN_FRAMES], { perm: [0, 1, 4, 2, 3] });
  const dims = (l: number, ch: number) => [N, ch, H / 2 ** l, W / 2 ** l];
  const zero = (shape: number[]): Value => ({ name: t.zeros(shape), shape });
  let r = Array.from({ length: L }, (_, l) => zero(dims(l, cfg.rStackSizes[l]!)));
  let c = r.map((v) => zero(v.shape));
  let e = Array.from({ length: L }, (_, l) => zero(dims(l, 2 * cfg.stackSizes[l]!)));
  const lw = layerWeights(o.layerLoss, L);
  const tw = timeWeights(o.nt);
  const terms: string[] = [];
  for (let step = 0; step < o.nt; step++) {
    const nr: Value[] = new Array(L);
    const nc: Value[] = new Array(L);
    for (let l = L - 1; l >= 0; l--) {
      const parts = [r[l]!, e[l]!];
      if (l < L - 1) parts.push(t.upsample2(nr[l + 1]!));
      const R = cfg.rStackSizes[l]!;
      const [zi, zf, zc, zo] = t.split(conv(t.concat(parts, 1), `gates_${l}`), [R, R, R, R], 1) as [Value, Value, Value, Value];
      nc[l] = t.add(t.mul(t.hardSigmoid(zf), c[l]!), t.mul(t.hardSigmoid(zi), t.tanh(zc)));
      nr[l] = t.mul(t.hardSigmoid(zo), t.tanh(nc[l]!));
    }
    const ne: Value[] = [];
    let a: Value = { name: g.op1('Gather', [framesT, g.int64Init(g.fresh('t'), [step], [])], { axis: 1 }), shape: dims(0, C) };
    for (let l = 0; l < L; l++) {
      const ahat = l === 0 ? t.reluMin(conv(nr[l]!, `ahat_${l}`), cfg.pixelMax) : t.relu(conv(nr[l]!, `ahat_${l}`));
      ne.push(t.errorUnits(ahat, a));
      const coef = tw[step]! * lw[l]!;
      if (coef !== 0) terms.push(t.weightedSum(ne[l]!, coef / (N * ne[l]!.shape.slice(1).reduce((x, y) => x * y, 1))));
      if (l < L - 1) a = t.maxPool2(t.relu(conv(ne[l]!, `a_${l}`)));
    }
    [r, c, e] = [nr, nc, ne];
  }
  g.output(g.op1('Sum', terms, {}, TRAIN_LOSS), 'float32', []);
  t.backward();

  // Adam, as tfjs's AdamOptimizer.applyGradients writes it.
  for (const n of [TRAIN_LR, TRAIN_C1, TRAIN_C2]) g.input(n, 'float32', []);
  const k = (v: number) => t.scalar(v);
  const negLr = g.op1('Neg', [TRAIN_LR]);
  for (const p of params) {
    const io = paramIO(p.name);
    g.input(io.m, 'float32', p.shape);
    g.input(io.v, 'float32', p.shape);
    const grad = t.gradOf(w.get(p.name)!) ?? t.zeros(p.shape);
    const m1 = g.op1('Add', [g.op1('Mul', [io.m, k(ADAM.beta1)]), g.op1('Mul', [grad, k(1 - ADAM.beta1)])], {}, io.mOut);
    const v1 = g.op1('Add', [g.op1('Mul', [io.v, k(ADAM.beta2)]), g.op1('Mul', [g.op1('Mul', [grad, grad]), k(1 - ADAM.beta2)])], {}, io.vOut);
    const mHat = g.op1('Div', [m1, TRAIN_C1]);
    const vHat = g.op1('Div', [v1, TRAIN_C2]);
    const update = g.op1('Mul', [g.op1('Div', [mHat, g.op1('Add', [g.op1('Sqrt', [vHat]), k(ADAM.epsilon)])]), negLr]);
    g.op1('Add', [update, io.w], {}, io.wOut);
    for (const out of [io.wOut, io.mOut, io.vOut]) g.output(out, 'float32', p.shape);
    if (o.gradients) g.output(g.op1('Identity', [grad], {}, io.grad), 'float32', p.shape);
  }
  return encodeModel(g, 'PredLab');
}
