/**
 * Completion, the model statistic of the Kanizsa paradigm: does a decoder trained on real contours
 * read the illusory figure better than its control?
 *
 * Transfer to a condition = the least-squares slope of the decoded rotation on the shown rotation
 * over that condition's trials, divided by the same slope on the session's real-contour trials:
 * 1 = the decoder reads the figure's rotation as well as it reads real contours, 0 = not at all.
 * A slope, not a correlation: a correlation rewards any consistent trace however faint (a
 * response 1000 times weaker than to real contours can correlate perfectly), while the slope says
 * how much rotation is read per degree shown, on the one scale the decoder was calibrated on, so
 * illusory and control can be subtracted. Dividing by the real trials' own slope (not the
 * training figures') keeps a decoder that generalises less than it fits its training set from
 * shrinking every transfer alike. The intercept is free: a bias toward fat or thin is not
 * transfer.
 *
 * Completion = transfer to illusory - transfer to control. The control keeps every inducer edge
 * on its line with the same +-alpha but turned away (geometry.ts), and the decoder reads only the
 * gaps between the inducers (readout.ts), so an observer that sees only local edges gives 0 and
 * one that fills in the contour between edges that face each other gives > 0. 95 % interval:
 * percentile bootstrap over trials, resampled within each condition.
 */
import { stat } from '../analysis-shared.js';
import { createRng, subSeed } from '../rng.js';
import type { AnsweredTrial, Statistic } from '../types.js';
import type { KanizsaCondition, KanizsaStimulus } from './params.js';

/** Trials per condition (at two or more rotations) below which a transfer is not estimated. */
export const MIN_TRANSFER_TRIALS = 10;
/** An interval wider than this (twice the real contours' own transfer) does not bound the statistic. */
export const MAX_TRANSFER_CI_WIDTH = 2;
/** Share of bootstrap resamples that must give a value for the interval to count. */
const MIN_RESAMPLE_SHARE = 0.95;

const NOT_DETERMINED = 'Not determined by the data:';

/** One model trial's shown and decoded rotation. */
export interface DecodedTrial {
  condition: KanizsaCondition;
  alphaDeg: number;
  decodedDeg: number;
}

/**
 * The trials read by the gap decoder (those storing `decoderUnits`), and how many older model
 * trials carry a decoded rotation from the earlier whole-layer decoder (no completion from those).
 */
export function decodedTrials(trials: AnsweredTrial<KanizsaStimulus>[]): { rows: DecodedTrial[]; earlier: number } {
  const rows: DecodedTrial[] = [];
  let earlier = 0;
  for (const t of trials) {
    const v = t.extra?.perceivedAlphaDeg;
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (typeof t.extra?.decoderUnits !== 'number') earlier++;
    else rows.push({ condition: t.stimulus.condition, alphaDeg: t.stimulus.alphaDeg, decodedDeg: v });
  }
  return { rows, earlier };
}

/** Least-squares slope of y on x (with an intercept); null when x does not vary. */
export function lsSlope(points: readonly { x: number; y: number }[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  if (!(sxx > 1e-12)) return null;
  // Identical readings have no slope at all (not a rounding error's worth of one).
  return points.every((p) => p.y === points[0]!.y) ? 0 : sxy / sxx;
}

/** Linear-interpolation quantile of sorted values. */
function quantileOf(sorted: readonly number[], p: number): number {
  const i = p * (sorted.length - 1);
  const lo = Math.floor(i);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (i - lo);
}

type Groups = Map<KanizsaCondition, DecodedTrial[]>;

interface Estimates {
  /** Raw slope on the real trials (deg read per deg shown, on the decoder's training scale). */
  real: number | null;
  illusory: number | null;
  control: number | null;
  completion: number | null;
}

const slopeOf = (rows: readonly DecodedTrial[] | undefined) => (rows ? lsSlope(rows.map((r) => ({ x: r.alphaDeg, y: r.decodedDeg }))) : null);

function estimate(groups: Groups): Estimates {
  const real = slopeOf(groups.get('real'));
  const relative = (c: KanizsaCondition) => {
    const s = slopeOf(groups.get(c));
    return s === null || real === null || real === 0 ? null : s / real;
  };
  const illusory = relative('illusory');
  const control = relative('control');
  return { real, illusory, control, completion: illusory === null || control === null ? null : illusory - control };
}

/** Percentile intervals of each estimate over resamples of the trials within each condition (null: too many resamples give none). */
function bootstrap(groups: Groups, B: number, seed: number): Record<keyof Estimates, [number, number] | null> {
  const rng = createRng(subSeed(seed, 4242));
  const draws: Record<keyof Estimates, number[]> = { real: [], illusory: [], control: [], completion: [] };
  for (let b = 0; b < B; b++) {
    const resampled: Groups = new Map([...groups].map(([c, rows]) => [c, rows.map(() => rows[rng.int(rows.length)]!)]));
    const e = estimate(resampled);
    for (const k of Object.keys(draws) as (keyof Estimates)[]) if (e[k] !== null && Number.isFinite(e[k])) draws[k].push(e[k]!);
  }
  const ci = (xs: number[]): [number, number] | null => {
    if (B === 0 || xs.length < MIN_RESAMPLE_SHARE * B) return null;
    const sorted = xs.sort((a, b) => a - b);
    return [quantileOf(sorted, 0.025), quantileOf(sorted, 0.975)];
  };
  return { real: ci(draws.real), illusory: ci(draws.illusory), control: ci(draws.control), completion: ci(draws.completion) };
}

/** Why a condition's trials cannot give a slope (a clause), or null when they can. */
function tooFew(rows: readonly DecodedTrial[] | undefined, condition: KanizsaCondition): string | null {
  const n = rows?.length ?? 0;
  const levels = new Set(rows?.map((r) => r.alphaDeg)).size;
  if (n >= MIN_TRANSFER_TRIALS && levels >= 2) return null;
  return `${n} ${condition} trial(s) with a decoded rotation at ${levels} rotation(s); at least ${MIN_TRANSFER_TRIALS} at two or more rotations are needed`;
}

const notDetermined = (clause: string | null) => (clause === null ? null : `${NOT_DETERMINED} ${clause}.`);

const fmt = (x: number) => Number(x.toPrecision(3)).toString();
const interval = (ci: [number, number]) => `[${fmt(ci[0])}, ${fmt(ci[1])}]`;

/** Why an interval does not bound its statistic (B > 0 asked for one), or null. */
function unbounded(ci: [number, number] | null, B: number): string | null {
  if (B === 0) return null;
  if (!ci) return `${NOT_DETERMINED} too many bootstrap resamples of the trials give no value (a condition's rotations stop varying), so its interval is not bounded.`;
  if (ci[1] - ci[0] > MAX_TRANSFER_CI_WIDTH) return `${NOT_DETERMINED} its 95 % interval ${interval(ci)} is wider than twice the real contours' own transfer, so the data do not bound it.`;
  return null;
}

/**
 * The completion statistics of a model session: completion, the transfer to illusory and to
 * control figures, and the decoder's slope on real contours, each with a bootstrap interval,
 * marked not determined where the data cannot determine them. Null for sessions without decoded
 * rotations (people's).
 */
export function completionStatistics(trials: AnsweredTrial<KanizsaStimulus>[], options: { bootstrap?: number; seed?: number } = {}): Statistic[] | null {
  const { rows, earlier } = decodedTrials(trials);
  if (rows.length === 0 && earlier === 0) return null;
  const completion = (value: number | null, ci: [number, number] | null) => stat('completion', 'Completion: transfer to illusory minus transfer to control', value, '', ci, true);
  if (rows.length === 0)
    return [{ ...completion(null, null), undetermined: `${NOT_DETERMINED} these trials were read by the earlier decoder (the whole layer, inducers included, beside a control turned 30 degrees past outward), whose transfer mixes the inducers' local edges with completion; run the session again to measure it.` }];
  const groups: Groups = new Map();
  for (const r of rows) groups.set(r.condition, [...(groups.get(r.condition) ?? []), r]);
  const B = options.bootstrap ?? 500;
  const est = estimate(groups);
  const ci = bootstrap(groups, B, options.seed ?? 1);
  const few = { real: tooFew(groups.get('real'), 'real'), illusory: tooFew(groups.get('illusory'), 'illusory'), control: tooFew(groups.get('control'), 'control') };
  // Transfer is relative to real contours: a decoder that does not read them has nothing to transfer.
  const realLow = ci.real ? ci.real[0] : est.real;
  const learnedNothing = few.real
    ? `${NOT_DETERMINED} without enough real-contour trials (${few.real}) nothing shows that the decoder reads real contours, so there is no transfer to measure.`
    : realLow === null || !(realLow > 0)
      ? `${NOT_DETERMINED} the real-contour decoder does not read this session's real contours (slope ${est.real === null ? 'none' : fmt(est.real)}${ci.real ? `, 95 % interval ${interval(ci.real)}` : ''} is not above 0): it learned nothing to transfer.`
      : null;
  const why = (...reasons: (string | null)[]) => {
    const r = reasons.find((x) => x !== null);
    return r ? { undetermined: r } : {};
  };
  const [ill, ctl, real] = [notDetermined(few.illusory), notDetermined(few.control), notDetermined(few.real)];
  return [
    { ...completion(est.completion, ci.completion), ...why(ill, ctl, learnedNothing, unbounded(ci.completion, B)) },
    { ...stat('transfer-illusory', 'Transfer of the real-contour decoder to illusory figures (1 = as real contours)', est.illusory, '', ci.illusory, true), ...why(ill, learnedNothing, unbounded(ci.illusory, B)) },
    { ...stat('transfer-control', 'Transfer of the real-contour decoder to the control, inducers turned outward (1 = as real contours)', est.control, '', ci.control, true), ...why(ctl, learnedNothing, unbounded(ci.control, B)) },
    { ...stat('decoder-real', "Real-contour decoder on this session's real contours (rotation read per degree shown; 1 = as on its training figures)", est.real, 'deg/deg', ci.real, true), ...why(real, unbounded(ci.real, B)) },
  ];
}

/**
 * What a completion above 0 does not say, when its parts show it: the control read reversed
 * (transfer below 0), or an illusory figure not read like real contours (its interval reaching
 * 0). Completion is a difference; no sentence should call it filling-in on the control alone.
 */
export function completionCaveats(stats: Statistic[]): string[] {
  const get = (key: string) => stats.find((s) => s.key === key);
  const c = get('completion');
  const ill = get('transfer-illusory');
  const ctl = get('transfer-control');
  if (!c?.ci || c.undetermined || !(c.ci[0] > 0) || !ill || !ctl || ill.value === null || ctl.value === null) return [];
  const reversed = !!ctl.ci && ctl.ci[1] < 0;
  const illusoryAtZero = !ill.ci || ill.ci[0] <= 0;
  if (!reversed && !illusoryAtZero) return [];
  const part = (x: Statistic) => `${fmt(x.value!)}${x.ci ? ` ${interval(x.ci)}` : ''}`;
  return [
    `Completion (model) is above 0 ${reversed ? `largely because the control is read reversed (transfer ${part(ctl)}, below 0)` : 'as a difference only'}; the illusory figure's own transfer is ${part(ill)}${illusoryAtZero ? ', not above 0' : ''}. The network tells the illusory figure from its control in the gaps, but does not read the illusory figure the way it reads real contours.`,
  ];
}

/** The notes an analysis with completion statistics carries: what the numbers mean. */
export const COMPLETION_NOTE =
  "Completion (model): a decoder trained on real-contour fat/thin figures reads only the units in the figure's gaps, clear of every inducer. Transfer to a condition = the least-squares slope of the decoded on the shown rotation there, over the same slope on the real contours (1 = read as well as real contours, 0 = not at all); completion = transfer to illusory minus transfer to the control, 95 % intervals from bootstrap resamples of the trials within each condition (the decoder itself is trained once per session, on figures drawn from its seed: a rerun with another seed also tests it). The control turns every inducer exactly outward: each edge stays on its line with the same +-alpha, so the local evidence about alpha is the illusory figure's (only each edge's contrast polarity and the half of the line it covers differ), but no two edges face each other across a gap, so there is nothing to complete. Read completion beside the untrained network's and copy-last's.";
