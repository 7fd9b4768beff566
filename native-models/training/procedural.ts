/**
 * Procedural training video for the default model: bars (some rotating), moving edges, flat and
 * textured shapes, occasional brief flashes, on random grey or textured backgrounds, moving at
 * constant velocities of 0-6 px/frame. One recording per clip; seeded, so the data of the
 * default checkpoint can be regenerated exactly.
 */
import { createRng, type Rng } from '../../paradigms/rng.js';
import { canvas, disc, halfPlane, paint, rect, type Region } from '../../paradigms/draw.js';
import type { VideoData } from './data.js';

export interface ProceduralOptions {
  height: number;
  width: number;
  channels: number;
  recordings: number;
  framesPerRecording: number;
  seed: number;
  maxSpeed?: number;
  /** Things bounce off the frame's sides instead of leaving it, so every window has motion (default true; false: they leave the frame and late windows are still). */
  keepInView?: boolean;
}

interface Thing {
  region(t: number): Region;
  /** Frames in which it is visible (flashes); undefined = always. */
  visible?: [number, number];
}

const between = (rng: Rng, a: number, b: number) => a + rng.next() * (b - a);

/** p folded back into [lo, hi] as if it bounced off both ends (a triangle wave). */
function bounce(p: number, lo: number, hi: number): number {
  const span = hi - lo;
  const m = (((p - lo) % (2 * span)) + 2 * span) % (2 * span);
  return lo + (m <= span ? m : 2 * span - m);
}

function contrasting(rng: Rng, bg: number): number {
  for (;;) {
    const v = rng.next();
    if (Math.abs(v - bg) > 0.25) return v;
  }
}

function grating(rng: Rng, base: number): (x: number, y: number, ox: number, oy: number) => number {
  const f = between(rng, 0.3, 1.2);
  const a = rng.next() * Math.PI;
  const amp = between(rng, 0.1, 0.3);
  return (x, y, ox, oy) => Math.min(1, Math.max(0, base + amp * Math.sin(f * ((x - ox) * Math.cos(a) + (y - oy) * Math.sin(a)))));
}

function makeThing(rng: Rng, o: ProceduralOptions, bg: number): Thing {
  const { width: W, height: H } = o;
  const maxSpeed = o.maxSpeed ?? 6;
  const speed = rng.next() < 0.15 ? 0 : between(rng, 0.5, maxSpeed);
  const dir = rng.next() < 0.5 ? (rng.next() < 0.5 ? 0 : Math.PI) : rng.next() * 2 * Math.PI;
  const vx = speed * Math.cos(dir);
  const vy = speed * Math.sin(dir);
  const x0 = between(rng, 0.1 * W, 0.9 * W);
  const y0 = between(rng, 0, H);
  const px = (t: number) => ((o.keepInView ?? true) ? bounce(x0 + vx * t, 0.1 * W, 0.9 * W) : x0 + vx * t);
  const py = (t: number) => ((o.keepInView ?? true) ? bounce(y0 + vy * t, 0.1 * H, 0.9 * H) : y0 + vy * t);
  const value = contrasting(rng, bg);
  const kind = rng.next();
  if (kind < 0.45) {
    // A bar, mostly upright, sometimes rotating.
    const w = between(rng, 1, 6);
    const h = between(rng, 6, 0.6 * H);
    const angle0 = rng.next() < 0.6 ? 0 : rng.next() * Math.PI;
    const spin = rng.next() < 0.3 ? between(rng, -0.15, 0.15) : 0;
    return { region: (t) => rect(px(t), py(t), w, h, angle0 + spin * t, value) };
  }
  if (kind < 0.6) {
    // A moving edge (half-plane).
    const angle = rng.next() * 2 * Math.PI;
    return { region: (t) => halfPlane(px(t), py(t), angle, value, W, H) };
  }
  const textured = rng.next() < 0.5;
  const tex = grating(rng, value);
  const size = between(rng, 4, 20);
  const shape = rng.next() < 0.5 ? 'disc' : 'rect';
  const aspect = between(rng, 0.5, 1.5);
  const flash = rng.next() < 0.15;
  const thing: Thing = {
    region: (t) => {
      const cx = px(t);
      const cy = py(t);
      const fill = textured ? (x: number, y: number) => tex(x, y, cx, cy) : value;
      return shape === 'disc' ? disc(cx, cy, size / 2, fill) : rect(cx, cy, size, size * aspect, 0, fill);
    },
  };
  if (flash) {
    const start = Math.floor(rng.next() * o.framesPerRecording);
    thing.visible = [start, start + 1 + Math.floor(rng.next() * 2)];
  }
  return thing;
}

export function proceduralVideo(o: ProceduralOptions): VideoData {
  const rng = createRng(o.seed);
  const frameSize = o.width * o.height * o.channels;
  const count = o.recordings * o.framesPerRecording;
  const frames = new Uint8Array(count * frameSize);
  const recordings = new Int32Array(count);
  for (let r = 0; r < o.recordings; r++) {
    const bg = rng.next() < 0.4 ? 0.5 : rng.next() * 0.8;
    const bgTexture = rng.next() < 0.25 ? grating(rng, bg) : null;
    const bgDrift = [between(rng, -1, 1), between(rng, -0.5, 0.5)];
    const things = Array.from({ length: 1 + Math.floor(rng.next() * 3) }, () => makeThing(rng, o, bg));
    for (let t = 0; t < o.framesPerRecording; t++) {
      const c = canvas(o.width, o.height, bg);
      if (bgTexture) paint(c, rect(o.width / 2, o.height / 2, o.width, o.height, 0, (x, y) => bgTexture(x, y, bgDrift[0]! * t, bgDrift[1]! * t)), 1);
      for (const th of things) if (!th.visible || (t >= th.visible[0] && t < th.visible[1])) paint(c, th.region(t), 3);
      const f = r * o.framesPerRecording + t;
      recordings[f] = r;
      for (let p = 0; p < o.width * o.height; p++) {
        const v = Math.round(Math.min(1, Math.max(0, c.data[p]!)) * 255);
        for (let ch = 0; ch < o.channels; ch++) frames[f * frameSize + p * o.channels + ch] = v;
      }
    }
  }
  return { frames, count, height: o.height, width: o.width, channels: o.channels, recordings };
}
