/** What the contour and moving-bar experiments share: the view, and means with seeded bootstrap CIs over units or trials. */
import { createRng } from './rng.js';
import type { ModelView } from './rasterize.js';
import type { Comparison, Responder } from './battery-types.js';

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

/**
 * Fewer independent units (channels) than this and a comparison is not determined: a percentile
 * bootstrap of so few values (3 values give 10 distinct resample means) is far too narrow to trust.
 */
export const MIN_UNITS = 5;

/** Percentile 95 % CI from resampled values (non-finite ones dropped); NaNs when none is finite. */
function percentiles(values: number[]): [number, number] {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return [Number.NaN, Number.NaN];
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.round(q * (v.length - 1))))]!;
  return [at(0.025), at(0.975)];
}

/**
 * 95 % percentile bootstrap CI of a statistic of several samples resampled independently (each
 * with replacement, at its own size): `stat` gets one index list per sample.
 */
export function bootstrapSamplesCi(sizes: readonly number[], stat: (idx: number[][]) => number, seed: number, resamples = 2000): [number, number] {
  if (sizes.some((n) => n === 0)) return [Number.NaN, Number.NaN];
  const rng = createRng(seed);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) values.push(stat(sizes.map((n) => Array.from({ length: n }, () => rng.int(n)))));
  return percentiles(values);
}

/**
 * mean(a) - mean(b) with its 95 % bootstrap CI, a and b resampled independently: two networks'
 * units are different units (unpaired), each a draw from what its weights make of the stimulus.
 */
export function differenceOfMeans(a: readonly number[], b: readonly number[], seed: number): { value: number; ci: [number, number] } {
  const at = (xs: readonly number[], idx: number[]) => idx.reduce((s, k) => s + xs[k]!, 0) / idx.length;
  return { value: mean(a) - mean(b), ci: bootstrapSamplesCi([a.length, b.length], ([i, j]) => at(a, i!) - at(b, j!), seed) };
}

/**
 * A test a verdict rests on: holds when the CI lies wholly above (or below) 0; a missing value
 * (or CI) cannot hold (null), and `why` then says why.
 */
export function comparison(name: string, unit: string, d: { value: number; ci: [number, number] } | null, side: 'above' | 'below', why = 'not computed'): Comparison {
  const rule = `CI ${side} 0`;
  if (!d || !Number.isFinite(d.value) || !d.ci.every(Number.isFinite)) return { name, value: d && Number.isFinite(d.value) ? d.value : null, unit, ci: null, rule: `${rule}; not determined: ${why}`, holds: null };
  return { name, value: d.value, unit, ci: d.ci, rule, holds: side === 'above' ? d.ci[0] > 0 : d.ci[1] < 0 };
}

/** AND of the tests: false if one fails, null if none fails but one is undetermined. */
export function allHold(cs: readonly Comparison[]): boolean | null {
  if (cs.some((c) => c.holds === false)) return false;
  return cs.every((c) => c.holds === true) ? true : null;
}

export const yesNo = (h: boolean | null) => (h === true ? 'yes' : h === false ? 'no' : 'undetermined');

/** '[0.1, 0.25]' */
export const ciText = (ci: readonly [number, number], digits = 2) => `[${fmt(ci[0], digits)}, ${fmt(ci[1], digits)}]`;

/** 'name +0.12 unit [0.05, 0.2] (needs CI above 0: met)' */
export function comparisonText(c: Comparison, digits = 2): string {
  if (c.value === null || !c.ci) return `${c.name}: needs ${c.rule}`;
  const sign = c.value > 0 ? '+' : '';
  return `${c.name} ${sign}${fmt(c.value, digits)}${c.unit ? ` ${c.unit}` : ''} [${fmt(c.ci[0], digits)}, ${fmt(c.ci[1], digits)}] (needs ${c.rule}: ${c.holds ? 'met' : 'not met'})`;
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
  // Nothing the battery measures is meaningful below 1e-9 (ratios, ms, deg, px): such a value is
  // the floating-point residue of an exact 0 (e.g. two equal PSEs subtracted), and is written 0.
  if (Math.abs(x) < 1e-9) return '0';
  return Number(x.toPrecision(digits)).toString();
}
