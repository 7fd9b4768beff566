/**
 * What is on screen at time t of a flash-lag trial, in degrees (pure geometry). Without a
 * display's timing the trial runs in continuous time (an integrating model); with one, events sit
 * on that display's frame grid: the flash starts on the frame nearest its nominal onset and lasts
 * the nearest whole number of frames, and motion is sampled at each frame's start.
 */
import { displayFrames, frameAt as frameAtRate, LEGACY_FRAME_RATE_HZ, nearestFrame } from '../durations.js';
import { fixationDot } from '../fixation.js';
import type { DisplayTiming, Scene, Shape } from '../types.js';
import type { FlashLagStimulus } from './params.js';

/** Display frame containing time t (frame k covers [k/fps, (k+1)/fps)). */
export function frameAt(t: number, timing: DisplayTiming): number {
  return frameAtRate(t, timing.frameRateHz);
}

/** Frame on which the flash appears: the nominal onset rounded to the display's frame grid. */
export function flashFrame(s: Pick<FlashLagStimulus, 'flashTimeS'>, timing: DisplayTiming): number {
  return nearestFrame(s.flashTimeS, timing.frameRateHz);
}

/** Frames the flash lasts on a display: its seconds rounded to whole frames, or a stored trial's own frame count. */
export function flashFramesOn(s: Pick<FlashLagStimulus, 'flashDurationS' | 'flashFrames'>, timing: DisplayTiming): number {
  return s.flashDurationS !== undefined ? displayFrames(s.flashDurationS, timing.frameRateHz) : s.flashFrames!;
}

/** The flash's duration in continuous time (s); a stored frame-counted flash is read at LEGACY_FRAME_RATE_HZ. */
export function flashDurationS(s: Pick<FlashLagStimulus, 'flashDurationS' | 'flashFrames'>): number {
  return s.flashDurationS ?? s.flashFrames! / LEGACY_FRAME_RATE_HZ;
}

/** The middle of the flash in continuous time (s): an integrating model reads the flash in the frame holding it. */
export function flashCentreS(s: Pick<FlashLagStimulus, 'flashTimeS' | 'flashDurationS' | 'flashFrames'>): number {
  return s.flashTimeS + flashDurationS(s) / 2;
}

/** When the flash is on: [on, off) in seconds, on a display's frame grid or in continuous time. */
export function flashWindow(s: FlashLagStimulus, timing?: DisplayTiming): { on: number; off: number } {
  if (!timing) return { on: s.flashTimeS, off: s.flashTimeS + flashDurationS(s) };
  const k = flashFrame(s, timing);
  return { on: k / timing.frameRateHz, off: (k + flashFramesOn(s, timing)) / timing.frameRateHz };
}

export function motionEndS(s: FlashLagStimulus): number {
  return s.travelDeg / s.speedDegPerS;
}

export function trialDuration(s: FlashLagStimulus, timing?: DisplayTiming): number {
  const { off } = flashWindow(s, timing);
  // Flash-terminated: the bar and the flash vanish together, then fixation alone (Eagleman &
  // Sejnowski 2000), so a model readout a few frames past the flash reads a real frame.
  return s.variant === 'flash-terminated' ? off + (s.blankAfterFlashMs ?? 0) / 1000 : Math.max(motionEndS(s), off);
}

/** Continuous-time moments where something appears or disappears: the flash's onset and offset, the end of the motion. */
export function events(s: FlashLagStimulus): number[] {
  const { on, off } = flashWindow(s);
  return s.variant === 'flash-terminated' ? [on, off] : [on, off, motionEndS(s)];
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

export function scene(s: FlashLagStimulus, t: number, timing?: DisplayTiming): Scene {
  // A display's scene is constant within a frame: everything is read at the frame's start.
  const tf = timing ? frameAt(t, timing) / timing.frameRateHz : t;
  const { on, off } = flashWindow(s, timing);
  // On a display, compare frame indices (exact); in continuous time, the times themselves.
  const at = (x: number) => (timing ? Math.round(x * timing.frameRateHz) : x);
  const now = timing ? frameAt(t, timing) : t;
  const flashVisible = now >= at(on) && now < at(off);
  const motionEnd = motionEndS(s);
  const shapes: Shape[] = [fixationDot(s.fixationLuminance)];

  let barVisible: boolean;
  let barTime = tf;
  switch (s.variant) {
    case 'continuous':
      barVisible = tf >= 0 && tf < motionEnd;
      break;
    case 'flash-initiated':
      barVisible = now >= at(on) && tf < motionEnd;
      break;
    case 'flash-terminated':
      // Moves until the flash, then stays (and vanishes) with it; a blank follows.
      barVisible = tf >= 0 && now < at(off);
      barTime = Math.min(tf, on);
      break;
  }
  const flashAt = barX(s, on) + s.direction * s.offsetDeg;
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
