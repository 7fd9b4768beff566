/**
 * The flash-lag readout: in the predicted frame after the flash, find the moving bar and the
 * flash (translating bar: contrast-weighted horizontal centroids in their rows; rotating bar:
 * the orientation of the contrast in each segment's ring around fixation, from its second
 * moments), take the flash's offset from the bar along the motion (the model's perceived offset,
 * deg, of rotation angle for the rotating bar) and answer ahead/behind. Decision
 * noise (Gaussian, deg) is a documented parameter, so a deterministic model still gives a
 * psychometric curve; the noise-free perceived offset is stored with every trial.
 */
import { createRng, gaussian, subSeed } from '../rng.js';
import { modelCriticalFrame, temporalOf } from '../rasterize.js';
import { NO_ANSWER, type ModelReadout, type ModelView } from '../types.js';
import { answerFor } from './design.js';
import type { FlashLagParams, FlashLagStimulus } from './params.js';
import { flashCentreS, flashFrame, flashWindow, segmentRadii } from './scene.js';

export interface FlashLagReadout {
  /** Flash minus bar along the motion, as the model predicts them (deg; rotating bar: of rotation angle); null if either is missing. */
  perceivedOffsetDeg: number | null;
  /** Where the bar and the flash are (deg along x; rotating bar: orientation, deg counter-clockwise from +x, in (-90, 90]). */
  barXDeg: number | null;
  flashXDeg: number | null;
  /** Time step (model frame) whose prediction was read. */
  readoutFrame: number;
  flashFrame: number;
}

/** Rows (pixel indices) whose centres fall inside [yLowDeg, yHighDeg]. */
function rowsBetween(v: ModelView, yLowDeg: number, yHighDeg: number): number[] {
  const k = v.width / v.fovDeg;
  const rows: number[] = [];
  for (let i = 0; i < v.height; i++) {
    const y = (v.height / 2 - (i + 0.5)) / k;
    if (y >= yLowDeg && y <= yHighDeg) rows.push(i);
  }
  return rows;
}

function pixelValue(frame: Float32Array, v: ModelView, i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < v.channels; c++) s += frame[(i * v.width + j) * v.channels + c]!;
  return s / v.channels;
}

/** Contrast weights of some pixels: distance from their median (the background: objects cover few of them), minus a noise floor. */
function contrastWeights(values: number[]): number[] {
  const bg = values.slice().sort((a, b) => a - b)[values.length >> 1]!;
  return values.map((val) => Math.max(0, Math.abs(val - bg) - 0.05));
}

/** Contrast-weighted horizontal centroid (deg) over some rows of one frame (channel mean). */
function centroidDeg(frame: Float32Array, v: ModelView, rows: number[]): number | null {
  if (rows.length === 0) return null;
  const k = v.width / v.fovDeg;
  const values: number[] = [];
  for (const i of rows) for (let j = 0; j < v.width; j++) values.push(pixelValue(frame, v, i, j));
  let m = 0;
  let mx = 0;
  contrastWeights(values).forEach((w, idx) => {
    const j = idx % v.width;
    m += w;
    mx += w * ((j + 0.5 - v.width / 2) / k);
  });
  return m > 0.05 * rows.length ? mx / m : null;
}

/** Pixels closer to fixation than this are left out of orientations (the fixation dot sits there). */
const FIXATION_MARGIN_DEG = 0.3;

/**
 * Orientation (deg counter-clockwise from +x, in (-90, 90]) of the contrast in the ring
 * r0 <= r < r1 around fixation: the principal axis of its contrast-weighted second moments
 * about fixation (a segment through or in line with fixation lies along it). Null when the ring
 * holds too little contrast to have an orientation.
 */
export function ringOrientationDeg(frame: Float32Array, v: ModelView, r0: number, r1: number): number | null {
  const k = v.width / v.fovDeg;
  const xs: number[] = [];
  const ys: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < v.height; i++)
    for (let j = 0; j < v.width; j++) {
      const x = (j + 0.5 - v.width / 2) / k;
      const y = (v.height / 2 - (i + 0.5)) / k;
      const r = Math.hypot(x, y);
      if (r < Math.max(r0, FIXATION_MARGIN_DEG) || r >= r1) continue;
      xs.push(x);
      ys.push(y);
      values.push(pixelValue(frame, v, i, j));
    }
  if (values.length === 0) return null;
  let m = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  contrastWeights(values).forEach((w, n) => {
    m += w;
    sxx += w * xs[n]! ** 2;
    syy += w * ys[n]! ** 2;
    sxy += w * xs[n]! * ys[n]!;
  });
  // As for the centroids: at least 0.05 of contrast per pixel of a one-pixel-wide line across the ring.
  if (m <= 0.05 * (r1 - r0) * k) return null;
  return (Math.atan2(2 * sxy, sxx - syy) * 90) / Math.PI;
}

/** An angle difference wrapped to (-90, 90] (orientations repeat every half turn). */
function orientationDifference(a: number, b: number): number {
  const d = (((a - b) % 180) + 180) % 180;
  return d > 90 ? d - 180 : d;
}

/** Why a readout delay reads past a trial's end, and what to change. */
function pastEndMessage(s: FlashLagStimulus, v: ModelView, delay: number, kF: number, frames: number): string {
  const head = `Readout delay ${delay} frame(s) reads model frame ${kF + delay}, but this trial has ${frames} frames at ${v.frameRateHz} frames/s (flash at frame ${kF})`;
  if (s.variant === 'flash-terminated') {
    // The blank must reach past the end of model frame kF + delay.
    const sample = temporalOf(v).mode === 'sample';
    const { off } = flashWindow(s, sample ? { frameRateHz: v.frameRateHz } : undefined);
    const neededMs = Math.ceil(((kF + delay + 1) / v.frameRateHz - off) * 1000);
    return `${head}: set blankAfterFlashMs to at least ${neededMs} ms (now ${s.blankAfterFlashMs ?? 0}) or use a shorter readout delay.`;
  }
  return `${head}: the bar's path ends first; lengthen travelDeg or use a shorter readout delay.`;
}

/**
 * The model frame in which the flash is read in this view: sampled, the frame it starts on;
 * integrating, the frame holding the middle of the flash (most of a brief flash's light).
 */
export function modelFlashFrame(s: FlashLagStimulus, v: ModelView): number {
  return modelCriticalFrame({ criticalFrame: flashFrame, criticalTime: flashCentreS }, s, v)!;
}

/** `criticalFrame`: the observer's model frame of the flash (ReadoutContext), else computed here (the battery). */
export function readFlashLag(prediction: Float32Array, s: FlashLagStimulus, v: ModelView, readoutDelayFrames: number, frames: number, criticalFrame?: number | null): FlashLagReadout {
  const kF = criticalFrame ?? modelFlashFrame(s, v);
  const r = kF + readoutDelayFrames;
  // Never read another frame than the one asked for (a clamped read made delays past the end alike).
  if (r >= frames) throw new RangeError(pastEndMessage(s, v, readoutDelayFrames, kF, frames));
  const size = v.width * v.height * v.channels;
  const frame = prediction.subarray(r * size, (r + 1) * size);
  if (s.motion === 'rotate') {
    // Rings split halfway across the gap between the inner and the outer segment.
    const radii = segmentRadii(s);
    const split = (radii.inner[1] + radii.outer[0]) / 2;
    const inner = ringOrientationDeg(frame, v, 0, split);
    const outer = ringOrientationDeg(frame, v, split, radii.outer[1] + s.gapDeg / 2);
    const [barXDeg, flashXDeg] = s.flashSegment === 'inner' ? [outer, inner] : [inner, outer];
    return {
      perceivedOffsetDeg: barXDeg !== null && flashXDeg !== null ? orientationDifference(flashXDeg, barXDeg) * s.direction : null,
      barXDeg,
      flashXDeg,
      readoutFrame: r,
      flashFrame: kF,
    };
  }
  const barRows = rowsBetween(v, s.gapDeg / 2, s.gapDeg / 2 + s.barHeightDeg);
  const flashRows = rowsBetween(v, -(s.gapDeg / 2 + s.flashHeightDeg), -s.gapDeg / 2);
  const barXDeg = centroidDeg(frame, v, barRows);
  const flashXDeg = centroidDeg(frame, v, flashRows);
  return {
    perceivedOffsetDeg: barXDeg !== null && flashXDeg !== null ? (flashXDeg - barXDeg) * s.direction : null,
    barXDeg,
    flashXDeg,
    readoutFrame: r,
    flashFrame: kF,
  };
}

/**
 * One step of the protocol's offset grid: the median gap between its offsets, or the staircase's
 * step. QUEST has no grid of levels: its assumed spread, so a model answers (at least) as
 * noisily as the observer QUEST assumes.
 */
export function offsetGridStep(p: Pick<FlashLagParams, 'design' | 'offsetsDeg' | 'staircaseStepDeg' | 'questSigmaDeg'>): number {
  if (p.design === 'staircase') return p.staircaseStepDeg;
  if (p.design === 'quest') return p.questSigmaDeg;
  const xs = [...new Set(p.offsetsDeg)].sort((a, b) => a - b);
  const gaps = xs.slice(1).map((x, i) => x - xs[i]!).sort((a, b) => a - b);
  return gaps.length ? gaps[(gaps.length - 1) >> 1]! : 1;
}

export const flashLagReadout: ModelReadout<FlashLagParams, FlashLagStimulus> = {
  description:
    "Reads the predicted frame a set delay after the model frame in which the flash is seen (its onset frame when frames are sampled; the frame holding the flash's middle when they integrate light): the flash's offset from the bar along the motion (translating bar: contrast-weighted centroids in their rows; rotating bar: the orientation of each segment's ring around fixation, in deg of rotation), plus Gaussian decision noise, decides ahead/behind. A prediction without the bar or the flash gives no answer.",
  unit: 'deg',
  defaultDecisionNoise: offsetGridStep,
  read(response, s, ctx) {
    const r = readFlashLag(response.prediction, s, ctx.view, ctx.settings.readoutDelayFrames, response.frames, ctx.criticalFrame);
    const rng = createRng(subSeed(ctx.settings.seed, ctx.index));
    const noise = ctx.settings.decisionNoise * gaussian(rng);
    const extra = { ...r, decisionNoiseDeg: noise, guessed: false };
    if (r.perceivedOffsetDeg === null) {
      // No bar or no flash in the prediction: the model cannot tell. Counted and left out, unless asked to guess.
      if (ctx.settings.noReadout === 'exclude') return { response: NO_ANSWER, perceived: null, extra: { ...extra, noReadout: true } };
      return { response: answerFor(s, rng.next() < 0.5), perceived: null, extra: { ...extra, guessed: true, noReadout: true } };
    }
    return { response: answerFor(s, r.perceivedOffsetDeg + noise > 0), perceived: r.perceivedOffsetDeg, extra };
  },
};
