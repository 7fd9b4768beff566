/**
 * The psychometric function itself (no fitting, so the renderer can draw curves without the
 * optimiser):  psi(x) = guess + (1 - guess - lapse) * F(x; pse, sigma)
 *
 * F is one of three families (as psignifit and quickpsy offer), each placed by its 50 % point
 * `pse` and scaled by `sigma`, in the stimulus' units:
 *   cumulative Gaussian  F = Phi((x - pse) / sigma)                   sigma: the SD
 *   logistic             F = 1 / (1 + exp(-(x - pse) / sigma))        sigma: the scale (SD = sigma * pi / sqrt 3)
 *   Weibull (x > 0)      F = 1 - exp(-ln 2 * (x / pse) ^ (pse / sigma))
 * The Weibull is written with its 50 % point (its usual alpha is pse / (ln 2)^(1 / beta)) and
 * shape beta = pse / sigma, so that near the PSE it is the Gumbel of scale sigma: the three are
 * then compared by the same PSE, slope and 75 % spread. A curve without `family` (every result
 * stored before the families existed) is a cumulative Gaussian.
 */
import jstat from 'jstat';

// jstat is CommonJS: its namespace object is the default export.
const { jStat } = jstat;

export const PSYCHOMETRIC_FAMILIES = ['cumulative-gaussian', 'logistic', 'weibull'] as const;
export type PsychometricFamily = (typeof PSYCHOMETRIC_FAMILIES)[number];

export const FAMILY_NAMES: Record<PsychometricFamily, string> = { 'cumulative-gaussian': 'cumulative Gaussian', logistic: 'logistic', weibull: 'Weibull' };

export interface PsychometricParams {
  family?: PsychometricFamily | undefined;
  pse: number;
  sigma: number;
  guess: number;
  lapse: number;
}

const LN2 = Math.log(2);

/** Weibull shape beta of a curve written with its PSE and sigma. */
export const weibullShape = (p: Pick<PsychometricParams, 'pse' | 'sigma'>) => p.pse / p.sigma;

/** F, the curve between its asymptotes (0 to 1). */
export function core(x: number, p: Pick<PsychometricParams, 'family' | 'pse' | 'sigma'>): number {
  switch (p.family ?? 'cumulative-gaussian') {
    case 'logistic':
      return 1 / (1 + Math.exp(-(x - p.pse) / p.sigma));
    case 'weibull':
      return x <= 0 ? 0 : 1 - Math.exp(-LN2 * (x / p.pse) ** weibullShape(p));
    default:
      return jStat.normal.cdf(x, p.pse, p.sigma);
  }
}

export function psi(x: number, p: PsychometricParams): number {
  return p.guess + (1 - p.guess - p.lapse) * core(x, p);
}

/** F's slope at its 50 % point times sigma: phi(0), 1/4, and ln 2 / 2 for the Weibull. */
const DENSITY_AT_PSE: Record<PsychometricFamily, number> = { 'cumulative-gaussian': 1 / Math.sqrt(2 * Math.PI), logistic: 0.25, weibull: LN2 / 2 };

/** Slope of psi at the PSE, per unit of x. */
export function slopeAtPse(p: PsychometricParams): number {
  return ((1 - p.guess - p.lapse) * DENSITY_AT_PSE[p.family ?? 'cumulative-gaussian']) / p.sigma;
}

/** The level at which F reaches q (0 < q < 1). */
function coreQuantile(q: number, p: Pick<PsychometricParams, 'family' | 'pse' | 'sigma'>): number {
  switch (p.family ?? 'cumulative-gaussian') {
    case 'logistic':
      return p.pse + p.sigma * Math.log(q / (1 - q));
    case 'weibull':
      return p.pse * (-Math.log(1 - q) / LN2) ** (1 / weibullShape(p));
    default:
      return p.pse + p.sigma * jStat.normal.inv(q, 0, 1);
  }
}

/** The stimulus level at which psi reaches p (NaN if p lies outside the curve's range). */
export function quantile(p: number, params: PsychometricParams): number {
  const q = (p - params.guess) / (1 - params.guess - params.lapse);
  return q > 0 && q < 1 ? coreQuantile(q, params) : Number.NaN;
}

/**
 * Half the distance between the 25 % and 75 % points of the curve: for a two-sided task
 * (P("fat") against a signed rotation) the rotation answered correctly 75 % of the time.
 */
export function spread75(params: PsychometricParams): number {
  return (quantile(0.75, params) - quantile(0.25, params)) / 2;
}

/** The sigma that gives a cumulative Gaussian with these guess and lapse rates the 75 % spread `threshold`. */
export function sigmaForSpread75(threshold: number, guess: number, lapse: number): number {
  return spread75({ pse: 0, sigma: 1, guess, lapse }) > 0 ? threshold / spread75({ pse: 0, sigma: 1, guess, lapse }) : Number.NaN;
}

/**
 * The curve's spread in its family's own terms, as psignifit and quickpsy report it: a cumulative
 * Gaussian's sigma, a logistic's scale, a Weibull's alpha (63 % point of F) and shape beta.
 */
export function familyParameters(p: PsychometricParams): { name: string; value: number; inStimulusUnits: boolean }[] {
  switch (p.family ?? 'cumulative-gaussian') {
    case 'logistic':
      return [{ name: 'scale', value: p.sigma, inStimulusUnits: true }];
    case 'weibull': {
      const beta = weibullShape(p);
      return [
        { name: 'alpha', value: p.pse / LN2 ** (1 / beta), inStimulusUnits: true },
        { name: 'beta', value: beta, inStimulusUnits: false },
      ];
    }
    default:
      return [{ name: 'sigma', value: p.sigma, inStimulusUnits: true }];
  }
}
