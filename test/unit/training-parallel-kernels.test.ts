/** Our wasm SplitV and Concat (short runs copied in a loop) give the cpu backend's values, for any axis and run length. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { registerWasmLayoutKernels, useStockWasmLayoutKernels } from '../../native-models/wasm-kernels.js';

beforeAll(async () => {
  await initBackend({ force: 'wasm' });
  expect(registerWasmLayoutKernels()).toEqual(['SplitV', 'Concat']);
});
afterAll(async () => {
  await tf.setBackend('wasm');
});

const shapes: [number[], number][] = [
  [[2, 6, 5, 12], 3], // PredNet's bottom-layer gates: runs of 3
  [[2, 4, 3, 128], 3], // long runs (TypedArray.set)
  [[3, 8, 5], 1],
  [[4, 6], 0],
  [[2, 3, 4, 6], -1],
];

async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

describe('wasm layout kernels', () => {
  for (const [shape, axis] of shapes) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`split and concat ${shape.join('x')} on axis ${axis} (${dtype})`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'int32' ? (i * 7919) % 1000 : Math.sin(i * 1.3)));
        const ax = axis < 0 ? axis + shape.length : axis;
        const d = shape[ax]!;
        const sizes = [1, Math.floor((d - 1) / 2), d - 1 - Math.floor((d - 1) / 2)].filter((s) => s > 0);
        const run = () =>
          tf.tidy(() => {
            const x = tf.tensor(values, shape, dtype);
            const parts = tf.split(x, sizes, axis);
            // Reassembled in another order, with an empty part, so offsets cannot line up by chance.
            const joined = tf.concat([parts.at(-1)!, tf.zeros(parts[0]!.shape.map((s, i) => (i === ax ? 0 : s)), dtype), ...parts.slice(0, -1)], axis);
            return { parts: parts.map((p) => Array.from(p.dataSync())), joined: Array.from(joined.dataSync()) };
          });
        const before = await on('wasm', () => tf.memory().numTensors);
        const wasm = await on('wasm', run);
        expect(tf.memory().numTensors).toBe(before);
        const cpu = await on('cpu', run);
        expect(wasm).toEqual(cpu);
      });
    }
  }

  it('splits and joins PredNet\'s bottom-layer gates several times faster than the stock kernels', async () => {
    await tf.setBackend('wasm');
    const z = tf.randomNormal([4, 64, 80, 12]);
    const parts = tf.split(z, 4, 3);
    // Best of 15 each, same process, so machine load affects both alike.
    const best = (f: () => void) => {
      f();
      let ms = Infinity;
      for (let i = 0; i < 15; i++) {
        const t = performance.now();
        f();
        ms = Math.min(ms, performance.now() - t);
      }
      return ms;
    };
    const work = () => tf.dispose([...tf.split(z, 4, 3), tf.concat(parts, 3)]);
    const ours = best(work);
    useStockWasmLayoutKernels();
    const stock = best(work);
    registerWasmLayoutKernels();
    expect(stock / ours).toBeGreaterThan(3);
    tf.dispose([z, ...parts]);
  });
});
