/** Analysis of a stored session: the paradigm's own analysis over its answered trials. */
import type { SessionAnalysis } from '../../paradigms/records.js';
import type { Db } from '../store/db.js';
import { answeredTrials, getSession, paradigmOf } from './sessions.js';

export function analyseSession(db: Db, sessionId: number, options: { bootstrap?: number | undefined } = {}): SessionAnalysis {
  const session = getSession(db, sessionId);
  const paradigm = paradigmOf(session.protocol.paradigmId);
  const trials = answeredTrials(db, sessionId);
  // Seeded by the session id so the same session always gives the same intervals.
  const analysis = paradigm.analyse(session.protocol.parameters, trials, { bootstrap: options.bootstrap ?? 500, seed: sessionId });
  return { ...analysis, sessionId };
}
