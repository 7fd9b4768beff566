/**
 * QUEST (Watson & Pelli 1983) for a point of subjective equality on a signed axis: a Bayesian
 * adaptive method that keeps the posterior over the PSE on a grid and places each trial at its
 * current estimate. Watson & Pelli's Weibull in log intensity suits a detection threshold on a
 * positive axis; a PSE (flash offset, fat/thin rotation) lives on a signed axis, so the
 * likelihood here is a cumulative Gaussian of assumed spread with a small symmetric lapse:
 *
 *   P(positive | x, pse) = lapse / 2 + (1 - lapse) * Phi((x - pse) / sigma)
 *
 * Pure: no I/O, no randomness (each paradigm draws a trial's other randomness itself).
 */
import jstat from 'jstat';
import type { Statistic } from './types.js';

const { jStat } = jstat;

export interface QuestSettings {
  /** Mean and SD of the Gaussian prior over the PSE (axis units). */
  priorMean: number;
  priorSd: number;
  /** Assumed spread of the observer's cumulative Gaussian (axis units). */
  sigma: number;
  /** Assumed lapse rate, split evenly between the two answers. */
  lapse: number;
  /** The axis's own bounds (the stimuli the paradigm can show): the grid and every placement stay inside. */
  limits: readonly [number, number];
  /** Placements are rounded to multiples of this (axis units; 0 or absent: not rounded). */
  step?: number;
}

/** The grid spans the prior mean +- this many prior SDs (the prior there is e^-12.5 of its peak). */
export const QUEST_GRID_SDS = 5;
/** Grid points per sigma (or per prior SD, when that is smaller): the posterior after N trials has SD ~ sigma * sqrt(pi / 2N), so at 1000 trials still about 1 point per posterior SD. */
export const QUEST_POINTS_PER_SCALE = 20;
/** Stated limit on the grid: the prior SD may be at most 20 x sigma where the axis does not clip the grid (4001 points: 4001 likelihoods a trial). */
export const MAX_QUEST_GRID = 4001;

export interface QuestGrid {
  start: number;
  step: number;
  size: number;
}

/** The PSE grid these settings use (before any check of its size). */
export function questGrid(s: QuestSettings): QuestGrid {
  const step = Math.min(s.sigma, s.priorSd) / QUEST_POINTS_PER_SCALE;
  const lo = Math.max(s.limits[0], s.priorMean - QUEST_GRID_SDS * s.priorSd);
  const hi = Math.min(s.limits[1], s.priorMean + QUEST_GRID_SDS * s.priorSd);
  const size = hi > lo ? Math.floor((hi - lo) / step + 1e-9) + 1 : 1;
  return { start: lo, step, size };
}

/** Why these settings cannot run (a sentence naming the problem), or null. Schemas report it against their own keys. */
export function questSettingsProblem(s: QuestSettings): string | null {
  for (const [k, v] of [['prior SD', s.priorSd], ['sigma', s.sigma]] as const) if (!(v > 0) || !Number.isFinite(v)) return `the ${k} must be a positive number; got ${v}`;
  if (!(s.lapse >= 0 && s.lapse < 1)) return `the lapse rate must be in [0, 1); got ${s.lapse}`;
  if (!(s.priorMean >= s.limits[0] && s.priorMean <= s.limits[1])) return `the prior mean (${s.priorMean}) lies outside the axis [${s.limits[0]}, ${s.limits[1]}]`;
  const n = questGrid(s).size;
  if (n > MAX_QUEST_GRID)
    return `the PSE grid would hold ${n} points (prior mean +- ${QUEST_GRID_SDS} prior SD in steps of min(sigma, prior SD) / ${QUEST_POINTS_PER_SCALE}); at most ${MAX_QUEST_GRID} are allowed: make the prior SD at most ${(MAX_QUEST_GRID - 1) / (2 * QUEST_GRID_SDS * QUEST_POINTS_PER_SCALE)} x sigma`;
  return null;
}

/** P(positive answer | stimulus x, PSE pse) under the assumed psychometric function. */
export function questLikelihood(s: Pick<QuestSettings, 'sigma' | 'lapse'>, x: number, pse: number): number {
  return s.lapse / 2 + (1 - s.lapse) * jStat.normal.cdf(x, pse, s.sigma);
}

/** The log posterior over the grid's PSEs (up to a constant); never mutated, each update copies. */
export interface QuestState {
  readonly logPosterior: Float64Array;
}

/** The prior: a Gaussian of the settings' mean and SD, on the grid. */
export function questInitial(s: QuestSettings): QuestState {
  const problem = questSettingsProblem(s);
  if (problem) throw new RangeError(`QUEST: ${problem}.`);
  const g = questGrid(s);
  const logPosterior = new Float64Array(g.size);
  for (let i = 0; i < g.size; i++) logPosterior[i] = -0.5 * ((g.start + i * g.step - s.priorMean) / s.priorSd) ** 2;
  return { logPosterior };
}

/** Bayes' rule for one answer: add log P(answer | x, pse) at every grid point (a new state). */
export function questUpdate(state: QuestState, s: QuestSettings, x: number, positive: boolean): QuestState {
  const g = questGrid(s);
  const logPosterior = state.logPosterior.slice();
  for (let i = 0; i < logPosterior.length; i++) {
    const p = questLikelihood(s, x, g.start + i * g.step);
    // With no lapse an answer can be all but impossible at a far grid point: a floor keeps it finite.
    logPosterior[i]! += Math.log(Math.max(positive ? p : 1 - p, 1e-300));
  }
  return { logPosterior };
}

/** The normalised posterior over the grid. */
export function questPosterior(state: QuestState): Float64Array {
  const lp = state.logPosterior;
  let max = -Infinity;
  for (const v of lp) if (v > max) max = v;
  const w = Float64Array.from(lp, (v) => Math.exp(v - max));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / total);
}

export interface QuestEstimate {
  /** Posterior mean (the Bayes estimate under squared error; King-Smith et al. 1994). */
  mean: number;
  sd: number;
  /** Posterior mode (Watson & Pelli 1983's estimate). */
  mode: number;
  /** Central 95 % credible interval. */
  ci: [number, number];
  /** The interval reaches an end of the grid: the prior's range (or the axis), not the data, bounds it. */
  atGridEdge: boolean;
}

export function questEstimate(state: QuestState, s: QuestSettings): QuestEstimate {
  const g = questGrid(s);
  const w = questPosterior(state);
  let mean = 0;
  let best = 0;
  for (let i = 0; i < w.length; i++) {
    mean += w[i]! * (g.start + i * g.step);
    if (w[i]! > w[best]!) best = i;
  }
  let variance = 0;
  for (let i = 0; i < w.length; i++) variance += w[i]! * (g.start + i * g.step - mean) ** 2;
  // Quantiles of the grid's mass, each point's mass spread evenly over its cell.
  const quantile = (q: number): number => {
    let acc = 0;
    for (let i = 0; i < w.length; i++) {
      if (acc + w[i]! >= q) return g.start + (i - 0.5 + (q - acc) / w[i]!) * g.step;
      acc += w[i]!;
    }
    return g.start + (w.length - 0.5) * g.step;
  };
  const ci: [number, number] = [quantile(0.025), quantile(0.975)];
  // Within one cell of either end: the credible interval runs into the grid's bounds.
  const atGridEdge = ci[0] < g.start + g.step || ci[1] > g.start + (g.size - 2) * g.step;
  return { mean, sd: Math.sqrt(variance), mode: g.start + best * g.step, ci, atGridEdge };
}

/**
 * Where the next trial goes: the posterior mean. Watson & Pelli placed trials at the mode;
 * King-Smith et al. (1994) found the mean more efficient and less biased, and it is the estimate
 * reported, so each trial tests the current best guess of the PSE (where a cumulative Gaussian
 * is steepest and a trial tells most about it). Rounded to the settings' step, so trials repeat
 * levels (a readable plot, a fit with several answers a level; a step of sigma / 5 costs under
 * 1 % of a trial's information), and to 1e-6 so stored levels are tidy.
 */
export function questPlacement(state: QuestState, s: QuestSettings): number {
  const mean = questEstimate(state, s).mean;
  const x = s.step && s.step > 0 ? Math.round(mean / s.step) * s.step : mean;
  // `|| 0`: a mean a hair below zero would round to -0.
  return Math.min(s.limits[1], Math.max(s.limits[0], Math.round(x * 1e6) / 1e6 || 0));
}

/** The estimate from a list of answered trials (analysis: the protocol's settings, the trials as answered). */
export function questFromAnswers(s: QuestSettings, points: readonly { x: number; positive: boolean }[]): QuestEstimate {
  let state = questInitial(s);
  for (const p of points) state = questUpdate(state, s, p.x, p.positive);
  return questEstimate(state, s);
}

/** The best SD any unbiased estimate of the PSE can reach after n trials placed at the PSE (no lapses): sigma * sqrt(pi / 2n) (Fisher information 2 / (pi sigma^2) a trial). */
export function idealPseSd(sigma: number, n: number): number {
  return sigma * Math.sqrt(Math.PI / (2 * n));
}

/**
 * QUEST's own final estimate as an analysis statistic: the posterior mean with its 95 % credible
 * interval, from the answered trials and the protocol's settings. Not determined when the
 * interval runs into the grid's end (the prior's range, not the data, bounds it).
 */
export function questStatistic(s: QuestSettings, points: readonly { x: number; positive: boolean }[], unit: string, extra: Partial<Statistic> = {}): Statistic {
  const e = questFromAnswers(s, points);
  const g = questGrid(s);
  const edge = `Not determined by the data: its 95 % credible interval runs into the end of QUEST's PSE grid (${fmtEdge(g.start)} to ${fmtEdge(g.start + (g.size - 1) * g.step)} ${unit}, the prior mean +- ${QUEST_GRID_SDS} prior SD): widen the prior.`;
  return { key: 'quest-pse', label: "QUEST estimate of the PSE (posterior mean under QUEST's own cumulative Gaussian, the protocol's assumed spread)", value: e.mean, unit, ci: e.ci, ...extra, ...(e.atGridEdge ? { undetermined: edge } : {}) };
}

const fmtEdge = (x: number) => Number(x.toPrecision(4)).toString();
