/**
 * Sessions: a participant taking a protocol. Trials are planned here from the protocol's seed
 * (the renderer never decides what a trial is) and each answer is committed as it arrives.
 * The design's state is kept per open session and advanced by each answer, so planning and
 * recording cost the same at any trial; it is rebuilt from the database once when a session is
 * resumed (or when another connection answered in between).
 */
import { z } from 'zod';
import { getParadigm } from '../../paradigms/index.js';
import type { AnsweredTrial, Paradigm } from '../../paradigms/types.js';
import type { FrameTiming, PlannedTrial, RecordResult, SessionInfo, SessionStatus } from '../../paradigms/records.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { SESSION_SELECT, toSession, type SessionRow, type TrialRow } from '../store/rows.js';
import { APP_VERSION } from '../version.js';
import { getParticipant } from './participants.js';

export function paradigmOf(id: string): Paradigm<any, any, any> {
  try {
    return getParadigm(id);
  } catch (e) {
    throw new PredlabError('invalid-argument', (e as Error).message);
  }
}

/** Validate parameters against the paradigm's schema; defaults fill what is missing. */
export function validateParameters(paradigm: Paradigm<any>, parameters: unknown): Record<string, unknown> {
  const parsed = paradigm.parameterSchema.safeParse(parameters ?? {});
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid ${paradigm.name} parameters: ${describeIssues((parsed.error as z.ZodError).issues)}`);
  return parsed.data as Record<string, unknown>;
}

export interface StartSession {
  participantId: number;
  paradigmId: string;
  parameters: Record<string, unknown>;
  seed?: number | undefined;
  /** Take exactly the trials of an existing protocol (its paradigm, parameters and seed). */
  protocolId?: number | undefined;
  calibration: Record<string, unknown>;
  source?: string;
}

export function getProtocol(db: Db, protocolId: number): { id: number; paradigmId: string; parameters: Record<string, unknown>; seed: number } {
  const row = db.prepare('SELECT id, paradigm_id, parameters, seed FROM protocols WHERE id = ?').get(protocolId) as { id: number; paradigm_id: string; parameters: string; seed: number } | undefined;
  if (!row) throw new PredlabError('not-found', `No protocol with id ${protocolId}.`);
  return { id: row.id, paradigmId: row.paradigm_id, parameters: JSON.parse(row.parameters), seed: row.seed };
}

export function startSession(db: Db, req: StartSession): SessionInfo {
  const existing = req.protocolId !== undefined ? getProtocol(db, req.protocolId) : null;
  if (existing && existing.paradigmId !== req.paradigmId)
    throw new PredlabError('invalid-argument', `Protocol ${existing.id} is a ${existing.paradigmId} protocol, not ${req.paradigmId}.`);
  const paradigm = paradigmOf(req.paradigmId);
  const parameters = existing ? existing.parameters : validateParameters(paradigm, req.parameters);
  getParticipant(db, req.participantId);
  const seed = existing ? existing.seed : (req.seed ?? Math.floor(Math.random() * 2 ** 31));
  const id = db.transaction(() => {
    const protocolId = existing ? existing.id : db.prepare('INSERT INTO protocols (paradigm_id, parameters, seed) VALUES (?, ?, ?)').run(paradigm.id, JSON.stringify(parameters), seed).lastInsertRowid;
    const session = db
      .prepare("INSERT INTO sessions (participant_id, protocol_id, status, calibration, app_version, source) VALUES (?, ?, 'running', ?, ?, ?)")
      .run(req.participantId, protocolId, JSON.stringify(req.calibration), APP_VERSION, req.source ?? 'app');
    return Number(session.lastInsertRowid);
  })();
  return getSession(db, id);
}

function sessionRow(db: Db, sessionId: number): SessionRow {
  const row = db.prepare(`${SESSION_SELECT} WHERE s.id = ?`).get(sessionId) as SessionRow | undefined;
  if (!row) throw new PredlabError('not-found', `No session with id ${sessionId}.`);
  return row;
}

function totalOf(row: SessionRow): number {
  return paradigmOf(row.paradigm_id).design.trialCount(JSON.parse(row.parameters));
}

export function getSession(db: Db, sessionId: number): SessionInfo {
  const row = sessionRow(db, sessionId);
  return toSession(row, totalOf(row));
}

export function listSessions(db: Db, filter: { status?: SessionStatus | undefined } = {}): SessionInfo[] {
  const rows = (filter.status
    ? db.prepare(`${SESSION_SELECT} WHERE s.status = ? ORDER BY s.id`).all(filter.status)
    : db.prepare(`${SESSION_SELECT} ORDER BY s.id`).all()) as SessionRow[];
  return rows.map((r) => toSession(r, totalOf(r)));
}

export function trialRows(db: Db, sessionId: number): TrialRow[] {
  return db.prepare('SELECT * FROM trials WHERE session_id = ? ORDER BY trial_index').all(sessionId) as TrialRow[];
}

export function answeredTrials(db: Db, sessionId: number): AnsweredTrial[] {
  return trialRows(db, sessionId).map((t) => ({ index: t.trial_index, stimulus: JSON.parse(t.stimulus), response: t.response, extra: t.extra ? JSON.parse(t.extra) : null }));
}

function requireRunning(row: { id: number; status: SessionStatus }): void {
  if (row.status !== 'running') throw new PredlabError('conflict', `Session ${row.id} is ${row.status}; it takes no more trials.`);
}

/** A running session's design state after `answered` answers. */
interface OpenSession {
  paradigm: Paradigm<any, any, any>;
  params: Record<string, unknown>;
  seed: number;
  total: number;
  answered: number;
  state: unknown;
}

const openSessions = new WeakMap<Db, Map<number, OpenSession>>();

interface LiveRow {
  id: number;
  status: SessionStatus;
  paradigm_id: string;
  parameters: string;
  seed: number;
}

function liveRow(db: Db, sessionId: number): LiveRow {
  const row = db.prepare('SELECT s.id, s.status, pr.paradigm_id, pr.parameters, pr.seed FROM sessions s JOIN protocols pr ON pr.id = s.protocol_id WHERE s.id = ?').get(sessionId) as LiveRow | undefined;
  if (!row) throw new PredlabError('not-found', `No session with id ${sessionId}.`);
  return row;
}

/** Answers so far: trials are stored densely from 0, so the last index + 1 (one index lookup, not a count). */
function answeredCount(db: Db, sessionId: number): number {
  const last = db.prepare('SELECT trial_index FROM trials WHERE session_id = ? ORDER BY trial_index DESC LIMIT 1').get(sessionId) as { trial_index: number } | undefined;
  return last ? last.trial_index + 1 : 0;
}

/** The open session's state, rebuilt from the stored answers if it is missing or stale. */
function openSession(db: Db, row: LiveRow, answered: number): OpenSession {
  let byId = openSessions.get(db);
  if (!byId) openSessions.set(db, (byId = new Map()));
  const cached = byId.get(row.id);
  if (cached && cached.answered === answered) return cached;
  const paradigm = paradigmOf(row.paradigm_id);
  const params = JSON.parse(row.parameters) as Record<string, unknown>;
  let state = paradigm.design.initialState(params, row.seed);
  for (const t of answeredTrials(db, row.id)) state = paradigm.design.update(state, params, t);
  const entry: OpenSession = { paradigm, params, seed: row.seed, total: paradigm.design.trialCount(params), answered, state };
  byId.set(row.id, entry);
  return entry;
}

function closeOpenSession(db: Db, sessionId: number): void {
  openSessions.get(db)?.delete(sessionId);
}

/** The next trial to present, or null when the protocol is done. Resuming is just calling this. */
export function nextTrial(db: Db, sessionId: number): PlannedTrial | null {
  const row = liveRow(db, sessionId);
  requireRunning(row);
  const answered = answeredCount(db, sessionId);
  const s = openSession(db, row, answered);
  const planned = s.paradigm.design.plan(s.state, s.params, s.seed, answered);
  if (!planned) return null;
  return { sessionId, index: planned.index, condition: planned.condition, stimulus: planned.stimulus as Record<string, unknown>, answered, total: s.total };
}

/** Frame timing of a simulated or model participant: every frame on time at the nominal rate. */
export function nominalFrameTiming(frameCount: number, frameRateHz: number, criticalFrame: number | null): FrameTiming {
  const interval = 1000 / frameRateHz;
  return { frameCount, intervalMeanMs: interval, intervalSdMs: 0, intervalMaxMs: interval, droppedFrames: 0, criticalFrame, intervalsMs: [] };
}

export interface RecordTrial {
  trialIndex: number;
  response: string;
  rtMs: number | null;
  frameTiming: FrameTiming;
  /** Stored as JSON with the trial (e.g. a model observer's readout). */
  extra?: Record<string, unknown> | null;
}

/** Commit one answer. Only the next trial in order is accepted, so nothing is duplicated or skipped. */
export function recordTrial(db: Db, sessionId: number, t: RecordTrial): RecordResult {
  let advanced: { s: OpenSession; state: unknown; answered: number } | null = null;
  const result = db.transaction((): RecordResult => {
    const row = liveRow(db, sessionId);
    requireRunning(row);
    const answered = answeredCount(db, sessionId);
    if (t.trialIndex !== answered)
      throw new PredlabError('conflict', `Session ${sessionId} expects an answer to trial ${answered}, not trial ${t.trialIndex}.`);
    const s = openSession(db, row, answered);
    const { paradigm } = s;
    if (!paradigm.responses.some((r) => r.value === t.response))
      throw new PredlabError('invalid-argument', `'${t.response}' is not an answer of ${paradigm.name}; expected one of ${paradigm.responses.map((r) => `'${r.value}'`).join(', ')}.`);
    const planned = paradigm.design.plan(s.state, s.params, s.seed, t.trialIndex);
    if (!planned) throw new PredlabError('conflict', `Session ${sessionId} has no trial ${t.trialIndex}; the protocol is complete.`);
    const ft = t.frameTiming;
    db.prepare(
      `INSERT INTO trials (session_id, trial_index, condition, stimulus, response, rt_ms, dropped_frames,
         frame_count, frame_interval_mean_ms, frame_interval_sd_ms, frame_interval_max_ms, critical_frame, frame_intervals, extra)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      sessionId, t.trialIndex, planned.condition, JSON.stringify(planned.stimulus), t.response, t.rtMs, ft.droppedFrames,
      ft.frameCount, ft.intervalMeanMs, ft.intervalSdMs, ft.intervalMaxMs, ft.criticalFrame, JSON.stringify(ft.intervalsMs),
      t.extra ? JSON.stringify(t.extra) : null,
    );
    const state = paradigm.design.update(s.state, s.params, { index: t.trialIndex, stimulus: planned.stimulus, response: t.response, extra: t.extra ?? null });
    advanced = { s, state, answered: answered + 1 };
    const done = paradigm.design.plan(state, s.params, s.seed, answered + 1) === null;
    return { answered: answered + 1, total: s.total, done };
  }).immediate();
  // Only once committed does the open session move on (a failed commit leaves it as it was).
  const a = advanced as { s: OpenSession; state: unknown; answered: number } | null;
  if (a) Object.assign(a.s, { state: a.state, answered: a.answered });
  return result;
}

/** Close a session: 'complete' only when every trial is answered; 'aborted' keeps what was answered. */
export function finishSession(db: Db, sessionId: number, status: 'complete' | 'aborted'): SessionInfo {
  const row = liveRow(db, sessionId);
  requireRunning(row);
  if (status === 'complete') {
    const answered = answeredCount(db, sessionId);
    const s = openSession(db, row, answered);
    if (s.paradigm.design.plan(s.state, s.params, s.seed, answered) !== null)
      throw new PredlabError('conflict', `Session ${sessionId} has ${answered} of ${s.total} trials answered; finish it as 'aborted' or resume it.`);
  }
  db.prepare("UPDATE sessions SET status = ?, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(status, sessionId);
  closeOpenSession(db, sessionId);
  return getSession(db, sessionId);
}
