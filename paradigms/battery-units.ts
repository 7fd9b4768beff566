/** Pieces the unit experiments share: reading units out of recordings, the bootstrap over units, names, cancelling. */
import { createRng } from './rng.js';
import type { ExperimentContext, Probe, Recording, Responder, RunOptions } from './battery-types.js';
import { UNIT_TYPES } from './battery-types.js';
import { columnBands, fmt, mean } from './battery-stats.js';

// The battery's shared small statistics (battery-stats.ts), under the names the unit experiments use.
export { columnBands as band, fmt, mean };

export const probeName = (p: Probe) => `${p.type}${p.layer}`;

/** Every layer's four unit types, layer by layer. */
export function allProbes(r: Responder): Probe[] {
  return Array.from({ length: r.layers }, (_, layer) => UNIT_TYPES.map((type) => ({ layer, type }))).flat();
}

/** The probe a verdict names: E1 as in the paper's figures (E0 in a one-layer network). */
export function headlineProbe(r: Responder): Probe {
  return { layer: Math.min(1, r.layers - 1), type: 'E' };
}

/** Layers the unit-level experiments analyse: all, or in quick mode those up to the headline probe's. */
export function analysedLayers(r: Responder, quick: boolean): number[] {
  return Array.from({ length: quick ? headlineProbe(r).layer + 1 : r.layers }, (_, l) => l);
}

/** The unit at the centre of a layer's map: (row, column), and its nominal centre in image pixels. */
export function centralPosition(r: Responder, layer: number): { i: number; j: number; x: number; y: number } {
  const s = 2 ** layer;
  const i = Math.floor(r.height / s / 2);
  const j = Math.floor(r.width / s / 2);
  return { i, j, x: (j + 0.5) * s, y: (i + 0.5) * s };
}

/** One unit's value over time, (T). */
export function unitTrace(rec: Recording, channel: number, i: number, j: number): number[] {
  const [T, C, H, W] = rec.shape;
  if (channel >= C || i >= H || j >= W) throw new RangeError(`Unit (${channel}, ${i}, ${j}) lies outside the recording (${C}, ${H}, ${W}).`);
  return Array.from({ length: T }, (_, t) => rec.data[((t * C + channel) * H + i) * W + j]!);
}

/** Each channel's mean over positions at every step: (C) arrays of (T). */
export function channelMeans(rec: Recording): number[][] {
  const [T, C, H, W] = rec.shape;
  const hw = H * W;
  return Array.from({ length: C }, (_, c) =>
    Array.from({ length: T }, (_, t) => {
      let s = 0;
      const off = (t * C + c) * hw;
      for (let k = 0; k < hw; k++) s += rec.data[off + k]!;
      return s / hw;
    }),
  );
}

/** Mean of xs over steps [from, to). */
export const windowMean = (xs: readonly number[], from: number, to: number) => mean(xs.slice(from, to));

/**
 * 95 % percentile bootstrap CI of a statistic over n units: `stat` gets the resampled unit
 * indices (with replacement, same size). Seeded, so a run is reproducible.
 */
export function bootstrapCi(n: number, stat: (idx: number[]) => number, seed: number, resamples = 2000): [number, number] {
  if (n === 0) return [Number.NaN, Number.NaN];
  const rng = createRng(seed);
  const values: number[] = [];
  const idx = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let k = 0; k < n; k++) idx[k] = rng.int(n);
    const v = stat(idx);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return [Number.NaN, Number.NaN];
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))]!;
  return [at(0.025), at(0.975)];
}

/** Mean of values[idx]. */
export const meanAt = (values: readonly number[], idx: readonly number[]) => mean(idx.map((k) => values[k]!));

export function throwIfCancelled(ctx: Pick<ExperimentContext, 'signal'>): void {
  if (ctx.signal?.aborted) throw new Error('The experiment was cancelled.');
}

/** Sequences run per call when results are reduced as they come (bounds memory: recordings are full maps). */
export const RUN_CHUNK = 16;

/**
 * Runs the sequences in chunks and hands each sequence's recordings (one per probe) to `reduce`
 * right away, so only a chunk's full maps are held at once. Checks for cancelling between chunks.
 */
export async function runReduced<T>(
  ctx: Pick<ExperimentContext, 'signal'>,
  r: Responder,
  sequences: Float32Array[],
  frames: number,
  options: RunOptions,
  reduce: (recs: Recording[], index: number) => T,
): Promise<T[]> {
  const out: T[] = [];
  for (let n0 = 0; n0 < sequences.length; n0 += RUN_CHUNK) {
    throwIfCancelled(ctx);
    const recs = await r.run(sequences.slice(n0, n0 + RUN_CHUNK), frames, options);
    recs.forEach((rec, k) => out.push(reduce(rec, n0 + k)));
  }
  return out;
}
