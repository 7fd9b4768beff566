/**
 * Kanizsa analysis: per condition, P("fat") against the signed rotation alpha, a cumulative
 * Gaussian with guess and lapse rates; the threshold is the rotation answered correctly 75 % of
 * the time (half the distance between the curve's 25 % and 75 % points, so a bias cancels and
 * lapses count), with bootstrap CIs; the illusory/real threshold ratio. For models, also
 * completion (completion.ts) and when the contour index rises in each condition, in ms of the
 * model's clock.
 */
import { fitIfPossible, fitOptionsOf, levelSummaries, stat } from '../analysis-shared.js';
import { DEFAULT_FIT, describeFit, FAMILY_NAMES } from '../psychometric.js';
import type { AnalyseOptions, AnalysisResult, AnsweredTrial, ConditionResult, Statistic } from '../types.js';
import { COMPLETION_NOTE, completionCaveats, completionStatistics } from './completion.js';
import { isFat } from './design.js';
import { questStatistic } from '../quest.js';
import { CONDITION_LABELS, questSettingsOf, type KanizsaCondition, type KanizsaParams, type KanizsaStimulus } from './params.js';

/** Upper bound of the guess and lapse rates fitted to adaptive (staircase, QUEST) data. */
export const UPDOWN_MAX_LAPSE = 0.02;
/** Threshold CIs wider than this many times the largest tested rotation are reported as unbounded. */
const UNBOUNDED_FACTOR = 4;

export interface ContourRise {
  mean: number[];
  onset: number;
  /** Model frames from the figure's onset to the rise (null: it does not rise). */
  riseStep: number | null;
  trials: number;
  /** The model's frame rate on these trials (null: not stored, or the trials disagree). */
  frameRateHz: number | null;
}

/** Mean time course of the contour index per condition, and the step (from the figure's onset) where it rises. */
export function contourIndexRise(trials: AnsweredTrial<KanizsaStimulus>[]): Map<KanizsaCondition, ContourRise> {
  const out = new Map<KanizsaCondition, ContourRise>();
  const by = new Map<KanizsaCondition, { series: number[]; onset: number }[]>();
  // Trials stored before the readout recorded the model's frame rate have none.
  const rates = new Set<number | null>();
  for (const t of trials) {
    const series = t.extra?.contourIndex;
    const onset = t.extra?.figureFrame;
    if (!Array.isArray(series) || typeof onset !== 'number' || !series.every((v) => typeof v === 'number' && Number.isFinite(v))) continue;
    by.set(t.stimulus.condition, [...(by.get(t.stimulus.condition) ?? []), { series: series as number[], onset }]);
    const rate = t.extra?.frameRateHz;
    rates.add(typeof rate === 'number' && rate > 0 ? rate : null);
  }
  const frameRateHz = rates.size === 1 ? [...rates][0]! : null;
  for (const [condition, list] of by) {
    // Aligned at the figure's onset; the common window of all trials.
    const before = Math.min(...list.map((l) => l.onset));
    const after = Math.min(...list.map((l) => l.series.length - l.onset));
    const mean = Array.from({ length: before + after }, (_, i) => list.reduce((s, l) => s + l.series[l.onset - before + i]!, 0) / list.length);
    // Baseline: the frame just before the onset (the first frames hold the network's start-up transient).
    const baseline = mean[Math.max(0, before - 1)]!;
    const peak = Math.max(...mean.slice(before));
    const rise = peak > baseline ? mean.slice(before).findIndex((v) => v - baseline >= 0.5 * (peak - baseline)) : -1;
    out.set(condition, { mean, onset: before, riseStep: rise >= 0 ? rise : null, trials: list.length, frameRateHz });
  }
  return out;
}

const fmtMs = (ms: number) => Number(ms.toPrecision(4)).toString();

/**
 * When the contour index rises in each condition, and illusory minus real: in ms of the model's
 * clock (frames / frame rate) with the frame duration beside it, or in frames for trials stored
 * without the frame rate. A difference under one model frame is not resolvable at that rate.
 */
export function latencyStatistics(rise: Map<KanizsaCondition, ContourRise>): { statistics: Statistic[]; messages: string[] } {
  const statistics: Statistic[] = [];
  const rate = [...rise.values()][0]?.frameRateHz ?? null;
  const frameMs = rate ? 1000 / rate : null;
  const per = frameMs ? ` (model frame ${fmtMs(frameMs)} ms)` : '';
  const inUnit = (frames: number | null) => (frames === null ? null : frameMs ? frames * frameMs : frames);
  const unit = frameMs ? 'ms' : 'frames';
  for (const [condition, r] of rise) statistics.push(stat(`contour-rise-${condition}`, `Contour index rises (${condition}), ${unit} after onset${per}`, inUnit(r.riseStep), unit));
  const ill = rise.get('illusory');
  const real = rise.get('real');
  if (ill && real) {
    const s = stat('contour-latency', `Illusory minus real rise${per}`, null, unit, null, true);
    if (ill.riseStep === null || real.riseStep === null)
      statistics.push({ ...s, undetermined: `Not determined by the data: the contour index does not rise in the ${ill.riseStep === null ? 'illusory' : 'real'} condition.` });
    else if (ill.riseStep === real.riseStep)
      // Rises are counted in whole model frames: a difference under one frame reads as 0.
      statistics.push({ ...s, undetermined: `Not determined by the data: not resolvable at this frame rate (illusory and real contours rise in the same model frame${frameMs ? `; one frame is ${fmtMs(frameMs)} ms at ${rate} frames/s` : ''}).` });
    else statistics.push({ ...s, value: inUnit(ill.riseStep - real.riseStep) });
  }
  const messages = frameMs
    ? [
        `Latencies (model): counted in model frames of ${fmtMs(frameMs)} ms (${rate} frames/s, the observer's frame rate) and given in ms; a difference under one frame is not resolvable. A network trained at about 10 frames/s (the default checkpoint) and run faster spans less time with each recurrent step: its learned dynamics (how many steps a response takes to build up) are compressed in time, so a latency of k steps becomes k / rate seconds, and each step sees less change than in training. A latency in ms then says as much about the chosen frame rate as about the network.`,
      ]
    : [];
  return { statistics, messages };
}

export function analyseKanizsa(params: KanizsaParams, trials: AnsweredTrial<KanizsaStimulus>[], options: AnalyseOptions = {}): AnalysisResult {
  const messages: string[] = [];
  const conditions: ConditionResult[] = [];
  const thresholds = new Map<KanizsaCondition, Statistic>();
  // Staircase data sit near threshold (QUEST's near the PSE) and say little about the asymptotes:
  // there free guess and lapse rates are held small, or they trade off against the slope (an over-steep curve).
  const maxLapse = params.design !== 'constant' ? UPDOWN_MAX_LAPSE : undefined;
  const choice = options.fit ?? DEFAULT_FIT;
  for (const [k, condition] of params.conditions.entries()) {
    const mine = trials.filter((t) => t.stimulus.condition === condition);
    if (mine.length === 0) continue;
    const points = mine.map((t) => ({ x: t.stimulus.alphaDeg, positive: isFat(t.response) }));
    const fit = fitIfPossible(points, { bootstrap: options.bootstrap, seed: (options.seed ?? 1) + k, ...fitOptionsOf(choice, maxLapse) }, condition, messages);
    // A CI reaching far past the tested rotations is not bounded by the data: say so instead.
    const widest = Math.max(...points.map((q) => Math.abs(q.x)));
    // One answer throughout: no curve, so no threshold (the fit's message says why).
    const oneAnswer = points.every((q) => q.positive === points[0]!.positive);
    let thresholdCi = fit?.ci.spread75 ?? null;
    let unbounded: string | null = null;
    if (oneAnswer) thresholdCi = null;
    else if (thresholdCi && !(thresholdCi[1] <= UNBOUNDED_FACTOR * widest)) {
      messages.push(`${condition}: the threshold's confidence interval reaches beyond ${UNBOUNDED_FACTOR} x the largest rotation tested (${widest} deg); the data do not bound it.`);
      unbounded = `Not determined by the data: its 95 % interval reaches beyond ${UNBOUNDED_FACTOR} x the largest rotation tested (${widest} deg).`;
      thresholdCi = null;
    }
    // An estimate whose interval is not bounded is no number to build a sentence on.
    const threshold = { ...stat('threshold', 'Threshold (75 % correct)', oneAnswer ? null : fit?.spread75, 'deg', thresholdCi, true), ...(unbounded ? { undetermined: unbounded } : {}) };
    thresholds.set(condition, threshold);
    // A QUEST session also gets QUEST's own estimate of this condition's PSE, from the same answers.
    const quest = params.design === 'quest' ? [questStatistic(questSettingsOf(params), points, 'deg')] : [];
    conditions.push({
      key: condition,
      label: CONDITION_LABELS[condition],
      levels: levelSummaries(points),
      fit,
      statistics: oneAnswer
        ? [threshold, stat('pse', 'Bias (PSE)', null, 'deg'), stat('slope', 'Slope at PSE', null, '/deg'), ...quest]
        : [threshold, stat('pse', 'Bias (PSE)', fit?.pse, 'deg', fit?.ci.pse), stat('slope', 'Slope at PSE', fit?.slope, '/deg', fit?.ci.slope), ...quest],
      criterion: 0.5,
    });
  }
  // Protocols stored before durations were in seconds keep their frame-counted title and group (stored comparisons keep matching).
  const legacy = params as unknown as { presentationFrames?: number; maskFrames?: number };
  const seconds = typeof params.presentationMs === 'number';
  const presentation = seconds ? `${params.presentationMs} ms` : `${legacy.presentationFrames} frames`;
  const mask = seconds ? `${params.maskMs} ms` : `${legacy.maskFrames}`;
  const statistics: Statistic[] = [];
  const ill = thresholds.get('illusory');
  const real = thresholds.get('real');
  if (ill?.value && real?.value && ill.ci && real.ci && ill.ci[0] > 0 && real.ci[0] > 0) {
    // Independent conditions: the log ratio's SE from each log-threshold CI (delta method).
    const se = (ci: [number, number]) => (Math.log(ci[1]) - Math.log(ci[0])) / (2 * 1.959964);
    const r = ill.value / real.value;
    const half = 1.959964 * Math.hypot(se(ill.ci), se(real.ci));
    statistics.push(stat('threshold-ratio', 'Threshold ratio illusory / real', r, '', [r * Math.exp(-half), r * Math.exp(half)], true));
  }
  // Model sessions only: people's trials carry no decoded rotation and no contour index.
  const completion = completionStatistics(trials, options);
  if (completion) {
    statistics.push(...completion);
    messages.push(COMPLETION_NOTE, ...completionCaveats(completion));
  }
  const rise = contourIndexRise(trials);
  const latency = latencyStatistics(rise);
  statistics.push(...latency.statistics);
  messages.push(...latency.messages);
  const frameMs = [...rise.values()][0]?.frameRateHz ? 1000 / [...rise.values()][0]!.frameRateHz! : null;
  return {
    paradigmId: 'kanizsa',
    title: `Kanizsa fat/thin (support ratio ${((2 * params.inducerRadiusDeg) / params.sideDeg).toFixed(2)}, ${presentation}${params.onset === 'discs' ? ', discs-to-pac-men onset' : ''})`,
    group: `side ${params.sideDeg} deg, radius ${params.inducerRadiusDeg} deg, ${presentation}, onset ${params.onset}, mask ${mask}`,
    trials: trials.length,
    xLabel: 'Inducer rotation alpha (+ = fat)',
    xUnit: 'deg',
    yLabel: 'P("fat")',
    conditions,
    statistics,
    messages,
    ...(rise.size
      ? {
          timeCourses: [
            {
              key: 'contour-index',
              title: 'Contour index over time (model): units on the outline between the inducers',
              xLabel: frameMs ? `ms from the figure onset (model frames of ${fmtMs(frameMs)} ms)` : 'Frames from the figure onset',
              yLabel: 'Mean |response|',
              series: [...rise].map(([condition, r]) => ({ label: CONDITION_LABELS[condition], points: r.mean.map((y, i): [number, number] => [(i - r.onset) * (frameMs ?? 1), y]) })),
            },
          ],
        }
      : {}),
    caption: `Points: proportion "fat" per rotation and condition, bars: 95% Wilson intervals, lines: the fitted ${FAMILY_NAMES[choice.family]} functions. Threshold: the rotation answered correctly 75% of the time (half the distance between the curve's 25% and 75% points).`,
    psychometricFunction: describeFit(choice, maxLapse),
  };
}
