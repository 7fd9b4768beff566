/**
 * What a model sees of a trial, as an array: a paradigm's trial (from parameters and a seed, or a
 * stored protocol) rasterized at a model's size, field of view, frame rate and temporal mode.
 * `predlab stimulus render` writes it as .npy (T, H, W, C) float32; the trial inspector shows
 * the same frames.
 */
import { observerView } from '../../native-models/observer/observer.js';
import { observerSettingsSchema } from '../../paradigms/observer-settings.js';
import { modelCriticalFrame, rasterizeTrial } from '../../paradigms/rasterize.js';
import { planFromHistory, type ModelView } from '../../paradigms/types.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { getProtocol, paradigmOf, validateParameters } from './sessions.js';

/** Stated limits: image side (px), channels, and the frames x pixels one render may hold (256 MiB of float32). */
export const RENDER_LIMITS = { side: 1024, maxValues: 64 * 2 ** 20 } as const;

export interface RenderRequest {
  paradigmId?: string;
  parameters?: Record<string, unknown>;
  seed?: number;
  /** A stored protocol's trials instead of parameters and a seed. */
  protocolId?: number;
  trial: number;
  height: number;
  width: number;
  channels: number;
  fovDeg: number;
  frameRateHz: number;
  temporalMode?: 'integrate' | 'sample';
  exposure?: number;
  subSamples?: number;
}

export interface RenderedTrial {
  frames: Float32Array;
  shape: [number, number, number, number];
  criticalFrame: number | null;
  condition: string;
  stimulus: unknown;
  view: ModelView;
}

export function renderTrial(db: Db | null, req: RenderRequest): RenderedTrial {
  const settings = observerSettingsSchema.safeParse({ fovDeg: req.fovDeg, frameRateHz: req.frameRateHz, temporalMode: req.temporalMode, exposure: req.exposure, subSamples: req.subSamples });
  if (!settings.success) throw new PredlabError('invalid-argument', `Invalid view: ${describeIssues(settings.error.issues)}`);
  for (const k of ['height', 'width'] as const)
    if (!Number.isInteger(req[k]) || req[k] < 1 || req[k] > RENDER_LIMITS.side) throw new PredlabError('invalid-argument', `--size: the ${k} must be a whole number of pixels from 1 to ${RENDER_LIMITS.side}; got ${req[k]}.`);
  if (req.channels !== 1 && req.channels !== 3) throw new PredlabError('invalid-argument', `--channels must be 1 or 3; got ${req.channels}.`);
  let protocol: { paradigmId: string; parameters: Record<string, unknown>; seed: number };
  if (req.protocolId !== undefined) {
    if (!db) throw new PredlabError('invalid-argument', 'A stored protocol needs the lab database.');
    protocol = getProtocol(db, req.protocolId);
  } else {
    if (!req.paradigmId) throw new PredlabError('invalid-argument', 'Give --paradigm (with --param and --seed) or --protocol.');
    protocol = { paradigmId: req.paradigmId, parameters: validateParameters(paradigmOf(req.paradigmId), req.parameters ?? {}), seed: req.seed ?? 1 };
  }
  const paradigm = paradigmOf(protocol.paradigmId);
  const total = paradigm.design.trialCount(protocol.parameters);
  if (!Number.isInteger(req.trial) || req.trial < 0 || req.trial >= total) throw new PredlabError('invalid-argument', `--trial must be a trial index from 0 to ${total - 1} of this protocol; got ${req.trial}.`);
  // Adaptive designs plan a trial from the answers before it: without answers, the design's own first levels.
  const planned = planFromHistory(paradigm, protocol.parameters, protocol.seed, paradigm.design.adaptive(protocol.parameters) ? 0 : req.trial)!;
  const view = observerView({ width: req.width, height: req.height, channels: req.channels }, settings.data);
  const seconds = paradigm.trialDuration(planned.stimulus);
  if (Math.ceil(seconds * view.frameRateHz) * view.width * view.height * view.channels > RENDER_LIMITS.maxValues)
    throw new PredlabError('invalid-argument', `That trial at ${view.frameRateHz} frames/s and ${view.height}x${view.width}x${view.channels} would hold more than ${RENDER_LIMITS.maxValues} values (256 MiB); lower --fps or --size.`);
  const r = rasterizeTrial(paradigm, planned.stimulus, view);
  return { frames: r.frames, shape: [r.count, view.height, view.width, view.channels], criticalFrame: modelCriticalFrame(paradigm, planned.stimulus, view), condition: planned.condition, stimulus: planned.stimulus, view };
}
