/** What is on screen at time t of a flash-lag trial, in degrees (pure geometry). */
import { fixationDot } from '../fixation.js';
import type { DisplayTiming, Scene, Shape } from '../types.js';
import type { FlashLagStimulus } from './params.js';

const FRAME_EPS = 1e-6;

/** Display frame containing time t (frame k covers [k/fps, (k+1)/fps)). */
export function frameAt(t: number, timing: DisplayTiming): number {
  return Math.floor(t * timing.frameRateHz + FRAME_EPS);
}

/** Frame on which the flash appears: the nominal onset rounded to the display's frame grid. */
export function flashFrame(s: FlashLagStimulus, timing: DisplayTiming): number {
  return Math.round(s.flashTimeS * timing.frameRateHz);
}

export function motionEndS(s: FlashLagStimulus): number {
  return s.travelDeg / s.speedDegPerS;
}

export function trialDuration(s: FlashLagStimulus, timing: DisplayTiming): number {
  const flashOff = (flashFrame(s, timing) + s.flashFrames) / timing.frameRateHz;
  return s.variant === 'flash-terminated' ? flashOff : Math.max(motionEndS(s), flashOff);
}

/** Bar centre along x at time t if it moved for the whole trial. */
export function barX(s: FlashLagStimulus, t: number): number {
  return s.startXDeg + s.direction * s.speedDegPerS * t;
}

export function scene(s: FlashLagStimulus, t: number, timing: DisplayTiming): Scene {
  const k = frameAt(t, timing);
  const kFlash = flashFrame(s, timing);
  const flashOn = kFlash / timing.frameRateHz;
  // The scene is constant within a frame: sample motion at the frame's start.
  const tf = k / timing.frameRateHz;
  const flashVisible = k >= kFlash && k < kFlash + s.flashFrames;
  const motionEnd = motionEndS(s);
  const shapes: Shape[] = [fixationDot(s.fixationLuminance)];

  let barVisible: boolean;
  let barTime = tf;
  switch (s.variant) {
    case 'continuous':
      barVisible = tf >= 0 && tf < motionEnd;
      break;
    case 'flash-initiated':
      barVisible = k >= kFlash && tf < motionEnd;
      break;
    case 'flash-terminated':
      // Moves until the flash, then stays (and vanishes) with it.
      barVisible = k >= 0 && k < kFlash + s.flashFrames;
      barTime = Math.min(tf, flashOn);
      break;
  }
  if (barVisible)
    shapes.push({ kind: 'rect', id: 'bar', x: barX(s, barTime), y: s.gapDeg / 2 + s.barHeightDeg / 2, width: s.barWidthDeg, height: s.barHeightDeg, luminance: s.stimulusLuminance });
  if (flashVisible)
    shapes.push({ kind: 'rect', id: 'flash', x: barX(s, flashOn) + s.direction * s.offsetDeg, y: -(s.gapDeg / 2 + s.flashHeightDeg / 2), width: s.flashWidthDeg, height: s.flashHeightDeg, luminance: s.stimulusLuminance });
  return { background: s.background, shapes };
}
