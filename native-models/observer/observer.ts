/**
 * The model as a participant: each trial's scene is rasterized at the model's resolution, field
 * of view and frame rate, trials are run through the predictor in batches, and a paradigm-specific
 * readout turns the predicted frames into the participant's answer.
 */
import { z } from 'zod';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { createRng, subSeed } from '../../paradigms/rng.js';
import type { Paradigm, TrialSpec } from '../../paradigms/types.js';
import { rasterizeTrial, type ModelView } from '../raster/scene.js';
import { readFlashLag } from './flash-lag.js';
import type { Predictor } from './predictors.js';

export const observerSettingsSchema = z
  .object({
    /** Degrees of visual angle across the model's image width. */
    fovDeg: z.number().positive().max(180).default(20),
    /** Model frames per second (PredNet's KITTI data ran at about 10). */
    frameRateHz: z.number().positive().max(240).default(10),
    /** SD of Gaussian noise added to the perceived offset before the decision (deg). */
    decisionNoiseDeg: z.number().nonnegative().max(10).default(0.1),
    /** Which prediction to read: this many frames after the flash's onset frame. */
    readoutDelayFrames: z.number().int().min(0).max(100).default(1),
    /** Trials per forward pass. */
    batchSize: z.number().int().min(1).max(64).default(8),
    /** Seed of the decision noise. */
    seed: z.number().int().default(1),
  })
  .strict();
export type ObserverSettings = z.output<typeof observerSettingsSchema>;

export interface ModelAnswer {
  index: number;
  response: string;
  frameCount: number;
  criticalFrame: number | null;
  extra: Record<string, unknown>;
}

/** Normal deviate (Box-Muller) from a seeded stream. */
function gaussian(rng: { next(): number }): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

type Decide = (prediction: Float32Array, stimulus: unknown, frames: number, index: number) => { response: string; extra: Record<string, unknown> };

function readoutFor(paradigm: Paradigm<any, any, any>, view: ModelView, s: ObserverSettings): Decide {
  if (paradigm.id !== 'flash-lag') throw new RangeError(`No model readout for paradigm '${paradigm.id}' yet.`);
  return (prediction, stimulus, frames, index) => {
    const st = stimulus as FlashLagStimulus;
    const r = readFlashLag(prediction, st, view, s.readoutDelayFrames, frames);
    const rng = createRng(subSeed(s.seed, index));
    const noise = s.decisionNoiseDeg * gaussian(rng);
    // No bar or no flash in the prediction: the model cannot tell, so it guesses.
    const ahead = r.perceivedOffsetDeg === null ? rng.next() < 0.5 : r.perceivedOffsetDeg + noise > 0;
    return { response: ahead === (st.direction === 1) ? 'right' : 'left', extra: { ...r, decisionNoiseDeg: noise, guessed: r.perceivedOffsetDeg === null } };
  };
}

/** Answers for the given trials, in their order. Trials of equal length share a forward pass. */
export async function answerTrials(
  paradigm: Paradigm<any, any, any>,
  trials: TrialSpec[],
  predictor: Predictor,
  view: ModelView,
  settings: ObserverSettings,
  onProgress?: (done: number, total: number) => void,
): Promise<ModelAnswer[]> {
  const decide = readoutFor(paradigm, view, settings);
  const rendered = trials.map((t) => ({ trial: t, ...rasterizeTrial(paradigm, t.stimulus, view) }));
  const answers = new Map<number, ModelAnswer>();
  const byLength = new Map<number, typeof rendered>();
  for (const r of rendered) byLength.set(r.count, [...(byLength.get(r.count) ?? []), r]);
  const size = view.width * view.height * view.channels;
  for (const [T, group] of byLength)
    for (let i = 0; i < group.length; i += settings.batchSize) {
      const chunk = group.slice(i, i + settings.batchSize);
      const input = new Float32Array(chunk.length * T * size);
      chunk.forEach((c, b) => input.set(c.frames, b * T * size));
      const pred = await predictor.predict(input, { batch: chunk.length, T, height: view.height, width: view.width, channels: view.channels });
      chunk.forEach((c, b) => {
        const d = decide(pred.subarray(b * T * size, (b + 1) * T * size), c.trial.stimulus, T, c.trial.index);
        answers.set(c.trial.index, { index: c.trial.index, response: d.response, frameCount: T, criticalFrame: paradigm.criticalFrame(c.trial.stimulus, c.timing), extra: d.extra });
      });
      onProgress?.(answers.size, trials.length);
    }
  return trials.map((t) => answers.get(t.index)!);
}
