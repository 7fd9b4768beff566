/** Flash-lag analysis: P("flash ahead") against physical offset -> PSE in degrees and ms. */
import { wilsonInterval } from '../binomial.js';
import { fitPsychometric, toLevels, type PsychometricFit } from '../psychometric.js';
import type { AnsweredTrial } from '../types.js';
import { isAhead } from './design.js';
import type { FlashLagParams, FlashLagStimulus } from './params.js';

export interface FlashLagLevel {
  offsetDeg: number;
  n: number;
  nAhead: number;
  pAhead: number;
  /** 95 % Wilson interval of pAhead. */
  ci: [number, number];
}

export interface FlashLagAnalysis {
  paradigmId: 'flash-lag';
  variant: FlashLagParams['variant'];
  speedDegPerS: number;
  trials: number;
  levels: FlashLagLevel[];
  fit: PsychometricFit | null;
  /** Flash-lag size: the offset at which the flash looks aligned (+ = flash must lead). */
  pseDeg: number | null;
  pseMs: number | null;
  pseMsCi: [number, number] | null;
  /**
   * For model observers that store their perceived offset: the offset where the perceived offset
   * crosses zero (least-squares line perceived = a + b * offset), free of decision noise.
   */
  direct: { pseDeg: number; pseMs: number; slope: number; intercept: number; trials: number } | null;
  /** Why there is no fit, or what to distrust about it. */
  messages: string[];
}

/** Perceived-offset line from trials that carry `extra.perceivedOffsetDeg`. */
function directPse(trials: AnsweredTrial<FlashLagStimulus>[], speed: number): FlashLagAnalysis['direct'] {
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
  const pseDeg = -intercept / slope;
  return { pseDeg, pseMs: (pseDeg / speed) * 1000, slope, intercept, trials: n };
}

export function analyseFlashLag(
  params: FlashLagParams,
  trials: AnsweredTrial<FlashLagStimulus>[],
  options: { bootstrap?: number; seed?: number } = {},
): FlashLagAnalysis {
  const points = trials.map((t) => ({ x: t.stimulus.offsetDeg, positive: isAhead(t.stimulus, t.response) }));
  const levels = toLevels(points).map((l) => ({ offsetDeg: l.x, n: l.n, nAhead: l.k, pAhead: l.k / l.n, ci: wilsonInterval(l.k, l.n) }));
  const speed = params.speedDegPerS;
  const messages: string[] = [];
  let fit: PsychometricFit | null = null;
  if (levels.length >= 3) {
    fit = fitPsychometric(toLevels(points), { bootstrap: options.bootstrap ?? 500, seed: options.seed ?? 1 });
    messages.push(...fit.warnings);
  } else {
    messages.push(`Not enough data to fit: answers at ${levels.length} offset(s), at least 3 are needed.`);
  }
  const toMs = (deg: number) => (deg / speed) * 1000;
  return {
    paradigmId: 'flash-lag',
    variant: params.variant,
    speedDegPerS: speed,
    trials: trials.length,
    levels,
    fit,
    pseDeg: fit ? fit.pse : null,
    pseMs: fit ? toMs(fit.pse) : null,
    pseMsCi: fit ? [toMs(fit.ci.pse[0]), toMs(fit.ci.pse[1])] : null,
    direct: directPse(trials, speed),
    messages,
  };
}
