/** What the contour and moving-bar experiments share: the view, and means with seeded bootstrap CIs over units or trials. */
import { createRng } from '../../paradigms/rng.js';
import type { ModelView } from '../../paradigms/scene/rasterize.js';
import type { Responder } from './types.js';

/**
 * The battery's view of every responder: 20 deg across, 10 frames per second (the model
 * observer's defaults), frames sampled at that rate: the battery's stimuli are authored in model
 * frames, as the paper's were (a flash lasts whole model frames).
 */
export function batteryView(r: Pick<Responder, 'width' | 'height' | 'channels'>): ModelView {
  return { width: r.width, height: r.height, channels: r.channels, fovDeg: 20, frameRateHz: 10, temporal: { mode: 'sample', exposure: 1, subSamples: 1 } };
}

export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);

/** 95 % percentile bootstrap CI of the mean (resamples of the same size, with replacement). */
export function bootstrapMeanCi(xs: readonly number[], seed: number, resamples = 2000): [number, number] {
  if (xs.length === 0) return [Number.NaN, Number.NaN];
  const rng = createRng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[rng.int(xs.length)]!;
    means[b] = s / xs.length;
  }
  means.sort();
  return [means[Math.floor(0.025 * (resamples - 1))]!, means[Math.ceil(0.975 * (resamples - 1))]!];
}

/** Mean and a normal-approximation 95 % band (mean +- 1.96 SE) of each column of rows x columns. */
export function columnBands(rows: readonly (readonly number[])[]): { y: number[]; lo: number[]; hi: number[] } {
  const n = rows.length;
  const cols = rows[0]?.length ?? 0;
  const y: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let c = 0; c < cols; c++) {
    const col = rows.map((r) => r[c]!);
    const m = mean(col);
    const sd = n > 1 ? Math.sqrt(col.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1)) : 0;
    const half = (1.96 * sd) / Math.sqrt(Math.max(1, n));
    y.push(m);
    lo.push(m - half);
    hi.push(m + half);
  }
  return { y, lo, hi };
}

/** A number for a verdict line: up to 3 significant digits, no trailing noise. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  return Number(x.toPrecision(digits)).toString();
}
