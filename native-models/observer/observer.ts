/**
 * The model as a participant: each trial's scene is rasterized at the model's resolution, field
 * of view and frame rate, trials are run through the predictor in batches, and the paradigm's own
 * readout (paradigms/<name>) turns what the model produced into the participant's answer. This
 * file knows no paradigm.
 */
import { observerSettingsSchema, temporalSettingsOf, type ObserverSettings } from '../../paradigms/observer-settings.js';
import type { ModelResponse, ModelView, Paradigm, TrialSpec } from '../../paradigms/types.js';
import { modelCriticalFrame, rasterizeTrial } from '../../paradigms/rasterize.js';
import type { Predictor } from './predictors.js';

export { observerSettingsSchema, type ObserverSettings };

export interface ModelAnswer {
  index: number;
  response: string;
  frameCount: number;
  criticalFrame: number | null;
  extra: Record<string, unknown>;
}

/** The model's responses to some stimuli, in their order. Stimuli of equal length share a forward pass. */
export async function respond(
  paradigm: Paradigm<any, any, any>,
  stimuli: unknown[],
  predictor: Predictor,
  view: ModelView,
  options: { layer?: string | null; batchSize: number; onBatch?: (done: number) => void },
): Promise<ModelResponse[]> {
  const out: ModelResponse[] = new Array(stimuli.length);
  const byLength = new Map<number, number[]>();
  const rendered = stimuli.map((s) => rasterizeTrial(paradigm, s, view));
  rendered.forEach((r, i) => byLength.set(r.count, [...(byLength.get(r.count) ?? []), i]));
  const size = view.width * view.height * view.channels;
  let done = 0;
  for (const [T, group] of byLength)
    for (let i = 0; i < group.length; i += options.batchSize) {
      const chunk = group.slice(i, i + options.batchSize);
      const input = new Float32Array(chunk.length * T * size);
      chunk.forEach((k, b) => input.set(rendered[k]!.frames, b * T * size));
      const shape = { batch: chunk.length, T, height: view.height, width: view.width, channels: view.channels };
      const pred = await predictor.predict(input, shape);
      let layer: Awaited<ReturnType<NonNullable<Predictor['layer']>>> | null = null;
      if (options.layer) {
        if (!predictor.layer) throw new RangeError(`This readout reads layer ${options.layer}, which ${predictor.name} does not expose.`);
        layer = await predictor.layer(input, shape, options.layer);
      }
      chunk.forEach((k, b) => {
        const r: ModelResponse = { frames: T, prediction: pred.subarray(b * T * size, (b + 1) * T * size) };
        if (layer) {
          const ls = T * layer.height * layer.width * layer.channels;
          r.layer = { name: options.layer!, height: layer.height, width: layer.width, channels: layer.channels, data: layer.data.subarray(b * ls, (b + 1) * ls) };
        }
        out[k] = r;
      });
      done += chunk.length;
      options.onBatch?.(done);
    }
  return out;
}

/** A model ready to answer trials of one protocol (its readout prepared, e.g. a decoder trained). */
export interface ModelObserver {
  answer(trials: TrialSpec[], onProgress?: (done: number, total: number) => void): Promise<ModelAnswer[]>;
  /** What `prepare` returned, summarised for the participant's record. */
  prepared: unknown;
  /** The decision noise used (SD, the readout's unit) and where it came from. */
  decisionNoise: { value: number; source: string };
}

/** The settings' view of the model: its image size and the settings' field of view, frame rate and temporal mode. */
export function observerView(size: { width: number; height: number; channels: number }, settings: Pick<ObserverSettings, 'fovDeg' | 'frameRateHz' | 'temporalMode' | 'exposure' | 'subSamples'>): ModelView {
  return { ...size, fovDeg: settings.fovDeg, frameRateHz: settings.frameRateHz, temporal: temporalSettingsOf(settings) };
}

/** The decision noise a protocol gets: a number given in the settings, or one step of the protocol's grid ('auto'). */
export function decisionNoiseOf(paradigm: Paradigm<any, any, any>, parameters: unknown, settings: Pick<ObserverSettings, 'decisionNoiseDeg'>): { value: number; source: string } {
  if (settings.decisionNoiseDeg !== 'auto') return { value: settings.decisionNoiseDeg, source: 'set in the observer settings' };
  return { value: paradigm.readout.defaultDecisionNoise(parameters), source: "one step of the protocol's stimulus grid" };
}

export async function createObserver(
  paradigm: Paradigm<any, any, any>,
  protocol: { parameters: unknown; seed: number },
  predictor: Predictor,
  view: ModelView,
  settings: ObserverSettings,
  /** The decision noise decided by the caller (e.g. matched to a person's fitted spread); absent: decisionNoiseOf(settings). */
  noise?: { value: number; source: string },
): Promise<ModelObserver> {
  const readout = paradigm.readout;
  // The settings decide how the model sees the trials (field of view, frame rate, temporal mode).
  view = observerView(view, settings);
  const chosen = readout.defaultLayer ? (settings.layer === 'auto' ? readout.defaultLayer : settings.layer) : null;
  const layer = chosen && chosen !== 'prediction' ? chosen : null;
  const run = (stimuli: unknown[]) => respond(paradigm, stimuli, predictor, view, { layer, batchSize: settings.batchSize });
  const prepared = readout.prepare ? await readout.prepare(protocol.parameters, protocol.seed, view, run) : null;
  const decisionNoise = noise ?? decisionNoiseOf(paradigm, protocol.parameters, settings);
  const readoutSettings = { decisionNoise: decisionNoise.value, readoutDelayFrames: settings.readoutDelayFrames, seed: settings.seed, noReadout: settings.noReadout };
  return {
    prepared,
    decisionNoise,
    async answer(trials, onProgress) {
      const responses = await respond(paradigm, trials.map((t) => t.stimulus), predictor, view, { layer, batchSize: settings.batchSize, onBatch: (d) => onProgress?.(d, trials.length) });
      return trials.map((t, i) => {
        const r = responses[i]!;
        const criticalFrame = modelCriticalFrame(paradigm, t.stimulus, view);
        const d = readout.read(r, t.stimulus, { view, settings: readoutSettings, index: t.index, prepared, criticalFrame });
        return { index: t.index, response: d.response, frameCount: r.frames, criticalFrame, extra: d.extra };
      });
    },
  };
}

/** One-shot: prepare the readout and answer the given trials (tests and benches). */
export async function answerTrials(
  paradigm: Paradigm<any, any, any>,
  trials: TrialSpec[],
  predictor: Predictor,
  view: ModelView,
  settings: ObserverSettings,
  protocol: { parameters: unknown; seed: number } = { parameters: paradigm.defaults, seed: 1 },
  onProgress?: (done: number, total: number) => void,
): Promise<ModelAnswer[]> {
  return (await createObserver(paradigm, protocol, predictor, view, settings)).answer(trials, onProgress);
}
