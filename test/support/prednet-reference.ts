/**
 * An independent PredNet written as plain loops over Float64Arrays, straight from the reference
 * Keras code (prednet.py), for checking the TensorFlow.js model on tiny configurations.
 * Separate i/f/c/o gate weights (Keras layout), one batch item at a time.
 */
import type { PredNetConfig } from '../../native-models/prednet/config.js';

export interface Arr {
  h: number;
  w: number;
  c: number;
  d: Float64Array;
}
export interface W {
  shape: number[];
  data: Float32Array | Float64Array;
}

const arr = (h: number, w: number, c: number): Arr => ({ h, w, c, d: new Float64Array(h * w * c) });
const at = (a: Arr, y: number, x: number, ch: number) => a.d[(y * a.w + x) * a.c + ch]!;

function conv(x: Arr, k: W, b: W): Arr {
  const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
  if (cin !== x.c) throw new Error(`conv: ${cin} input channels expected, got ${x.c}`);
  const top = Math.floor((kh - 1) / 2);
  const left = Math.floor((kw - 1) / 2);
  const out = arr(x.h, x.w, cout);
  for (let y = 0; y < x.h; y++)
    for (let xx = 0; xx < x.w; xx++)
      for (let co = 0; co < cout; co++) {
        let s = b.data[co]!;
        for (let i = 0; i < kh; i++) {
          const yy = y + i - top;
          if (yy < 0 || yy >= x.h) continue;
          for (let j = 0; j < kw; j++) {
            const xj = xx + j - left;
            if (xj < 0 || xj >= x.w) continue;
            for (let ci = 0; ci < cin; ci++) s += at(x, yy, xj, ci) * k.data[((i * kw + j) * cin + ci) * cout + co]!;
          }
        }
        out.d[(y * x.w + xx) * cout + co] = s;
      }
  return out;
}

const map = (a: Arr, f: (v: number) => number): Arr => ({ ...a, d: a.d.map(f) });
const zip = (a: Arr, b: Arr, f: (p: number, q: number) => number): Arr => ({ ...a, d: a.d.map((v, i) => f(v, b.d[i]!)) });
const relu = (v: number) => Math.max(0, v);
const hardSigmoid = (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5));

function concat(parts: Arr[]): Arr {
  const c = parts.reduce((s, p) => s + p.c, 0);
  const out = arr(parts[0]!.h, parts[0]!.w, c);
  for (let p = 0; p < out.h * out.w; p++) {
    let o = 0;
    for (const part of parts) for (let ch = 0; ch < part.c; ch++) out.d[p * c + o++] = part.d[p * part.c + ch]!;
  }
  return out;
}

function upsample(a: Arr): Arr {
  const out = arr(a.h * 2, a.w * 2, a.c);
  for (let y = 0; y < out.h; y++) for (let x = 0; x < out.w; x++) for (let ch = 0; ch < a.c; ch++) out.d[(y * out.w + x) * a.c + ch] = at(a, y >> 1, x >> 1, ch);
  return out;
}

function maxpool(a: Arr): Arr {
  const out = arr(a.h >> 1, a.w >> 1, a.c);
  for (let y = 0; y < out.h; y++)
    for (let x = 0; x < out.w; x++)
      for (let ch = 0; ch < a.c; ch++)
        out.d[(y * out.w + x) * a.c + ch] = Math.max(at(a, 2 * y, 2 * x, ch), at(a, 2 * y + 1, 2 * x, ch), at(a, 2 * y, 2 * x + 1, ch), at(a, 2 * y + 1, 2 * x + 1, ch));
  return out;
}

export interface ReferenceStep {
  prediction: Arr;
  errors: number[];
  R: Arr[];
  E: Arr[];
  A: Arr[];
  Ahat: Arr[];
}

/** Runs one sequence (T frames of H x W x C) and returns every unit at every step. */
export function referencePredNet(cfg: PredNetConfig, weights: Map<string, W>, frames: Arr[], extrapStartTime: number | null = null): ReferenceStep[] {
  const L = cfg.stackSizes.length;
  const w = (n: string) => weights.get(n)!;
  let r = [...Array(L).keys()].map((l) => arr(cfg.height >> l, cfg.width >> l, cfg.rStackSizes[l]!));
  let c = r.map((x) => arr(x.h, x.w, x.c));
  let e = [...Array(L).keys()].map((l) => arr(cfg.height >> l, cfg.width >> l, 2 * cfg.stackSizes[l]!));
  let lastPrediction: Arr | null = null;
  const steps: ReferenceStep[] = [];
  frames.forEach((frame, t) => {
    const nr: Arr[] = new Array(L);
    const nc: Arr[] = new Array(L);
    for (let l = L - 1; l >= 0; l--) {
      const inputs = [r[l]!, e[l]!];
      if (l < L - 1) inputs.push(upsample(nr[l + 1]!));
      const x = concat(inputs);
      const g = (name: string) => conv(x, w(`layer_${name}_${l}/kernel`), w(`layer_${name}_${l}/bias`));
      const i = map(g('i'), hardSigmoid);
      const f = map(g('f'), hardSigmoid);
      const o = map(g('o'), hardSigmoid);
      const cc = map(g('c'), Math.tanh);
      nc[l] = zip(zip(f, c[l]!, (p, q) => p * q), zip(i, cc, (p, q) => p * q), (p, q) => p + q);
      nr[l] = zip(o, map(nc[l]!, Math.tanh), (p, q) => p * q);
    }
    let a = extrapStartTime !== null && t >= extrapStartTime && lastPrediction ? lastPrediction : frame;
    const ne: Arr[] = [];
    const A: Arr[] = [];
    const Ahat: Arr[] = [];
    let prediction: Arr | null = null;
    for (let l = 0; l < L; l++) {
      let ahat = map(conv(nr[l]!, w(`layer_ahat_${l}/kernel`), w(`layer_ahat_${l}/bias`)), relu);
      if (l === 0) {
        ahat = map(ahat, (v) => Math.min(v, cfg.pixelMax));
        prediction = ahat;
      }
      A.push(a);
      Ahat.push(ahat);
      ne.push(concat([zip(ahat, a, (p, q) => relu(p - q)), zip(a, ahat, (p, q) => relu(p - q))]));
      if (l < L - 1) a = maxpool(map(conv(ne[l]!, w(`layer_a_${l}/kernel`), w(`layer_a_${l}/bias`)), relu));
    }
    r = nr;
    c = nc;
    e = ne;
    lastPrediction = prediction;
    steps.push({ prediction: prediction!, errors: ne.map((x) => x.d.reduce((s, v) => s + v, 0) / x.d.length), R: nr, E: ne, A, Ahat });
  });
  return steps;
}
