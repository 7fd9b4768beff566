/** Shared helpers of the psychometric plots (Results and Compare). */
import { psi, type PsychometricParams } from '../../../paradigms/psychometric-function.js';

/** The data's x range with 10 % padding on each side. */
export function xDomain(xs: number[]): [number, number] {
  if (xs.length === 0) return [-1, 1];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const pad = (hi - lo) * 0.1 || 0.5;
  return [lo - pad, hi + pad];
}

/** The functions sessions were fitted with: one when they share it, else each with its sessions ("A (#1, #2); B (#3)"). */
export function fittedFunctions(analyses: readonly { sessionId: number; psychometricFunction: string }[]): string {
  const by = new Map<string, number[]>();
  for (const a of analyses) by.set(a.psychometricFunction, [...(by.get(a.psychometricFunction) ?? []), a.sessionId]);
  return by.size <= 1 ? [...by.keys()].join('') : [...by].map(([d, ids]) => `${d} (${ids.map((i) => `#${i}`).join(', ')})`).join('; ');
}

/** Points of a fitted curve across [lo, hi]. */
export function psychometricCurve(fit: PsychometricParams, lo: number, hi: number, n = 150): { x: number; p: number }[] {
  return Array.from({ length: n }, (_, i) => {
    const x = lo + ((hi - lo) * i) / (n - 1);
    return { x, p: psi(x, fit) };
  });
}

/**
 * One colour per participant, the same in every plot of the app (Results, Compare): the
 * categorical palette indexed by the participant's id. Ten colours; ids ten apart share one,
 * which a comparison of up to ten participants with consecutive ids never meets.
 */
export const PARTICIPANT_PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'] as const;

export function participantColor(participantId: number): string {
  const n = PARTICIPANT_PALETTE.length;
  return PARTICIPANT_PALETTE[(((participantId - 1) % n) + n) % n]!;
}

/** Dash patterns that tell a participant's conditions apart in one plot (colour stays the participant's). */
export const CONDITION_DASHES = ['', '6 3', '2 3', '8 3 2 3'] as const;

/** Decimals a statistic is shown with, by its unit (Results and Compare). */
export { digitsForUnit as statDigits } from '../../../paradigms/format.js';
