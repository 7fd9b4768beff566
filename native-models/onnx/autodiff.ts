/**
 * Reverse-mode differentiation while an ONNX graph is written: every forward operation PredNet
 * uses (NCHW, static shapes) records how to write its inputs' gradients as standard ONNX nodes,
 * and `backward` writes them, last operation first. The derivatives are the ones the tfjs
 * trainer's tape uses, so the two agree to float rounding:
 * - Conv: input gradient as a Conv of dy with the transposed, flipped kernel (padding swapped);
 *   filter gradient as one MatMul per kernel tap (filterGrad), summed over the batch; bias
 *   gradient as a sum over (N, H, W).
 * - MaxPool 2x2: dy scattered to the indices MaxPool returns (non-overlapping windows).
 * - Nearest 2x upsampling: the 2x2 sum of dy.
 * - HardSigmoid (0.2, 0.5): 0.2 dy where 0 < y < 1; Tanh: dy (1 - y^2); Relu: dy where y > 0;
 *   min(relu(x), pixelMax): dy where 0 < y < pixelMax. Masks are read from outputs, so a
 *   pre-activation need not be kept for the backward pass (and Conv + Relu/Clip fuse); they
 *   differ from tfjs's (which pass the gradient at a clip's bounds) only where x sits exactly on
 *   a bound.
 * Values that depend on no trainable input (frames, zero initial states) get no gradient.
 */
import type { Graph } from './graph-builder.js';

/** A value with its static NCHW (or other) shape. */
export interface Value {
  name: string;
  shape: number[];
}

interface Entry {
  outputs: Value[];
  /** Writes input gradients from the outputs' gradients (null: no gradient reached that output). */
  backward: (dy: (string | null)[]) => void;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export class Tape {
  private readonly entries: Entry[] = [];
  private readonly needs = new Set<string>();
  private readonly contributions = new Map<string, string[]>();
  /** Flipped, transposed kernels (the input gradient's filter), one per kernel. */
  private readonly flipped = new Map<string, string>();

  constructor(readonly g: Graph) {}

  /** Marks a graph input as trainable (its gradient is wanted). */
  param(v: Value): Value {
    this.needs.add(v.name);
    return v;
  }

  requiresGrad(v: Value): boolean {
    return this.needs.has(v.name);
  }

  private int64(stem: string, values: number[]): string {
    return this.g.int64Init(this.g.fresh(stem), values);
  }

  private record(inputs: Value[], outputs: Value[], backward: Entry['backward']): void {
    if (!inputs.some((v) => this.needs.has(v.name))) return;
    for (const o of outputs) this.needs.add(o.name);
    this.entries.push({ outputs, backward });
  }

  /** Adds `grad` to the gradient of `v` (ignored when v needs none). */
  addGrad(v: Value, grad: string): void {
    if (!this.needs.has(v.name)) return;
    const list = this.contributions.get(v.name);
    if (list) list.push(grad);
    else this.contributions.set(v.name, [grad]);
  }

  /** The summed gradient of `v`, or null when none reached it. */
  gradOf(v: Value): string | null {
    const list = this.contributions.get(v.name);
    if (!list) return null;
    if (list.length > 1) this.contributions.set(v.name, [this.g.op1('Sum', list)]);
    return this.contributions.get(v.name)![0]!;
  }

  /** Writes every recorded operation's backward, last first. */
  backward(): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      const dy = e.outputs.map((o) => this.gradOf(o));
      if (dy.some((d) => d !== null)) e.backward(dy);
    }
  }

  // --- operations -------------------------------------------------------------------------

  /** Stride-1 convolution with bias; `pads` = [top, left, bottom, right]. */
  conv(x: Value, w: Value, b: Value, pads: [number, number, number, number]): Value {
    const [N, , H, W] = x.shape as [number, number, number, number];
    const [Co, Ci, kh, kw] = w.shape as [number, number, number, number];
    if (H + pads[0] + pads[2] - kh + 1 !== H || W + pads[1] + pads[3] - kw + 1 !== W) throw new Error('Internal: only same-size convolutions are differentiated');
    const y = { name: this.g.op1('Conv', [x.name, w.name, b.name], { kernel_shape: [kh, kw], pads, strides: [1, 1], dilations: [1, 1] }), shape: [N, Co, H, W] };
    this.record([x, w, b], [y], ([dy]) => {
      const g = this.g;
      if (this.needs.has(x.name)) {
        let wf = this.flipped.get(w.name);
        if (!wf) {
          const t = g.op1('Transpose', [w.name], { perm: [1, 0, 2, 3] });
          wf = g.op1('Slice', [t, this.int64('flip_s', [-1, -1]), this.int64('flip_e', [-kh - 1, -kw - 1]), this.int64('flip_a', [2, 3]), this.int64('flip_st', [-1, -1])]);
          this.flipped.set(w.name, wf);
        }
        // Padding swapped: the gradient of 'same' with the extra row after is 'same' with it before.
        const dpads = [kh - 1 - pads[0], kw - 1 - pads[1], kh - 1 - pads[2], kw - 1 - pads[3]];
        this.addGrad(x, g.op1('Conv', [dy!, wf], { kernel_shape: [kh, kw], pads: dpads, strides: [1, 1], dilations: [1, 1] }));
      }
      if (this.needs.has(b.name)) this.addGrad(b, g.op1('ReduceSum', [dy!, this.int64('axes', [0, 2, 3])], { keepdims: 0 }));
      if (this.needs.has(w.name)) this.addGrad(w, this.filterGrad(x, dy!, [N, Ci, H, W], [Co, kh, kw], pads));
    });
    return y;
  }

  /**
   * dW[:, :, i, j] = x shifted by (i, j) times dy, summed over the batch and the pixels, without
   * an im2col buffer: x padded to (Hp, Wp) = (H + kh - 1, W + kw - 1) and laid out as one row
   * per input channel, (Ci, N * Hp * Wp), makes the shift (i, j) the contiguous window starting
   * at i * Wp + j; dy padded to (Hp, Wp) with zeros and laid out as (N * Hp * Wp, Co) puts zeros
   * against every position whose window wrapped into the padding or the next image. One MatMul
   * per kernel tap, (Ci, K) x (K, Co), K = N * Hp * Wp.
   */
  private filterGrad(x: Value, dy: string, [N, Ci, H, W]: number[], [Co, kh, kw]: number[], pads: number[]): string {
    const g = this.g;
    const Hp = H! + kh! - 1;
    const Wp = W! + kw! - 1;
    const K = N! * Hp * Wp;
    const maxOff = (kh! - 1) * Wp + kw! - 1;
    const xp = pads.some((p) => p > 0) ? g.op1('Pad', [x.name, this.int64('pads', [0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!])]) : x.name;
    const xc = N === 1 ? xp : g.op1('Transpose', [xp], { perm: [1, 0, 2, 3] });
    let rows = g.op1('Reshape', [xc, this.int64('shape', [Ci!, K])]);
    if (maxOff > 0) rows = g.op1('Pad', [rows, this.int64('pads', [0, 0, 0, maxOff])]);
    const dyp = Hp > H! || Wp > W! ? g.op1('Pad', [dy, this.int64('pads', [0, 0, 0, 0, 0, 0, Hp - H!, Wp - W!])]) : dy;
    const dyK = g.op1('Reshape', [g.op1('Transpose', [g.op1('Reshape', [dyp, this.int64('shape', [N!, Co!, Hp * Wp])])], { perm: [0, 2, 1] }), this.int64('shape', [K, Co!])]);
    const parts: string[] = [];
    for (let i = 0; i < kh!; i++)
      for (let j = 0; j < kw!; j++) {
        const off = i * Wp + j;
        const xs = maxOff > 0 ? g.op1('Slice', [rows, this.int64('s', [off]), this.int64('e', [off + K]), this.int64('a', [1])]) : rows;
        parts.push(g.op1('MatMul', [xs, dyK]));
      }
    const stacked = parts.length === 1 ? parts[0]! : g.op1('Concat', parts, { axis: 0 });
    return g.op1('Transpose', [g.op1('Reshape', [stacked, this.int64('shape', [kh!, kw!, Ci!, Co!])])], { perm: [3, 2, 0, 1] });
  }

  concat(xs: Value[], axis: number): Value {
    const shape = xs[0]!.shape.slice();
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
    const y = { name: this.g.op1('Concat', xs.map((x) => x.name), { axis }), shape };
    this.record(xs, [y], ([dy]) => {
      const parts = this.g.op('Split', [dy!, this.int64('split', xs.map((x) => x.shape[axis]!))], { axis }, xs.length);
      xs.forEach((x, i) => this.addGrad(x, parts[i]!));
    });
    return y;
  }

  split(x: Value, sizes: number[], axis: number): Value[] {
    const names = this.g.op('Split', [x.name, this.int64('split', sizes)], { axis }, sizes.length);
    const ys = names.map((name, i) => ({ name, shape: x.shape.map((d, k) => (k === axis ? sizes[i]! : d)) }));
    this.record([x], ys, (dys) => {
      const parts = dys.map((d, i) => d ?? this.zeros(ys[i]!.shape));
      this.addGrad(x, this.g.op1('Concat', parts, { axis }));
    });
    return ys;
  }

  zeros(shape: number[]): string {
    return this.g.op1('Expand', [this.scalar(0), this.int64('shape', shape)]);
  }

  private readonly scalars = new Map<number, string>();
  scalar(v: number): string {
    let s = this.scalars.get(v);
    if (!s) {
      s = this.g.scalar(this.g.fresh(`c${v}`), v);
      this.scalars.set(v, s);
    }
    return s;
  }

  private unary(type: string, x: Value, attrs: Record<string, number> = {}): Value {
    return { name: this.g.op1(type, [x.name], attrs), shape: x.shape };
  }

  /** dy where `mask` holds, else 0. */
  private masked(mask: string, dy: string): string {
    return this.g.op1('Where', [mask, dy, this.scalar(0)]);
  }

  hardSigmoid(x: Value): Value {
    const y = this.unary('HardSigmoid', x, { alpha: 0.2, beta: 0.5 });
    // From the output (so the pre-activation need not be kept): inside where 0 < y < 1.
    this.record([x], [y], ([dy]) => {
      const g = this.g;
      const inside = g.op1('And', [g.op1('Greater', [y.name, this.scalar(0)]), g.op1('Less', [y.name, this.scalar(1)])]);
      this.addGrad(x, this.masked(inside, g.op1('Mul', [dy!, this.scalar(0.2)])));
    });
    return y;
  }

  tanh(x: Value): Value {
    const y = this.unary('Tanh', x);
    this.record([x], [y], ([dy]) => {
      const g = this.g;
      this.addGrad(x, g.op1('Mul', [dy!, g.op1('Sub', [this.scalar(1), g.op1('Mul', [y.name, y.name])])]));
    });
    return y;
  }

  relu(x: Value): Value {
    const y = this.unary('Relu', x);
    this.record([x], [y], ([dy]) => this.addGrad(x, this.masked(this.g.op1('Greater', [y.name, this.scalar(0)]), dy!)));
    return y;
  }

  /** min(relu(x), c) for a constant c > 0, as one Clip; gradient where 0 < y < c. */
  reluMin(x: Value, c: number): Value {
    const y = { name: this.g.op1('Clip', [x.name, this.scalar(0), this.scalar(c)]), shape: x.shape };
    this.record([x], [y], ([dy]) => {
      const g = this.g;
      this.addGrad(x, this.masked(g.op1('And', [g.op1('Greater', [y.name, this.scalar(0)]), g.op1('Less', [y.name, this.scalar(c)])]), dy!));
    });
    return y;
  }

  /**
   * PredNet's error units [relu(p - a), relu(a - p)] (channels); the backward reads only the
   * result (which the next step keeps anyway): dp = dE1 where E1 > 0, minus dE2 where E2 > 0.
   */
  errorUnits(p: Value, a: Value): Value {
    const g = this.g;
    const y = { name: g.op1('Concat', [g.op1('Relu', [g.op1('Sub', [p.name, a.name])]), g.op1('Relu', [g.op1('Sub', [a.name, p.name])])], { axis: 1 }), shape: [p.shape[0]!, 2 * p.shape[1]!, ...p.shape.slice(2)] };
    this.record([p, a], [y], ([dy]) => {
      const half = this.int64('split', [p.shape[1]!, p.shape[1]!]);
      const [g1, g2] = g.op('Split', [dy!, half], { axis: 1 }, 2) as [string, string];
      const [e1, e2] = g.op('Split', [y.name, half], { axis: 1 }, 2) as [string, string];
      const pos = (e: string, d: string) => this.masked(g.op1('Greater', [e, this.scalar(0)]), d);
      const dp = g.op1('Sub', [pos(e1, g1), pos(e2, g2)]);
      this.addGrad(p, dp);
      if (this.needs.has(a.name)) this.addGrad(a, g.op1('Neg', [dp]));
    });
    return y;
  }

  mul(a: Value, b: Value): Value {
    const y = { name: this.g.op1('Mul', [a.name, b.name]), shape: a.shape };
    this.record([a, b], [y], ([dy]) => {
      if (this.needs.has(a.name)) this.addGrad(a, this.g.op1('Mul', [dy!, b.name]));
      if (this.needs.has(b.name)) this.addGrad(b, this.g.op1('Mul', [dy!, a.name]));
    });
    return y;
  }

  add(a: Value, b: Value): Value {
    const y = { name: this.g.op1('Add', [a.name, b.name]), shape: a.shape };
    this.record([a, b], [y], ([dy]) => {
      this.addGrad(a, dy!);
      this.addGrad(b, dy!);
    });
    return y;
  }

  /** 2x2 max pooling, stride 2; the gradient goes to the index MaxPool picked. */
  maxPool2(x: Value): Value {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [out, idx] = this.g.op('MaxPool', [x.name], { kernel_shape: [2, 2], strides: [2, 2] }, 2) as [string, string];
    const y = { name: out, shape: [N, C, H / 2, W / 2] };
    this.record([x], [y], ([dy]) => {
      const g = this.g;
      const flatIdx = g.op1('Reshape', [idx, this.int64('shape', [-1])]);
      const flatDy = g.op1('Reshape', [dy!, this.int64('shape', [-1])]);
      const dx = g.op1('ScatterElements', [this.zeros([size(x.shape)]), flatIdx, flatDy], { axis: 0 });
      this.addGrad(x, g.op1('Reshape', [dx, this.int64('shape', x.shape)]));
    });
    return y;
  }

  /** Nearest-neighbour 2x upsampling (as prednet-graph.ts's Resize); gradient: the 2x2 sum. */
  upsample2(x: Value): Value {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const scales = this.g.floatInit(this.g.fresh('scale2x'), [4], Float32Array.of(1, 1, 2, 2));
    const y = { name: this.g.op1('Resize', [x.name, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }), shape: [N, C, 2 * H, 2 * W] };
    this.record([x], [y], ([dy]) => {
      const g = this.g;
      const blocks = g.op1('Reshape', [dy!, this.int64('shape', [N, C, H, 2, W, 2])]);
      this.addGrad(x, g.op1('ReduceSum', [blocks, this.int64('axes', [3, 5])], { keepdims: 0 }));
    });
    return y;
  }

  /**
   * coef * sum(x) as a scalar loss term; its gradient (coef everywhere) is seeded at once, so
   * call it before `backward`.
   */
  weightedSum(x: Value, coef: number): string {
    const s = this.g.op1('Mul', [this.g.op1('ReduceSum', [x.name, this.int64('axes', x.shape.map((_, i) => i))], { keepdims: 0 }), this.scalar(coef)]);
    if (this.needs.has(x.name)) this.addGrad(x, this.g.op1('Expand', [this.scalar(coef), this.int64('shape', x.shape)]));
    return s;
  }
}
