/**
 * The psychometric function itself (no fitting, so the renderer can draw curves without the
 * optimiser):  psi(x) = guess + (1 - guess - lapse) * Phi((x - pse) / sigma)
 */
import jstat from 'jstat';

// jstat is CommonJS: its namespace object is the default export.
const { jStat } = jstat;

export interface PsychometricParams {
  pse: number;
  sigma: number;
  guess: number;
  lapse: number;
}

export function psi(x: number, p: PsychometricParams): number {
  return p.guess + (1 - p.guess - p.lapse) * jStat.normal.cdf(x, p.pse, p.sigma);
}

/** Slope of psi at the PSE, per unit of x. */
export function slopeAtPse(p: PsychometricParams): number {
  return ((1 - p.guess - p.lapse) * jStat.normal.pdf(0, 0, 1)) / p.sigma;
}
