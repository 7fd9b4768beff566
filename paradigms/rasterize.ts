/**
 * A paradigm's scene(t) as a model sees it: frames at the model's resolution, field of view
 * (degrees across the image width) and frame rate, with the scene's linear luminances (L -> value
 * L in every channel, anti-aliased). No display gamma is applied here: a person's screen gets the
 * inverse of its monitor profile's gamma in the three.js presenter, so both see the same linear
 * light. In time, each frame either integrates the continuous-time scene over its exposure
 * ('integrate', the default: luminance x time is the same at any model frame rate) or is what a
 * display at the model's rate would draw ('sample'); see TemporalSettings in types.ts.
 */
import { TEMPORAL_DEFAULTS, type DisplayTiming, type ModelView, type Paradigm, type Scene, type Shape, type TemporalSettings } from './types.js';
import { frameAt } from './durations.js';
import { canvas, disc, paint, polygon, rect, wedgeDisc, type Canvas, type Region } from './draw.js';

export type { ModelView, TemporalSettings };

const RAD = Math.PI / 180;
/** Times within this of a frame boundary count as on it (float noise of t * frameRate). */
const TIME_EPS = 1e-9;

export function pxPerDegOf(v: ModelView): number {
  return v.width / v.fovDeg;
}

export function temporalOf(v: Pick<ModelView, 'temporal'>): TemporalSettings {
  return v.temporal ?? TEMPORAL_DEFAULTS;
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

/**
 * One integrating frame: the exposure [t0, t0 + exposure / rate) is cut at the paradigm's events,
 * each piece is sampled at evenly spaced instants (its share of `subSamples`, at least one, at the
 * centres of equal sub-intervals, so linear motion blurs about its mid-exposure position) and
 * weighted by its length. A flash of d seconds inside the exposure therefore contributes exactly
 * d / exposure-time of its contrast, however short it is.
 */
export function integrateFrame(sceneAt: (t: number) => Scene, events: readonly number[], t0: number, v: ModelView): Float32Array {
  const { exposure, subSamples } = temporalOf(v);
  const t1 = t0 + exposure / v.frameRateHz;
  const cuts = [t0, ...events.filter((e) => e > t0 + TIME_EPS && e < t1 - TIME_EPS).sort((a, b) => a - b), t1];
  const out = new Float32Array(v.width * v.height);
  const span = t1 - t0;
  for (let p = 0; p + 1 < cuts.length; p++) {
    const a = cuts[p]!;
    const b = cuts[p + 1]!;
    if (b - a <= TIME_EPS) continue;
    const n = Math.max(1, Math.round((subSamples * (b - a)) / span));
    const w = (b - a) / span / n;
    for (let m = 0; m < n; m++) {
      const img = rasterizeScene(sceneAt(a + ((m + 0.5) * (b - a)) / n), v).data;
      for (let i = 0; i < out.length; i++) out[i]! += w * img[i]!;
    }
  }
  return out;
}

/** Model frames a trial takes in this view (its temporal mode decides the trial's length). */
export function modelFrameCount<S>(paradigm: Pick<Paradigm<unknown, S>, 'trialDuration'>, stimulus: S, v: ModelView): number {
  const sample = temporalOf(v).mode === 'sample';
  const seconds = sample ? paradigm.trialDuration(stimulus, { frameRateHz: v.frameRateHz }) : paradigm.trialDuration(stimulus);
  return Math.max(1, Math.ceil(seconds * v.frameRateHz - 1e-6));
}

/** The model frame that holds the critical event's onset (null: the paradigm has none). */
export function modelCriticalFrame<S>(paradigm: Pick<Paradigm<unknown, S>, 'criticalFrame' | 'criticalTime'>, stimulus: S, v: ModelView): number | null {
  if (temporalOf(v).mode === 'sample') return paradigm.criticalFrame(stimulus, { frameRateHz: v.frameRateHz });
  const t = paradigm.criticalTime(stimulus);
  return t === null ? null : frameAt(t, v.frameRateHz);
}

/** Every frame of a trial at the model's frame rate: (T, H, W, C) float32 in [0, 1]. */
export function rasterizeTrial<S>(paradigm: Paradigm<unknown, S>, stimulus: S, v: ModelView): { frames: Float32Array; count: number; timing: DisplayTiming } {
  const timing = { frameRateHz: v.frameRateHz };
  const sample = temporalOf(v).mode === 'sample';
  const count = modelFrameCount(paradigm, stimulus, v);
  const size = v.width * v.height * v.channels;
  const frames = new Float32Array(count * size);
  const events = sample ? [] : paradigm.events(stimulus);
  for (let f = 0; f < count; f++) {
    const img = sample
      ? rasterizeScene(paradigm.scene(stimulus, f / v.frameRateHz, timing), v).data
      : integrateFrame((t) => paradigm.scene(stimulus, t), events, f / v.frameRateHz, v);
    for (let p = 0; p < v.width * v.height; p++) for (let ch = 0; ch < v.channels; ch++) frames[f * size + p * v.channels + ch] = img[p]!;
  }
  return { frames, count, timing };
}
