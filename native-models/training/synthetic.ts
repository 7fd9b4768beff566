/**
 * Procedural video for tests, benchmarks and the default checkpoint: bright bars moving at
 * constant speed over a dark background, one recording per bar. Seeded.
 */
import { createRng } from '../../paradigms/rng.js';
import type { VideoData } from './data.js';

export interface MovingBarOptions {
  height: number;
  width: number;
  channels?: number;
  recordings: number;
  framesPerRecording: number;
  barWidth?: number;
  /** Speeds are drawn from [min, max] px/frame, with random direction. */
  speed?: [number, number];
  seed: number;
}

export function movingBarVideo(o: MovingBarOptions): VideoData {
  const c = o.channels ?? 1;
  const bw = o.barWidth ?? 2;
  const [smin, smax] = o.speed ?? [1, 1];
  const rng = createRng(o.seed);
  const count = o.recordings * o.framesPerRecording;
  const frames = new Uint8Array(count * o.height * o.width * c);
  const recordings = new Int32Array(count);
  for (let r = 0; r < o.recordings; r++) {
    const v = (smin + rng.next() * (smax - smin)) * (rng.next() < 0.5 ? -1 : 1);
    let x = rng.next() * o.width;
    for (let t = 0; t < o.framesPerRecording; t++) {
      const f = r * o.framesPerRecording + t;
      recordings[f] = r;
      for (let px = 0; px < o.width; px++) {
        // Wrap around, anti-aliased edges: coverage of the pixel by the bar [x, x + bw).
        let cover = 0;
        for (const shift of [-o.width, 0, o.width]) cover += Math.max(0, Math.min(px + 1, x + shift + bw) - Math.max(px, x + shift));
        const value = Math.round(255 * Math.min(1, cover));
        for (let py = 0; py < o.height; py++) for (let ch = 0; ch < c; ch++) frames[((f * o.height + py) * o.width + px) * c + ch] = value;
      }
      x = (((x + v) % o.width) + o.width) % o.width;
    }
  }
  return { frames, count, height: o.height, width: o.width, channels: c, recordings };
}
