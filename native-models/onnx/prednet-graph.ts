/**
 * PredNet as an ONNX graph, computing what native-models/prednet/model.ts computes (and so the
 * reference prednet.py): per step a top-down ConvLSTM pass on [R_l(t-1), E_l(t-1),
 * upsample(R_{l+1}(t))] with the four gate convolutions fused into one (gate order i, f, c, o),
 * Keras's hard_sigmoid (HardSigmoid alpha 0.2, beta 0.5), then the bottom-up pass
 * Ahat_l = relu(conv R_l) (min pixelMax at l = 0), E_l = [relu(Ahat - A), relu(A - Ahat)],
 * A_{l+1} = maxpool(relu(conv E_l)). Zero initial states.
 *
 * Internally everything is NCHW (ONNX's Conv layout); inputs and outputs are channels last like
 * the tfjs model. The time loop is an ONNX Scan over axis 1 of the input (any T, one run call):
 * `sequenceModel`. `stepModel` is the same step as a graph with explicit state inputs/outputs.
 */
import { kerasWeightShapes, layerCount, type OutputMode, type PredNetConfig } from '../prednet/config.js';
import { encodeModel, Graph, type Dim } from './graph-builder.js';

/** Float32 weights in Keras naming and layout (layer_i_0/kernel: (kh, kw, in, out), ...). */
export type KerasWeights = Map<string, { shape: number[]; data: Float32Array }>;

export const FRAMES = 'frames';
/** int64 scalar: the first step whose input is the previous prediction (T or more: never). */
export const EXTRAP_FROM = 'extrap_from';
export const OUTPUT = 'output';

/** The state carried from step to step, NCHW. */
interface StepState {
  r: string[];
  c: string[];
  e: string[];
  /** Previous frame prediction (fed back when extrapolating). */
  pred: string;
  /** Step index, int64 scalar. */
  t: string;
}

interface Level {
  h: number;
  w: number;
  /** A/Ahat channels. */
  a: number;
  /** R channels. */
  r: number;
}

function levels(cfg: PredNetConfig): Level[] {
  return Array.from({ length: layerCount(cfg) }, (_, l) => ({ h: cfg.height / 2 ** l, w: cfg.width / 2 ** l, a: cfg.stackSizes[l]!, r: cfg.rStackSizes[l]! }));
}

export function checkWeights(cfg: PredNetConfig, w: KerasWeights): void {
  const expected = kerasWeightShapes(cfg);
  for (const [name, shape] of expected) {
    const t = w.get(name);
    if (!t) throw new Error(`weight ${name} is missing`);
    if (t.shape.join() !== shape.join()) throw new Error(`weight ${name} has shape [${t.shape}], expected [${shape}]`);
    if (t.data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`weight ${name} has ${t.data.length} values for shape [${shape}]`);
  }
  for (const name of w.keys()) if (!expected.has(name)) throw new Error(`unexpected weight ${name}`);
}

/** Keras kernels (kh, kw, in, out), concatenated along `out`, as one ONNX Conv weight (out, in, kh, kw). */
function convKernel(parts: { shape: number[]; data: Float32Array }[]): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin] = parts[0]!.shape as [number, number, number, number];
  const couts = parts.map((p) => p.shape[3]!);
  const total = couts.reduce((a, b) => a + b, 0);
  const out = new Float32Array(total * cin * kh * kw);
  let o0 = 0;
  for (const [pi, p] of parts.entries()) {
    const cout = couts[pi]!;
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let ci = 0; ci < cin; ci++)
          for (let co = 0; co < cout; co++) out[(((o0 + co) * cin + ci) * kh + i) * kw + j] = p.data[((i * kw + j) * cin + ci) * cout + co]!;
    o0 += cout;
  }
  return { dims: [total, cin, kh, kw], data: out };
}

function concatBias(parts: { data: Float32Array }[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.data.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p.data, o);
    o += p.data.length;
  }
  return out;
}

/** A 'same'-padded, stride-1 convolution with bias, as TensorFlow pads (the extra row/column, if any, after). */
function conv(g: Graph, x: string, name: string, kernels: { shape: number[]; data: Float32Array }[], biases: { data: Float32Array }[]): string {
  const [kh, kw] = kernels[0]!.shape as [number, number];
  // Several steps in one graph (unrolled) share the weights by name.
  let [W, B] = [`${name}/W`, `${name}/B`];
  if (!g.has(W)) {
    const k = convKernel(kernels);
    W = g.floatInit(W, k.dims, k.data);
    B = g.floatInit(B, [k.dims[0]!], concatBias(biases));
  }
  const top = Math.floor((kh - 1) / 2);
  const left = Math.floor((kw - 1) / 2);
  return g.op1('Conv', [x, W, B], { kernel_shape: [kh, kw], pads: [top, left, kh - 1 - top, kw - 1 - left], strides: [1, 1], dilations: [1, 1] });
}

/**
 * Adds one PredNet step to `g`: from the frame (NCHW), the previous state and the extrapolation
 * start (outer-scope int64 scalar), the new state, each layer's units and, if asked, the mean of
 * each E_l as (N, L).
 */
function addStep(g: Graph, cfg: PredNetConfig, wts: KerasWeights, frame: string, prev: StepState, wantErrors: boolean, ablateFeedback = false) {
  const L = layerCount(cfg);
  const w = (n: string) => wts.get(n)!;
  const hs = (x: string) => g.op1('HardSigmoid', [x], { alpha: 0.2, beta: 0.5 });
  const r: string[] = new Array(L);
  const c: string[] = new Array(L);
  for (let l = L - 1; l >= 0; l--) {
    const parts = [prev.r[l]!, prev.e[l]!];
    if (l < L - 1) {
      const up = g.op1('Resize', [r[l + 1]!, '', g.floatInit(g.fresh('scale2x'), [4], Float32Array.of(1, 1, 2, 2))], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
      // The feedback ablation (as the tfjs model's ablateFeedback): zeros where R_{l+1} came in.
      parts.push(ablateFeedback ? g.op1('Mul', [up, g.has('zero_f') ? 'zero_f' : g.scalar('zero_f', 0)]) : up);
    }
    const gates = ['i', 'f', 'c', 'o'];
    const z = conv(
      g,
      g.op1('Concat', parts, { axis: 1 }),
      `gates_${l}`,
      gates.map((x) => w(`layer_${x}_${l}/kernel`)),
      gates.map((x) => w(`layer_${x}_${l}/bias`)),
    );
    const R = cfg.rStackSizes[l]!;
    const [zi, zf, zc, zo] = g.op('Split', [z, g.int64Init(g.fresh('split'), [R, R, R, R])], { axis: 1 }, 4) as [string, string, string, string];
    c[l] = g.op1('Add', [g.op1('Mul', [hs(zf), prev.c[l]!]), g.op1('Mul', [hs(zi), g.op1('Tanh', [zc])])]);
    r[l] = g.op1('Mul', [hs(zo), g.op1('Tanh', [c[l]!])]);
  }
  const e: string[] = [];
  const a: string[] = [];
  const ahat: string[] = [];
  const means: string[] = [];
  // From EXTRAP_FROM on, the previous prediction replaces the frame.
  const useFrame = g.op1('Less', [prev.t, EXTRAP_FROM]);
  a.push(g.op1('Where', [useFrame, frame, prev.pred]));
  for (let l = 0; l < L; l++) {
    let ah = g.op1('Relu', [conv(g, r[l]!, `ahat_${l}`, [w(`layer_ahat_${l}/kernel`)], [w(`layer_ahat_${l}/bias`)])]);
    if (l === 0) ah = g.op1('Min', [ah, g.has('pixel_max') ? 'pixel_max' : g.scalar('pixel_max', cfg.pixelMax)]);
    ahat.push(ah);
    const d = g.op1('Sub', [ah, a[l]!]);
    e.push(g.op1('Concat', [g.op1('Relu', [d]), g.op1('Relu', [g.op1('Neg', [d])])], { axis: 1 }));
    if (wantErrors) means.push(g.op1('ReduceMean', [e[l]!], { axes: [1, 2, 3], keepdims: 0 }));
    if (l < L - 1) a.push(g.op1('MaxPool', [g.op1('Relu', [conv(g, e[l]!, `a_${l}`, [w(`layer_a_${l}/kernel`)], [w(`layer_a_${l}/bias`)])])], { kernel_shape: [2, 2], strides: [2, 2] }));
  }
  const one = g.int64Init(g.fresh('one'), [1], []);
  const next: StepState = { r, c, e, pred: ahat[0]!, t: g.op1('Add', [prev.t, one]) };
  // (N,) per layer -> (N, L)
  const errors = wantErrors ? g.op1('Concat', means.map((m) => g.op1('Unsqueeze', [m, g.int64Init(g.fresh('axis1'), [1])])), { axis: 1 }) : null;
  return { next, units: { R: r, E: e, A: a, Ahat: ahat }, errors };
}

/** Channels and NCHW-ness of the chosen output: `null` channels means the (N, L) error vector. */
function outputChannels(cfg: PredNetConfig, mode: OutputMode): number | null {
  if (mode === 'prediction') return cfg.stackSizes[0]!;
  if (mode === 'error') return null;
  const l = mode.layer;
  return mode.unit === 'R' ? cfg.rStackSizes[l]! : mode.unit === 'E' ? 2 * cfg.stackSizes[l]! : cfg.stackSizes[l]!;
}

function pickOutput(mode: OutputMode, step: ReturnType<typeof addStep>): string {
  if (mode === 'prediction') return step.next.pred;
  if (mode === 'error') return step.errors!;
  return step.units[mode.unit][mode.layer]!;
}

function stateInfo(cfg: PredNetConfig) {
  const lv = levels(cfg);
  return [
    ...lv.map((v, l) => ({ key: `r${l}`, dims: ['N', v.r, v.h, v.w] as Dim[] })),
    ...lv.map((v, l) => ({ key: `c${l}`, dims: ['N', v.r, v.h, v.w] as Dim[] })),
    ...lv.map((v, l) => ({ key: `e${l}`, dims: ['N', 2 * v.a, v.h, v.w] as Dim[] })),
    { key: 'pred', dims: ['N', cfg.stackSizes[0]!, cfg.height, cfg.width] as Dim[] },
  ];
}

function asState(names: Map<string, string>, L: number, t: string): StepState {
  const list = (p: string) => Array.from({ length: L }, (_, l) => names.get(`${p}${l}`)!);
  return { r: list('r'), c: list('c'), e: list('e'), pred: names.get('pred')!, t };
}

function stateList(s: StepState): string[] {
  return [...s.r, ...s.c, ...s.e, s.pred];
}

/** Dims of the per-step output, channels last; the caller prefixes (N, T). */
export function outputDims(cfg: PredNetConfig, mode: OutputMode): number[] {
  const ch = outputChannels(cfg, mode);
  if (ch === null) return [layerCount(cfg)];
  const l = typeof mode === 'object' ? mode.layer : 0;
  return [cfg.height / 2 ** l, cfg.width / 2 ** l, ch];
}

/** Zero initial states sized by the batch of `frames`: Expand(0, [N, c, h, w]). */
function zeroStates(g: Graph, cfg: PredNetConfig, frames: string): Map<string, string> {
  const n = g.op1('Slice', [g.op1('Shape', [frames]), g.int64Init('zero_i', [0]), g.int64Init('one_i', [1])]);
  const zero = g.scalar('zero_f', 0);
  return new Map(stateInfo(cfg).map((s) => [s.key, g.op1('Expand', [zero, g.op1('Concat', [n, g.int64Init(g.fresh(`dims_${s.key}`), s.dims.slice(1) as number[])], { axis: 0 })])]));
}

function outputNCHWDims(cfg: PredNetConfig, mode: OutputMode): Dim[] {
  const ch = outputChannels(cfg, mode);
  const lvl = levels(cfg)[typeof mode === 'object' ? mode.layer : 0]!;
  return ch === null ? ['N', layerCount(cfg)] : ['N', ch, lvl.h, lvl.w];
}

/** (N, T, C, H, W) -> (N, T, H, W, C); the (N, T, L) errors stay as they are. */
function channelsLast(g: Graph, cfg: PredNetConfig, mode: OutputMode, seq: string): void {
  if (outputChannels(cfg, mode) === null) g.op1('Identity', [seq], {}, OUTPUT);
  else g.op1('Transpose', [seq], { perm: [0, 1, 3, 4, 2] }, OUTPUT);
  g.output(OUTPUT, 'float32', ['N', 'T', ...outputDims(cfg, mode)]);
}

function sequenceInputs(g: Graph, cfg: PredNetConfig): string {
  g.input(FRAMES, 'float32', ['N', 'T', cfg.height, cfg.width, cfg.stackSizes[0]!]);
  g.input(EXTRAP_FROM, 'int64', []);
  return g.op1('Transpose', [FRAMES], { perm: [0, 1, 4, 2, 3] });
}

/**
 * The whole sequence in one graph: inputs `frames` (N, T, H, W, C) float32 in [0, pixelMax] and
 * `extrap_from` (int64 scalar); output `output`, (N, T, ...) channels last, or (N, T, L) errors.
 * The time loop is a Scan whose body is one step.
 */
export function sequenceModel(cfg: PredNetConfig, wts: KerasWeights, mode: OutputMode): Uint8Array {
  checkWeights(cfg, wts);
  const L = layerCount(cfg);
  const body = new Graph('step');
  const states = stateInfo(cfg);
  const inNames = new Map(states.map((s) => [s.key, body.input(`in_${s.key}`, 'float32', s.dims)]));
  const tIn = body.input('in_t', 'int64', []);
  const frame = body.input('in_frame', 'float32', ['N', cfg.stackSizes[0]!, cfg.height, cfg.width]);
  const step = addStep(body, cfg, wts, frame, asState(inNames, L, tIn), mode === 'error');
  const outs = stateList(step.next);
  // A graph output must not also be a graph input or another output: copy where needed.
  const used = new Set<string>();
  const distinct = (x: string) => {
    const y = used.has(x) ? body.op1('Identity', [x]) : x;
    used.add(y);
    return y;
  };
  for (const [i, s] of states.entries()) body.output(distinct(outs[i]!), 'float32', s.dims);
  body.output(distinct(step.next.t), 'int64', []);
  body.output(distinct(pickOutput(mode, step)), 'float32', outputNCHWDims(cfg, mode));

  const g = new Graph('prednet');
  const framesT = sequenceInputs(g, cfg);
  const init = zeroStates(g, cfg, FRAMES);
  const t0 = g.int64Init('t0', [0], []);
  const nState = states.length + 1;
  const scanOut = g.op('Scan', [...states.map((s) => init.get(s.key)!), t0, framesT], { body, num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: [1] }, nState + 1);
  channelsLast(g, cfg, mode, scanOut[nState]!);
  return encodeModel(g, 'PredLab');
}

/** The same computation unrolled over a fixed number of steps T (for comparison in bench/onnx.ts). */
export function unrolledModel(cfg: PredNetConfig, wts: KerasWeights, mode: OutputMode, T: number): Uint8Array {
  checkWeights(cfg, wts);
  const L = layerCount(cfg);
  const g = new Graph('prednet');
  const framesT = sequenceInputs(g, cfg);
  let state = asState(zeroStates(g, cfg, FRAMES), L, g.int64Init('t0', [0], []));
  const outs: string[] = [];
  for (let t = 0; t < T; t++) {
    const frame = g.op1('Gather', [framesT, g.int64Init(g.fresh('t'), [t], [])], { axis: 1 });
    const step = addStep(g, cfg, wts, frame, state, mode === 'error');
    outs.push(g.op1('Unsqueeze', [pickOutput(mode, step), g.int64Init(g.fresh('axis1'), [1])]));
    state = step.next;
  }
  channelsLast(g, cfg, mode, g.op1('Concat', outs, { axis: 1 }));
  return encodeModel(g, 'PredLab');
}

/**
 * The step graph's state: inputs `in_<key>`, outputs `out_<key>`; float32 (N, ...dims) except
 * `t`, an int64 scalar. The first step takes zeros.
 */
export function stepStates(cfg: PredNetConfig): { key: string; dims: number[] }[] {
  return [...stateInfo(cfg).map((s) => ({ key: s.key, dims: s.dims.slice(1) as number[] })), { key: 't', dims: [] }];
}

/**
 * One step as a graph (for comparison in bench/onnx.ts): inputs `frame` (N, H, W, C),
 * `extrap_from`, the previous state `in_<key>` (zeros and t = 0 at the start); outputs the
 * next state `out_<key>` and `output` (N, ...) channels last.
 */
export function stepModel(cfg: PredNetConfig, wts: KerasWeights, mode: OutputMode): Uint8Array {
  checkWeights(cfg, wts);
  const L = layerCount(cfg);
  const g = new Graph('step');
  const states = stateInfo(cfg);
  const inNames = new Map(states.map((s) => [s.key, g.input(`in_${s.key}`, 'float32', s.dims)]));
  const tIn = g.input('in_t', 'int64', []);
  g.input('frame', 'float32', ['N', cfg.height, cfg.width, cfg.stackSizes[0]!]);
  g.input(EXTRAP_FROM, 'int64', []);
  const frame = g.op1('Transpose', ['frame'], { perm: [0, 3, 1, 2] });
  const step = addStep(g, cfg, wts, frame, asState(inNames, L, tIn), mode === 'error');
  for (const [i, s] of states.entries()) g.output(g.op1('Identity', [stateList(step.next)[i]!], {}, `out_${s.key}`), 'float32', s.dims);
  g.output(g.op1('Identity', [step.next.t], {}, 'out_t'), 'int64', []);
  const out = pickOutput(mode, step);
  if (outputChannels(cfg, mode) === null) g.op1('Identity', [out], {}, OUTPUT);
  else g.op1('Transpose', [out], { perm: [0, 2, 3, 1] }, OUTPUT);
  g.output(OUTPUT, 'float32', ['N', ...outputDims(cfg, mode)]);
  return encodeModel(g, 'PredLab');
}

/** A unit map recorded by `unitsModel`: layer l's R, E, A or Ahat. */
export interface UnitProbe {
  layer: number;
  unit: 'R' | 'E' | 'A' | 'Ahat';
}

/** Output name of the k-th probe of `unitsModel`. */
export const unitsOutput = (k: number) => `units_${k}`;

/**
 * Several unit maps over the whole sequence in one graph (the battery's recordings), optionally
 * without feedback: inputs as `sequenceModel`; outputs `units_<k>` (N, T, c, h, w), channels
 * FIRST (one unit's map contiguous, as the battery reads it).
 */
export function unitsModel(cfg: PredNetConfig, wts: KerasWeights, probes: readonly UnitProbe[], ablateFeedback: boolean): Uint8Array {
  checkWeights(cfg, wts);
  const L = layerCount(cfg);
  if (probes.length === 0) throw new RangeError('unitsModel needs at least one probe.');
  for (const p of probes) if (!(Number.isInteger(p.layer) && p.layer >= 0 && p.layer < L)) throw new RangeError(`Layer ${p.layer} does not exist; this PredNet has layers 0..${L - 1}.`);
  const body = new Graph('step');
  const states = stateInfo(cfg);
  const inNames = new Map(states.map((s) => [s.key, body.input(`in_${s.key}`, 'float32', s.dims)]));
  const tIn = body.input('in_t', 'int64', []);
  const frame = body.input('in_frame', 'float32', ['N', cfg.stackSizes[0]!, cfg.height, cfg.width]);
  const step = addStep(body, cfg, wts, frame, asState(inNames, L, tIn), false, ablateFeedback);
  // Every output a distinct name (a state can also be a recorded unit, a unit can be asked twice).
  const outs = [...stateList(step.next), step.next.t, ...probes.map((p) => step.units[p.unit][p.layer]!)];
  const named = outs.map((x, i) => body.op1('Identity', [x], {}, `out_${i}`));
  states.forEach((s, i) => body.output(named[i]!, 'float32', s.dims));
  body.output(named[states.length]!, 'int64', []);
  probes.forEach((p, k) => body.output(named[states.length + 1 + k]!, 'float32', outputNCHWDims(cfg, { layer: p.layer, unit: p.unit })));

  const g = new Graph('prednet-units');
  const framesT = sequenceInputs(g, cfg);
  const init = zeroStates(g, cfg, FRAMES);
  const nState = states.length + 1;
  const scanOut = g.op('Scan', [...states.map((s) => init.get(s.key)!), g.int64Init('t0', [0], []), framesT], { body, num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: probes.map(() => 1) }, nState + probes.length);
  probes.forEach((p, k) => {
    g.op1('Identity', [scanOut[nState + k]!], {}, unitsOutput(k));
    g.output(unitsOutput(k), 'float32', ['N', 'T', ...outputNCHWDims(cfg, { layer: p.layer, unit: p.unit }).slice(1)]);
  });
  return encodeModel(g, 'PredLab');
}
