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

/** Points of a fitted curve across [lo, hi]. */
export function psychometricCurve(fit: PsychometricParams, lo: number, hi: number, n = 150): { x: number; p: number }[] {
  return Array.from({ length: n }, (_, i) => {
    const x = lo + ((hi - lo) * i) / (n - 1);
    return { x, p: psi(x, fit) };
  });
}
