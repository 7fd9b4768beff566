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
