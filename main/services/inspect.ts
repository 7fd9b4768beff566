/**
 * The trial inspector: what a model saw and predicted on one stored trial, as grey filmstrips
 * (stimulus frames, predicted frames, |prediction - frame| error maps), 8-bit, base64.
 */
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint, weightsFingerprint } from '../../native-models/checkpoint.js';
import type { PredNetConfig } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { observerView } from '../../native-models/observer/observer.js';
import { isReferenceKind, REFERENCES, type Predictor } from '../../native-models/observer/predictors.js';
import { storedObserverSettings } from '../../paradigms/observer-settings.js';
import { inferenceEngine, type InferenceEngine } from '../../native-models/onnx/engine.js';
import { modelCriticalFrame, rasterizeTrial } from '../../paradigms/rasterize.js';
import type { TrialFilmstrip } from '../../paradigms/records.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { checkRegisteredWeights } from './models.js';
import { getSession, paradigmOf, trialRows } from './sessions.js';
import { parseStored } from '../store/rows.js';

const grey = (data: Float32Array, channels: number, scale = 1) => {
  const out = Buffer.alloc(data.length / channels);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += data[i * channels + c]!;
    out[i] = Math.round(Math.min(1, Math.max(0, (s / channels) * scale)) * 255);
  }
  return out.toString('base64');
};

export async function inspectModelTrial(db: Db, sessionId: number, trialIndex: number): Promise<TrialFilmstrip> {
  const s = getSession(db, sessionId);
  const details = s.participant.details as { type?: string; checkpoint?: string; weights?: unknown; observer?: unknown; reference?: unknown; size?: { width?: unknown; height?: unknown; channels?: unknown }; config?: unknown; seed?: unknown };
  const reference = details.type === 'reference' && isReferenceKind(details.reference) ? details.reference : null;
  const untrained = details.type === 'reference' && details.reference === 'untrained' && details.config && typeof details.seed === 'number' ? { config: details.config as PredNetConfig, seed: details.seed } : null;
  if (s.participant.kind !== 'model' || (!reference && !untrained && (details.type !== 'prednet' || !details.checkpoint)))
    throw new PredlabError('invalid-argument', `Session ${sessionId} was not taken by a PredNet checkpoint or a reference observer; the inspector shows what a model saw and predicted.`);
  const row = trialRows(db, sessionId).find((t) => t.trial_index === trialIndex);
  if (!row) throw new PredlabError('not-found', `Session ${sessionId} has no answered trial ${trialIndex}.`);
  // As the session ran: sessions stored before the temporal modes existed sampled frames at the model's rate.
  const settings = storedObserverSettings(details.observer);
  const paradigm = paradigmOf(s.protocol.paradigmId);
  const stimulus = parseStored(row.stimulus, `trials row ${row.id} (stimulus)`);
  const extra = row.extra ? parseStored<Record<string, unknown>>(row.extra, `trials row ${row.id} (extra)`) : null;
  const strip = async (predictor: Predictor, size: { width: number; height: number; channels: number }): Promise<TrialFilmstrip> => {
    const view = observerView(size, settings);
    const { frames, count } = rasterizeTrial(paradigm, stimulus, view);
    const pred = await predictor.predict(frames, { batch: 1, T: count, height: view.height, width: view.width, channels: view.channels });
    const err = pred.map((v, i) => Math.abs(v - frames[i]!));
    return {
      condition: paradigm.conditionKey(stimulus),
      width: view.width,
      height: view.height,
      frames: count,
      frameRateHz: settings.frameRateHz,
      criticalFrame: modelCriticalFrame(paradigm, stimulus, view),
      readoutFrame: typeof extra?.readoutFrame === 'number' ? extra.readoutFrame : null,
      stimulus: grey(frames, view.channels),
      prediction: grey(pred, view.channels),
      // Errors are small: shown x4 so they are visible.
      error: grey(err, view.channels, 4),
      extra,
    };
  };
  if (reference) {
    const size = details.size;
    if (!size || typeof size.width !== 'number' || typeof size.height !== 'number' || typeof size.channels !== 'number') throw new PredlabError('internal', `Session ${sessionId} does not record its reference observer's image size.`);
    return strip(REFERENCES[reference].predictor, { width: size.width, height: size.height, channels: size.channels });
  }
  // The engine is started here too (idempotent), so the inspector never depends on another
  // page having started it; an engine that cannot start is not the model's fault.
  let tfBackend: string;
  try {
    tfBackend = (await initBackend()).choice;
  } catch (e) {
    throw new PredlabError('unavailable', `The model engine could not start, so no trial can be inspected: ${(e as Error).message}`);
  }
  let loaded;
  try {
    // An untrained reference is rebuilt from its architecture and seed (initial weights are deterministic).
    loaded = untrained ? { net: PredNet.create(untrained.config, untrained.seed), manifest: null } : loadCheckpoint(details.checkpoint!);
  } catch (e) {
    throw new PredlabError('not-found', `The session's model is no longer readable: ${(e as Error).message}`);
  }
  // A session records which weights answered; a folder that now holds others (a replaced default
  // model) would show another network's predictions as this session's.
  const recorded = typeof details.weights === 'string' ? details.weights : null;
  if (loaded.manifest && recorded && weightsFingerprint(loaded.manifest) !== recorded) {
    loaded.net.dispose();
    throw new PredlabError('conflict', `${details.checkpoint} now holds other weights than the ones that took session ${sessionId} (the checkpoint was replaced since); its trials stay as recorded, but its predictions cannot be shown again.`);
  }
  // Then the lab's own record of the folder's weights (after the session's, whose message says more).
  if ('weightsSha256' in loaded) {
    try {
      checkRegisteredWeights(db, details.checkpoint!, loaded.weightsSha256);
    } catch (e) {
      loaded.net.dispose();
      throw e;
    }
  }
  let engine: InferenceEngine | null = null;
  try {
    try {
      engine = await inferenceEngine(loaded.net, { tfBackend });
    } catch (e) {
      throw new PredlabError('unavailable', `The inference engine could not start, so no trial can be inspected: ${(e as Error).message}`);
    }
    const c = loaded.net.config;
    return await strip(engine.predictor('PredNet', { manifest: loaded.manifest }), { width: c.width, height: c.height, channels: c.stackSizes[0]! });
  } finally {
    await engine?.release();
    loaded.net.dispose();
  }
}
