/**
 * Gradient kernels the wasm backend lacks (Conv2DBackpropFilter) or runs slowly
 * (Conv2DBackpropInput), rebuilt from its fast forward convolution. Stride 1, dilation 1, NHWC,
 * any padding ('same', 'valid' or explicit): all PredNet needs. Other configurations throw.
 *
 *  dW = valid-conv( transpose(pad(x)) [Ci,Hp,Wp,N],  transpose(dy) [H,W,N,Co] ) -> [Ci,KH,KW,Co] -> [KH,KW,Ci,Co]
 *  dx = valid-conv( pad(dy, K-1-pad), reverse(W, spatial) transposed to [KH,KW,Co,Ci] )
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: string;
  dilations?: number | [number, number];
}

const pair = (v: number | [number, number] | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);

/** Padding [top, bottom, left, right] of a stride-1 convolution with this kernel. */
export function stride1Padding(pad: ConvAttrs['pad'], kh: number, kw: number): [number, number, number, number] {
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    const top = Math.floor((kh - 1) / 2);
    const left = Math.floor((kw - 1) / 2);
    return [top, kh - 1 - top, left, kw - 1 - left];
  }
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  // explicit: [[0,0],[top,bottom],[left,right],[0,0]] in NHWC
  return [pad[1]![0]!, pad[1]![1]!, pad[2]![0]!, pad[2]![1]!];
}

function check(attrs: ConvAttrs, kernel: string): void {
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations);
  if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || attrs.dataFormat !== 'NHWC')
    throw new Error(`PredLab's wasm ${kernel} supports stride 1, dilation 1, NHWC only (got strides ${attrs.strides}, dilations ${attrs.dilations}, ${attrs.dataFormat}).`);
}

type KernelArgs = { inputs: NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: NamedAttrMap };

/** Run another wasm kernel directly on tensor infos (as backends do internally: no engine tensors). */
function run(backend: tf.KernelBackend, name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is missing`);
  return k.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

const conv = (backend: tf.KernelBackend, x: TensorInfo, filter: TensorInfo) =>
  run(backend, 'Conv2D', { x, filter }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as NamedAttrMap);
const transpose = (backend: tf.KernelBackend, x: TensorInfo, perm: number[]) => run(backend, 'Transpose', { x }, { perm });
const pad = (backend: tf.KernelBackend, x: TensorInfo, paddings: [number, number][]) =>
  run(backend, 'PadV2', { x }, { paddings, constantValue: 0 } as unknown as NamedAttrMap);

/** Disposes intermediates when done, whatever happens. */
function scoped<T>(backend: tf.KernelBackend, fn: (keep: (t: TensorInfo) => TensorInfo) => T): T {
  const temps: TensorInfo[] = [];
  try {
    return fn((t) => (temps.push(t), t));
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function backpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  check(a, 'Conv2DBackpropFilter');
  const [kh, kw] = a.filterShape;
  const [top, bottom, left, right] = stride1Padding(a.pad, kh, kw);
  return scoped(backend, (tmp) => {
    const xp = top || bottom || left || right ? tmp(pad(backend, inputs.x!, [[0, 0], [top, bottom], [left, right], [0, 0]])) : inputs.x!;
    const xt = tmp(transpose(backend, xp, [3, 1, 2, 0])); // [Ci, Hp, Wp, N]
    const dyt = tmp(transpose(backend, inputs.dy!, [1, 2, 0, 3])); // [H, W, N, Co]
    const dw = tmp(conv(backend, xt, dyt)); // [Ci, KH, KW, Co]
    return transpose(backend, dw, [1, 2, 0, 3]);
  });
}

function backpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  check(a, 'Conv2DBackpropInput');
  const [kh, kw] = inputs.filter!.shape as [number, number, number, number];
  const [top, bottom, left, right] = stride1Padding(a.pad, kh, kw);
  return scoped(backend, (tmp) => {
    const reversed = tmp(run(backend, 'Reverse', { x: inputs.filter! }, { dims: [0, 1] }));
    const flipped = tmp(transpose(backend, reversed, [0, 1, 3, 2])); // [KH, KW, Co, Ci]
    const dyp = tmp(pad(backend, inputs.dy!, [[0, 0], [kh - 1 - top, kh - 1 - bottom], [kw - 1 - left, kw - 1 - right], [0, 0]]));
    return conv(backend, dyp, flipped);
  });
}

export const wasmGradientKernels: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: backpropFilter as KernelConfig['kernelFunc'] },
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: backpropInput as KernelConfig['kernelFunc'] },
];

const stock = new Map<string, KernelConfig>();

/** Register (or replace) our kernels on the wasm backend, remembering the stock ones. Returns their names. */
export function registerWasmGradientKernels(): string[] {
  for (const k of wasmGradientKernels) {
    const existing = tf.getKernel(k.kernelName, 'wasm');
    if (existing) {
      if (existing.kernelFunc !== k.kernelFunc && !stock.has(k.kernelName)) stock.set(k.kernelName, existing);
      tf.unregisterKernel(k.kernelName, 'wasm');
    }
    tf.registerKernel(k);
  }
  return wasmGradientKernels.map((k) => k.kernelName);
}

/** Put the stock wasm kernels back (the benchmark's baseline); returns which ones exist. */
export function useStockWasmKernels(): string[] {
  for (const k of wasmGradientKernels) {
    tf.unregisterKernel(k.kernelName, 'wasm');
    const original = stock.get(k.kernelName);
    if (original) tf.registerKernel(original);
  }
  return [...stock.keys()];
}

/**
 * Split and concatenation on wasm copy each contiguous run with TypedArray.set, one call per
 * run: along a channel axis of 3 (PredNet's bottom layer) that is a call per 3 floats, ~20x
 * slower than a plain loop. These copy short runs element by element, long runs with set.
 * float32 and int32 only; other dtypes go to the stock kernels.
 */
type Heap = tf.KernelBackend & { makeOutput(shape: number[], dtype: tf.DataType): TensorInfo; typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array };
const SHORT_RUN = 32;

function copyRuns(src: Float32Array | Int32Array, srcStride: number, srcOffset: number, dst: Float32Array | Int32Array, dstStride: number, dstOffset: number, run: number, count: number): void {
  if (run >= SHORT_RUN) {
    for (let p = 0; p < count; p++) dst.set(src.subarray(p * srcStride + srcOffset, p * srcStride + srcOffset + run), p * dstStride + dstOffset);
    return;
  }
  for (let p = 0; p < count; p++) {
    const s = p * srcStride + srcOffset;
    const d = p * dstStride + dstOffset;
    for (let c = 0; c < run; c++) dst[d + c] = src[s + c]!;
  }
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const copyable = (dtype: tf.DataType) => dtype === 'float32' || dtype === 'int32';
const layoutStock = new Map<string, KernelConfig['kernelFunc']>();

function splitV(args: KernelArgs): TensorInfo[] {
  const x = args.inputs.x!;
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  if (!copyable(x.dtype)) return layoutStock.get('SplitV')!(args as Parameters<KernelConfig['kernelFunc']>[0]) as TensorInfo[];
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const backend = args.backend as Heap;
  // Allocate first: an allocation may grow the wasm memory, which detaches earlier views of it.
  const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === ax ? s : d)), x.dtype));
  const src = backend.typedArrayFromHeap(x);
  const outer = sizeOf(x.shape.slice(0, ax));
  const unit = sizeOf(x.shape.slice(ax + 1));
  const stride = x.shape[ax]! * unit;
  let at = 0;
  outs.forEach((out, i) => {
    const run = sizes[i]! * unit;
    copyRuns(src, stride, at, backend.typedArrayFromHeap(out), run, 0, run, outer);
    at += run;
  });
  return outs;
}

function concat(args: KernelArgs): TensorInfo {
  const inputs = Object.values(args.inputs) as TensorInfo[];
  const { axis } = args.attrs as unknown as { axis: number };
  const nonEmpty = inputs.filter((t) => sizeOf(t.shape) > 0);
  if (nonEmpty.length < 2 || !nonEmpty.every((t) => t.dtype === nonEmpty[0]!.dtype && copyable(t.dtype)))
    return layoutStock.get('Concat')!(args as Parameters<KernelConfig['kernelFunc']>[0]) as TensorInfo;
  const ax = axis < 0 ? axis + inputs[0]!.shape.length : axis;
  const shape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), ax);
  const backend = args.backend as Heap;
  const out = backend.makeOutput(shape, nonEmpty[0]!.dtype); // before any view of the heap (see splitV)
  const dst = backend.typedArrayFromHeap(out);
  const outer = sizeOf(shape.slice(0, ax));
  const stride = sizeOf(shape.slice(ax));
  let at = 0;
  for (const t of nonEmpty) {
    const run = sizeOf(t.shape.slice(ax));
    copyRuns(backend.typedArrayFromHeap(t), run, 0, dst, stride, at, run, outer);
    at += run;
  }
  return out;
}

export const wasmLayoutKernels: KernelConfig[] = [
  { kernelName: 'SplitV', backendName: 'wasm', kernelFunc: splitV as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Concat', backendName: 'wasm', kernelFunc: concat as unknown as KernelConfig['kernelFunc'] },
];

/** Register our SplitV and Concat on the wasm backend (idempotent); returns their names. */
export function registerWasmLayoutKernels(): string[] {
  for (const k of wasmLayoutKernels) {
    const existing = tf.getKernel(k.kernelName, 'wasm');
    if (existing?.kernelFunc === k.kernelFunc) continue;
    if (existing) {
      if (!layoutStock.has(k.kernelName)) layoutStock.set(k.kernelName, existing.kernelFunc);
      tf.unregisterKernel(k.kernelName, 'wasm');
    }
    tf.registerKernel(k);
  }
  return wasmLayoutKernels.map((k) => k.kernelName);
}

/** Put the stock SplitV and Concat back (the benchmark's and the tests' baseline). */
export function useStockWasmLayoutKernels(): void {
  for (const k of wasmLayoutKernels) {
    const original = layoutStock.get(k.kernelName);
    if (!original) continue;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({ kernelName: k.kernelName, backendName: 'wasm', kernelFunc: original });
  }
}
