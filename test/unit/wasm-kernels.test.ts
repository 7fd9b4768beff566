/** Our wasm gradient kernels against the cpu backend's: same values, no leaked tensors. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';

beforeAll(async () => {
  const r = await initBackend({ force: 'wasm' });
  expect(r.patchedKernels).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
});

const cases: [string, number[], number, number, 'same' | 'valid' | number][] = [
  ['3x3 same', [2, 12, 10, 5], 3, 7, 'same'],
  ['5x5 same', [1, 9, 7, 3], 5, 4, 'same'],
  ['even 2x2 same', [2, 8, 8, 4], 2, 3, 'same'],
  ['3x3 valid', [1, 10, 12, 2], 3, 5, 'valid'],
  ['1x1', [3, 4, 6, 8], 1, 2, 'same'],
  ['explicit pad 1', [1, 6, 6, 2], 3, 2, 1],
];

async function gradsOn(backend: string, x: Float32Array, xs: number[], w: Float32Array, ws: number[], pad: 'same' | 'valid' | number) {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  // A non-uniform upstream gradient, so a misplaced dy element cannot hide.
  const weighting = (y: tf.Tensor) => tf.tidy(() => tf.reshape(tf.sin(tf.mul(tf.range(0, y.size, 1), 0.7)), y.shape));
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad);
    return tf.sum(tf.mul(y, weighting(y)));
  });
  const xt = tf.tensor(x, xs);
  const wt = tf.tensor(w, ws);
  const [gx, gw] = g([xt, wt]);
  const out = { dx: gx!.dataSync().slice(), dw: gw!.dataSync().slice() };
  tf.dispose([xt, wt, gx!, gw!]);
  return { ...out, leaked: tf.memory().numTensors - before };
}

describe('wasm gradient kernels', () => {
  for (const [name, xs, k, cout, pad] of cases)
    it(`${name}: filter and input gradients match the cpu backend, no leaks`, async () => {
      const x = Float32Array.from({ length: xs.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.37));
      const ws = [k, k, xs[3]!, cout];
      const w = Float32Array.from({ length: ws.reduce((a, b) => a * b) }, (_, i) => Math.cos(i * 0.11));
      const cpu = await gradsOn('cpu', x, xs, w, ws, pad);
      const wasm = await gradsOn('wasm', x, xs, w, ws, pad);
      for (const key of ['dx', 'dw'] as const) {
        const scale = Math.max(...cpu[key].map(Math.abs));
        const diff = Math.max(...cpu[key].map((v, i) => Math.abs(v - wasm[key][i]!)));
        expect(diff / scale, key).toBeLessThan(1e-5);
      }
      expect(wasm.leaked).toBe(0);
      expect(cpu.leaked).toBe(0);
    });

  it('refuses strided convolutions with a clear message', async () => {
    await tf.setBackend('wasm');
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')));
    expect(() => g([tf.ones([1, 8, 8, 1]), tf.ones([3, 3, 1, 1])])).toThrow(/stride 1, dilation 1/);
  });
});
