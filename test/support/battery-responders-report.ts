/**
 * Hand-made Responders with known answers for the contour and flash-lag experiments:
 * - a row-wise velocity extrapolator (predicts each row's content moved on by the displacement
 *   it made between the last two frames: a flash-lag of one frame in continuous and
 *   flash-terminated alike, none when the motion starts at the flash);
 * - a persisting extrapolator: the same, but a row whose content vanished keeps it where it was
 *   last seen for a few frames (a flash persists, a bar that stopped stays put): people's
 *   pattern at readout delay 2 (continuous and flash-initiated lag by two frames, flash-terminated
 *   none);
 * - a copy-last-frame predictor (no flash-lag anywhere);
 * - a contour detector whose units answer luminance edges at once and the Kanizsa configuration
 *   `delay` steps later (or never), along the figure's contour.
 * The predicted frame (Ahat0) has one channel; the contour detector's units have 8 (copies of
 * its map with different gains); layer l is the layer-0 map averaged over 2^l x 2^l blocks.
 */
import { contourGeometry, distanceToSegment, type ContourDesign } from '../../paradigms/battery-contour-stimuli.js';
import { inducers } from '../../paradigms/kanizsa/geometry.js';
import type { ModelView } from '../../paradigms/types.js';
import type { Probe, Recording, Responder, RunOptions } from '../../paradigms/battery-types.js';

type MapFn = (frames: Float32Array, T: number, probe: Probe) => Float32Array; // -> (T, H, W) at layer 0

abstract class MapResponder implements Responder {
  readonly channels = 1;
  readonly layers = 3;
  constructor(
    readonly name: string,
    readonly height: number,
    readonly width: number,
    /** Channels of probes other than Ahat0 (the prediction): copies of the map, channel c with gain 1 + 0.1c. */
    private readonly unitCopies = 1,
  ) {}
  unitChannels(p?: Probe): number {
    return p && !(p.type === 'Ahat' && p.layer === 0) ? this.unitCopies : 1;
  }
  protected abstract map: MapFn;
  async run(sequences: Float32Array[], frames: number, options: RunOptions): Promise<Recording[][]> {
    return sequences.map((seq) => {
      if (seq.length !== frames * this.height * this.width) throw new RangeError(`sequence has ${seq.length} values, expected ${frames * this.height * this.width}`);
      return options.probes.map((probe) => {
        const full = this.map(seq, frames, probe);
        const k = 2 ** probe.layer;
        const h = this.height / k;
        const w = this.width / k;
        const C = this.unitChannels(probe);
        const data = new Float32Array(frames * C * h * w);
        for (let t = 0; t < frames; t++)
          for (let i = 0; i < h; i++)
            for (let j = 0; j < w; j++) {
              let s = 0;
              for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) s += full[(t * this.height + i * k + a) * this.width + j * k + b]!;
              for (let c = 0; c < C; c++) data[((t * C + c) * h + i) * w + j] = ((1 + 0.1 * c) * s) / (k * k);
            }
        return { probe, shape: [frames, C, h, w] as [number, number, number, number], data };
      });
    });
  }
}

/** Median of a frame: its background (objects cover few pixels). */
function background(frame: Float32Array): number {
  return Float32Array.from(frame).sort()[frame.length >> 1]!;
}

/** Contrast-weighted centroid of one row (pixels), or null if the row is blank. */
function rowCentroid(frame: Float32Array, W: number, i: number, bg: number): number | null {
  let m = 0;
  let mx = 0;
  for (let j = 0; j < W; j++) {
    const c = Math.abs(frame[i * W + j]! - bg);
    m += c;
    mx += c * j;
  }
  return m > 0.05 ? mx / m : null;
}

/** Row i of `src` moved by dx pixels (linear interpolation, background fill). */
function shiftRow(src: Float32Array, dst: Float32Array, W: number, i: number, dx: number, bg: number): void {
  for (let j = 0; j < W; j++) {
    const x = j - dx;
    const j0 = Math.floor(x);
    const f = x - j0;
    const v = (jj: number) => (jj >= 0 && jj < W ? src[i * W + jj]! : bg);
    dst[i * W + j] = (1 - f) * v(j0) + f * v(j0 + 1);
  }
}

/** Frames a vanished row's content persists in a persisting extrapolator's prediction. */
const PERSIST_FRAMES = 3;

/** Predicted frames (T, H, W): t = 0 blank, then each from the frames before it. */
function predictions(frames: Float32Array, T: number, H: number, W: number, extrapolate: boolean, persist = false): Float32Array {
  const size = H * W;
  const out = new Float32Array(T * size);
  const bg = background(frames.subarray(0, size));
  out.subarray(0, size).fill(bg);
  const frame = (k: number) => frames.subarray(k * size, (k + 1) * size);
  for (let t = 1; t < T; t++) {
    const last = frame(t - 1);
    const prev = t >= 2 ? frame(t - 2) : null;
    const dst = out.subarray(t * size, (t + 1) * size);
    for (let i = 0; i < H; i++) {
      const a = prev && extrapolate ? rowCentroid(prev, W, i, bg) : null;
      const b = rowCentroid(last, W, i, bg);
      if (persist && b === null) {
        // Vanished content stays where it was last seen (for a few frames).
        const k = [2, 3, 4].map((back) => t - back).filter((k) => k >= 0 && k >= t - 1 - PERSIST_FRAMES).find((k) => rowCentroid(frame(k), W, i, bg) !== null);
        if (k !== undefined) {
          shiftRow(frame(k), dst, W, i, 0, bg);
          continue;
        }
      }
      // A row whose content was there in both frames moves on; new or vanished content stays put.
      shiftRow(last, dst, W, i, a !== null && b !== null ? b - a : 0, bg);
    }
  }
  return out;
}

class PredictingResponder extends MapResponder {
  constructor(name: string, height: number, width: number, private readonly extrapolate: boolean, private readonly persist = false) {
    super(name, height, width);
  }
  protected map: MapFn = (frames, T, probe) => {
    const pred = predictions(frames, T, this.height, this.width, this.extrapolate, this.persist);
    if (probe.type === 'Ahat' || probe.type === 'R') return pred;
    if (probe.type === 'A') return frames.slice();
    return pred.map((p, k) => Math.abs(frames[k]! - p));
  };
}

export const velocityExtrapolator = (height = 32, width = 40): Responder => new PredictingResponder('velocity extrapolator', height, width, true);
export const persistingExtrapolator = (height = 32, width = 40): Responder => new PredictingResponder('persisting extrapolator', height, width, true, true);
export const copyLastFrame = (height = 32, width = 40): Responder => new PredictingResponder('copy last frame', height, width, false);

/**
 * Edge units (|frame - its median|, any orientation) plus, on the figure's contour, a response to the Kanizsa
 * configuration (every inducer present with its mouth facing the centre) `delay` frames after it
 * appears; delay null: no illusory response.
 */
class ContourResponder extends MapResponder {
  constructor(
    height: number,
    width: number,
    private readonly view: ModelView,
    private readonly design: ContourDesign,
    private readonly delay: number | null,
  ) {
    // Several channels (copies with different gains): the experiment's statistics resample channels.
    super(delay === null ? 'edge detector' : `illusory contour after ${delay} steps`, height, width, 8);
  }
  private pixel(xDeg: number, yDeg: number): number {
    const k = this.view.width / this.view.fovDeg;
    const j = Math.round(this.view.width / 2 + xDeg * k - 0.5);
    const i = Math.round(this.view.height / 2 - yDeg * k - 0.5);
    return i * this.width + j;
  }
  protected map: MapFn = (frames, T) => {
    const size = this.height * this.width;
    const s = this.design.stimulus;
    const k = this.view.width / this.view.fovDeg;
    const g = contourGeometry(this.design);
    const onContour = new Uint8Array(size);
    for (let i = 0; i < this.height; i++)
      for (let j = 0; j < this.width; j++) {
        const x = (j + 0.5 - this.width / 2) / k;
        const y = (this.height / 2 - (i + 0.5)) / k;
        if (g.segments.some((seg) => distanceToSegment(x, y, seg) <= 1 / k)) onContour[i * this.width + j] = 1;
      }
    const ind = inducers({ ...s, condition: 'illusory' });
    const kanizsa = (t: number) =>
      t >= 0 &&
      ind.every((d) => {
        const dark = (p: number) => Math.abs(frames[t * size + p]! - s.inducerLuminance) < 0.2;
        const mouth = [d.x - Math.sign(d.x) * 0.5 * s.inducerRadiusDeg, d.y - Math.sign(d.y) * 0.5 * s.inducerRadiusDeg] as const;
        return dark(this.pixel(d.x + Math.sign(d.x) * 0.5 * s.inducerRadiusDeg, d.y + Math.sign(d.y) * 0.5 * s.inducerRadiusDeg)) && !dark(this.pixel(mouth[0], mouth[1]));
      });
    const out = new Float32Array(T * size);
    for (let t = 0; t < T; t++) {
      const illusory = this.delay !== null && kanizsa(t - this.delay);
      const frameBg = background(frames.subarray(t * size, (t + 1) * size));
      for (let p = 0; p < size; p++) out[t * size + p] = Math.abs(frames[t * size + p]! - frameBg) + (illusory && onContour[p] ? 0.5 : 0);
    }
    return out;
  };
}

export const contourResponder = (view: ModelView, design: ContourDesign, delay: number | null): Responder => new ContourResponder(view.height, view.width, view, design, delay);
