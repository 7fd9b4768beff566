/**
 * Kanizsa model readouts (both stored with every model trial):
 * (a) a linear decoder: logistic regression on one layer's mean response during the figure,
 *     trained on *real*-contour fat/thin figures (prepare), then applied to every trial; its
 *     decision value, scaled to degrees of rotation on the training set, plus Gaussian decision
 *     noise, answers fat or thin, so model trials get the same threshold analysis as people's.
 *     It reads only the units in the figure's gaps: centred clear of every inducer (by one unit
 *     and the position jitter), near the outline. The inducers' own edges differ between the
 *     illusory figure and its control by construction (the control must turn them away to leave
 *     nothing to complete), so a decoder reading them would credit local edges as completion;
 *     in the gaps the image is blank in both, and only a network that fills in the contour has
 *     anything there for a real-contour decoder to read (analysis.ts: completion).
 * (b) a contour index over time: the mean absolute response of the units whose receptive-field
 *     centre lies on the figure's outline between the inducers (where the illusory contour would
 *     be), frame by frame; the analysis averages it per condition and finds when it rises
 *     (Lee & Nguyen 2001; Lotter et al. 2020, Fig. 5: illusory later than real).
 */
import { createRng, gaussian, subSeed } from '../rng.js';
import type { ModelReadout, ModelResponse, ModelView } from '../types.js';
import { makeStimulus } from './design.js';
import { contourSegments, inducers, phaseEnds } from './geometry.js';
import { temporalOf } from '../rasterize.js';
import { NO_ANSWER } from '../types.js';
import { signedLevels, type KanizsaParams, type KanizsaStimulus } from './params.js';

/** A unit grid (layer or image) and its values over time: (T, h, w, c). */
interface Grid {
  data: Float32Array;
  T: number;
  h: number;
  w: number;
  c: number;
  /** Subtracted before taking absolute values (the background for image frames, 0 for units). */
  offset: number;
}

function gridOf(r: ModelResponse, view: ModelView, background: number): Grid {
  if (r.layer) return { data: r.layer.data, T: r.frames, h: r.layer.height, w: r.layer.width, c: r.layer.channels, offset: 0 };
  return { data: r.prediction, T: r.frames, h: view.height, w: view.width, c: view.channels, offset: background };
}

/**
 * The figure's model frames in this view: [onset, end), onset the frame holding the figure's
 * appearance, end past the last frame that shows any of it (integrate mode), or the frames a
 * display at the model's rate shows it on (sample mode).
 */
export function modelFigureWindow(s: KanizsaStimulus, view: ModelView): { onset: number; end: number } {
  const F = view.frameRateHz;
  if (temporalOf(view).mode === 'sample') {
    const [, onset, end] = phaseEnds(s, { frameRateHz: F });
    return { onset: Math.round(onset * F), end: Math.round(end * F) };
  }
  const [, onset, end] = phaseEnds(s);
  return { onset: Math.floor(onset * F + 1e-9), end: Math.ceil(end * F - 1e-9) };
}

/**
 * Mean of each unit over the figure's frames (from `delay` frames after its onset): every unit,
 * or the given grid positions (row * w + column), each with all its channels.
 */
export function figureFeatures(g: Grid, s: KanizsaStimulus, delay: number, view: ModelView, units?: readonly number[]): Float32Array {
  const size = g.h * g.w * g.c;
  const w = modelFigureWindow(s, view);
  const from = Math.min(g.T - 1, w.onset + delay);
  const to = Math.max(from + 1, Math.min(g.T, w.end));
  const at = units ? units.flatMap((u) => Array.from({ length: g.c }, (_, ch) => u * g.c + ch)) : null;
  const n = at ? at.length : size;
  const out = new Float32Array(n);
  for (let t = from; t < to; t++) for (let i = 0; i < n; i++) out[i]! += g.data[t * size + (at ? at[i]! : i)]!;
  for (let i = 0; i < n; i++) out[i]! /= to - from;
  return out;
}

/** Centre of unit (row i, column j) of an h x w grid over the view, in degrees. */
function unitCentre(g: Pick<Grid, 'h' | 'w'>, view: ModelView, i: number, j: number): [number, number] {
  const k = view.width / view.fovDeg;
  return [((j + 0.5) * (view.width / g.w) - view.width / 2) / k, (view.height / 2 - (i + 0.5) * (view.height / g.h)) / k];
}

/** Distance from (x, y) to the segment p-q. */
function toSegment(x: number, y: number, p: readonly [number, number], q: readonly [number, number]): number {
  const dx = q[0] - p[0];
  const dy = q[1] - p[1];
  const t = Math.max(0, Math.min(1, ((x - p[0]) * dx + (y - p[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(x - p[0] - t * dx, y - p[1] - t * dy);
}

/** The protocol's figure geometry the decoder's units are chosen from (any trial's, less its jitter). */
export type GapGeometry = Pick<KanizsaParams, 'sideDeg' | 'inducerRadiusDeg' | 'jitterDeg'> & {
  /** The largest rotation the figure is shown at (deg): how far a side may bow. */
  maxAlphaDeg: number;
};

/**
 * The units in the figure's gaps (row * w + column): centred clear of every inducer of any trial
 * (radius + one unit + the jitter's reach), and no farther from the unrotated square's outline
 * than its sides may bow (or one inducer radius). There a local edge detector sees blank
 * background in the illusory and the control figures alike; a real contour crosses them.
 */
export function gapUnits(g: Pick<Grid, 'h' | 'w'>, geo: GapGeometry, view: ModelView): number[] {
  const h = geo.sideDeg / 2;
  const cell = Math.max(view.width / g.w, view.height / g.h) / (view.width / view.fovDeg);
  const jitter = (geo.jitterDeg / 2) * Math.SQRT2;
  const clear = geo.inducerRadiusDeg + cell + jitter;
  const reach = Math.max(geo.inducerRadiusDeg, h * Math.tan((Math.min(geo.maxAlphaDeg, 45) * Math.PI) / 180)) + cell + jitter;
  const corners: [number, number][] = [[h, h], [-h, h], [-h, -h], [h, -h]];
  const units: number[] = [];
  for (let i = 0; i < g.h; i++)
    for (let j = 0; j < g.w; j++) {
      const [x, y] = unitCentre(g, view, i, j);
      if (corners.some(([cx, cy]) => Math.hypot(x - cx, y - cy) < clear)) continue;
      if (corners.some((c, k) => toSegment(x, y, c, corners[(k + 1) % 4]!) <= reach)) units.push(i * g.w + j);
    }
  return units;
}

/** Units (row, column) whose centre lies on the outline between the inducers. */
export function contourUnits(g: Pick<Grid, 'h' | 'w'>, s: KanizsaStimulus, view: ModelView): number[] {
  const k = view.width / view.fovDeg;
  const band = Math.max((0.5 * Math.max(view.width / g.w, view.height / g.h)) / k, s.lineWidthDeg);
  const segs = contourSegments(s);
  const ind = inducers({ ...s, condition: 'illusory' });
  const units: number[] = [];
  for (let i = 0; i < g.h; i++)
    for (let j = 0; j < g.w; j++) {
      const [x, y] = unitCentre(g, view, i, j);
      if (ind.some((d) => Math.hypot(x - d.x, y - d.y) < s.inducerRadiusDeg + band)) continue;
      if (segs.some(([p, q]) => toSegment(x, y, p, q) <= band)) units.push(i * g.w + j);
    }
  return units;
}

/** Mean |response - offset| of the contour units, per frame. */
export function contourIndex(g: Grid, units: number[]): number[] {
  const size = g.h * g.w * g.c;
  return Array.from({ length: g.T }, (_, t) => {
    let sum = 0;
    for (const u of units) for (let ch = 0; ch < g.c; ch++) sum += Math.abs(g.data[t * size + u * g.c + ch]! - g.offset);
    return units.length ? sum / (units.length * g.c) : 0;
  });
}

export interface Decoder {
  /** The grid positions it reads (gapUnits), each with all its channels. */
  units: number[];
  weights: Float32Array;
  bias: number;
  mean: Float32Array;
  scale: Float32Array;
  /** Decision value per degree of rotation (least squares through 0 on the training set). */
  perDeg: number;
  trainAccuracy: number;
  trainTrials: number;
  layer: string;
}

/**
 * L2-regularised logistic regression by gradient descent on centred, scaled features: each
 * feature by its own SD ('feature'), or all by their common RMS SD ('common').
 */
export function trainLogistic(
  xs: Float32Array[],
  ys: number[],
  options: { iterations?: number; l2?: number; scaling?: 'feature' | 'common' } = {},
): { weights: Float32Array; bias: number; mean: Float32Array; scale: Float32Array } {
  const n = xs.length;
  const F = xs[0]!.length;
  const mean = new Float32Array(F);
  const scale = new Float32Array(F);
  for (const x of xs) for (let f = 0; f < F; f++) mean[f]! += x[f]! / n;
  for (const x of xs) for (let f = 0; f < F; f++) scale[f]! += (x[f]! - mean[f]!) ** 2 / n;
  if (options.scaling === 'common') {
    // One scale for all: weights stay in the layer's own units, so a feature nearly constant on
    // the training figures cannot earn a large weight from noise and then dominate elsewhere.
    const rms = Math.sqrt(scale.reduce((a, v) => a + v, 0) / Math.max(1, F));
    scale.fill(rms > 1e-12 ? 1 / rms : 0);
  }
  // Constant features carry nothing: a zero scale makes them vanish.
  else for (let f = 0; f < F; f++) scale[f] = scale[f]! > 1e-12 ? 1 / Math.sqrt(scale[f]!) : 0;
  const z = xs.map((x) => Float32Array.from(x, (v, f) => (v - mean[f]!) * scale[f]!));
  const w = new Float32Array(F);
  let b = 0;
  const l2 = options.l2 ?? 1e-2;
  // Step 1/L: the loss's curvature is at most 1/4 of the largest eigenvalue of Z'Z/n, which equals
  // that of the small n x n Gram matrix ZZ'/n (power iteration).
  const gram = z.map((a) => z.map((b2) => a.reduce((s, v, f) => s + v * b2[f]!, 0) / n));
  let v = new Array<number>(n).fill(1 / Math.sqrt(n));
  let lambda = 1;
  for (let it = 0; it < 50; it++) {
    const u = gram.map((row) => row.reduce((s, g, j) => s + g * v[j]!, 0));
    lambda = Math.hypot(...u);
    if (!(lambda > 0)) break;
    v = u.map((x) => x / lambda);
  }
  const lr = 4 / Math.max(lambda, 1e-9);
  for (let it = 0; it < (options.iterations ?? 300); it++) {
    const g = new Float32Array(F);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let d = b;
      const zi = z[i]!;
      for (let f = 0; f < F; f++) d += w[f]! * zi[f]!;
      const err = 1 / (1 + Math.exp(-d)) - ys[i]!;
      gb += err / n;
      for (let f = 0; f < F; f++) g[f]! += (err * zi[f]!) / n;
    }
    for (let f = 0; f < F; f++) w[f]! -= lr * (g[f]! + l2 * w[f]!);
    b -= 4 * gb;
  }
  // Fold the standardisation into the weights.
  const weights = Float32Array.from(w, (v, f) => v * scale[f]!);
  return { weights, bias: b, mean, scale };
}

export function decide(d: Pick<Decoder, 'weights' | 'bias' | 'mean'>, x: Float32Array): number {
  let v = d.bias;
  for (let f = 0; f < x.length; f++) v += d.weights[f]! * (x[f]! - d.mean[f]!);
  return v;
}

/** Rotations QUEST is likely to test: within 2 prior SDs of the prior mean. */
function questMagnitudes(p: KanizsaParams): number[] {
  const far = Math.min(45, Math.abs(p.questPriorMeanDeg) + 2 * p.questPriorSdDeg);
  return [far / 8, far / 4, far / 2, far];
}

/** Rotations used to train the decoder: the protocol's nonzero alphas, around the staircase's start, or over QUEST's prior. */
function trainingAlphas(p: KanizsaParams): number[] {
  const mags = p.design === 'constant' ? p.alphasDeg.filter((a) => a > 0) : p.design === 'quest' ? questMagnitudes(p) : [p.updownStartDeg / 4, p.updownStartDeg / 2, p.updownStartDeg, Math.min(45, 2 * p.updownStartDeg)];
  const base = mags.length ? mags : [1, 2, 4];
  const repeats = Math.max(2, Math.ceil(24 / base.length));
  return base.flatMap((a) => Array.from({ length: repeats }, () => [a, -a]).flat());
}

/**
 * One step of the protocol's rotation grid: the median gap between its signed rotations, or the
 * staircase's step down. QUEST has no grid of levels: its assumed spread, so a model answers (at
 * least) as noisily as the observer QUEST assumes.
 */
export function rotationGridStep(p: Pick<KanizsaParams, 'design' | 'alphasDeg' | 'updownStepDeg' | 'questSigmaDeg'>): number {
  if (p.design === 'updown') return p.updownStepDeg;
  if (p.design === 'quest') return p.questSigmaDeg;
  const xs = signedLevels(p);
  const gaps = xs.slice(1).map((x, i) => x - xs[i]!).sort((a, b) => a - b);
  return gaps.length ? gaps[(gaps.length - 1) >> 1]! : 1;
}

export const kanizsaReadout: ModelReadout<KanizsaParams, KanizsaStimulus> = {
  description:
    "Linear decoder (logistic regression) on one layer (default E1) averaged over the figure, reading only the units in the figure's gaps (clear of every inducer), trained on real-contour fat/thin figures; its decision value in degrees of rotation plus Gaussian decision noise answers fat/thin. Its transfer to illusory minus control figures measures completion. Also stores a contour index per frame: mean |response| of the units on the outline between the inducers.",
  unit: 'deg',
  defaultLayer: 'E1',
  // It reads units: an untrained network of the same architecture shows what architecture alone gives.
  untrainedBeside: true,
  defaultDecisionNoise: rotationGridStep,
  async prepare(p, seed, view, respond) {
    const alphas = trainingAlphas(p);
    const stimuli = alphas.map((a, i) => makeStimulus(p, 'real', a, createRng(subSeed(seed, 9000 + i))));
    const responses = await respond(stimuli);
    const grids = responses.map((r) => gridOf(r, view, p.background));
    const layer = responses[0]?.layer?.name ?? 'prediction';
    const maxAlphaDeg = Math.max(...alphas.map(Math.abs), ...(p.design === 'constant' ? p.alphasDeg : []));
    const units = grids[0] ? gapUnits(grids[0], { ...p, maxAlphaDeg }, view) : [];
    const ys = alphas.map((a) => (a > 0 ? 1 : 0));
    // No unit in the gaps at this resolution: nothing to read (every trial then has no readout).
    if (units.length === 0) return { units, weights: new Float32Array(0), bias: 0, mean: new Float32Array(0), scale: new Float32Array(0), perDeg: 0, trainAccuracy: 0, trainTrials: alphas.length, layer } satisfies Decoder;
    const xs = grids.map((g, i) => figureFeatures(g, stimuli[i]!, 1, view, units));
    // Common scaling: the decoder is applied to figures unlike its training set (illusory,
    // control), where a unit barely varying on real contours may respond strongly; scaled by its
    // own tiny SD it would swamp the decision with noise.
    const fit = trainLogistic(xs, ys, { scaling: 'common' });
    const ds = xs.map((x) => decide(fit, x));
    const perDeg = ds.reduce((s, d, i) => s + d * alphas[i]!, 0) / alphas.reduce((s, a) => s + a * a, 0);
    const trainAccuracy = ds.filter((d, i) => d > 0 === ys[i]! > 0).length / ds.length;
    const decoder: Decoder = { units, ...fit, perDeg, trainAccuracy, trainTrials: xs.length, layer };
    return decoder;
  },
  read(response, s, ctx) {
    const dec = ctx.prepared as Decoder;
    const g = gridOf(response, ctx.view, s.background);
    const d = dec.units.length ? decide(dec, figureFeatures(g, s, 1, ctx.view, dec.units)) : 0;
    const perceived = dec.units.length && dec.perDeg !== 0 && Number.isFinite(dec.perDeg) ? d / dec.perDeg : null;
    const rng = createRng(subSeed(ctx.settings.seed, ctx.index));
    const noise = ctx.settings.decisionNoise * gaussian(rng);
    const window = modelFigureWindow(s, ctx.view);
    // A decoder that learned nothing (no decision value per degree) gives no answer, unless asked to guess.
    const none = perceived === null && ctx.settings.noReadout === 'exclude';
    const fat = perceived === null ? rng.next() < 0.5 : perceived + noise > 0;
    return {
      response: none ? NO_ANSWER : fat ? 'fat' : 'thin',
      perceived,
      extra: {
        perceivedAlphaDeg: perceived,
        decision: d,
        decisionNoiseDeg: noise,
        guessed: perceived === null && !none,
        noReadout: perceived === null,
        layer: dec.layer,
        decoderTrainAccuracy: dec.trainAccuracy,
        decoderTrainTrials: dec.trainTrials,
        // Marks trials read in the gaps (analysis.ts computes completion from these only).
        decoderUnits: dec.units.length,
        // The model's clock: latencies in frames become ms with it.
        frameRateHz: ctx.view.frameRateHz,
        figureFrame: window.onset,
        readoutFrame: Math.min(response.frames - 1, window.onset + 1),
        contourIndex: contourIndex(g, contourUnits(g, s, ctx.view)),
      },
    };
  },
};
