/**
 * Stimuli of the battery's unit experiments (Lotter, Kreiman & Cox 2020, Figs. 2-4), as pure
 * functions returning frames: oriented bars (receptive-field probes, length sweeps), natural-like
 * static images and image pairs. The "natural-like" images are procedural, not photographs: an
 * object-like cluster of textured shapes (discs, polygons, bars with 1/f-like shading) on a grey
 * background, seeded, standing in for the paper's naturalistic objects.
 * Frames are (T, H, W, C) float32 in [0, 1], time-major, grey replicated over C channels.
 */
import { canvas, disc, paint, polygon, rect, type Canvas } from './draw.js';
import { createRng, type Rng } from './rng.js';

/** The frame a Responder takes. */
export interface FrameSize {
  height: number;
  width: number;
  channels: number;
}

/** Stated limits: frames per sequence and pixels per frame a stimulus may have. */
export const STIMULUS_LIMITS = { frames: 200, pixels: 4096 * 4096 } as const;

export const BACKGROUND = 0.5;

function checkSize(size: FrameSize, frames: number): void {
  if (!(Number.isInteger(frames) && frames >= 1 && frames <= STIMULUS_LIMITS.frames)) throw new RangeError(`A stimulus has 1 to ${STIMULUS_LIMITS.frames} frames; got ${frames}.`);
  if (!(size.height >= 1 && size.width >= 1 && size.height * size.width <= STIMULUS_LIMITS.pixels)) throw new RangeError(`Frames are 1x1 to ${STIMULUS_LIMITS.pixels} pixels; got ${size.height}x${size.width}.`);
}

/** A blank grey canvas of the frame size. */
export function blank(size: FrameSize): Canvas {
  return canvas(size.width, size.height, BACKGROUND);
}

/** A sequence from one image per frame (null = blank), grey replicated over the channels. */
export function sequenceOf(size: FrameSize, images: (Canvas | null)[]): Float32Array {
  checkSize(size, images.length);
  const { height: H, width: W, channels: C } = size;
  const out = new Float32Array(images.length * H * W * C);
  images.forEach((img, t) => {
    const off = t * H * W * C;
    for (let p = 0; p < H * W; p++) {
      const v = img ? img.data[p]! : BACKGROUND;
      for (let c = 0; c < C; c++) out[off + p * C + c] = v;
    }
  });
  return out;
}

export interface Bar {
  /** Centre in pixels (x right, y down). */
  x: number;
  y: number;
  length: number;
  width: number;
  /** Orientation of the long axis, degrees, 0 = horizontal, counter-clockwise on screen. */
  orientationDeg: number;
  /** Luminance (background 0.5). */
  value?: number;
}

/** One bar on the grey background. */
export function barImage(size: FrameSize, bar: Bar): Canvas {
  if (!(bar.length > 0 && bar.width > 0)) throw new RangeError(`A bar needs a positive length and width; got ${bar.length} x ${bar.width}.`);
  const c = blank(size);
  // y is down on screen: a counter-clockwise orientation is a negative angle in pixel coordinates.
  paint(c, rect(bar.x, bar.y, bar.length, bar.width, (-bar.orientationDeg * Math.PI) / 180, bar.value ?? 1));
  return c;
}

/** A static bar shown from the first frame for `frames` frames (the length-suppression and probe stimuli). */
export function barSequence(size: FrameSize, bar: Bar, frames: number): Float32Array {
  const img = barImage(size, bar);
  return sequenceOf(size, Array.from({ length: frames }, () => img));
}

/** Smooth random shading in [-1, 1]: a few random plane waves, lower frequencies stronger (1/f-like). */
function shading(rng: Rng, scale: number): (x: number, y: number) => number {
  const waves = Array.from({ length: 6 }, (_, k) => {
    const f = (2 ** k / scale) * (0.5 + rng.next());
    const a = rng.next() * Math.PI * 2;
    return { fx: f * Math.cos(a), fy: f * Math.sin(a), phase: rng.next() * Math.PI * 2, amp: 1 / 2 ** k };
  });
  const total = waves.reduce((s, w) => s + w.amp, 0);
  return (x, y) => waves.reduce((s, w) => s + w.amp * Math.sin(2 * Math.PI * (w.fx * x + w.fy * y) + w.phase), 0) / total;
}

/**
 * A natural-like object on grey: 3-6 overlapping textured parts (discs, polygons, bars) within
 * about 60 % of the shorter side, centred, with luminances spread both sides of the background.
 */
export function objectImage(size: FrameSize, seed: number): Canvas {
  const rng = createRng(seed);
  const c = blank(size);
  const cx = size.width / 2;
  const cy = size.height / 2;
  const r = 0.3 * Math.min(size.width, size.height);
  const parts = 3 + rng.int(4);
  for (let i = 0; i < parts; i++) {
    const px = cx + (rng.next() - 0.5) * r;
    const py = cy + (rng.next() - 0.5) * r;
    const base = 0.15 + 0.7 * rng.next();
    const shade = shading(rng, r);
    const value = (x: number, y: number) => Math.min(1, Math.max(0, base + 0.25 * shade(x, y)));
    const kind = rng.int(3);
    if (kind === 0) paint(c, disc(px, py, r * (0.25 + 0.35 * rng.next()), value));
    else if (kind === 1) paint(c, rect(px, py, r * (0.3 + 0.9 * rng.next()), r * (0.15 + 0.4 * rng.next()), rng.next() * Math.PI, value));
    else {
      const n = 3 + rng.int(3);
      const pts: [number, number][] = Array.from({ length: n }, (_, k) => {
        const a = (2 * Math.PI * k) / n + rng.next() * 0.8;
        const rr = r * (0.25 + 0.45 * rng.next());
        return [px + rr * Math.cos(a), py + rr * Math.sin(a)];
      });
      paint(c, polygon(pts, base));
    }
  }
  return c;
}

export interface OnOffDesign {
  /** Blank frames before the image, image frames, blank frames after. */
  pre: number;
  on: number;
  off: number;
}

export const onOffFrames = (d: OnOffDesign) => d.pre + d.on + d.off;

/** A static image shown for `on` frames between blanks (the on/off experiment, Fig. 3). */
export function onOffSequence(size: FrameSize, image: Canvas, d: OnOffDesign): Float32Array {
  return sequenceOf(size, [...Array<null>(d.pre).fill(null), ...Array<Canvas>(d.on).fill(image), ...Array<null>(d.off).fill(null)]);
}

export interface PairDesign {
  /** Frames of the first image, then of the second (Meyer & Olson 2011: leading and trailing images). */
  first: number;
  second: number;
}

/** A pair sequence: image a for `first` frames, then image b for `second` frames (no gap). */
export function pairSequence(size: FrameSize, a: Canvas, b: Canvas, d: PairDesign): Float32Array {
  return sequenceOf(size, [...Array<Canvas>(d.first).fill(a), ...Array<Canvas>(d.second).fill(b)]);
}
