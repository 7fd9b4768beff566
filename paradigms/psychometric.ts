/**
 * A psychometric function (cumulative Gaussian, logistic or Weibull) with guess and lapse rates,
 * fitted by maximum likelihood from several starting points, with parametric-bootstrap confidence
 * intervals and a deviance goodness-of-fit test (after psignifit / Wichmann & Hill 2001).
 *
 *   psi(x) = guess + (1 - guess - lapse) * F(x; pse, sigma)      (F: psychometric-function.ts)
 */
import { nelderMead } from 'fmin';
import { z } from 'zod';
import { FAMILY_NAMES, PSYCHOMETRIC_FAMILIES, psi, slopeAtPse, spread75, type PsychometricFamily, type PsychometricParams } from './psychometric-function.js';
import { createRng, type Rng } from './rng.js';

export { FAMILY_NAMES, PSYCHOMETRIC_FAMILIES, psi, slopeAtPse, spread75, type PsychometricFamily, type PsychometricParams };

/** Default upper bound of free guess and lapse rates (psignifit's default prior ends near 0.1). */
export const DEFAULT_MAX_LAPSE = 0.1;
/** Stated limit of a fixed guess and lapse rate. */
export const MAX_FIXED_RATE = 0.2;

/** The function an analysis fits, chosen per analysis and stated in every output. */
export interface FitChoice {
  family: PsychometricFamily;
  /** Guess and lapse rates: 'free' (each bounded, 0 to the analysis' bound) or both fixed at this rate. */
  rates: 'free' | number;
}

export const DEFAULT_FIT: FitChoice = { family: 'cumulative-gaussian', rates: 'free' };

/** What the app and the CLI accept as a choice of function (validated at the IPC boundary). */
export const fitChoiceSchema = z
  .object({ family: z.enum(PSYCHOMETRIC_FAMILIES), rates: z.union([z.literal('free'), z.number().finite().min(0).max(MAX_FIXED_RATE)]) })
  .strict();

/** "cumulative Gaussian; guess and lapse rates free (each 0 to 0.1)". */
export function describeFit(choice: FitChoice, maxLapse = DEFAULT_MAX_LAPSE): string {
  const rates = choice.rates === 'free' ? `guess and lapse rates free (each 0 to ${maxLapse})` : `guess and lapse rates fixed at ${choice.rates}`;
  return `${FAMILY_NAMES[choice.family]}; ${rates}`;
}

/** Why this choice cannot be fitted to these levels, or null (the Weibull needs positive levels). */
export function fitChoiceProblem(choice: Pick<FitChoice, 'family'>, xs: readonly number[]): string | null {
  if (choice.family !== 'weibull' || xs.every((x) => x > 0)) return null;
  return `the Weibull function is defined for positive stimulus levels only, and these run from ${Math.min(...xs)} to ${Math.max(...xs)}; choose the cumulative Gaussian or the logistic`;
}

export interface Level {
  x: number;
  /** Trials at this level. */
  n: number;
  /** "Positive" answers (e.g. "flash ahead"). */
  k: number;
}

export interface FitOptions {
  /** The curve's family (default the cumulative Gaussian). */
  family?: PsychometricFamily | undefined;
  /** Upper bound of free guess and lapse rates (default DEFAULT_MAX_LAPSE). */
  maxLapse?: number | undefined;
  /** Fix guess and lapse to this rate (0: the bare function) instead of fitting them. */
  fixedRates?: number | undefined;
  bootstrap?: number;
  seed?: number;
  /** Confidence level of the intervals. */
  level?: number;
}

export interface PsychometricFit extends PsychometricParams {
  family: PsychometricFamily;
  /** How guess and lapse were treated: 'free' up to `maxLapse`, or fixed at this rate. */
  rates: 'free' | number;
  maxLapse: number;
  /** Slope of psi at the PSE, per unit of x. */
  slope: number;
  /** Half the distance between the curve's 25 % and 75 % points (a two-sided task's 75 %-correct threshold). */
  spread75: number;
  logLikelihood: number;
  deviance: number;
  /** Share of bootstrap deviances at least as large as the observed one (NaN without bootstrap). */
  devianceP: number;
  ci: { pse: [number, number]; sigma: [number, number]; slope: [number, number]; spread75: [number, number] };
  ciLevel: number;
  bootstrapSamples: number;
  levels: Level[];
  /** Reasons not to trust the fit; empty when the fit is acceptable. */
  warnings: string[];
  /**
   * Parameters the data do not determine: every answer the same; the slope at the fit's bound (the
   * fit, or enough of its bootstrap fits to set a CI limit, at the steepest curve the levels can
   * tell apart; when the fit itself is that step, or the answers switch completely between two
   * levels, the PSE read off it too); a CI reaching beyond the tested levels (the PSE); or an
   * estimate outside its own CI.
   */
  undetermined: FitParameter[];
  /** Why each undetermined parameter is, in a clause ("every answer was the same"). */
  reasons: Partial<Record<FitParameter, string>>;
}

export type FitParameter = 'pse' | 'sigma' | 'slope' | 'spread75';

const EPS = 1e-9;

/** Group binary answers into levels, sorted by x. */
export function toLevels(points: { x: number; positive: boolean }[]): Level[] {
  const byX = new Map<number, Level>();
  for (const { x, positive } of points) {
    const key = Math.round(x * 1e9) / 1e9;
    const level = byX.get(key) ?? { x: key, n: 0, k: 0 };
    level.n += 1;
    if (positive) level.k += 1;
    byX.set(key, level);
  }
  return [...byX.values()].sort((a, b) => a.x - b.x);
}

function negLogLik(levels: Level[], p: PsychometricParams): number {
  let nll = 0;
  for (const { x, n, k } of levels) {
    const q = Math.min(1 - EPS, Math.max(EPS, psi(x, p)));
    nll -= k * Math.log(q) + (n - k) * Math.log(1 - q);
  }
  return nll;
}

function deviance(levels: Level[], p: PsychometricParams): number {
  let d = 0;
  for (const { x, n, k } of levels) {
    const q = Math.min(1 - EPS, Math.max(EPS, psi(x, p)));
    if (k > 0) d += k * Math.log(k / (n * q));
    if (n - k > 0) d += (n - k) * Math.log((n - k) / (n * (1 - q)));
  }
  return 2 * d;
}

const logistic = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(p / (1 - p));

/**
 * The smallest spread a fit may take. A spread far below the spacing of the levels is not
 * identifiable from the data (the curve is a step between two levels either way); the floor keeps
 * bootstrap slopes finite. It is therefore a bound of the fit, not a measurement.
 */
export function sigmaFloorOf(levels: Level[]): number {
  const sorted = levels.map((l) => l.x).sort((a, b) => a - b);
  const range = Math.max(sorted[sorted.length - 1]! - sorted[0]!, 1e-6);
  const gaps = sorted.slice(1).map((x, i) => x - sorted[i]!).filter((g) => g > 0);
  return (gaps.length ? Math.min(...gaps) : range) / 20;
}

/** Maximum-likelihood point estimate (no bootstrap). */
export function fitPoint(levels: Level[], options: FitOptions = {}, starts?: PsychometricParams[]): PsychometricParams & { nll: number } {
  const maxLapse = options.maxLapse ?? DEFAULT_MAX_LAPSE;
  const family = options.family ?? 'cumulative-gaussian';
  const fixed = options.fixedRates;
  const xs = levels.map((l) => l.x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const range = Math.max(hi - lo, 1e-6);
  const sigmaFloor = sigmaFloorOf(levels);
  // The Weibull's PSE is positive: it is fitted on a log scale.
  const weibull = family === 'weibull';
  // Unconstrained parametrisation: sigma = floor + exp(s), rates = maxLapse * logistic(a).
  const unpack = (v: number[]): PsychometricParams => ({
    family,
    pse: weibull ? Math.exp(v[0]!) : v[0]!,
    sigma: sigmaFloor + Math.exp(v[1]!),
    guess: fixed ?? maxLapse * logistic(v[2]!),
    lapse: fixed ?? maxLapse * logistic(v[3]!),
  });
  const objective = (v: number[]) => {
    // Keep the PSE within a generous window around the data: beyond it the likelihood is flat.
    const p = unpack(v);
    const penalty = Math.max(0, Math.abs(p.pse - (lo + hi) / 2) - 2 * range) ** 2 * 10;
    return negLogLik(levels, p) + penalty;
  };
  const initial =
    starts ??
    (() => {
      const n = levels.reduce((s, l) => s + l.n, 0);
      const k = levels.reduce((s, l) => s + l.k, 0);
      // Rough PSE guess: level where the proportion crosses 0.5 (linear interpolation).
      let mid = lo + (range * (n - k)) / Math.max(n, 1);
      for (let i = 1; i < levels.length; i++) {
        const a = levels[i - 1]!;
        const b = levels[i]!;
        const pa = a.k / a.n;
        const pb = b.k / b.n;
        if ((pa - 0.5) * (pb - 0.5) <= 0 && pa !== pb) {
          mid = a.x + ((0.5 - pa) / (pb - pa)) * (b.x - a.x);
          break;
        }
      }
      const out: PsychometricParams[] = [];
      for (const pse of [mid, lo + range / 3, hi - range / 3])
        for (const sigma of [range / 10, range / 4, range / 1.5])
          out.push({ pse, sigma, guess: 0.02, lapse: 0.02 });
      return out;
    })();
  let best: { x: number[]; fx: number } | null = null;
  for (const s of initial) {
    const clampRate = (r: number) => Math.min(0.95, Math.max(0.05, r / maxLapse));
    const v0 = [weibull ? Math.log(Math.max(s.pse, lo / 2)) : s.pse, Math.log(Math.max(s.sigma - sigmaFloor, 1e-6)), logit(clampRate(s.guess)), logit(clampRate(s.lapse))];
    let result = nelderMead(objective, v0, { maxIterations: 1500, nonZeroDelta: 1.2, zeroDelta: 0.1 });
    // One restart from the optimum escapes a collapsed simplex.
    result = nelderMead(objective, result.x.slice(), { maxIterations: 1500, nonZeroDelta: 1.1, zeroDelta: 0.05 });
    if (!best || result.fx < best.fx) best = { x: result.x, fx: result.fx };
  }
  const p = unpack(best!.x);
  return { ...p, nll: negLogLik(levels, p) };
}

function binomial(n: number, p: number, rng: Rng): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.next() < p) k++;
  return k;
}

const fmtNum = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const frac = pos - i;
  return sorted[i]! + (sorted[Math.min(i + 1, sorted.length - 1)]! - sorted[i]!) * frac;
}

export function fitPsychometric(levels: Level[], options: FitOptions = {}): PsychometricFit {
  const warnings: string[] = [];
  const used = levels.filter((l) => l.n > 0);
  if (used.length < 3) throw new RangeError(`A psychometric fit needs answers at 3 or more stimulus levels; got ${used.length}.`);
  const family = options.family ?? 'cumulative-gaussian';
  const problem = fitChoiceProblem({ family }, used.map((l) => l.x));
  if (problem) throw new RangeError(`Cannot fit: ${problem}.`);
  const maxLapse = options.maxLapse ?? DEFAULT_MAX_LAPSE;
  if (options.fixedRates !== undefined && !(options.fixedRates >= 0 && options.fixedRates <= MAX_FIXED_RATE))
    throw new RangeError(`A fixed guess and lapse rate lies between 0 and ${MAX_FIXED_RATE}; got ${options.fixedRates}.`);
  const point = fitPoint(used, options);
  const B = options.bootstrap ?? 500;
  const ciLevel = options.level ?? 0.95;
  const rng = createRng(options.seed ?? 1);
  const boot = { pse: [] as number[], sigma: [] as number[], slope: [] as number[], spread75: [] as number[], dev: [] as number[] };
  const floor = sigmaFloorOf(used);
  const atFloor = (sigma: number) => sigma <= floor * 1.05;
  let floorHits = 0;
  for (let b = 0; b < B; b++) {
    const sample = used.map((l) => ({ x: l.x, n: l.n, k: binomial(l.n, psi(l.x, point), rng) }));
    const f = fitPoint(sample, options, [point]);
    if (atFloor(f.sigma)) floorHits++;
    boot.pse.push(f.pse);
    boot.sigma.push(f.sigma);
    boot.slope.push(slopeAtPse(f));
    boot.spread75.push(spread75(f));
    boot.dev.push(deviance(sample, f));
  }
  const a = (1 - ciLevel) / 2;
  const ci = (vals: number[]): [number, number] => {
    const s = vals.slice().sort((x, y) => x - y);
    return [percentile(s, a), percentile(s, 1 - a)];
  };
  const dev = deviance(used, point);
  const devianceP = B > 0 ? boot.dev.filter((d) => d >= dev).length / B : Number.NaN;
  const xs = used.map((l) => l.x);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const allSame = used.every((l) => l.k === 0) || used.every((l) => l.k === l.n);
  // With every answer the same there is no PSE to place: saying where it lies would contradict that.
  if (allSame) warnings.push('Every answer was the same; the PSE is not determined.');
  else if (point.pse < lo || point.pse > hi)
    warnings.push(`The PSE (${point.pse.toFixed(3)}) lies outside the tested range [${lo}, ${hi}]; extend the tested levels.`);
  if (!allSame && B > 0 && devianceP < 0.05)
    warnings.push(`The curve does not explain the data (deviance ${dev.toFixed(2)}, bootstrap p = ${devianceP.toFixed(3)}).`);
  // Perfectly separated answers (all "no" up to one level, all "yes" from the next): the data only
  // say the PSE lies between those two levels, whatever the optimiser returns inside the gap.
  const sorted = used.slice().sort((p, q) => p.x - q.x);
  const split = sorted.findIndex((l) => l.k > 0);
  const separated = !allSame && split > 0 && sorted.slice(0, split).every((l) => l.k === 0) && sorted.slice(split).every((l) => l.k === l.n);
  let pseCi = ci(boot.pse);
  let spreadCi = ci(boot.spread75);
  if (separated) {
    pseCi = [sorted[split - 1]!.x, sorted[split]!.x];
    // The whole 25-75 % rise fits inside the gap: the spread is at most half of it.
    spreadCi = [0, (sorted[split]!.x - sorted[split - 1]!.x) / 2];
    warnings.push(`The answers switch completely between ${sorted[split - 1]!.x} and ${sorted[split]!.x}: the PSE lies somewhere in between and the slope is not determined; test levels in that range.`);
  }
  const cis = { pse: pseCi, sigma: ci(boot.sigma), slope: ci(boot.slope), spread75: spreadCi };
  const estimates = { pse: point.pse, sigma: point.sigma, slope: slopeAtPse(point), spread75: spread75(point) };
  const reasons: Partial<Record<FitParameter, string>> = {};
  const mark = (keys: readonly FitParameter[], why: string) => {
    for (const k of keys) reasons[k] ??= why;
  };
  const ALL = ['pse', 'sigma', 'slope', 'spread75'] as const;
  if (allSame) mark(ALL, 'every answer was the same, so there is no curve to fit');
  // The steepest curve the level spacing allows, reached by the fit or by more bootstrap fits
  // than the CI's tail holds (or answers that switch completely between two levels): the slope is
  // bounded by the fit, not by the data, and so is everything read off that curve.
  const steepest = slopeAtPse({ ...point, sigma: floor });
  if (!allSame && (separated || atFloor(point.sigma) || (B > 0 && floorHits / B > a))) {
    const who = atFloor(point.sigma) ? 'the fit' : `${Math.round((100 * floorHits) / B)} % of the bootstrap fits`;
    // The PSE is read off that curve too when the fit itself is the step (the bootstrap alone reaching the floor bounds only the slope).
    mark(
      separated || atFloor(point.sigma) ? ALL : ['sigma', 'slope', 'spread75'],
      separated
        ? `the answers switch completely between ${sorted[split - 1]!.x} and ${sorted[split]!.x}: the slope is not determined, and the PSE is only known to lie in between`
        : `the slope is at the fit's bound (${who} reached the steepest curve these levels can tell apart, slope ${steepest.toPrecision(4)})`,
    );
    if (!separated)
      warnings.push(`The slope is not determined: ${who} reached the steepest curve these stimulus levels can tell apart (slope ${steepest.toPrecision(4)}), a limit of the fit; test levels closer together around the PSE.`);
  }
  // A PSE interval reaching past the tested levels is not bounded by the data.
  if (B > 0 && !(cis.pse[0] >= lo - 1e-12 && cis.pse[1] <= hi + 1e-12)) mark(['pse'], `its 95 % interval [${fmtNum(cis.pse[0])}, ${fmtNum(cis.pse[1])}] reaches beyond the tested levels [${lo}, ${hi}]`);
  if (point.pse < lo || point.pse > hi) mark(['pse'], `it lies outside the tested levels [${lo}, ${hi}]`);
  for (const k of ALL) {
    const [l, h] = cis[k];
    const v = estimates[k];
    if (!(Number.isFinite(l) && Number.isFinite(h))) {
      if (B > 0) mark([k], 'its interval could not be estimated');
    } else if (v < l - 1e-12 || v > h + 1e-12) mark([k], `the estimate ${fmtNum(v)} lies outside its own 95 % interval [${fmtNum(l)}, ${fmtNum(h)}] (the bootstrap fits fall almost all on one side of it)`);
  }
  const undetermined = new Set<FitParameter>(Object.keys(reasons) as FitParameter[]);
  return {
    family,
    rates: options.fixedRates ?? 'free',
    maxLapse,
    pse: point.pse,
    sigma: point.sigma,
    guess: point.guess,
    lapse: point.lapse,
    slope: slopeAtPse(point),
    spread75: spread75(point),
    logLikelihood: -point.nll,
    deviance: dev,
    devianceP,
    ci: cis,
    ciLevel,
    bootstrapSamples: B,
    levels: used,
    warnings,
    undetermined: [...undetermined],
    reasons,
  };
}

/**
 * Why the fitted curve itself means nothing (its spread, guess and lapse rates, deviance), or null:
 * when neither its position nor its spread is determined (every answer the same, answers that
 * switch completely between two levels, a fit at its steepest bound). Pages and the CLI then say
 * so instead of printing the numbers the optimiser happened to stop at.
 */
export function curveUndetermined(fit: Pick<PsychometricFit, 'undetermined' | 'reasons'>): string | null {
  return fit.undetermined.includes('pse') && fit.undetermined.includes('sigma') ? (fit.reasons.sigma ?? fit.reasons.pse ?? 'the data do not determine it') : null;
}
