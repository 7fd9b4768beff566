/**
 * A paradigm's scene(t) as the model sees it: frames at the model's resolution, field of view
 * (degrees across the image width) and frame rate, with the luminances the three.js presenter
 * draws (luminance L -> value L in every channel), anti-aliased.
 */
import type { DisplayTiming, ModelView, Paradigm, Scene, Shape } from '../types.js';
import { canvas, disc, paint, polygon, rect, wedgeDisc, type Canvas, type Region } from './draw.js';

export type { ModelView };

const RAD = Math.PI / 180;

export function pxPerDegOf(v: ModelView): number {
  return v.width / v.fovDeg;
}

/** Degrees (x right, y up, 0 at the centre) -> pixel coordinates (y down). */
export function toPixels(v: ModelView, xDeg: number, yDeg: number): [number, number] {
  const k = pxPerDegOf(v);
  return [v.width / 2 + xDeg * k, v.height / 2 - yDeg * k];
}

/** A shape in pixel coordinates. Angles are counter-clockwise in degrees-space (y up), so clockwise once y points down. */
function regionOf(s: Shape, v: ModelView): Region {
  const k = pxPerDegOf(v);
  switch (s.kind) {
    case 'rect': {
      const [x, y] = toPixels(v, s.x, s.y);
      return rect(x, y, s.width * k, s.height * k, -(s.rotationDeg ?? 0) * RAD, s.luminance);
    }
    case 'disc': {
      const [x, y] = toPixels(v, s.x, s.y);
      return disc(x, y, s.radius * k, s.luminance);
    }
    case 'wedge-disc': {
      const [x, y] = toPixels(v, s.x, s.y);
      return wedgeDisc(x, y, s.radius * k, s.wedgeDeg * RAD, -s.rotationDeg * RAD, s.luminance);
    }
    case 'polygon': {
      const a = (s.rotationDeg ?? 0) * RAD;
      const cos = Math.cos(a);
      const sin = Math.sin(a);
      return polygon(s.points.map(([px, py]) => toPixels(v, s.x + px * cos - py * sin, s.y + px * sin + py * cos)), s.luminance);
    }
    case 'line': {
      const [x, y] = toPixels(v, (s.x1 + s.x2) / 2, (s.y1 + s.y2) / 2);
      const length = Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
      return rect(x, y, length * k, s.width * k, -Math.atan2(s.y2 - s.y1, s.x2 - s.x1), s.luminance);
    }
  }
}

/** Shapes are painted in array order: later ones cover earlier ones (as the three.js presenter draws them). */
export function rasterizeScene(scene: Scene, v: ModelView, samples = 4): Canvas {
  const c = canvas(v.width, v.height, scene.background);
  for (const s of scene.shapes) paint(c, regionOf(s, v), samples);
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
