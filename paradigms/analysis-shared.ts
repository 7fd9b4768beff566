/** Building blocks of the generic analysis result: levels with Wilson intervals, fits, statistics. */
import { wilsonInterval } from './binomial.js';
import { DEFAULT_FIT, fitChoiceProblem, fitPsychometric, toLevels, type FitChoice, type FitOptions, type PsychometricFit } from './psychometric.js';
import type { LevelSummary, Statistic } from './types.js';

export function levelSummaries(points: { x: number; positive: boolean }[]): LevelSummary[] {
  return toLevels(points).map((l) => ({ x: l.x, n: l.n, k: l.k, p: l.k / l.n, ci: wilsonInterval(l.k, l.n) }));
}

/** The fit options of an analysis' choice of function (a paradigm may bound free rates more tightly). */
export function fitOptionsOf(choice: FitChoice = DEFAULT_FIT, maxLapse?: number): Pick<FitOptions, 'family' | 'fixedRates' | 'maxLapse'> {
  return { family: choice.family, ...(choice.rates === 'free' ? (maxLapse !== undefined ? { maxLapse } : {}) : { fixedRates: choice.rates }) };
}

/** A fit when there are answers at 3 or more levels (positive ones for a Weibull); otherwise null and a message saying so. */
export function fitIfPossible(
  points: { x: number; positive: boolean }[],
  options: { bootstrap?: number; seed?: number } & Pick<FitOptions, 'maxLapse' | 'family' | 'fixedRates'>,
  what: string,
  messages: string[],
): PsychometricFit | null {
  const levels = toLevels(points);
  if (levels.length < 3) {
    messages.push(`Not enough data to fit${what ? ` ${what}` : ''}: answers at ${levels.length} level(s), at least 3 are needed.`);
    return null;
  }
  const problem = fitChoiceProblem({ family: options.family ?? DEFAULT_FIT.family }, levels.map((l) => l.x));
  if (problem) {
    messages.push(`Not fitted${what ? ` (${what})` : ''}: ${problem}.`);
    return null;
  }
  const fit = fitPsychometric(levels, { ...options, bootstrap: options.bootstrap ?? 500, seed: options.seed ?? 1 });
  messages.push(...fit.warnings.map((w) => (what ? `${what}: ${w}` : w)));
  return fit;
}

export function stat(key: string, label: string, value: number | null | undefined, unit: string, ci?: [number, number] | null, comparable = false): Statistic {
  return { key, label, value: value ?? null, unit, ci: ci ?? null, ...(comparable ? { comparable } : {}) };
}

/** Key of the session statistic counting trials left out for dropped frames near the critical event. */
export const EXCLUDED_STATISTIC = 'excluded-dropped-frames';
