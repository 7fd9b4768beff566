/**
 * The null observers every battery experiment runs beside the model, on the same stimuli
 * (issue 20 part 5): an untrained PredNet of the model's architecture (Glorot-uniform weights from
 * a fixed seed: what the architecture does before any learning), and the two prediction-only
 * references, copy-last (predicts the last frame it saw) and the oracle (predicts the true next
 * frame). The references expose only their predicted frame, as Ahat0 at layer 0: they have no units.
 */
import crypto from 'node:crypto';
import { PredNet } from '../prednet/model.js';
import { REFERENCES, type Predictor, type ReferenceKind } from '../observer/predictors.js';
import { PredNetResponder } from './prednet-responder.js';
import type { ExperimentResult, Probe, Recording, References, Responder, RunOptions } from '../../paradigms/battery-types.js';

/**
 * Seed of the untrained network beside every checkpoint; the same as the one model sessions run
 * beside a checkpoint (main/services/model-sessions.ts UNTRAINED_SEED), so both are one network.
 */
export const UNTRAINED_SEED = 1;

/** Frame size of a reference observer run on its own (`replicate --checkpoint copy-last`): the default model's. */
export const REFERENCE_DEFAULT_SIZE = { height: 64, width: 80, channels: 3 } as const;

/** A next-frame predictor with no units: its prediction is recorded as Ahat0, nothing else. */
export class PredictionResponder implements Responder {
  readonly layers = 1;
  readonly predictionOnly = true;

  constructor(
    readonly name: string,
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    private readonly predictor: Predictor,
  ) {}

  unitChannels(p: Probe): number {
    if (p.layer === 0 && p.type === 'Ahat') return this.channels;
    throw new RangeError(`${this.name} has no units: it exposes only its predicted frame (Ahat0); ${p.type}${p.layer} does not exist.`);
  }

  async run(sequences: Float32Array[], frames: number, options: RunOptions): Promise<Recording[][]> {
    for (const p of options.probes) this.unitChannels(p);
    const { height: H, width: W, channels: C } = this;
    const per = frames * H * W * C;
    sequences.forEach((s, i) => {
      if (s.length !== per) throw new RangeError(`Sequence ${i} has ${s.length} values; ${frames} frames of ${H}x${W}x${C} are ${per}.`);
    });
    const batch = new Float32Array(sequences.length * per);
    sequences.forEach((s, n) => batch.set(s, n * per));
    const pred = await this.predictor.predict(batch, { batch: sequences.length, T: frames, height: H, width: W, channels: C });
    return sequences.map((_, n) => {
      // (T, H, W, C) -> (T, C, H, W), the seam's layout.
      const data = new Float32Array(per);
      for (let t = 0; t < frames; t++)
        for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) data[(t * C + c) * H * W + p] = pred[n * per + (t * H * W + p) * C + c]!;
      return options.probes.map((probe) => ({ probe, shape: [frames, C, H, W] as [number, number, number, number], data }));
    });
  }
}

/** copy-last or the oracle at a frame size. */
export function referenceResponder(kind: ReferenceKind, size: { height: number; width: number; channels: number }): PredictionResponder {
  return new PredictionResponder(kind, size.height, size.width, size.channels, REFERENCES[kind].predictor);
}

/** An untrained PredNet of this network's architecture; its weights' identity keys the receptive-field cache. */
export function untrainedOf(net: PredNet, seed = UNTRAINED_SEED): PredNetResponder {
  const key = crypto.createHash('sha256').update(JSON.stringify({ config: net.config, seed, init: 'glorot-uniform' })).digest('hex').slice(0, 40);
  return new PredNetResponder(PredNet.create(net.config, seed), `untrained PredNet (seed ${seed})`, `untrained-${key}`);
}

/** The null observers beside a subject: at its frame size; the untrained network where it is a PredNet. */
export function referencesFor(subject: Responder): References {
  const size = { height: subject.height, width: subject.width, channels: subject.channels };
  const missing: References['missing'] = {};
  let untrained: Responder | null = null;
  if (subject instanceof PredNetResponder) untrained = untrainedOf(subject.net);
  else missing.untrained = subject.predictionOnly ? `${subject.name} has no architecture, so no untrained network of it` : `${subject.name} is not a PredNet, so there is no untrained network of its architecture`;
  return { untrained, copyLast: referenceResponder('copy-last', size), oracle: referenceResponder('oracle', size), missing };
}

export function disposeReferences(refs: References): void {
  refs.untrained?.dispose?.();
  refs.copyLast?.dispose?.();
  refs.oracle?.dispose?.();
}

/** The untrained reference, or why there is none (for a sentence). */
export function untrainedOrWhy(refs: References | undefined): { responder: Responder } | { why: string } {
  if (refs?.untrained) return { responder: refs.untrained };
  return { why: refs?.missing.untrained ?? 'no untrained network was given to compare with' };
}

/** The result of a unit experiment on a responder with no units (copy-last, the oracle). */
export function notApplicable(base: Omit<ExperimentResult, 'verdict' | 'series' | 'table' | 'notes'>, r: Responder, what: string): ExperimentResult {
  return {
    ...base,
    verdict: { effect: null, text: `${what}: not applicable: ${r.name} has no units`, statistic: null },
    series: [],
    table: { columns: [], rows: [] },
    notes: [`${r.name} exposes only its predicted frame (Ahat0); this experiment records units, so it does not apply.`],
  };
}
