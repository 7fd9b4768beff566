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

/** The stimulus level at which psi reaches p (NaN if p lies outside the curve's range). */
export function quantile(p: number, params: PsychometricParams): number {
  const q = (p - params.guess) / (1 - params.guess - params.lapse);
  return q > 0 && q < 1 ? params.pse + params.sigma * jStat.normal.inv(q, 0, 1) : Number.NaN;
}

/**
 * Half the distance between the 25 % and 75 % points of the curve: for a two-sided task
 * (P("fat") against a signed rotation) the rotation answered correctly 75 % of the time.
 */
export function spread75(params: PsychometricParams): number {
  return (quantile(0.75, params) - quantile(0.25, params)) / 2;
}

/** The sigma that gives a curve with these guess and lapse rates the 75 % spread `threshold`. */
export function sigmaForSpread75(threshold: number, guess: number, lapse: number): number {
  return spread75({ pse: 0, sigma: 1, guess, lapse }) > 0 ? threshold / spread75({ pse: 0, sigma: 1, guess, lapse }) : Number.NaN;
}
