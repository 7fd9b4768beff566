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
  // Flash-terminated: the bar and the flash vanish together, then fixation alone (Eagleman &
  // Sejnowski 2000), so a model readout a few frames past the flash reads a real frame.
  return s.variant === 'flash-terminated' ? flashOff + (s.blankAfterFlashMs ?? 0) / 1000 : Math.max(motionEndS(s), flashOff);
}

/** Bar centre along x (rotating bar: its orientation, deg counter-clockwise from +x) at time t if it moved for the whole trial. */
export function barX(s: FlashLagStimulus, t: number): number {
  return s.startXDeg + s.direction * s.speedDegPerS * t;
}

type RotatingGeometry = Pick<FlashLagStimulus, 'innerRadiusDeg' | 'outerRadiusDeg' | 'gapDeg' | 'flashSegment'>;

/** Rotating bar: the radii (deg from fixation) each segment spans; the inner one runs through fixation. */
export function segmentRadii(s: RotatingGeometry): { inner: [number, number]; outer: [number, number] } {
  const inner = s.innerRadiusDeg ?? 0;
  return { inner: [0, inner], outer: [inner + s.gapDeg, s.outerRadiusDeg ?? 0] };
}

/** Rotating bar: where the flash sits, as its mean distance from fixation (deg): converts rotation angle to visual angle there. */
export function flashEccentricityDeg(s: RotatingGeometry): number {
  const r = segmentRadii(s);
  const [a, b] = s.flashSegment === 'inner' ? r.inner : r.outer;
  return (a + b) / 2;
}

/**
 * A segment collinear with orientation `angleDeg`: the central one is one rect through fixation;
 * an outer one is two rects, one beyond each end.
 */
function segmentShapes(id: string, s: FlashLagStimulus, which: 'inner' | 'outer', angleDeg: number, thickness: number): Shape[] {
  const [r0, r1] = segmentRadii(s)[which];
  const base = { kind: 'rect' as const, height: thickness, rotationDeg: angleDeg, luminance: s.stimulusLuminance };
  if (which === 'inner') return [{ ...base, id, x: 0, y: 0, width: 2 * r1 }];
  const a = (angleDeg * Math.PI) / 180;
  const rm = (r0 + r1) / 2;
  return [1, -1].map((side, i) => ({ ...base, id: i === 0 ? id : `${id}-2`, x: side * rm * Math.cos(a), y: side * rm * Math.sin(a), width: r1 - r0 }));
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
      // Moves until the flash, then stays (and vanishes) with it; a blank follows.
      barVisible = k >= 0 && k < kFlash + s.flashFrames;
      barTime = Math.min(tf, flashOn);
      break;
  }
  const flashAt = barX(s, flashOn) + s.direction * s.offsetDeg;
  if (s.motion === 'rotate') {
    const flashSegment = s.flashSegment === 'inner' ? 'inner' : 'outer';
    const barSegment = flashSegment === 'inner' ? 'outer' : 'inner';
    const moving = barVisible ? segmentShapes('bar', s, barSegment, barX(s, barTime), s.barWidthDeg) : [];
    const flashed = flashVisible ? segmentShapes('flash', s, flashSegment, flashAt, s.flashWidthDeg) : [];
    // The central segment covers fixation, so the fixation dot is painted last.
    return { background: s.background, shapes: [...moving, ...flashed, fixationDot(s.fixationLuminance)] };
  }
  if (barVisible)
    shapes.push({ kind: 'rect', id: 'bar', x: barX(s, barTime), y: s.gapDeg / 2 + s.barHeightDeg / 2, width: s.barWidthDeg, height: s.barHeightDeg, luminance: s.stimulusLuminance });
  if (flashVisible)
    shapes.push({ kind: 'rect', id: 'flash', x: flashAt, y: -(s.gapDeg / 2 + s.flashHeightDeg / 2), width: s.flashWidthDeg, height: s.flashHeightDeg, luminance: s.stimulusLuminance });
  return { background: s.background, shapes };
}
