/** Pieces the unit experiments share: reading units out of recordings, the bootstrap over units, names, cancelling. */
import { createRng } from '../../paradigms/rng.js';
import type { ExperimentContext, Probe, Recording, Responder, RunOptions } from './types.js';
import { UNIT_TYPES } from './types.js';

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

export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);

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

/** Mean and a normal-approximation 95 % band of each column of rows (units x points). */
export function band(rows: readonly (readonly number[])[]): { y: number[]; lo: number[]; hi: number[] } {
  const cols = rows[0]?.length ?? 0;
  const y: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let c = 0; c < cols; c++) {
    const col = rows.map((r) => r[c]!).filter(Number.isFinite);
    const m = mean(col);
    const sd = col.length > 1 ? Math.sqrt(col.reduce((s, x) => s + (x - m) ** 2, 0) / (col.length - 1)) : 0;
    const half = (1.96 * sd) / Math.sqrt(Math.max(1, col.length));
    y.push(m);
    lo.push(m - half);
    hi.push(m + half);
  }
  return { y, lo, hi };
}

/** Up to 3 significant digits. */
export function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x);
}

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
