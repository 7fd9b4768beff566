/**
 * Flash-lag analysis: P("flash ahead") against physical offset -> PSE in degrees and ms. For the
 * rotating bar the offsets and the PSE are in degrees of rotation angle, and the PSE is also given
 * in degrees of visual angle along the flash's arc at its eccentricity.
 */
import { fitIfPossible, fitOptionsOf, levelSummaries, stat } from '../analysis-shared.js';
import { DEFAULT_FIT, describeFit, FAMILY_NAMES } from '../psychometric.js';
import { createRng, subSeed } from '../rng.js';
import type { AnalyseOptions, AnalysisResult, AnsweredTrial, Statistic } from '../types.js';
import { questStatistic } from '../quest.js';
import { isAhead } from './design.js';
import { questSettingsOf, type FlashLagParams, type FlashLagStimulus } from './params.js';
import { flashEccentricityDeg } from './scene.js';

/** Stated limit: resamples of the direct PSE's bootstrap. */
export const MAX_DIRECT_BOOTSTRAP = 2000;

export interface DirectPse {
  /** Where the perceived offset crosses zero (deg); null when it does not within the tested offsets. */
  pseDeg: number | null;
  ci: [number, number] | null;
  /** Why the data do not determine it (no crossing, crossings missing in resamples, estimate outside its interval). */
  undetermined?: string;
  /** Trials with a perceived offset. */
  trials: number;
  /** Mean perceived offset per tested offset, after making the means increase with the offset (the curve the crossing is read from). */
  curve: { x: number; mean: number; n: number }[];
}

/** Pool adjacent violators: the increasing sequence closest to `ys` (weights `ws`), in least squares. */
export function isotonic(ys: readonly number[], ws: readonly number[]): number[] {
  const blocks: { sum: number; w: number; n: number }[] = [];
  ys.forEach((y, i) => {
    blocks.push({ sum: y * ws[i]!, w: ws[i]!, n: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2]!.sum / blocks[blocks.length - 2]!.w > blocks[blocks.length - 1]!.sum / blocks[blocks.length - 1]!.w) {
      const b = blocks.pop()!;
      const a = blocks[blocks.length - 1]!;
      a.sum += b.sum;
      a.w += b.w;
      a.n += b.n;
    }
  });
  return blocks.flatMap((b) => Array<number>(b.n).fill(b.sum / b.w));
}

/** The zero crossing of an increasing curve, interpolated between the two levels around it; null if it stays on one side. */
function crossing(xs: readonly number[], ys: readonly number[]): number | null {
  const neg = ys.map((y, i) => (y < 0 ? i : -1)).filter((i) => i >= 0);
  const pos = ys.map((y, i) => (y > 0 ? i : -1)).filter((i) => i >= 0);
  if (neg.length === 0 || pos.length === 0) {
    // No sign change: a plateau exactly at zero touching one end still crosses there; otherwise none.
    const zeros = ys.map((y, i) => (y === 0 ? i : -1)).filter((i) => i >= 0);
    return zeros.length && (neg.length || pos.length) ? (xs[zeros[0]!]! + xs[zeros[zeros.length - 1]!]!) / 2 : null;
  }
  const i = neg[neg.length - 1]!;
  const j = pos[0]!;
  if (j > i + 1) return (xs[i + 1]! + xs[j - 1]!) / 2;
  return xs[i]! + ((0 - ys[i]!) / (ys[j]! - ys[i]!)) * (xs[j]! - xs[i]!);
}

function crossingOf(levels: Map<number, number[]>): { pse: number | null; curve: DirectPse['curve'] } {
  const xs = [...levels.keys()].sort((a, b) => a - b);
  const means = xs.map((x) => levels.get(x)!.reduce((a, b) => a + b, 0) / levels.get(x)!.length);
  const ns = xs.map((x) => levels.get(x)!.length);
  const fitted = isotonic(means, ns);
  return { pse: crossing(xs, fitted), curve: xs.map((x, i) => ({ x, mean: fitted[i]!, n: ns[i]! })) };
}

/**
 * For model observers that store their perceived offset: the offset where the perceived offset
 * crosses zero, free of decision noise. Read locally: the mean perceived offset at each tested
 * offset, made increasing (pool adjacent violators), interpolated between the two offsets around
 * zero (perceived against physical offset need not be a straight line). Its 95 % interval is a
 * bootstrap over the session's trials; it is not determined when the curve
 * does not cross zero within the tested offsets, or fails to in more than 2.5 % of resamples.
 */
export function directPse(trials: AnsweredTrial<FlashLagStimulus>[], options: { bootstrap?: number; seed?: number } = {}): DirectPse | null {
  const levels = new Map<number, number[]>();
  let n = 0;
  for (const t of trials) {
    const y = t.extra?.perceivedOffsetDeg;
    if (typeof y !== 'number' || !Number.isFinite(y)) continue;
    const x = Math.round(t.stimulus.offsetDeg * 1e9) / 1e9;
    levels.set(x, [...(levels.get(x) ?? []), y]);
    n++;
  }
  if (n === 0) return null;
  const { pse, curve } = crossingOf(levels);
  if (levels.size < 2) return { pseDeg: null, ci: null, trials: n, curve, undetermined: 'Not determined by the data: the perceived offset was read at only one tested offset.' };
  if (pse === null)
    return { pseDeg: null, ci: null, trials: n, curve, undetermined: `Not determined by the data: the perceived offset does not cross zero within the tested offsets (it stays ${curve.every((c) => c.mean === 0) ? 'at' : curve[0]!.mean > 0 ? 'above' : 'below'} zero).` };
  const B = Math.min(MAX_DIRECT_BOOTSTRAP, Math.max(0, options.bootstrap ?? 500));
  if (B === 0) return { pseDeg: pse, ci: null, trials: n, curve };
  // Resampled over all the session's trials (not within each offset: an offset tried once would
  // never vary, and a staircase's sparse levels would look certain).
  const all = [...levels].flatMap(([x, ys]) => ys.map((y) => [x, y] as const));
  const rng = createRng(subSeed(options.seed ?? 1, 4242));
  const boots: number[] = [];
  let missing = 0;
  for (let b = 0; b < B; b++) {
    const sample = new Map<number, number[]>();
    for (let i = 0; i < all.length; i++) {
      const [x, y] = all[rng.int(all.length)]!;
      sample.set(x, [...(sample.get(x) ?? []), y]);
    }
    const c = sample.size < 2 ? null : crossingOf(sample).pse;
    if (c === null) missing++;
    else boots.push(c);
  }
  boots.sort((a, b) => a - b);
  const q = (p: number) => boots[Math.min(boots.length - 1, Math.max(0, Math.round(p * (boots.length - 1))))]!;
  if (missing / B > 0.025)
    return { pseDeg: pse, ci: null, trials: n, curve, undetermined: `Not determined by the data: in ${Math.round((100 * missing) / B)} % of resamples the perceived offset does not cross zero within the tested offsets, so its interval is not bounded.` };
  const ci: [number, number] = [q(0.025), q(0.975)];
  if (pse < ci[0] - 1e-12 || pse > ci[1] + 1e-12) return { pseDeg: pse, ci, trials: n, curve, undetermined: 'Not determined by the data: the estimate lies outside its own 95 % interval.' };
  return { pseDeg: pse, ci, trials: n, curve };
}

export function analyseFlashLag(params: FlashLagParams, trials: AnsweredTrial<FlashLagStimulus>[], options: AnalyseOptions = {}): AnalysisResult {
  const points = trials.map((t) => ({ x: t.stimulus.offsetDeg, positive: isAhead(t.stimulus, t.response) }));
  const messages: string[] = [];
  const choice = options.fit ?? DEFAULT_FIT;
  const fit = fitIfPossible(points, { bootstrap: options.bootstrap, seed: options.seed, ...fitOptionsOf(choice) }, '', messages);
  const speed = params.speedDegPerS;
  const rotate = params.motion === 'rotate';
  const toMs = (deg: number) => (deg / speed) * 1000;
  // Rotating bar: an angle (deg of rotation) is an arc of r * angle (rad) at the flash's eccentricity r.
  const eccentricity = rotate ? flashEccentricityDeg(params) : 0;
  const toVisual = (deg: number) => (deg * Math.PI * eccentricity) / 180;
  const unit = rotate ? 'deg of rotation' : 'deg';
  // Every PSE here is a flash-lag when its interval excludes 0 (0 = the flash aligned with the bar).
  const lag = { absentAtZero: true };
  const statistics: Statistic[] = [
    { ...stat('pse-deg', 'Flash-lag (PSE)', fit?.pse, unit, fit?.ci.pse, true), ...lag },
    ...(rotate ? [{ ...stat('pse-visual-deg', `Flash-lag (PSE) along the flash's arc at ${eccentricity.toFixed(2)} deg eccentricity`, fit ? toVisual(fit.pse) : null, 'deg', fit ? [toVisual(fit.ci.pse[0]), toVisual(fit.ci.pse[1])] : null), ...lag }] : []),
    { ...stat('pse-ms', 'Flash-lag (PSE)', fit ? toMs(fit.pse) : null, 'ms', fit ? [toMs(fit.ci.pse[0]), toMs(fit.ci.pse[1])] : null, true), ...lag },
    stat('slope', 'Slope at PSE', fit?.slope, `/${unit}`, fit?.ci.slope),
    // A QUEST session also gets QUEST's own estimate, from the same answers and the protocol's prior.
    ...(params.design === 'quest' && points.length ? [questStatistic(questSettingsOf(params), points, unit, { ...lag, comparable: true })] : []),
  ];
  const direct = directPse(trials, options);
  if (direct) {
    const why = { ...(direct.undetermined ? { undetermined: direct.undetermined } : {}), ...lag };
    const scaled = (f: (x: number) => number): [number, number] | null => (direct.ci ? [f(direct.ci[0]), f(direct.ci[1])] : null);
    statistics.push({ ...stat('direct-pse-deg', 'Flash-lag (direct PSE of the model readout)', direct.pseDeg, unit, direct.ci, true), ...why });
    if (rotate) statistics.push({ ...stat('direct-pse-visual-deg', "Flash-lag (direct PSE of the model readout) along the flash's arc", direct.pseDeg === null ? null : toVisual(direct.pseDeg), 'deg', scaled(toVisual)), ...why });
    statistics.push({ ...stat('direct-pse-ms', 'Flash-lag (direct PSE of the model readout)', direct.pseDeg === null ? null : toMs(direct.pseDeg), 'ms', scaled(toMs)), ...why });
  }
  // Translating-bar titles and groups stay as they were (stored comparisons keep matching).
  const display = rotate ? `rotating bar, ${params.flashSegment} flash, ${params.variant}` : params.variant;
  const speedText = `${speed} ${rotate ? 'deg of rotation/s' : 'deg/s'}`;
  return {
    paradigmId: 'flash-lag',
    title: `Flash-lag (${display}, ${speedText})`,
    group: `${display}, ${speedText}`,
    trials: trials.length,
    xLabel: rotate ? 'Flash orientation relative to the bar (+ = ahead)' : 'Flash offset relative to the bar (+ = ahead)',
    xUnit: unit,
    yLabel: 'P(flash seen ahead)',
    conditions: [{ key: params.variant, label: params.variant, levels: levelSummaries(points), fit, statistics, criterion: 0.5 }],
    statistics: [],
    messages,
    caption: `Points: proportion "flash ahead" per offset (size = trials), bars: 95% Wilson intervals, line: the fitted ${FAMILY_NAMES[choice.family]} function.${
      direct ? " Direct PSE: where the model's noise-free perceived offset crosses zero (mean per offset, interpolated between the two offsets around zero), with a bootstrap interval over trials." : ''
    }`,
    psychometricFunction: describeFit(choice),
  };
}
