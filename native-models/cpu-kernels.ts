/**
 * A fix to tfjs-backend-cpu 4.22 that PredNet training needs.
 *
 * Its ResizeNearestNeighborGrad (the gradient of the top-down 2x upsampling) is right for the
 * first image of a batch only: it offsets dy by the *input* image's batch stride, so every later
 * image sums the wrong part of dy (found against the wasm and WebGPU backends, which agree with
 * each other and with the hand sum). Ours runs the stock kernel on one image at a time (where it
 * is right) and concatenates the results.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

type KernelArgs = { inputs: NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: NamedAttrMap };
type KernelFunc = (args: KernelArgs) => TensorInfo;

let stockResizeGrad: KernelFunc | null = null;

function run(backend: tf.KernelBackend, name: string, inputs: NamedTensorInfoMap | TensorInfo[], attrs: NamedAttrMap): TensorInfo {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`cpu kernel ${name} is missing`);
  return k.kernelFunc({ inputs: inputs as NamedTensorInfoMap, backend, attrs }) as TensorInfo;
}

function sliceBatch(backend: tf.KernelBackend, x: TensorInfo, b: number): TensorInfo {
  const [, ...rest] = x.shape;
  return run(backend, 'Slice', { x }, { begin: [b, ...rest.map(() => 0)], size: [1, ...rest] });
}

function resizeNearestNeighborGrad(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const images = inputs.images!;
  const dy = inputs.dy!;
  const stock = stockResizeGrad!;
  if (images.shape[0] === 1) return stock(args);
  const temps: TensorInfo[] = [];
  try {
    const parts: TensorInfo[] = [];
    for (let b = 0; b < images.shape[0]!; b++) {
      const img = sliceBatch(backend, images, b);
      const d = sliceBatch(backend, dy, b);
      temps.push(img, d);
      const part = stock({ inputs: { images: img, dy: d }, backend, attrs });
      temps.push(part);
      parts.push(part);
    }
    return run(backend, 'Concat', parts, { axis: 0 });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

const fixes: KernelConfig[] = [{ kernelName: 'ResizeNearestNeighborGrad', backendName: 'cpu', kernelFunc: resizeNearestNeighborGrad as KernelConfig['kernelFunc'] }];

/** Replace the stock cpu kernels we fix (once per process); returns their names. */
export function registerCpuKernelFixes(): string[] {
  if (!stockResizeGrad) {
    const stock = tf.getKernel('ResizeNearestNeighborGrad', 'cpu');
    if (!stock) throw new Error('tfjs-backend-cpu has no ResizeNearestNeighborGrad kernel');
    stockResizeGrad = stock.kernelFunc as unknown as KernelFunc;
    for (const k of fixes) {
      tf.unregisterKernel(k.kernelName, 'cpu');
      tf.registerKernel(k);
    }
  }
  return fixes.map((k) => k.kernelName);
}
