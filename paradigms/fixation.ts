/** The fixation dot every paradigm shows at the centre, and the between-trials scene made of it. */
import type { DiscShape, Scene } from './types.js';

export const FIXATION_RADIUS_DEG = 0.08;

export function fixationDot(luminance: number): DiscShape {
  return { kind: 'disc', id: 'fixation', x: 0, y: 0, radius: FIXATION_RADIUS_DEG, luminance };
}

/** Background and fixation only (between trials). */
export function fixationScene(p: { background: number; fixationLuminance: number }): Scene {
  return { background: p.background, shapes: [fixationDot(p.fixationLuminance)] };
}
