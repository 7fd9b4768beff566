/**
 * A seeded bijection of [0, n): trial k of a shuffled list without building the list (a small
 * Feistel network on the next even power of two, cycle-walking back into range). O(1) per index.
 */
import { subSeed } from './rng.js';

const ROUNDS = 4;

export function permutedIndex(index: number, n: number, seed: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 30) throw new RangeError(`A permutation needs 1 to 2^30 items; got ${n}.`);
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`Index ${index} is outside 0..${n - 1}.`);
  let bits = 2;
  while (2 ** bits < n) bits += 2;
  const half = bits / 2;
  const mask = 2 ** half - 1;
  let x = index;
  // Cycle-walking: the domain is under 4n, so a few steps at most on average.
  do {
    let left = Math.floor(x / 2 ** half);
    let right = x & mask;
    for (let r = 0; r < ROUNDS; r++) {
      const f = subSeed(seed + r * 0x632be5ab, right) & mask;
      [left, right] = [right, left ^ f];
    }
    x = left * 2 ** half + right;
  } while (x >= n);
  return x;
}
