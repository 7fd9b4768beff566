/**
 * Stimuli of the battery's illusory-contour experiment (Lee & Nguyen 2001; Lotter et al. 2020,
 * Fig. 5): a Kanizsa square whose complete discs turn into pac-men (illusory), into the square's
 * outline drawn as lines (real), or into pac-men facing outward (control), plus a blank (fixation
 * only). Sizes scale with the model's field of view so the figure fills the image at any size;
 * the Kanizsa paradigm's own geometry draws them (pure: no pixels here).
 */
import { fixationScene } from './fixation.js';
import { CONTROL_TURN_DEG, contourSegments, inducers, scene as kanizsaScene } from './kanizsa/geometry.js';
import type { KanizsaCondition, KanizsaStimulus } from './kanizsa/params.js';
import type { DisplayTiming, ModelView, Scene } from './types.js';

/** The illusory figure these stimuli draw, as reports name it. */
export const ILLUSORY_FIGURE = 'Kanizsa';

export const CONTOUR_CONDITIONS = ['illusory', 'real', 'control', 'blank'] as const;
export type ContourCondition = (typeof CONTOUR_CONDITIONS)[number];

export interface ContourDesign {
  /** Fixation-only frames, then complete discs, then the figure (model frames). */
  preFrames: number;
  discFrames: number;
  figureFrames: number;
  /** The Kanizsa stimulus (condition set per sequence). */
  stimulus: Omit<KanizsaStimulus, 'condition'>;
}

/** Frames per sequence: quick runs keep a short figure window. */
export function contourDesign(view: Pick<ModelView, 'width' | 'height' | 'fovDeg'>, quick: boolean): ContourDesign {
  const pxPerDeg = view.width / view.fovDeg;
  const heightDeg = view.height / pxPerDeg;
  // The figure (side + 2 radii) fills ~70 % of the shorter side; support ratio 0.5 as in Lee & Nguyen's squares.
  const span = 0.7 * Math.min(view.fovDeg, heightDeg);
  const sideDeg = span / 1.5;
  const preFrames = quick ? 1 : 2;
  const discFrames = quick ? 4 : 6;
  const figureFrames = quick ? 6 : 10;
  return {
    preFrames,
    discFrames,
    figureFrames,
    stimulus: {
      alphaDeg: 0,
      xDeg: 0,
      yDeg: 0,
      sideDeg,
      inducerRadiusDeg: sideDeg / 4,
      // At least one pixel wide, so the real contour reaches every pixel it crosses.
      lineWidthDeg: Math.max(0.15, 1 / pxPerDeg),
      inducerLuminance: 0.1,
      background: 0.8,
      // The fixation dot in the background's luminance: nothing at the centre but the figure.
      fixationLuminance: 0.8,
      preFrames,
      discFrames,
      presentationFrames: figureFrames,
      maskFrames: 0,
    },
  };
}

/** Authored in model frames (the battery's unit stimuli are drawn at the model's rate, one scene per frame). */
export function contourFrames(d: ContourDesign): number {
  return d.preFrames + d.discFrames + d.figureFrames;
}

/** The frame on which the figure (or, in the blank, nothing) appears. */
export function contourOnsetFrame(d: ContourDesign): number {
  return d.preFrames + d.discFrames;
}

/** The scene at model frame k (scenes are constant within a frame). */
export function contourScene(d: ContourDesign, condition: ContourCondition, k: number, timing: DisplayTiming): Scene {
  if (condition === 'blank') return fixationScene(d.stimulus);
  return kanizsaScene({ ...d.stimulus, condition: condition as KanizsaCondition, ...(condition === 'control' ? { controlTurnDeg: CONTROL_TURN_DEG } : {}) }, k / timing.frameRateHz, timing);
}

/** The figure's contour (degrees) and its inducers, for choosing units whose receptive field lies on it. */
export function contourGeometry(d: ContourDesign): { segments: [[number, number], [number, number]][]; inducers: { x: number; y: number; radius: number }[] } {
  return {
    segments: contourSegments(d.stimulus),
    inducers: inducers({ ...d.stimulus, condition: 'illusory' }).map((i) => ({ x: i.x, y: i.y, radius: d.stimulus.inducerRadiusDeg })),
  };
}

/** Distance (deg) from a point to a segment. */
export function distanceToSegment(px: number, py: number, [a, b]: [[number, number], [number, number]]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / len2));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

/**
 * Whether a receptive field centred at (x, y) deg lies on the illusory part of the contour: its
 * centre within `centreDeg` of a side, and the whole field (radius `extentDeg`) clear of every
 * inducer, so it sees no luminance edge in the illusory condition.
 */
export function onIllusoryContour(d: ContourDesign, x: number, y: number, centreDeg: number, extentDeg = centreDeg): boolean {
  const g = contourGeometry(d);
  const onSide = g.segments.some((s) => distanceToSegment(x, y, s) <= centreDeg + d.stimulus.lineWidthDeg / 2);
  const clear = g.inducers.every((i) => Math.hypot(x - i.x, y - i.y) > i.radius + extentDeg);
  return onSide && clear;
}
