/**
 * Hand-made Responders with known answers for the paper battery's unit experiments. Each unit of
 * layer l sits on a grid of 2^l pixels and reads the current frame (grey: the mean of the channels)
 * and the one before; unit types R, E, A, Ahat all compute the same thing, so any probe reads it.
 *  - endStopped(w): oriented line detectors (4 orientations, two channels each) with end zones;
 *    response = relu(centre segment contrast - w x end-zone contrast). w > 0: end-stopped; the
 *    end-zone inhibition counts as top-down, so the feedback ablation removes it.
 *  - transient / sustained: per block, a sustained term (contrast against grey) plus, for the
 *    transient one, the frame-to-frame change (onset and offset transients).
 *  - pairLearner(learns): error units = |frame - prediction|; the prediction copies the last frame,
 *    except that after trainOn it predicts (mostly) a learned pair's trailing image at the step the
 *    pair switched. learns = false: trainOn leaves it as it was (no sequence learning).
 */
import type { Probe, Recording, Responder, RunOptions } from '../../paradigms/battery-types.js';

type UnitFn = (cur: Float32Array, prev: Float32Array | null, t: number, layer: number, channel: number, i: number, j: number, ablate: boolean, seq: number) => number;

const BACKGROUND = 0.5;

class FunctionResponder implements Responder {
  constructor(
    readonly name: string,
    readonly height: number,
    readonly width: number,
    readonly layers: number,
    readonly channelsPerType: number,
    private readonly fn: UnitFn | null,
    readonly channels = 1,
  ) {}

  /** One unit's value; subclasses with state override it instead of passing fn. */
  protected unit(...args: Parameters<UnitFn>): number {
    return this.fn!(...args);
  }

  unitChannels(_p: Probe): number {
    return this.channelsPerType;
  }

  /** Grey frame t of a (T, H, W, C) sequence. */
  protected grey(seq: Float32Array, t: number): Float32Array {
    const { height: H, width: W, channels: C } = this;
    const out = new Float32Array(H * W);
    for (let p = 0; p < H * W; p++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += seq[(t * H * W + p) * C + c]!;
      out[p] = s / C;
    }
    return out;
  }

  async run(sequences: Float32Array[], frames: number, options: RunOptions): Promise<Recording[][]> {
    return sequences.map((seq, n) => {
      const greys = Array.from({ length: frames }, (_, t) => this.grey(seq, t));
      return options.probes.map((probe) => {
        const s = 2 ** probe.layer;
        const h = this.height / s;
        const w = this.width / s;
        const C = this.channelsPerType;
        const data = new Float32Array(frames * C * h * w);
        for (let t = 0; t < frames; t++)
          for (let c = 0; c < C; c++)
            for (let i = 0; i < h; i++)
              for (let j = 0; j < w; j++) data[((t * C + c) * h + i) * w + j] = this.unit(greys[t]!, t > 0 ? greys[t - 1]! : null, t, probe.layer, c, i, j, options.ablateFeedback ?? false, n);
        return { probe, shape: [frames, C, h, w] as [number, number, number, number], data };
      });
    });
  }
}

function sample(img: Float32Array, W: number, H: number, x: number, y: number): number {
  const j = Math.floor(x);
  const i = Math.floor(y);
  return i >= 0 && i < H && j >= 0 && j < W ? img[i * W + j]! - BACKGROUND : 0;
}

/** Mean contrast along a segment from distance a to b (both sides when symmetric) through (x, y) at angle theta. */
function segment(img: Float32Array, W: number, H: number, x: number, y: number, theta: number, a: number, b: number, bothSides: boolean): number {
  const dx = Math.cos(theta);
  const dy = -Math.sin(theta);
  let s = 0;
  let n = 0;
  for (let d = a; d <= b; d += 0.5) {
    s += sample(img, W, H, x + d * dx, y + d * dy);
    n++;
    if (bothSides && d !== 0) {
      s += sample(img, W, H, x - d * dx, y - d * dy);
      n++;
    }
  }
  return n ? s / n : 0;
}

/**
 * Oriented line detectors, 4 orientations (channels c and c + 4: (c mod 4) x 45 deg, the second
 * set with 1.25x the gain, so a probe has 8 units); w = end-zone weight.
 */
export function endStopped(w: number, size = { height: 32, width: 32 }): Responder {
  return new FunctionResponder(`line detectors, end-zone weight ${w}`, size.height, size.width, 2, 8, (cur, _prev, _t, layer, c, i, j, ablate) => {
    const s = 2 ** layer;
    const x = (j + 0.5) * s;
    const y = (i + 0.5) * s;
    const theta = ((c % 4) * Math.PI) / 4;
    const gain = 1 + 0.25 * Math.floor(c / 4);
    const half = 2 * s;
    const centre = segment(cur, size.width, size.height, x, y, theta, 0, half, true);
    const ends = segment(cur, size.width, size.height, x, y, theta, half + 0.5, 3 * half, true);
    return gain * Math.max(0, centre - (ablate ? 0 : w) * ends);
  });
}

function blockMean(img: Float32Array, W: number, layer: number, i: number, j: number, f: (v: number) => number): number {
  const s = 2 ** layer;
  let sum = 0;
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) sum += f(img[(i * s + a) * W + j * s + b]!);
  return sum / (s * s);
}

/** Block units: sustained contrast (weight growing with the channel), plus the frame change when transient. */
export function onOffUnits(transient: boolean, size = { height: 32, width: 32 }): Responder {
  return new FunctionResponder(transient ? 'transient + sustained units' : 'sustained units', size.height, size.width, 2, 8, (cur, prev, _t, layer, c, i, j) => {
    const sustained = (0.1 + 0.1 * c) * blockMean(cur, size.width, layer, i, j, (v) => Math.abs(v - BACKGROUND));
    if (!transient) return sustained;
    const s = 2 ** layer;
    let change = 0;
    for (let a = 0; a < s; a++)
      for (let b = 0; b < s; b++) {
        const k = (i * s + a) * size.width + j * s + b;
        change += Math.abs(cur[k]! - (prev ? prev[k]! : BACKGROUND));
      }
    return sustained + change / (s * s);
  });
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, k) => v === b[k]);

/** Error units over a copy-the-last-frame prediction that trainOn teaches the trained pairs' switches. */
class PairLearner extends FunctionResponder {
  constructor(
    private readonly learns: boolean,
    size: { height: number; width: number },
    private readonly pairs: { first: Float32Array; second: Float32Array; at: number }[] = [],
  ) {
    super(learns ? 'pair learner' : 'non-learner', size.height, size.width, 2, 8, null);
  }

  protected override unit(cur: Float32Array, prev: Float32Array | null, t: number, layer: number, c: number, i: number, j: number): number {
    return (0.5 + 0.25 * c) * this.err(cur, this.prediction(t, prev), layer, i, j, this.width);
  }

  private err(cur: Float32Array, pred: Float32Array, layer: number, i: number, j: number, W: number): number {
    const s = 2 ** layer;
    let sum = 0;
    for (let a = 0; a < s; a++)
      for (let b = 0; b < s; b++) {
        const k = (i * s + a) * W + j * s + b;
        sum += Math.abs(cur[k]! - pred[k]!);
      }
    return sum / (s * s);
  }

  /** Predictions by previous frame and step (every unit of a step shares one). */
  private readonly cache = new WeakMap<Float32Array, Map<number, Float32Array>>();

  private prediction(t: number, prev: Float32Array | null): Float32Array {
    if (!prev) return this.predictionOf(t, null);
    const byT = this.cache.get(prev) ?? new Map<number, Float32Array>();
    this.cache.set(prev, byT);
    if (!byT.has(t)) byT.set(t, this.predictionOf(t, prev));
    return byT.get(t)!;
  }

  private predictionOf(t: number, prev: Float32Array | null): Float32Array {
    const last = prev ?? new Float32Array(this.height * this.width).fill(BACKGROUND);
    const pair = this.pairs.find((p) => p.at === t && prev && same(p.first, prev));
    if (!pair) return last;
    return last.map((v, k) => 0.3 * v + 0.7 * pair.second[k]!);
  }

  async trainOn(sequences: Float32Array[], frames: number, _steps: number): Promise<Responder> {
    if (!this.learns) return new PairLearner(false, this);
    const learned = sequences.map((seq) => {
      const greys = Array.from({ length: frames }, (_, t) => this.grey(seq, t));
      const at = greys.findIndex((g, t) => t > 0 && !same(g, greys[t - 1]!));
      return { first: greys[0]!, second: greys[at]!, at };
    });
    return new PairLearner(true, this, [...this.pairs, ...learned]);
  }
}

export function pairLearner(learns: boolean, size = { height: 32, width: 32 }): Responder {
  return new PairLearner(learns, size);
}
