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
  /** Why there is no fit, or what to distrust about it. */
  messages: string[];
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
    messages,
  };
}
