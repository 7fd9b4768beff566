/** The cpu backend's upsampling gradient, fixed for batches (tfjs-backend-cpu 4.22 gets images after the first wrong). */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';

beforeAll(async () => {
  await initBackend({ force: 'cpu' });
});

/** dx of nearest-neighbour 2x upsampling: each input pixel gets the sum of its 2x2 block of dy. */
function blockSums(dy: Float32Array, [n, h, w, c]: number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let k = 0; k < c!; k++) {
          let s = 0;
          for (const [dy_, dx_] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) s += dy[((b * 2 * h! + 2 * y + dy_) * 2 * w! + 2 * x + dx_) * c! + k]!;
          out.push(s);
        }
  return out;
}

describe('cpu ResizeNearestNeighborGrad', () => {
  for (const shape of [[1, 3, 4, 2], [3, 2, 2, 1], [2, 4, 3, 5]])
    it(`batch of ${shape[0]} (${shape.join('x')}): every image gets its own block sums, no leaks`, () => {
      const [n, h, w, c] = shape as [number, number, number, number];
      const dy = Float32Array.from({ length: n * 4 * h * w * c }, (_, i) => ((i * 37) % 11) - 5);
      const before = tf.memory().numTensors;
      const x = tf.zeros(shape);
      const dyT = tf.tensor(dy, [n, 2 * h, 2 * w, c]);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [2 * h, 2 * w]), dyT)))(x);
      expect(tf.getBackend()).toBe('cpu');
      expect(Array.from(g.dataSync())).toEqual(blockSums(dy, shape));
      tf.dispose([x, dyT, g]);
      expect(tf.memory().numTensors).toBe(before);
    });
});
