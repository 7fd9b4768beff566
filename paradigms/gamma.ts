/**
 * Display gamma: the inverse-gamma lookup the presenter draws through, the least-squares fit of
 * photometer readings, and the half-split (PsychoPy's "semi-automatic") estimate.
 *
 * Luminances in scenes are linear (0 = black, 1 = the display's white). A display emits roughly
 * L(v) = Lmin + (Lmax - Lmin) (v/255)^gamma for pixel value v, so the presenter sends
 * v = round(255 L^(1/gamma)) to make the light linear in L. The model never goes through this:
 * its rasterizer (rasterize.ts) hands PredNet the linear L itself, as the light a linearised
 * display emits; no gamma is applied on the model side.
 */
/** Gammas a profile may hold (CRTs ~2.2-2.5, LCDs ~1.8-2.4; 1 is a linear or unknown display). */
export const GAMMA_MIN = 1;
export const GAMMA_MAX = 3.5;
/** Entries of the presenter's lookup: linear luminance in steps of 1/1023 (finer than 8-bit output). */
export const LUT_SIZE = 1024;

/** Pixel value (0-255) per linear luminance step i/(LUT_SIZE-1): round(255 (i/(n-1))^(1/gamma)). Built once per session. */
export function inverseGammaLut(gamma: number, size = LUT_SIZE): Uint8Array {
  if (!(gamma >= GAMMA_MIN && gamma <= GAMMA_MAX)) throw new RangeError(`gamma must be between ${GAMMA_MIN} and ${GAMMA_MAX}; got ${gamma}.`);
  const lut = new Uint8Array(size);
  for (let i = 0; i < size; i++) lut[i] = Math.round(255 * Math.pow(i / (size - 1), 1 / gamma));
  return lut;
}

/** The pixel value for linear luminance L (clamped to 0..1) through a lookup. */
export function pixelFor(lut: Uint8Array, luminance: number): number {
  const l = Math.min(1, Math.max(0, Number.isFinite(luminance) ? luminance : 0));
  return lut[Math.round(l * (lut.length - 1))]!;
}

export interface PhotometerPoint {
  /** Grey level sent to the display (0-255). */
  level: number;
  /** Luminance measured there (cd/m²). */
  luminance: number;
}

export interface PhotometerFit {
  gamma: number;
  lmin: number;
  lmax: number;
  /** Measured minus fitted luminance at each point, in the points' order (cd/m²). */
  residuals: number[];
  /** Root mean square of the residuals (cd/m²). */
  rmse: number;
}

/** For a given gamma, Lmin and Lmax are a linear least-squares fit of L on (v/255)^gamma. */
function linearPart(points: readonly PhotometerPoint[], gamma: number): { lmin: number; lmax: number; sse: number } {
  const xs = points.map((p) => Math.pow(p.level / 255, gamma));
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = points.reduce((a, p) => a + p.luminance, 0) / n;
  let sxx = 0;
  let sxy = 0;
  xs.forEach((x, i) => {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (points[i]!.luminance - my);
  });
  const slope = sxx > 0 ? sxy / sxx : 0;
  const lmin = my - slope * mx;
  const sse = xs.reduce((a, x, i) => a + (points[i]!.luminance - (lmin + slope * x)) ** 2, 0);
  return { lmin, lmax: lmin + slope, sse };
}

/**
 * Least-squares fit of L(v) = Lmin + (Lmax - Lmin) (v/255)^gamma to photometer readings: Lmin and
 * Lmax in closed form for each gamma (a linear fit), gamma by a scan of GAMMA_MIN..GAMMA_MAX then a
 * golden-section search around the best step (one parameter in a known range: a general optimiser
 * such as fmin's Nelder-Mead stalled on the scan's value in tests). Needs at least three distinct
 * levels and luminance that rises with level.
 */
export function fitGamma(points: readonly PhotometerPoint[]): PhotometerFit {
  if (new Set(points.map((p) => p.level)).size < 3) throw new RangeError('A gamma fit needs luminances at three or more different grey levels.');
  const sorted = [...points].sort((a, b) => a.level - b.level);
  if (!(sorted.at(-1)!.luminance > sorted[0]!.luminance)) throw new RangeError('The luminance must be higher at the highest grey level than at the lowest; check the readings.');
  const sse = (g: number) => linearPart(points, g).sse;
  const STEP = 0.05;
  let best = GAMMA_MIN;
  for (let g = GAMMA_MIN; g <= GAMMA_MAX + 1e-9; g += STEP) if (sse(g) < sse(best)) best = g;
  // The error is unimodal near its minimum: golden section within one step either side.
  let a = Math.max(GAMMA_MIN, best - STEP);
  let b = Math.min(GAMMA_MAX, best + STEP);
  const phi = (Math.sqrt(5) - 1) / 2;
  while (b - a > 1e-7) {
    const c = b - phi * (b - a);
    const d = a + phi * (b - a);
    if (sse(c) < sse(d)) b = d;
    else a = c;
  }
  const gamma = (a + b) / 2;
  const { lmin, lmax } = linearPart(points, gamma);
  const residuals = points.map((p) => p.luminance - (lmin + (lmax - lmin) * Math.pow(p.level / 255, gamma)));
  return { gamma, lmin, lmax, residuals, rmse: Math.sqrt(residuals.reduce((acc, e) => acc + e * e, 0) / residuals.length) };
}

export interface HalfSplitMatch {
  /** Fraction of the display's luminance range the line pattern shows (0.5 for black/white lines). */
  target: number;
  /** The uniform grey (1-254) the observer set to look as bright as the lines. */
  level: number;
}

/** One match: target = (level/255)^gamma, so gamma = log(target) / log(level/255). */
export function gammaFromMatch(m: HalfSplitMatch): number {
  if (!(m.target > 0 && m.target < 1)) throw new RangeError(`A half-split target is a fraction between 0 and 1; got ${m.target}.`);
  if (!(m.level > 0 && m.level < 255)) throw new RangeError(`A matching grey lies between 1 and 254; got ${m.level}.`);
  return Math.log(m.target) / Math.log(m.level / 255);
}

/** Gamma from one or more half-split matches: the mean of each match's estimate. */
export function gammaFromHalfSplit(matches: readonly HalfSplitMatch[]): number {
  if (matches.length === 0) throw new RangeError('The half-split method needs at least one match.');
  return matches.reduce((a, m) => a + gammaFromMatch(m), 0) / matches.length;
}
