/**
 * A model takes a protocol as a participant: the same trial list a person got (same protocol, or
 * same paradigm/parameters/seed), answers from the model observer, written to the same tables
 * (participant kind 'model', with the checkpoint and observer settings).
 */
import { initBackend } from '../../native-models/backend.js';
import { CheckpointError, loadCheckpoint } from '../../native-models/checkpoint.js';
import { answerTrials, observerSettingsSchema, type ObserverSettings } from '../../native-models/observer/observer.js';
import { prednetPredictor, type Predictor } from '../../native-models/observer/predictors.js';
import { pxPerDegOf, type ModelView } from '../../native-models/raster/scene.js';
import type { SessionInfo } from '../../preload/contract.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { registerCheckpoint } from './models.js';
import { createParticipant } from './participants.js';
import { finishSession, getProtocol, nextTrial, nominalFrameTiming, paradigmOf, recordTrial, startSession } from './sessions.js';

export interface ModelSessionRequest {
  paradigmId: string;
  /** A checkpoint folder, or a ready predictor with its image size (tests, hand-built observers). */
  checkpoint?: string;
  predictor?: { predictor: Predictor; width: number; height: number; channels: number; label: string };
  protocolId?: number;
  parameters?: Record<string, unknown>;
  seed?: number;
  observer?: Partial<ObserverSettings>;
  onProgress?: (done: number, total: number) => void;
}

export async function runModelSession(db: Db, req: ModelSessionRequest): Promise<SessionInfo> {
  const parsed = observerSettingsSchema.safeParse(req.observer ?? {});
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid observer settings: ${describeIssues(parsed.error.issues)}`);
  const settings = parsed.data;
  const paradigm = paradigmOf(req.protocolId !== undefined ? getProtocol(db, req.protocolId).paradigmId : req.paradigmId);
  if (!req.checkpoint === !req.predictor) throw new PredlabError('invalid-argument', 'Give a model checkpoint (or a predictor), exactly one.');

  let predictor: Predictor;
  let size: { width: number; height: number; channels: number };
  let details: Record<string, unknown>;
  let label: string;
  let dispose = () => undefined as void;
  if (req.checkpoint) {
    const backend = await initBackend();
    let loaded;
    try {
      loaded = loadCheckpoint(req.checkpoint);
    } catch (e) {
      throw new PredlabError(e instanceof CheckpointError ? 'invalid-argument' : 'internal', (e as Error).message);
    }
    const model = registerCheckpoint(db, req.checkpoint);
    const c = loaded.net.config;
    predictor = prednetPredictor(loaded.net);
    size = { width: c.width, height: c.height, channels: c.stackSizes[0]! };
    label = `PredNet ${model.label}`;
    details = { type: 'prednet', checkpoint: model.path, modelId: model.id, backend: backend.choice, observer: settings };
    dispose = () => loaded.net.dispose();
  } else {
    const p = req.predictor!;
    predictor = p.predictor;
    size = { width: p.width, height: p.height, channels: p.channels };
    label = p.label;
    details = { type: 'predictor', predictor: p.predictor.name, observer: settings };
  }
  const view: ModelView = { ...size, fovDeg: settings.fovDeg, frameRateHz: settings.frameRateHz };
  try {
    const participant = createParticipant(db, { kind: 'model', label, details });
    const session = startSession(db, {
      participantId: participant.id,
      paradigmId: paradigm.id,
      parameters: req.parameters ?? {},
      seed: req.seed,
      protocolId: req.protocolId,
      calibration: { model: true, refreshHz: settings.frameRateHz, pxPerDeg: pxPerDegOf(view), fovDeg: settings.fovDeg, width: view.width, height: view.height },
      source: 'model',
    });
    const params = session.protocol.parameters;
    const adaptive = (params as { design?: string }).design === 'staircase';
    const record = (a: Awaited<ReturnType<typeof answerTrials>>[number]) =>
      recordTrial(db, session.id, {
        trialIndex: a.index,
        response: a.response,
        rtMs: null,
        frameTiming: nominalFrameTiming(a.frameCount, settings.frameRateHz, a.criticalFrame),
        extra: a.extra,
      });
    try {
      if (adaptive) {
        // Each staircase trial depends on the answers so far: one at a time.
        for (let t = nextTrial(db, session.id); t; t = nextTrial(db, session.id)) {
          const [a] = await answerTrials(paradigm, [{ index: t.index, condition: t.condition, stimulus: t.stimulus }], predictor, view, settings);
          record(a!);
          req.onProgress?.(t.index + 1, t.total);
        }
      } else {
        const trials = [...Array(session.total).keys()].map((i) => paradigm.planTrial(params, session.protocol.seed, i, [])!);
        const answers = await answerTrials(paradigm, trials, predictor, view, settings, req.onProgress);
        for (const a of answers) record(a);
      }
    } catch (e) {
      finishSession(db, session.id, 'aborted');
      throw e;
    }
    return finishSession(db, session.id, 'complete');
  } finally {
    dispose();
  }
}
