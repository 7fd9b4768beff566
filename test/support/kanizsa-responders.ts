/**
 * Hand-made Kanizsa responders with a known answer, as Predictors the real model observer runs
 * (their `layer()` is what the Kanizsa decoder reads; their predictions copy the last frame):
 * - local edges: each unit map is the oriented edge energy of the current frame near the unit
 *   (8 orientations, a 3x3-pixel gradient pooled over 2x2 pixels): it sees only local edge
 *   orientation, so it has no completion (its answer: 0).
 * - completing: the same, plus the contour a completing observer draws between inducer edges that
 *   face each other across a gap (geometry.ts facingEdges): the figure's sides in the gaps,
 *   drawn into its unit maps as the edge energy of those lines, while the figure is shown. It
 *   fills in the illusory figure and nothing in the control (its answer: > 0). It is told which
 *   trial it sees by looking its frames up among the stimuli it was given (frames it does not
 *   know, e.g. the decoder's real-contour training figures, get no filling: they have no
 *   facing inducer edges anyway).
 */
import type { LayerOutput, Predictor, Shape5 } from '../../native-models/observer/predictors.js';
import { copyLastFrame } from '../../native-models/observer/predictors.js';
import { facingEdges, inducers, kanizsa, type KanizsaStimulus } from '../../paradigms/kanizsa/index.js';
import { rasterizeTrial, toPixels, pxPerDegOf } from '../../paradigms/rasterize.js';
import type { ModelView, Paradigm } from '../../paradigms/types.js';

const ORIENTATIONS = 8;
/** cos^(2n) orientation tuning: half-width about 25 degrees. */
const TUNING_POWER = 8;

/**
 * Oriented edge energy of an (H, W) image, pooled over 2x2 pixels: (H/2, W/2, ORIENTATIONS),
 * added into `out` at `offset`. Channel k prefers gradients along k * 180 / ORIENTATIONS degrees.
 */
export function addOrientedEnergy(img: Float32Array, H: number, W: number, out: Float32Array, offset: number): void {
  const at = (i: number, j: number) => img[Math.min(H - 1, Math.max(0, i)) * W + Math.min(W - 1, Math.max(0, j))]!;
  const w2 = W >> 1;
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++) {
      const gx = (at(i, j + 1) - at(i, j - 1)) / 2;
      const gy = (at(i + 1, j) - at(i - 1, j)) / 2;
      const mag = Math.hypot(gx, gy);
      if (mag < 1e-6) continue;
      const phi = Math.atan2(gy, gx);
      const unit = offset + ((i >> 1) * w2 + (j >> 1)) * ORIENTATIONS;
      for (let k = 0; k < ORIENTATIONS; k++) out[unit + k]! += (mag * Math.cos(phi - (k * Math.PI) / ORIENTATIONS) ** TUNING_POWER) / 4;
    }
}

/** Channel 0 of frame (b, t) as an (H, W) image. */
function imageOf(frames: Float32Array, s: Shape5, b: number, t: number): Float32Array {
  const size = s.height * s.width * s.channels;
  const base = (b * s.T + t) * size;
  return Float32Array.from({ length: s.height * s.width }, (_, p) => frames[base + p * s.channels]!);
}

/** Unit maps (B, T, H/2, W/2, ORIENTATIONS): the local energy of each frame, plus `extra(b)`'s frames' energy where given. */
function energyLayer(frames: Float32Array, s: Shape5, extra: (b: number) => Float32Array | null): LayerOutput {
  const h = s.height >> 1;
  const w = s.width >> 1;
  const per = h * w * ORIENTATIONS;
  const data = new Float32Array(s.batch * s.T * per);
  for (let b = 0; b < s.batch; b++) {
    const fill = extra(b);
    for (let t = 0; t < s.T; t++) {
      addOrientedEnergy(imageOf(frames, s, b, t), s.height, s.width, data, (b * s.T + t) * per);
      if (fill) addOrientedEnergy(fill.subarray(t * s.height * s.width, (t + 1) * s.height * s.width), s.height, s.width, data, (b * s.T + t) * per);
    }
  }
  return { data, height: h, width: w, channels: ORIENTATIONS };
}

/** Sees only local edge orientation near each unit. */
export const localEdgeResponder: Predictor = {
  name: 'local edges (hand-made)',
  predict: copyLastFrame.predict,
  async layer(frames, s) {
    return energyLayer(frames, s, () => null);
  },
};

/** FNV-1a over a float array's bits: which trial's frames these are. */
function hashFrames(frames: Float32Array): number {
  const words = new Uint32Array(frames.buffer, frames.byteOffset, frames.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * The contour a completing observer adds to a stimulus, frame by frame (T, H, W), one channel, as
 * luminance on the background: each side whose two inducer edges face each other, drawn as the
 * real contour's line while the figure is shown, outside the inducers (only the gaps are filled).
 * Null when no edges face each other, or no inducers are drawn (real contours: lines, no edges to join).
 */
export function completedContour(s: KanizsaStimulus, view: ModelView): Float32Array | null {
  if (s.condition === 'real') return null;
  const ind = inducers(s);
  const facing = new Set(facingEdges(ind, s.inducerRadiusDeg).map(([a, b]) => [a.inducer, b.inducer].sort().join('-')));
  // contourSegments (and the real figure's lines side-0..7) run side by side: side k joins inducers k and k + 1.
  const sides = new Set([0, 1, 2, 3].filter((k) => facing.has([ind[k]!.id, ind[(k + 1) % 4]!.id].sort().join('-'))));
  if (sides.size === 0) return null;
  const drawn: Paradigm<unknown, KanizsaStimulus> = {
    ...(kanizsa as unknown as Paradigm<unknown, KanizsaStimulus>),
    scene(st, t, timing) {
      const sc = kanizsa.scene({ ...st, condition: 'real' }, t, timing);
      return { ...sc, shapes: sc.shapes.filter((x) => x.kind === 'line' && sides.has(Math.floor(Number(x.id.slice('side-'.length)) / 2))) };
    },
  };
  const one = { ...view, channels: 1 };
  const { frames, count } = rasterizeTrial(drawn, s, one);
  const k = pxPerDegOf(one);
  const centres = ind.map((i) => toPixels(one, i.x, i.y));
  const r = s.inducerRadiusDeg * k;
  for (let t = 0; t < count; t++)
    for (let i = 0; i < view.height; i++)
      for (let j = 0; j < view.width; j++)
        if (centres.some(([cx, cy]) => Math.hypot(j + 0.5 - cx, i + 0.5 - cy) < r)) frames[(t * view.height + i) * view.width + j] = s.background;
  return frames;
}

/**
 * Local edges plus filling-in between facing inducer edges, for the given stimuli as the observer
 * renders them in `view` (the observer's own view: same size, field of view, rate and temporal mode).
 */
export function completingResponder(stimuli: KanizsaStimulus[], view: ModelView): Predictor {
  const fills = new Map<number, Float32Array>();
  for (const s of stimuli) {
    const fill = completedContour(s, view);
    if (fill) fills.set(hashFrames(rasterizeTrial(kanizsa as unknown as Paradigm<unknown, KanizsaStimulus>, s, view).frames), fill);
  }
  return {
    name: 'completing (hand-made)',
    predict: copyLastFrame.predict,
    async layer(frames, s) {
      const size = s.T * s.height * s.width * s.channels;
      return energyLayer(frames, s, (b) => fills.get(hashFrames(frames.subarray(b * size, (b + 1) * size))) ?? null);
    },
  };
}
