/**
 * Natural-image motion video: a camera that pans, zooms and turns a little over a photograph, with
 * now and then a few independently moving cut-outs of other photographs (discs, ellipses and
 * polygons, textured by the photograph they were cut from) passing over it. Colour (RGB), at any
 * frame size; speeds are in pixels of the output per frame (0-6 by default, as the procedural
 * generator's). Pure and seeded: decoded RGB images in, frames out; recording k depends only on
 * the images, the options and k (so recordings can be made one at a time, e.g. streamed to disk).
 *
 * Sampling is trilinear: each image is kept as a pyramid of 2x2 box-averaged halvings, and a
 * point is read bilinearly from the two levels around the camera's scale (source pixels per output
 * pixel), so a wide view does not alias as it moves. Some recordings integrate each frame over a
 * shutter interval (motion blur), as a camera, and PredLab's renderer in its integrate mode, do.
 */
import { createRng, shuffled, subSeed, type Rng } from '../../paradigms/rng.js';
import type { VideoData } from './data.js';

/** A decoded image: rgb24, row-major (height x width x 3). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface NaturalOptions {
  height: number;
  width: number;
  recordings: number;
  framesPerRecording: number;
  seed: number;
  /** Largest speed of the camera's pan and of an object, output px/frame (default 6). */
  maxSpeed?: number;
  /** Chance that a recording has moving cut-outs (default 0.4). */
  objectChance?: number;
  /** Chance that a recording's frames integrate over a shutter interval (default 0.3). */
  blurChance?: number;
  /** Chance that the camera zooms (default 0.3) and that it turns (default 0.25): 0 and 0, with objectChance 0, give pure pans. */
  zoomChance?: number;
  turnChance?: number;
}

/** Defaults of the generator's motion (what the recipe and `predlab dataset natural` use). */
export const NATURAL_DEFAULTS = { maxSpeed: 6, objectChance: 0.4, blurChance: 0.3, zoomChance: 0.3, turnChance: 0.25 } as const;

/** Pure camera pans: no cut-outs, zooms, turns or motion blur (for scoring on the simplest natural motion). */
export const PURE_PANS = { objectChance: 0, zoomChance: 0, turnChance: 0, blurChance: 0 } as const;

/** Smallest side an image may have (pixels) to be a background or a cut-out's source. */
export const MIN_IMAGE_SIDE = 16;

/** What one recording shows: which images, and how the camera moves. */
export interface NaturalRecordingInfo {
  /** Index of the background image. */
  background: number;
  /** Mirrored background. */
  flipped: boolean;
  /** Index of the image each cut-out was taken from. */
  objects: number[];
  /** Camera: scale (source px per output px) at frame 0, pan velocity (output px/frame, camera axes), zoom (log scale per frame), turn (rad/frame), tilt at frame 0 (rad). */
  camera: { scale: number; vx: number; vy: number; zoom: number; turn: number; tilt: number };
  /** Fraction of the frame interval each frame integrates (0: a sharp instant). */
  shutter: number;
}

export interface NaturalVideo extends VideoData {
  sources: NaturalRecordingInfo[];
}

interface Level {
  w: number;
  h: number;
  data: Float32Array;
}

/** Images prepared for sampling (their pyramids). Build once, render many recordings. */
export interface NaturalImages {
  readonly count: number;
  readonly levels: Level[][];
  readonly sizes: { width: number; height: number }[];
}

export function prepareImages(images: readonly RgbImage[]): NaturalImages {
  if (images.length === 0) throw new RangeError('Natural video needs at least one image.');
  const levels = images.map((im, i) => {
    if (!(im.width >= MIN_IMAGE_SIDE && im.height >= MIN_IMAGE_SIDE)) throw new RangeError(`Image ${i} is ${im.width}x${im.height}; each side must be at least ${MIN_IMAGE_SIDE} pixels.`);
    if (im.data.length !== im.width * im.height * 3) throw new RangeError(`Image ${i} holds ${im.data.length} bytes, not ${im.width}x${im.height}x3.`);
    const out: Level[] = [{ w: im.width, h: im.height, data: Float32Array.from(im.data) }];
    for (;;) {
      const p = out[out.length - 1]!;
      if (p.w < 2 * MIN_IMAGE_SIDE || p.h < 2 * MIN_IMAGE_SIDE) break;
      const w = p.w >> 1;
      const h = p.h >> 1;
      const d = new Float32Array(w * h * 3);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let c = 0; c < 3; c++) {
            const a = ((2 * y) * p.w + 2 * x) * 3 + c;
            const b = a + p.w * 3;
            d[(y * w + x) * 3 + c] = (p.data[a]! + p.data[a + 3]! + p.data[b]! + p.data[b + 3]!) / 4;
          }
      out.push({ w, h, data: d });
    }
    return out;
  });
  return { count: images.length, levels, sizes: images.map((im) => ({ width: im.width, height: im.height })) };
}

const between = (rng: Rng, a: number, b: number) => a + rng.next() * (b - a);
const signed = (rng: Rng, a: number, b: number) => (rng.next() < 0.5 ? -1 : 1) * between(rng, a, b);

/** Bilinear read of level l at level-0 coordinates (x, y) (pixel i covers [i, i+1)), clamped to the edge, into out[o..o+2]. */
function bilinear(lv: Level, scale: number, x: number, y: number, out: Float32Array, o: number, weight: number): void {
  const fx = Math.min(lv.w - 1, Math.max(0, x / scale - 0.5));
  const fy = Math.min(lv.h - 1, Math.max(0, y / scale - 0.5));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(lv.w - 1, x0 + 1);
  const y1 = Math.min(lv.h - 1, y0 + 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const d = lv.data;
  const i00 = (y0 * lv.w + x0) * 3;
  const i01 = (y0 * lv.w + x1) * 3;
  const i10 = (y1 * lv.w + x0) * 3;
  const i11 = (y1 * lv.w + x1) * 3;
  const w00 = (1 - ax) * (1 - ay) * weight;
  const w01 = ax * (1 - ay) * weight;
  const w10 = (1 - ax) * ay * weight;
  const w11 = ax * ay * weight;
  for (let c = 0; c < 3; c++) out[o + c]! += d[i00 + c]! * w00 + d[i01 + c]! * w01 + d[i10 + c]! * w10 + d[i11 + c]! * w11;
}

/** Trilinear read: the two pyramid levels around `scale` (source px per output px), blended. */
function sample(levels: Level[], scale: number, x: number, y: number, out: Float32Array, o: number, weight: number): void {
  const f = Math.min(levels.length - 1, Math.max(0, Math.log2(Math.max(scale, 1e-9))));
  const l0 = Math.floor(f);
  const a = f - l0;
  bilinear(levels[l0]!, 2 ** l0, x, y, out, o, weight * (1 - a));
  if (a > 0 && l0 + 1 < levels.length) bilinear(levels[l0 + 1]!, 2 ** (l0 + 1), x, y, out, o, weight * a);
}

interface Camera {
  cx: number;
  cy: number;
  scale: number;
  vx: number;
  vy: number;
  zoom: number;
  turn: number;
  tilt: number;
}

/** Scale, angle and centre of the camera at time t (frames; fractional within a shutter). */
function cameraAt(c: Camera, t: number): { s: number; a: number; x: number; y: number } {
  const s = c.scale * Math.exp(c.zoom * t);
  const a = c.tilt + c.turn * t;
  // Centre: integral of s(u) R(a(u)) v du from 0 to t (the pan is along the camera's own axes), numerically.
  const steps = Math.max(1, Math.ceil(Math.abs(t) * 4));
  let x = c.cx;
  let y = c.cy;
  const h = t / steps;
  for (let k = 0; k < steps; k++) {
    const u = (k + 0.5) * h;
    const su = c.scale * Math.exp(c.zoom * u);
    const au = c.tilt + c.turn * u;
    x += h * su * (Math.cos(au) * c.vx - Math.sin(au) * c.vy);
    y += h * su * (Math.sin(au) * c.vx + Math.cos(au) * c.vy);
  }
  return { s, a, x, y };
}

interface Cutout {
  image: number;
  /** Inside test in object-local coordinates (output px, unrotated). */
  inside(x: number, y: number): boolean;
  radius: number;
  px(t: number): number;
  py(t: number): number;
  angle(t: number): number;
  /** Texture: source point of local (0, 0), scale and angle of the cut on its image. */
  sx: number;
  sy: number;
  sScale: number;
  sAngle: number;
}

/** p folded back into [lo, hi] as if it bounced off both ends. */
function bounce(p: number, lo: number, hi: number): number {
  const span = hi - lo;
  if (span <= 0) return lo;
  const m = (((p - lo) % (2 * span)) + 2 * span) % (2 * span);
  return lo + (m <= span ? m : 2 * span - m);
}

function makeCutout(rng: Rng, images: NaturalImages, image: number, W: number, H: number, maxSpeed: number): Cutout {
  const radius = between(rng, 4, Math.max(5, Math.min(18, 0.3 * Math.min(W, H))));
  const kind = rng.next();
  let inside: (x: number, y: number) => boolean;
  if (kind < 0.3) inside = (x, y) => x * x + y * y <= radius * radius;
  else if (kind < 0.6) {
    const a = radius;
    const b = radius * between(rng, 0.4, 0.9);
    inside = (x, y) => (x / a) ** 2 + (y / b) ** 2 <= 1;
  } else {
    // A convex polygon: 3-7 vertices at increasing angles on a circle.
    const n = 3 + rng.int(5);
    const angles = Array.from({ length: n }, (_, i) => ((i + between(rng, -0.3, 0.3)) / n) * 2 * Math.PI);
    const pts = angles.map((a) => [radius * Math.cos(a), radius * Math.sin(a)] as const);
    inside = (x, y) => {
      for (let i = 0; i < n; i++) {
        const [x0, y0] = pts[i]!;
        const [x1, y1] = pts[(i + 1) % n]!;
        if ((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) < 0) return false;
      }
      return true;
    };
  }
  const speed = rng.next() < 0.15 ? 0 : between(rng, 0.5, maxSpeed);
  const dir = rng.next() * 2 * Math.PI;
  const vx = speed * Math.cos(dir);
  const vy = speed * Math.sin(dir);
  const x0 = between(rng, 0.15 * W, 0.85 * W);
  const y0 = between(rng, 0.15 * H, 0.85 * H);
  const a0 = rng.next() * 2 * Math.PI;
  const spin = rng.next() < 0.4 ? signed(rng, 0.02, 0.15) : 0;
  const { width: iw, height: ih } = images.sizes[image]!;
  const sScale = Math.min(between(rng, 1, 5), (0.45 * Math.min(iw, ih)) / radius);
  const m = radius * sScale * 1.5;
  return {
    image,
    inside,
    radius,
    px: (t) => bounce(x0 + vx * t, 0.1 * W, 0.9 * W),
    py: (t) => bounce(y0 + vy * t, 0.1 * H, 0.9 * H),
    angle: (t) => a0 + spin * t,
    sx: between(rng, Math.min(m, iw / 2), Math.max(iw - m, iw / 2)),
    sy: between(rng, Math.min(m, ih / 2), Math.max(ih - m, ih / 2)),
    sScale,
    sAngle: rng.next() * 2 * Math.PI,
  };
}

/**
 * The camera of one recording: the whole view (its rotated corners) stays inside the image on
 * every frame. A motion that cannot stay inside is slowed (and the view widened less) until it can.
 */
function makeCamera(rng: Rng, size: { width: number; height: number }, W: number, H: number, T: number, o: NaturalOptions): Camera {
  const maxSpeed = o.maxSpeed ?? NATURAL_DEFAULTS.maxSpeed;
  const still = rng.next() < 0.15;
  const speed0 = still ? 0 : between(rng, 0.5, maxSpeed);
  const dir = rng.next() < 0.5 ? (rng.next() < 0.5 ? 0 : Math.PI) : rng.next() * 2 * Math.PI;
  let zoom = rng.next() < (o.zoomChance ?? NATURAL_DEFAULTS.zoomChance) ? signed(rng, 0.005, 0.03) : 0;
  let turn = rng.next() < (o.turnChance ?? NATURAL_DEFAULTS.turnChance) ? signed(rng, 0.003, 0.02) : 0;
  const tilt = rng.next() < 0.5 ? 0 : signed(rng, 0, 0.12);
  // Widest scale at which the unmoving view fits (angle tilt), then a log-uniform pick below it.
  const fitScale = (a: number) => Math.min(size.width / (W * Math.abs(Math.cos(a)) + H * Math.abs(Math.sin(a))), size.height / (W * Math.abs(Math.sin(a)) + H * Math.abs(Math.cos(a))));
  const sFit = fitScale(tilt);
  const sHi = Math.min(4, 0.95 * sFit);
  const sLo = Math.min(1, sHi / 2);
  let scale = Math.exp(between(rng, Math.log(sLo), Math.log(sHi)));
  const pickX = rng.next();
  const pickY = rng.next();
  let speed = speed0;
  for (let attempt = 0; ; attempt++) {
    const cam: Camera = { cx: 0, cy: 0, scale, vx: speed * Math.cos(dir), vy: speed * Math.sin(dir), zoom, turn, tilt };
    // Allowed centres at every frame, shifted back to frame 0.
    let lox = -Infinity;
    let hix = Infinity;
    let loy = -Infinity;
    let hiy = Infinity;
    for (let t = 0; t < T; t++) {
      const p = cameraAt(cam, t);
      const ex = (p.s * (W * Math.abs(Math.cos(p.a)) + H * Math.abs(Math.sin(p.a)))) / 2;
      const ey = (p.s * (W * Math.abs(Math.sin(p.a)) + H * Math.abs(Math.cos(p.a)))) / 2;
      lox = Math.max(lox, ex - p.x);
      hix = Math.min(hix, size.width - ex - p.x);
      loy = Math.max(loy, ey - p.y);
      hiy = Math.min(hiy, size.height - ey - p.y);
    }
    if (lox <= hix && loy <= hiy) return { ...cam, cx: lox + pickX * (hix - lox), cy: loy + pickY * (hiy - loy) };
    if (attempt > 40) throw new Error('internal: no camera path fits the image');
    // Too far: first narrow the view, then slow the pan, then drop the zoom and turn.
    if (scale > sLo * 1.01) scale = Math.max(sLo, scale * 0.85);
    else if (speed > 0.05) speed *= 0.7;
    else if (zoom !== 0 || turn !== 0) {
      zoom = 0;
      turn = 0;
    } else scale *= 0.85;
  }
}

/** Index of the background of recording k: every image once per cycle, in a shuffled order per cycle. */
function backgroundOf(n: number, seed: number, k: number): number {
  const cycle = Math.floor(k / n);
  return shuffled(Array.from({ length: n }, (_, i) => i), createRng(subSeed(seed, 1_000_003 + cycle)))[k % n]!;
}

/** Frames of recording k (uint8 RGB, frame after frame) and what it shows. */
export function naturalRecording(images: NaturalImages, o: NaturalOptions, k: number): { frames: Uint8Array; info: NaturalRecordingInfo } {
  const { width: W, height: H, framesPerRecording: T } = o;
  if (!(Number.isInteger(W) && Number.isInteger(H) && W >= 2 && H >= 2 && Number.isInteger(T) && T >= 1)) throw new RangeError(`Bad frame size ${W}x${H} or frame count ${T}.`);
  const maxSpeed = o.maxSpeed ?? NATURAL_DEFAULTS.maxSpeed;
  const rng = createRng(subSeed(o.seed, k));
  const bg = backgroundOf(images.count, o.seed, k);
  const flipped = rng.next() < 0.5;
  const size = images.sizes[bg]!;
  const cam = makeCamera(rng, size, W, H, T, o);
  const cutouts: Cutout[] = [];
  if (rng.next() < (o.objectChance ?? NATURAL_DEFAULTS.objectChance)) {
    const n = 1 + rng.int(2);
    for (let i = 0; i < n; i++) {
      // Another photograph where there is one.
      const img = images.count > 1 ? (bg + 1 + rng.int(images.count - 1)) % images.count : bg;
      cutouts.push(makeCutout(rng, images, img, W, H, maxSpeed));
    }
  }
  const shutter = rng.next() < (o.blurChance ?? NATURAL_DEFAULTS.blurChance) ? between(rng, 0.3, 1) : 0;
  const subs = shutter > 0 ? 4 : 1;
  const fb = W * H * 3;
  const frames = new Uint8Array(T * fb);
  const acc = new Float32Array(fb);
  const layer = new Float32Array(fb);
  const tex = new Float32Array(3);
  const bgLevels = images.levels[bg]!;
  const SS = 3; // cut-out edge supersampling per axis
  for (let t = 0; t < T; t++) {
    acc.fill(0);
    for (let q = 0; q < subs; q++) {
      // Sub-samples spread over the shutter interval that ends at the frame's instant.
      const time = subs === 1 ? t : t - shutter * (1 - (q + 0.5) / subs);
      layer.fill(0);
      const p = cameraAt(cam, time);
      const cos = Math.cos(p.a) * p.s;
      const sin = Math.sin(p.a) * p.s;
      for (let y = 0; y < H; y++) {
        const v = y + 0.5 - H / 2;
        for (let x = 0; x < W; x++) {
          const u = x + 0.5 - W / 2;
          const sx = p.x + cos * u - sin * v;
          const sy = p.y + sin * u + cos * v;
          sample(bgLevels, p.s, flipped ? size.width - sx : sx, sy, layer, (y * W + x) * 3, 1);
        }
      }
      for (const c of cutouts) {
        const cx = c.px(time);
        const cy = c.py(time);
        const ang = c.angle(time);
        const ca = Math.cos(ang);
        const sa = Math.sin(ang);
        const tc = Math.cos(c.sAngle) * c.sScale;
        const ts = Math.sin(c.sAngle) * c.sScale;
        const lv = images.levels[c.image]!;
        const r = c.radius + 1;
        for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(H, Math.ceil(cy + r)); y++)
          for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(W, Math.ceil(cx + r)); x++) {
            let hit = 0;
            tex.fill(0);
            for (let a = 0; a < SS; a++)
              for (let b = 0; b < SS; b++) {
                const dx = x + (b + 0.5) / SS - cx;
                const dy = y + (a + 0.5) / SS - cy;
                // Object-local coordinates: the cut-out turns with its texture.
                const lx = ca * dx + sa * dy;
                const ly = -sa * dx + ca * dy;
                if (!c.inside(lx, ly)) continue;
                hit++;
                sample(lv, c.sScale, c.sx + tc * lx - ts * ly, c.sy + ts * lx + tc * ly, tex, 0, 1);
              }
            if (hit === 0) continue;
            const cover = hit / (SS * SS);
            const o3 = (y * W + x) * 3;
            for (let ch = 0; ch < 3; ch++) layer[o3 + ch] = layer[o3 + ch]! * (1 - cover) + (tex[ch]! / hit) * cover;
          }
      }
      for (let i = 0; i < fb; i++) acc[i]! += layer[i]! / subs;
    }
    const off = t * fb;
    for (let i = 0; i < fb; i++) frames[off + i] = Math.max(0, Math.min(255, Math.round(acc[i]!)));
  }
  return {
    frames,
    info: { background: bg, flipped, objects: cutouts.map((c) => c.image), camera: { scale: cam.scale, vx: cam.vx, vy: cam.vy, zoom: cam.zoom, turn: cam.turn, tilt: cam.tilt }, shutter },
  };
}

/** Recordings 0..recordings-1 as one video (recording ids 0..recordings-1). */
export function naturalVideo(images: readonly RgbImage[] | NaturalImages, o: NaturalOptions): NaturalVideo {
  const prepared = 'levels' in images ? images : prepareImages(images);
  const fb = o.width * o.height * 3;
  const count = o.recordings * o.framesPerRecording;
  const frames = new Uint8Array(count * fb);
  const recordings = new Int32Array(count);
  const sources: NaturalRecordingInfo[] = [];
  for (let r = 0; r < o.recordings; r++) {
    const rec = naturalRecording(prepared, o, r);
    frames.set(rec.frames, r * o.framesPerRecording * fb);
    recordings.fill(r, r * o.framesPerRecording, (r + 1) * o.framesPerRecording);
    sources.push(rec.info);
  }
  return { frames, count, height: o.height, width: o.width, channels: 3, recordings, sources };
}
