/**
 * A paradigm's scene(t) as the model sees it: frames at the model's resolution, field of view
 * (degrees across the image width) and frame rate, with the luminances the three.js presenter
 * draws (luminance L -> value L in every channel), anti-aliased.
 */
import type { DisplayTiming, Paradigm, Scene } from '../../paradigms/types.js';
import { canvas, disc, paint, rect, type Canvas } from './draw.js';

export interface ModelView {
  width: number;
  height: number;
  channels: number;
  /** Degrees of visual angle across the image width (square pixels). */
  fovDeg: number;
  frameRateHz: number;
}

export function pxPerDegOf(v: ModelView): number {
  return v.width / v.fovDeg;
}

/** Degrees (x right, y up, 0 at the centre) -> pixel coordinates (y down). */
export function toPixels(v: ModelView, xDeg: number, yDeg: number): [number, number] {
  const k = pxPerDegOf(v);
  return [v.width / 2 + xDeg * k, v.height / 2 - yDeg * k];
}

export function rasterizeScene(scene: Scene, v: ModelView, samples = 4): Canvas {
  const k = pxPerDegOf(v);
  const c = canvas(v.width, v.height, scene.background);
  for (const s of scene.shapes) {
    const [x, y] = toPixels(v, s.x, s.y);
    paint(c, s.kind === 'rect' ? rect(x, y, s.width * k, s.height * k, 0, s.luminance) : disc(x, y, s.radius * k, s.luminance), samples);
  }
  return c;
}

/** Every frame of a trial at the model's frame rate: (T, H, W, C) float32 in [0, 1]. */
export function rasterizeTrial<S>(paradigm: Paradigm<unknown, S>, stimulus: S, v: ModelView): { frames: Float32Array; count: number; timing: DisplayTiming } {
  const timing = { frameRateHz: v.frameRateHz };
  const count = Math.ceil(paradigm.trialDuration(stimulus, timing) * v.frameRateHz - 1e-6);
  const size = v.width * v.height * v.channels;
  const frames = new Float32Array(count * size);
  for (let f = 0; f < count; f++) {
    const img = rasterizeScene(paradigm.scene(stimulus, f / v.frameRateHz, timing), v);
    for (let p = 0; p < v.width * v.height; p++) for (let ch = 0; ch < v.channels; ch++) frames[f * size + p * v.channels + ch] = img.data[p]!;
  }
  return { frames, count, timing };
}
