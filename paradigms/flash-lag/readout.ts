/**
 * The flash-lag readout: in the predicted frame after the flash, find the moving bar and the
 * flash (contrast-weighted horizontal centroids in their rows), take the flash's offset from the
 * bar along the motion (the model's perceived offset, deg) and answer ahead/behind. Decision
 * noise (Gaussian, deg) is a documented parameter, so a deterministic model still gives a
 * psychometric curve; the noise-free perceived offset is stored with every trial.
 */
import { createRng, gaussian, subSeed } from '../rng.js';
import type { ModelReadout, ModelView } from '../types.js';
import type { FlashLagParams, FlashLagStimulus } from './params.js';
import { flashFrame } from './scene.js';

export interface FlashLagReadout {
  /** Flash minus bar along the motion, as the model predicts them (deg); null if either is missing. */
  perceivedOffsetDeg: number | null;
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

/** Contrast-weighted horizontal centroid (deg) over some rows of one frame (channel mean). */
function centroidDeg(frame: Float32Array, v: ModelView, rows: number[]): number | null {
  if (rows.length === 0) return null;
  const k = v.width / v.fovDeg;
  const values: number[] = [];
  for (const i of rows) for (let j = 0; j < v.width; j++) {
    let s = 0;
    for (let c = 0; c < v.channels; c++) s += frame[(i * v.width + j) * v.channels + c]!;
    values.push(s / v.channels);
  }
  // The band's own median is its background (objects cover few columns).
  const bg = values.slice().sort((a, b) => a - b)[values.length >> 1]!;
  let m = 0;
  let mx = 0;
  values.forEach((val, idx) => {
    const w = Math.max(0, Math.abs(val - bg) - 0.05);
    const j = idx % v.width;
    m += w;
    mx += w * ((j + 0.5 - v.width / 2) / k);
  });
  return m > 0.05 * rows.length ? mx / m : null;
}

export function readFlashLag(prediction: Float32Array, s: FlashLagStimulus, v: ModelView, readoutDelayFrames: number, frames: number): FlashLagReadout {
  const kF = flashFrame(s, { frameRateHz: v.frameRateHz });
  const r = Math.min(frames - 1, kF + readoutDelayFrames);
  const size = v.width * v.height * v.channels;
  const frame = prediction.subarray(r * size, (r + 1) * size);
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

export const flashLagReadout: ModelReadout<FlashLagParams, FlashLagStimulus> = {
  description:
    "Reads the predicted frame a set delay after the flash's onset: the flash's offset from the bar along the motion (contrast-weighted centroids in their rows), plus Gaussian decision noise, decides ahead/behind.",
  unit: 'deg',
  read(response, s, ctx) {
    const r = readFlashLag(response.prediction, s, ctx.view, ctx.settings.readoutDelayFrames, response.frames);
    const rng = createRng(subSeed(ctx.settings.seed, ctx.index));
    const noise = ctx.settings.decisionNoise * gaussian(rng);
    // No bar or no flash in the prediction: the model cannot tell, so it guesses.
    const ahead = r.perceivedOffsetDeg === null ? rng.next() < 0.5 : r.perceivedOffsetDeg + noise > 0;
    return {
      response: ahead === (s.direction === 1) ? 'right' : 'left',
      perceived: r.perceivedOffsetDeg,
      extra: { ...r, decisionNoiseDeg: noise, guessed: r.perceivedOffsetDeg === null },
    };
  },
};
