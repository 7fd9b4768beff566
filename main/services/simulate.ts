/**
 * A simulated observer takes a protocol: answers drawn from a cumulative Gaussian, with the same
 * services (and the same trial commits) a person's session uses. For testing designs and demos.
 */
import { createRng, subSeed } from '../../paradigms/rng.js';
import type { SimulatedObserver } from '../../paradigms/types.js';
import type { SessionInfo } from '../../paradigms/records.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { createParticipant } from './participants.js';
import { finishSession, nextTrial, nominalFrameTiming, paradigmOf, recordTrial, startSession, validateParameters } from './sessions.js';

export interface SimulateRequest {
  paradigmId: string;
  parameters?: Record<string, unknown>;
  seed: number;
  observer: SimulatedObserver;
  /** Display the simulated trials are timed for. */
  refreshHz?: number;
}

export function simulateSession(db: Db, req: SimulateRequest): SessionInfo {
  const o = req.observer;
  if (!(o.sigma > 0) || !Number.isFinite(o.sigma)) throw new PredlabError('invalid-argument', `The observer's spread (sigma) must be a positive number; got ${o.sigma}.`);
  if (!Number.isFinite(o.pse)) throw new PredlabError('invalid-argument', `The observer's PSE must be a number; got ${o.pse}.`);
  for (const [k, v] of [['guess', o.guess], ['lapse', o.lapse]] as const)
    if (!(v >= 0 && v < 0.5)) throw new PredlabError('invalid-argument', `The observer's ${k} rate must be in [0, 0.5); got ${v}.`);
  const paradigm = paradigmOf(req.paradigmId);
  // Validate before anything is written (the participant), so a refused run leaves nothing behind.
  const parameters = validateParameters(paradigm, req.parameters ?? {});
  const refreshHz = req.refreshHz ?? 60;
  const participant = createParticipant(db, { kind: 'simulated', label: `simulated observer (pse ${Number(o.pse.toPrecision(3))}, sigma ${Number(o.sigma.toPrecision(3))})`, details: { type: 'simulated-observer', ...o } });
  const session = startSession(db, {
    participantId: participant.id,
    paradigmId: paradigm.id,
    parameters,
    seed: req.seed,
    calibration: { refreshHz, simulated: true },
    source: 'simulation',
  });
  const rng = createRng(subSeed(req.seed, 77));
  for (let trial = nextTrial(db, session.id); trial; trial = nextTrial(db, session.id)) {
    const timing = { frameRateHz: refreshHz };
    const frames = Math.ceil(paradigm.trialDuration(trial.stimulus, timing) * refreshHz);
    recordTrial(db, session.id, {
      trialIndex: trial.index,
      response: paradigm.simulateResponse(trial.stimulus, o, rng),
      rtMs: null,
      frameTiming: nominalFrameTiming(frames, refreshHz, paradigm.criticalFrame(trial.stimulus, timing)),
    });
  }
  return finishSession(db, session.id, 'complete');
}
