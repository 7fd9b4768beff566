/**
 * A model takes a protocol as a participant: the same trial list a person got (same protocol, or
 * same paradigm/parameters/seed), answers from the model observer, written to the same tables
 * (participant kind 'model', with the checkpoint and observer settings).
 */
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { initBackend } from '../../native-models/backend.js';
import { CheckpointError, readManifest, weightsFingerprint, type Manifest } from '../../native-models/checkpoint.js';
import type { PredNetConfig } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { createObserver, observerSettingsSchema, observerView, type ModelAnswer, type ObserverSettings } from '../../native-models/observer/observer.js';
import { isReferenceKind, REFERENCE_KINDS, REFERENCES, type Predictor, type ReferenceKind } from '../../native-models/observer/predictors.js';
import { inferenceEngine } from '../../native-models/onnx/engine.js';
import { pxPerDegOf } from '../../paradigms/rasterize.js';
import type { SessionInfo } from '../../paradigms/records.js';
import type { TrialSpec } from '../../paradigms/types.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { analyseSession } from './analysis.js';
import { referenceSessionsOf } from './references.js';
export { BESIDE_KINDS, referenceSessionsOf, type BesideKind } from './references.js';
import { loadRegisteredCheckpoint, registerCheckpoint } from './models.js';
import { createParticipant } from './participants.js';
import { exportStudyAfterSession } from './study-export.js';
import { finishSession, getProtocol, listSessions, nextTrial, nominalFrameTiming, paradigmOf, recordTrial, startSession, validateParameters } from './sessions.js';

export interface ModelSessionRequest {
  paradigmId: string;
  /** A checkpoint folder, a reference observer at an image size, or a ready predictor with its image size (tests, hand-built observers). */
  checkpoint?: string;
  reference?: { kind: ReferenceKind; width: number; height: number; channels: number; /** The model session it is run beside. */ referenceFor?: number };
  predictor?: { predictor: Predictor; width: number; height: number; channels: number; label: string };
  /**
   * A checkpoint's session is followed by copy-last and oracle on the same trials, at its image
   * size and with its observer settings (default true): every model result is read beside them.
   */
  references?: boolean;
  protocolId?: number;
  parameters?: Record<string, unknown>;
  seed?: number;
  observer?: Partial<ObserverSettings>;
  /** Trials done of the total; `beside` names a reference observer running after the model (absent: the model itself). */
  onProgress?: (done: number, total: number, beside?: string) => void;
  /** Called once everything is checked and the session exists, before the first trial runs. */
  onStart?: (session: SessionInfo) => void;
  /** The decision noise already decided (references take their model's). */
  decisionNoise?: { value: number; source: string };
  /** An untrained PredNet of this architecture (initial weights from the seed), run as the reference beside a checkpoint, fed its own predictions from the checkpoint's extrapStartTime as the model is. */
  untrained?: { config: PredNetConfig; seed: number; extrapStartTime?: number | null; referenceFor?: number };
  /** The person's session whose fitted spread the decision noise is matched to ('auto' noise); absent: the first person on the protocol. */
  matchSessionId?: number;
  /** A note about work beside the session that failed without failing it (a reference observer that could not run). */
  onNote?: (text: string) => void;
  /** Cancels between chunks of trials (app quit): the session ends 'aborted' with its answered trials, nothing else is run. */
  signal?: AbortSignal;
  /**
   * Run a new session even when this checkpoint (same weights) already took this protocol with
   * the same observer settings; by default that session is returned and nothing is run.
   */
  again?: boolean;
}

/** A model session's result: `reused` when an earlier session of the same checkpoint, settings and trials was returned instead of running again. */
export type ModelSessionResult = SessionInfo & { reused?: boolean };

/**
 * The complete session in which this checkpoint (the same weights, by fingerprint) took this
 * protocol with the same observer settings and decision noise, if there is one: running it again
 * would give the same answers, and a second session would be counted as a second participant.
 * Only for checkpoints on an existing protocol; a checkpoint without weight checksums never matches.
 */
export function reusableModelSession(db: Db, req: Pick<ModelSessionRequest, 'checkpoint' | 'protocolId' | 'observer' | 'decisionNoise' | 'matchSessionId' | 'references'>): SessionInfo | null {
  if (req.checkpoint === undefined || req.protocolId === undefined) return null;
  const parsed = observerSettingsSchema.safeParse(req.observer ?? {});
  if (!parsed.success) return null;
  let weights: string | null;
  try {
    weights = weightsFingerprint(readManifest(req.checkpoint));
  } catch {
    return null;
  }
  if (weights === null) return null;
  const dir = path.resolve(req.checkpoint);
  const noise = matchedNoise(db, req.protocolId, parsed.data, req.decisionNoise, req.matchSessionId);
  for (const s of listSessions(db)) {
    if (s.protocol.id !== req.protocolId || s.status !== 'complete' || s.participant.kind !== 'model') continue;
    const d = s.participant.details as { type?: unknown; checkpoint?: unknown; weights?: unknown; observer?: unknown; decisionNoise?: { value?: unknown; source?: unknown } };
    if (d.type !== 'prednet' || d.checkpoint !== dir || d.weights !== weights || !isDeepStrictEqual(d.observer, parsed.data)) continue;
    // 'auto' noise is matched to a person: the same only if it is the same spread (or neither was matched).
    const matched = typeof d.decisionNoise?.source === 'string' && d.decisionNoise.source.startsWith('matched');
    if (noise ? d.decisionNoise?.value !== noise.value : matched) continue;
    // Asked with copy-last and the oracle beside it: only a session that has them.
    if (req.references !== false && referenceSessionsOf(db, s.id).length === 0) continue;
    return s;
  }
  return null;
}

/** Seed of the untrained network run beside a checkpoint (the same for every checkpoint, so reruns agree). */
export const UNTRAINED_SEED = 1;

/**
 * A model taking a person's trials with the decision noise left to the protocol ('auto') gets the
 * person's own spread: the fitted sigma of their session on this protocol (the mean over its
 * conditions whose spread the data determine), so the two curves are equally steep. Without such
 * a person the readout's grid step is used (createObserver says so).
 */
function matchedNoise(db: Db, protocolId: number, settings: ObserverSettings, given?: { value: number; source: string }, personSessionId?: number): { value: number; source: string } | undefined {
  if (given || settings.decisionNoiseDeg !== 'auto') return given;
  const people = listSessions(db).filter((s) => s.protocol.id === protocolId && s.participant.kind === 'human' && s.answered > 0 && (personSessionId === undefined || s.id === personSessionId));
  for (const person of people) {
    const sigmas = analyseSession(db, person.id, { bootstrap: 200 }).conditions.flatMap((c) => (c.fit && !c.fit.undetermined.includes('sigma') ? [c.fit.sigma] : []));
    if (sigmas.length) return { value: sigmas.reduce((a, b) => a + b, 0) / sigmas.length, source: `matched to the fitted spread of ${person.participant.label} (session #${person.id}) on these trials` };
  }
  return undefined;
}

/** At most this many trials are run before a model session starts, to check the readout can read them. */
export const PRECHECK_TRIALS = 4;
/** Planning a whole (non-adaptive) protocol is cheap; past this many trials the sample comes from the first ones. */
const PRECHECK_PLAN_LIMIT = 20_000;

/** The first trial, and the first of each further condition group (another speed, variant...), up to PRECHECK_TRIALS; adaptive designs: the first only. */
function precheckTrials(paradigm: ReturnType<typeof paradigmOf>, protocol: { parameters: Record<string, unknown>; seed: number }): TrialSpec[] {
  const { parameters: p, seed } = protocol;
  const state = paradigm.design.initialState(p, seed);
  const out: TrialSpec[] = [];
  const seen = new Set<string>();
  const limit = paradigm.design.adaptive(p) ? 1 : PRECHECK_PLAN_LIMIT;
  for (let i = 0; i < limit && out.length < PRECHECK_TRIALS; i++) {
    const t = paradigm.design.plan(state, p, seed, i);
    if (!t) break;
    const key = paradigm.conditionKey(t.stimulus);
    if (!seen.has(key)) out.push(t);
    seen.add(key);
  }
  return out;
}

export async function runModelSession(db: Db, req: ModelSessionRequest): Promise<ModelSessionResult> {
  const parsed = observerSettingsSchema.safeParse(req.observer ?? {});
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid observer settings: ${describeIssues(parsed.error.issues)}`);
  // The decision noise, matched once (fitting the person's session) for the reuse check and the observer.
  const noise = req.protocolId !== undefined ? matchedNoise(db, req.protocolId, parsed.data, req.decisionNoise, req.matchSessionId) : req.decisionNoise;
  if (!req.again) {
    const earlier = reusableModelSession(db, { ...req, ...(noise ? { decisionNoise: noise } : {}) });
    if (earlier) return { ...earlier, reused: true };
  }
  let settings = parsed.data;
  const paradigm = paradigmOf(req.protocolId !== undefined ? getProtocol(db, req.protocolId).paradigmId : req.paradigmId);
  if ([req.checkpoint, req.predictor, req.reference, req.untrained].filter((x) => x !== undefined).length !== 1)
    throw new PredlabError('invalid-argument', 'Give a model checkpoint, a reference observer (copy-last or oracle) or a predictor: exactly one.');
  // Validate the parameters before anything is written (registering the model, the participant);
  // the seed is fixed here so the first trial can be planned and read before the session exists.
  const protocol = req.protocolId !== undefined ? getProtocol(db, req.protocolId) : { parameters: validateParameters(paradigm, req.parameters ?? {}), seed: req.seed ?? Math.floor(Math.random() * 2 ** 31) };

  let predictor: Predictor;
  let size: { width: number; height: number; channels: number };
  // Who the participant is; for a checkpoint this registers it, so it runs only after the checks.
  let participant: (decisionNoise: { value: number; source: string }) => { label: string; details: Record<string, unknown> };
  let dispose = async (): Promise<void> => {};
  let predictorConfig: PredNetConfig | null = null;
  let modelExtrapStart: number | null = null;
  if (req.checkpoint || req.untrained) {
    const backend = await initBackend();
    let loaded;
    try {
      // An untrained network of the model's architecture: the same engine, weights as initialised.
      loaded = req.untrained ? { net: PredNet.create(req.untrained.config, req.untrained.seed), manifest: { extrapStartTime: req.untrained.extrapStartTime ?? null } as unknown as Manifest } : loadRegisteredCheckpoint(db, req.checkpoint!);
    } catch (e) {
      if (e instanceof PredlabError) throw e; // weights other than the registered ones
      throw new PredlabError(e instanceof CheckpointError ? 'invalid-argument' : 'internal', (e as Error).message);
    }
    const net = loaded.net;
    // The checkpoint's weights.bin as read (an untrained network has none).
    const fileSha = 'weightsSha256' in loaded ? loaded.weightsSha256 : null;
    // One engine for the whole session (ONNX Runtime where it starts, else tfjs), chosen before
    // anything is written.
    let engine;
    try {
      engine = await inferenceEngine(net, { tfBackend: backend.choice });
    } catch (e) {
      net.dispose();
      throw new PredlabError('unavailable', (e as Error).message);
    }
    const c = net.config;
    predictorConfig = c;
    const dir = req.checkpoint;
    const extrapStartTime = loaded.manifest.extrapStartTime;
    // Which weights answered (the folder may later hold others: the inspector checks).
    const weights = req.untrained ? null : weightsFingerprint(loaded.manifest);
    modelExtrapStart = extrapStartTime ?? null;
    predictor = engine.predictor('PredNet', { manifest: loaded.manifest });
    size = { width: c.width, height: c.height, channels: c.stackSizes[0]! };
    const u = req.untrained;
    participant = u
      ? (decisionNoise) => ({
          label: `untrained PredNet (reference${u.referenceFor !== undefined ? ` for #${u.referenceFor}` : ''})`,
          details: { type: 'reference', reference: 'untrained', size, config: c, seed: u.seed, referenceFor: u.referenceFor ?? null, backend: backend.choice, inference: engine.name, observer: settings, decisionNoise },
        })
      : (decisionNoise) => {
          const model = registerCheckpoint(db, dir!, undefined, { weightsSha256: fileSha!, keepWeights: true });
          return { label: `PredNet ${model.label}`, details: { type: 'prednet', checkpoint: model.path, modelId: model.id, weights: weights ?? null, backend: backend.choice, inference: engine.name, inferenceDetail: engine.detail, observer: settings, decisionNoise, extrapStartTime } };
        };
    dispose = async () => {
      await engine.release();
      net.dispose();
    };
  } else if (req.reference) {
    const r = req.reference;
    if (!isReferenceKind(r.kind)) throw new PredlabError('invalid-argument', `Unknown reference observer '${String(r.kind)}'; choose ${REFERENCE_KINDS.join(' or ')}.`);
    checkSize(r);
    predictor = REFERENCES[r.kind].predictor;
    size = { width: r.width, height: r.height, channels: r.channels };
    // A reference has no units: a readout that reads a layer reads its predicted frames.
    settings = { ...settings, layer: 'prediction' };
    participant = (decisionNoise) => ({
      label: r.referenceFor !== undefined ? `${REFERENCES[r.kind].label.replace(/\)$/, '')} for #${r.referenceFor})` : REFERENCES[r.kind].label,
      details: { type: 'reference', reference: r.kind, size, referenceFor: r.referenceFor ?? null, observer: settings, decisionNoise },
    });
  } else {
    const p = req.predictor!;
    predictor = p.predictor;
    size = { width: p.width, height: p.height, channels: p.channels };
    participant = (decisionNoise) => ({ label: p.label, details: { type: 'predictor', predictor: p.predictor.name, observer: settings, decisionNoise } });
  }
  const view = observerView(size, settings);
  try {
    // The readout must be able to read these trials (e.g. a readout delay past a trial's end): a
    // few are run and read before anything is written, and a refusal names the problem.
    const observer = await createObserver(paradigm, protocol, predictor, view, settings, noise);
    const sample = precheckTrials(paradigm, protocol);
    if (sample.length) {
      try {
        await observer.answer(sample);
      } catch (e) {
        if (e instanceof RangeError) throw new PredlabError('invalid-argument', e.message);
        throw e;
      }
    }
    // One transaction: a failed start (or a kill in between) leaves no participant without a session.
    const session = db.transaction(() =>
      startSession(db, {
        participantId: createParticipant(db, { kind: 'model', ...participant(observer.decisionNoise) }).id,
      paradigmId: paradigm.id,
      parameters: req.parameters ?? {},
      seed: req.protocolId === undefined ? protocol.seed : undefined,
      protocolId: req.protocolId,
      calibration: { model: true, refreshHz: settings.frameRateHz, pxPerDeg: pxPerDegOf(view), fovDeg: settings.fovDeg, width: view.width, height: view.height, temporal: view.temporal },
        source: 'model',
      }),
    )();
    const params = session.protocol.parameters;
    const record = (a: ModelAnswer) =>
      recordTrial(db, session.id, {
        trialIndex: a.index,
        response: a.response,
        rtMs: null,
        frameTiming: nominalFrameTiming(a.frameCount, settings.frameRateHz, a.criticalFrame),
        extra: a.extra,
      });
    req.onStart?.(session);
    try {
      // Adaptive designs need each answer before the next trial; otherwise trials go one batch at
      // a time (batches run one after another anyway), so memory stays flat however long the
      // protocol is and a cancel (app quit) waits for one batch at most.
      const chunk = paradigm.design.adaptive(params) ? 1 : settings.batchSize;
      for (let t = nextTrial(db, session.id); t; t = nextTrial(db, session.id)) {
        if (req.signal?.aborted) throw new PredlabError('conflict', `Cancelled: session ${session.id} keeps its ${t.index} answered trial(s) and is marked aborted.`);
        const trials = [{ index: t.index, condition: t.condition, stimulus: t.stimulus }];
        const state = paradigm.design.initialState(params, session.protocol.seed);
        for (let i = t.index + 1; trials.length < chunk; i++) {
          const next = paradigm.design.plan(state, params, session.protocol.seed, i);
          if (!next) break;
          trials.push(next);
        }
        const answers = await observer.answer(trials);
        for (const a of answers) record(a);
        req.onProgress?.(t.index + answers.length, t.total);
      }
    } catch (e) {
      finishSession(db, session.id, 'aborted');
      throw e;
    }
    const done = finishSession(db, session.id, 'complete');
    // A session added to a study while it ran: that study's export is rewritten now (never fails the run).
    exportStudyAfterSession(db, done.id);
    if (req.checkpoint && req.references !== false) {
      const beside = (name: string) => ({ paradigmId: paradigm.id, protocolId: done.protocol.id, observer: settings, references: false, decisionNoise: observer.decisionNoise, onProgress: (d: number, t: number) => req.onProgress?.(d, t, name) });
      const runs: [string, ModelSessionRequest][] = REFERENCE_KINDS.map((kind) => [kind, { ...beside(kind), reference: { kind, ...size, referenceFor: done.id } }]);
      // Readouts of the model's units are read beside a network of the same architecture that learned nothing.
      if (paradigm.readout.untrainedBeside) runs.push(['untrained network', { ...beside('untrained network'), untrained: { config: predictorConfig!, seed: UNTRAINED_SEED, extrapStartTime: modelExtrapStart, referenceFor: done.id } }]);
      for (const [name, r] of runs) {
        if (req.signal?.aborted) break;
        // The model's session is complete and kept whatever happens beside it: a failure is a note.
        try {
          await runModelSession(db, r);
        } catch (e) {
          req.onNote?.(`The ${name} reference could not take session ${done.id}'s trials: ${(e as Error).message}`);
        }
      }
    }
    return done;
  } finally {
    await dispose();
  }
}

/** Stated limits of a reference observer's image (it has no size of its own). */
export const REFERENCE_SIZE_LIMITS = { side: 1024, channels: [1, 3] } as const;

function checkSize(r: { width: number; height: number; channels: number }): void {
  for (const k of ['width', 'height'] as const)
    if (!Number.isInteger(r[k]) || r[k] < 8 || r[k] > REFERENCE_SIZE_LIMITS.side) throw new PredlabError('invalid-argument', `A reference observer's ${k} must be a whole number of pixels from 8 to ${REFERENCE_SIZE_LIMITS.side}; got ${r[k]}.`);
  if (!(REFERENCE_SIZE_LIMITS.channels as readonly number[]).includes(r.channels)) throw new PredlabError('invalid-argument', `A reference observer sees 1 or 3 channels; got ${r.channels}.`);
}


