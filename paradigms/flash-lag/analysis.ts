/**
 * Flash-lag analysis: P("flash ahead") against physical offset -> PSE in degrees and ms. For the
 * rotating bar the offsets and the PSE are in degrees of rotation angle, and the PSE is also given
 * in degrees of visual angle along the flash's arc at its eccentricity.
 */
import { fitIfPossible, levelSummaries, stat } from '../analysis-shared.js';
import type { AnalysisResult, AnsweredTrial, Statistic } from '../types.js';
import { isAhead } from './design.js';
import type { FlashLagParams, FlashLagStimulus } from './params.js';
import { flashEccentricityDeg } from './scene.js';

/**
 * For model observers that store their perceived offset: the offset where the perceived offset
 * crosses zero (least-squares line perceived = a + b * offset), free of decision noise.
 */
export function directPse(trials: AnsweredTrial<FlashLagStimulus>[]): { pseDeg: number; slope: number; intercept: number; trials: number } | null {
  const pts = trials
    .map((t) => [t.stimulus.offsetDeg, t.extra?.perceivedOffsetDeg] as const)
    .filter((p): p is readonly [number, number] => typeof p[1] === 'number' && Number.isFinite(p[1]));
  if (pts.length < 2) return null;
  const n = pts.length;
  const mx = pts.reduce((s, p) => s + p[0], 0) / n;
  const my = pts.reduce((s, p) => s + p[1], 0) / n;
  const sxx = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  if (sxx === 0) return null;
  const slope = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0) / sxx;
  const intercept = my - slope * mx;
  if (slope === 0) return null;
  return { pseDeg: -intercept / slope, slope, intercept, trials: n };
}

export function analyseFlashLag(params: FlashLagParams, trials: AnsweredTrial<FlashLagStimulus>[], options: { bootstrap?: number; seed?: number } = {}): AnalysisResult {
  const points = trials.map((t) => ({ x: t.stimulus.offsetDeg, positive: isAhead(t.stimulus, t.response) }));
  const messages: string[] = [];
  const fit = fitIfPossible(points, options, '', messages);
  const speed = params.speedDegPerS;
  const rotate = params.motion === 'rotate';
  const toMs = (deg: number) => (deg / speed) * 1000;
  // Rotating bar: an angle (deg of rotation) is an arc of r * angle (rad) at the flash's eccentricity r.
  const eccentricity = rotate ? flashEccentricityDeg(params) : 0;
  const toVisual = (deg: number) => (deg * Math.PI * eccentricity) / 180;
  const unit = rotate ? 'deg of rotation' : 'deg';
  const statistics: Statistic[] = [
    stat('pse-deg', 'Flash-lag (PSE)', fit?.pse, unit, fit?.ci.pse, true),
    ...(rotate ? [stat('pse-visual-deg', `Flash-lag (PSE) along the flash's arc at ${eccentricity.toFixed(2)} deg eccentricity`, fit ? toVisual(fit.pse) : null, 'deg', fit ? [toVisual(fit.ci.pse[0]), toVisual(fit.ci.pse[1])] : null)] : []),
    stat('pse-ms', 'Flash-lag (PSE)', fit ? toMs(fit.pse) : null, 'ms', fit ? [toMs(fit.ci.pse[0]), toMs(fit.ci.pse[1])] : null, true),
    stat('slope', 'Slope at PSE', fit?.slope, `/${unit}`, fit?.ci.slope),
  ];
  const direct = directPse(trials);
  if (direct) {
    statistics.push(stat('direct-pse-deg', 'Direct PSE (model readout)', direct.pseDeg, unit, null, true));
    if (rotate) statistics.push(stat('direct-pse-visual-deg', "Direct PSE (model readout) along the flash's arc", toVisual(direct.pseDeg), 'deg'));
    statistics.push(stat('direct-pse-ms', 'Direct PSE (model readout)', toMs(direct.pseDeg), 'ms'));
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
    caption: 'Points: proportion "flash ahead" per offset (size = trials), bars: 95% Wilson intervals, line: fitted cumulative Gaussian with guess and lapse rates. Direct PSE: where the model\'s noise-free perceived offset crosses zero.',
  };
}
