/** Building blocks of the generic analysis result: levels with Wilson intervals, fits, statistics. */
import { wilsonInterval } from './binomial.js';
import { fitPsychometric, toLevels, type FitOptions, type PsychometricFit } from './psychometric.js';
import type { LevelSummary, Statistic } from './types.js';

export function levelSummaries(points: { x: number; positive: boolean }[]): LevelSummary[] {
  return toLevels(points).map((l) => ({ x: l.x, n: l.n, k: l.k, p: l.k / l.n, ci: wilsonInterval(l.k, l.n) }));
}

/** A fit when there are answers at 3 or more levels; otherwise null and a message saying so. */
export function fitIfPossible(
  points: { x: number; positive: boolean }[],
  options: { bootstrap?: number; seed?: number } & Pick<FitOptions, 'maxLapse' | 'fixLapses'>,
  what: string,
  messages: string[],
): PsychometricFit | null {
  const levels = toLevels(points);
  if (levels.length < 3) {
    messages.push(`Not enough data to fit${what ? ` ${what}` : ''}: answers at ${levels.length} level(s), at least 3 are needed.`);
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
