/**
 * Sessions: a participant taking a protocol. Trials are planned here from the protocol's seed
 * (the renderer never decides what a trial is) and each answer is committed as it arrives.
 * The design's state is kept per open session and advanced by each answer, so planning and
 * recording cost the same at any trial; it is rebuilt from the database once when a session is
 * resumed (or when another connection answered in between).
 */
import { z } from 'zod';
import { getParadigm } from '../../paradigms/index.js';
import { NO_ANSWER, type AnsweredTrial, type Paradigm } from '../../paradigms/types.js';
import { type FrameTiming, type PlannedTrial, type RecordResult, type SessionInfo, type SessionStatus } from '../../paradigms/records.js';
import { paradigmParameters, RUN_KEY, runSettingsOf, runSettingsSchema, validateSessionInfo } from '../../paradigms/run-settings.js';
import { keyProblems, keysFor, normaliseKey, type ResponseKeys } from '../../paradigms/response-keys.js';
import type { TrialSpec } from '../../paradigms/types.js';
import { MAX_JSON_CHARS } from '../../preload/schema-parts.js';
import { describeIssues, PredlabError } from '../errors.js';
import { verifySessionTrials, type Db } from '../store/db.js';
import { parseStored, SESSION_SELECT, toSession, type SessionRow, type TrialRow } from '../store/rows.js';
import { APP_VERSION } from '../version.js';
import { dropNearCritical } from './dropped-frames.js';
import { findHuman, getParticipant, normaliseLabel } from './participants.js';
import { getMonitorProfile, sessionCalibrationOf } from './monitors.js';

export function paradigmOf(id: string): Paradigm<any, any, any> {
  try {
    return getParadigm(id);
  } catch (e) {
    throw new PredlabError('invalid-argument', (e as Error).message);
  }
}

/**
 * Validate parameters against the paradigm's schema; defaults fill what is missing. The run
 * settings (key `run`: practice, breaks, instructions, ...), when given, are checked by their own
 * schema and kept beside the paradigm's parameters, defaults filled.
 */
export function validateParameters(paradigm: Paradigm<any>, parameters: unknown): Record<string, unknown> {
  const given = (parameters ?? {}) as Record<string, unknown>;
  const parsed = paradigm.parameterSchema.safeParse(typeof given === 'object' && !Array.isArray(given) ? paradigmParameters(given) : given);
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid ${paradigm.name} parameters: ${describeIssues((parsed.error as z.ZodError).issues)}`);
  if (given[RUN_KEY] === undefined) return parsed.data as Record<string, unknown>;
  const run = runSettingsSchema.safeParse(given[RUN_KEY]);
  if (!run.success) throw new PredlabError('invalid-argument', `Invalid run settings: ${describeIssues(run.error.issues)}`);
  const keys = run.data.keys ? keyProblems(paradigm, run.data.keys) : [];
  if (keys.length) throw new PredlabError('invalid-argument', `Invalid response keys: ${keys.join(' ')}`);
  return { ...(parsed.data as Record<string, unknown>), [RUN_KEY]: run.data };
}

export interface StartSession {
  /** An existing participant, or else `participant`: a person by their ID (label), reused if known. */
  participantId?: number | undefined;
  participant?: { label: string; details?: Record<string, unknown> | undefined } | undefined;
  /** Answers to the protocol's session-information fields, kept in the participant's details. */
  sessionInfo?: Record<string, unknown> | undefined;
  paradigmId: string;
  parameters: Record<string, unknown>;
  seed?: number | undefined;
  /** Take exactly the trials of an existing protocol (its paradigm, parameters and seed). */
  protocolId?: number | undefined;
  /** The display as measured; or else `monitorProfileId`: a monitor profile, copied into the session (with its gamma). */
  calibration?: Record<string, unknown> | undefined;
  monitorProfileId?: number | undefined;
  source?: string;
  /** The keys the session used, when they were decided elsewhere (an online participant's browser); else decided here for a person. */
  responseKeys?: ResponseKeys | undefined;
}

export function getProtocol(db: Db, protocolId: number): { id: number; paradigmId: string; parameters: Record<string, unknown>; seed: number } {
  const row = db.prepare('SELECT id, paradigm_id, parameters, seed FROM protocols WHERE id = ?').get(protocolId) as { id: number; paradigm_id: string; parameters: string; seed: number } | undefined;
  if (!row) throw new PredlabError('not-found', `No protocol with id ${protocolId}.`);
  return { id: row.id, paradigmId: row.paradigm_id, parameters: parseStored(row.parameters, `protocols row ${row.id} (parameters)`), seed: row.seed };
}

export function startSession(db: Db, req: StartSession): SessionInfo {
  // Everything is checked before anything is written; then participant, protocol and session
  // are written in one transaction, so a refused start leaves no participant behind.
  const existing = req.protocolId !== undefined ? getProtocol(db, req.protocolId) : null;
  if (existing && existing.paradigmId !== req.paradigmId)
    throw new PredlabError('invalid-argument', `Protocol ${existing.id} is a ${existing.paradigmId} protocol, not ${req.paradigmId}.`);
  const paradigm = paradigmOf(req.paradigmId);
  const parameters = existing ? existing.parameters : validateParameters(paradigm, req.parameters);
  if ((req.participantId === undefined) === (req.participant === undefined))
    throw new PredlabError('invalid-argument', 'A session needs either participantId (an existing participant) or participant (a person by their ID), not both.');
  const known = req.participantId !== undefined ? getParticipant(db, req.participantId) : null;
  const label = req.participant ? normaliseLabel(req.participant.label) : '';
  const info = validateSessionInfo(runSettingsOf(parameters).sessionInfo, req.sessionInfo ?? {});
  if (info.problems.length) throw new PredlabError('invalid-argument', `Session information: ${info.problems.join(' ')}`);
  const seed = existing ? existing.seed : (req.seed ?? Math.floor(Math.random() * 2 ** 31));
  if ((req.calibration === undefined) === (req.monitorProfileId === undefined))
    throw new PredlabError('invalid-argument', 'A session needs either calibration (the display as measured) or monitorProfileId (a monitor profile), not both.');
  const id = db.transaction(() => {
    // Read inside the transaction: the copy is of the profile as it is when the session starts.
    const profile = req.monitorProfileId !== undefined ? getMonitorProfile(db, req.monitorProfileId) : null;
    const calibration = profile ? sessionCalibrationOf(profile) : req.calibration;
    const person = known ?? findHuman(db, label);
    const participantId = person
      ? person.id
      : Number(db.prepare("INSERT INTO participants (kind, label, details) VALUES ('human', ?, ?)").run(label, JSON.stringify(req.participant?.details ?? {})).lastInsertRowid);
    const protocolId = Number(existing ? existing.id : db.prepare('INSERT INTO protocols (paradigm_id, parameters, seed) VALUES (?, ?, ?)').run(paradigm.id, JSON.stringify(parameters), seed).lastInsertRowid);
    const kind = person?.kind ?? (db.prepare('SELECT kind FROM participants WHERE id = ?').get(participantId) as { kind: string }).kind;
    // People answer by key; a model or a simulated observer answers by value and has none.
    const keys = req.responseKeys ?? (kind === 'human' ? sessionKeys(db, paradigm, parameters, participantId) : null);
    const session = Number(
      db
        .prepare("INSERT INTO sessions (participant_id, protocol_id, status, calibration, app_version, source, response_keys) VALUES (?, ?, 'running', ?, ?, ?, ?)")
        .run(participantId, protocolId, JSON.stringify(calibration), APP_VERSION, req.source ?? 'app', keys ? JSON.stringify(keys) : null).lastInsertRowid,
    );
    // The profile's id in its own column (a session without one leaves it NULL, as sessions before profiles have it).
    if (profile) db.prepare('UPDATE sessions SET monitor_profile_id = ? WHERE id = ?').run(profile.id, session);
    const extraDetails = person && req.participant?.details ? req.participant.details : {};
    if (Object.keys(info.values).length || Object.keys(extraDetails).length) addDetails(db, participantId, session, extraDetails, info.values);
    return session;
  })();
  return getSession(db, id);
}

/**
 * A person's keys: the protocol's (or the paradigm's). When the protocol counterbalances them, the
 * keys are rotated among the answers by how many other people took a counterbalanced protocol of
 * this paradigm in this lab before (each person's protocol is usually their own: a new seed; online
 * participants are not counted, their rotation was drawn in their browser), and a returning person
 * keeps the keys of their first such session.
 */
function sessionKeys(db: Db, paradigm: Paradigm<any>, parameters: Record<string, unknown>, participantId: number): ResponseKeys {
  const run = runSettingsOf(parameters);
  if (!run.counterbalanceKeys) return keysFor(paradigm, run.keys, false, 0);
  const counterbalanced = db
    // The protocols that counterbalance are picked out by SQLite, not by parsing every protocol of the paradigm here.
    .prepare("SELECT s.participant_id, s.response_keys FROM sessions s JOIN participants p ON p.id = s.participant_id JOIN protocols pr ON pr.id = s.protocol_id WHERE pr.paradigm_id = ? AND p.kind = 'human' AND s.source != 'online' AND s.response_keys IS NOT NULL AND json_extract(pr.parameters, '$.run.counterbalanceKeys') = 1 ORDER BY s.id")
    .all(paradigm.id) as { participant_id: number; response_keys: string }[];
  const mine = counterbalanced.find((r) => r.participant_id === participantId);
  if (mine) {
    // Their first keys, if this protocol offers the same keys (a protocol with other keys starts them afresh).
    const earlier = parseStored<ResponseKeys>(mine.response_keys, `sessions of participant ${participantId} (response_keys)`);
    const base = Object.values(keysFor(paradigm, run.keys, false, 0));
    const had = Object.values(earlier).map(normaliseKey);
    if (had.length === base.length && had.every((k) => base.includes(k))) return earlier;
  }
  const others = new Set(counterbalanced.map((r) => r.participant_id).filter((id) => id !== participantId)).size;
  return keysFor(paradigm, run.keys, true, others);
}

/**
 * Keep a session's information with its participant: the latest answers at the top level (what
 * exports and study tables read) and each session's own under `sessions`. The details stay
 * within the contract's JSON cap; over it, the start is refused (the transaction rolls back).
 */
function addDetails(db: Db, participantId: number, sessionId: number, details: Record<string, unknown>, info: Record<string, string | number>): void {
  const row = db.prepare('SELECT details FROM participants WHERE id = ?').get(participantId) as { details: string };
  const old = parseStored<Record<string, unknown>>(row.details, `participants row ${participantId} (details)`);
  const sessions = typeof old.sessions === 'object' && old.sessions !== null && !Array.isArray(old.sessions) ? (old.sessions as Record<string, unknown>) : {};
  const next = { ...old, ...details, ...info, ...(Object.keys(info).length ? { sessions: { ...sessions, [String(sessionId)]: info } } : {}) };
  const text = JSON.stringify(next);
  if (text.length > MAX_JSON_CHARS)
    throw new PredlabError('invalid-argument', `The participant's details would grow to ${text.length} characters (at most ${MAX_JSON_CHARS}); shorten the notes or start a new participant ID.`);
  db.prepare('UPDATE participants SET details = ? WHERE id = ?').run(text, participantId);
}

function sessionRow(db: Db, sessionId: number): SessionRow {
  const row = db.prepare(`${SESSION_SELECT} WHERE s.id = ?`).get(sessionId) as SessionRow | undefined;
  if (!row) throw new PredlabError('not-found', `No session with id ${sessionId}.`);
  return row;
}

/** The protocol's trials plus the repeats of spoiled ones scheduled so far. */
function totalOf(db: Db, row: SessionRow): number {
  const params = JSON.parse(row.parameters) as Record<string, unknown>;
  const base = paradigmOf(row.paradigm_id).design.trialCount(params);
  return base + (runSettingsOf(params).repeatDropped ? spoiledTrials(db, row.id, base, refreshOf(row.calibration)).length : 0);
}

/**
 * The protocol's own trials (index below `base`) whose dropped frames fell near the critical
 * event (the same flag that leaves them out of the analysis), in order: each is repeated once at the end of the session when the protocol's run
 * settings say so (repeats themselves are not repeated, so a session plans at most 2 x base).
 */
function spoiledTrials(db: Db, sessionId: number, base: number, refreshHz: number | null): TrialSpec[] {
  const rows = db
    .prepare('SELECT trial_index, condition, stimulus, dropped_frames, critical_frame, frame_intervals FROM trials WHERE session_id = ? AND trial_index < ? AND dropped_frames > 0 ORDER BY trial_index')
    .all(sessionId, base) as Pick<TrialRow, 'trial_index' | 'condition' | 'stimulus' | 'dropped_frames' | 'critical_frame' | 'frame_intervals'>[];
  return rows
    .filter((r) => dropNearCritical(r, refreshHz) !== null)
    .map((r) => ({ index: r.trial_index, condition: r.condition, stimulus: parseStored(r.stimulus, `trial ${r.trial_index} (stimulus)`) }));
}

function refreshOf(calibration: string): number | null {
  const hz = parseStored<{ refreshHz?: unknown }>(calibration, 'a session\'s calibration').refreshHz;
  return typeof hz === 'number' && hz > 0 ? hz : null;
}

export function getSession(db: Db, sessionId: number): SessionInfo {
  const row = sessionRow(db, sessionId);
  return toSession(row, totalOf(db, row));
}

export function listSessions(db: Db, filter: { status?: SessionStatus | undefined } = {}): SessionInfo[] {
  const rows = (filter.status
    ? db.prepare(`${SESSION_SELECT} WHERE s.status = ? ORDER BY s.id`).all(filter.status)
    : db.prepare(`${SESSION_SELECT} ORDER BY s.id`).all()) as SessionRow[];
  return rows.map((r) => toSession(r, totalOf(db, r)));
}

export function trialRows(db: Db, sessionId: number): TrialRow[] {
  return db.prepare('SELECT * FROM trials WHERE session_id = ? ORDER BY trial_index').all(sessionId) as TrialRow[];
}

export function answeredTrials(db: Db, sessionId: number): AnsweredTrial[] {
  return trialRows(db, sessionId).map((t) => ({ index: t.trial_index, stimulus: parseStored(t.stimulus, `trials row ${t.id} (stimulus)`), response: t.response, extra: t.extra ? parseStored(t.extra, `trials row ${t.id} (extra)`) : null }));
}

function requireRunning(row: { id: number; status: SessionStatus }): void {
  if (row.status !== 'running') throw new PredlabError('conflict', `Session ${row.id} is ${row.status}; it takes no more trials.`);
}

/** A running session's design state after `answered` answers. */
interface OpenSession {
  paradigm: Paradigm<any, any, any>;
  params: Record<string, unknown>;
  seed: number;
  /** Trials the protocol plans. */
  base: number;
  repeatDropped: boolean;
  /** Spoiled trials to repeat after `base` (grows as answers arrive). */
  repeats: TrialSpec[];
  /** The calibrated refresh rate the frame intervals are judged by. */
  refreshHz: number | null;
  answered: number;
  state: unknown;
  /** Its rows were checked against the table's indexes at its first write in this process (verifySessionTrials). */
  verified?: boolean;
}

const totalPlanned = (s: OpenSession) => s.base + (s.repeatDropped ? s.repeats.length : 0);

/** Trial `index`: the design's own, then the repeats of spoiled trials; null past the end. */
function planAt(s: OpenSession, state: unknown, index: number): (TrialSpec & { repeatOf: number | null }) | null {
  if (index < s.base) {
    const t = s.paradigm.design.plan(state, s.params, s.seed, index);
    return t ? { ...t, repeatOf: null } : null;
  }
  const original = s.repeatDropped ? s.repeats[index - s.base] : undefined;
  return original ? { index, condition: original.condition, stimulus: original.stimulus, repeatOf: original.index } : null;
}

const openSessions = new WeakMap<Db, Map<number, OpenSession>>();

interface LiveRow {
  id: number;
  status: SessionStatus;
  calibration: string;
  paradigm_id: string;
  parameters: string;
  seed: number;
}

function liveRow(db: Db, sessionId: number): LiveRow {
  const row = db.prepare('SELECT s.id, s.status, s.calibration, pr.paradigm_id, pr.parameters, pr.seed FROM sessions s JOIN protocols pr ON pr.id = s.protocol_id WHERE s.id = ?').get(sessionId) as LiveRow | undefined;
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
  const base = paradigm.design.trialCount(params);
  let state = paradigm.design.initialState(params, row.seed);
  // Repeats come after the design's trials and do not move an adaptive design.
  for (const t of answeredTrials(db, row.id)) if (t.index < base && t.response !== NO_ANSWER) state = paradigm.design.update(state, params, t);
  const repeatDropped = runSettingsOf(params).repeatDropped;
  const refreshHz = refreshOf(row.calibration);
  const entry: OpenSession = { paradigm, params, seed: row.seed, base, repeatDropped, repeats: repeatDropped ? spoiledTrials(db, row.id, base, refreshHz) : [], refreshHz, answered, state };
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
  const planned = planAt(s, s.state, answered);
  if (!planned) return null;
  return { sessionId, index: planned.index, condition: planned.condition, stimulus: planned.stimulus as Record<string, unknown>, answered, total: totalPlanned(s), repeatOf: planned.repeatOf };
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

function participantKindOf(db: Db, sessionId: number): string | undefined {
  return (db.prepare('SELECT p.kind FROM sessions s JOIN participants p ON p.id = s.participant_id WHERE s.id = ?').get(sessionId) as { kind: string } | undefined)?.kind;
}

/** Commit one answer. Only the next trial in order is accepted, so nothing is duplicated or skipped. */
export function recordTrial(db: Db, sessionId: number, t: RecordTrial): RecordResult {
  let advanced: { s: OpenSession; state: unknown; answered: number; repeats: TrialSpec[] } | null = null;
  const result = db.transaction((): RecordResult => {
    const row = liveRow(db, sessionId);
    requireRunning(row);
    const answered = answeredCount(db, sessionId);
    if (t.trialIndex !== answered)
      throw new PredlabError('conflict', `Session ${sessionId} expects an answer to trial ${answered}, not trial ${t.trialIndex}.`);
    const s = openSession(db, row, answered);
    const { paradigm } = s;
    // NO_ANSWER: a model whose readout found nothing to read; only a model participant gives it.
    const noAnswer = t.response === NO_ANSWER && participantKindOf(db, sessionId) === 'model';
    if (!noAnswer && !paradigm.responses.some((r) => r.value === t.response))
      throw new PredlabError('invalid-argument', `'${t.response}' is not an answer of ${paradigm.name}; expected one of ${paradigm.responses.map((r) => `'${r.value}'`).join(', ')}.`);
    const planned = planAt(s, s.state, t.trialIndex);
    if (!planned) throw new PredlabError('conflict', `Session ${sessionId} has no trial ${t.trialIndex}; the protocol is complete.`);
    const ft = t.frameTiming;
    const extra = planned.repeatOf !== null ? { ...(t.extra ?? {}), repeatOf: planned.repeatOf } : (t.extra ?? null);
    db.prepare(
      `INSERT INTO trials (session_id, trial_index, condition, stimulus, response, rt_ms, dropped_frames,
         frame_count, frame_interval_mean_ms, frame_interval_sd_ms, frame_interval_max_ms, critical_frame, frame_intervals, extra)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      sessionId, t.trialIndex, planned.condition, JSON.stringify(planned.stimulus), t.response, t.rtMs, ft.droppedFrames,
      ft.frameCount, ft.intervalMeanMs, ft.intervalSdMs, ft.intervalMaxMs, ft.criticalFrame, JSON.stringify(ft.intervalsMs),
      extra ? JSON.stringify(extra) : null,
    );
    // The first write of a session (in this process) checks its rows; damage rolls it back.
    if (!s.verified) verifySessionTrials(db, sessionId);
    // No answer does not move an adaptive design (the next trial is planned as if this one had not been).
    const state = t.trialIndex < s.base && !noAnswer ? paradigm.design.update(s.state, s.params, { index: t.trialIndex, stimulus: planned.stimulus, response: t.response, extra: t.extra ?? null }) : s.state;
    const spoiled =
      s.repeatDropped && t.trialIndex < s.base &&
      dropNearCritical({ trial_index: t.trialIndex, dropped_frames: ft.droppedFrames, critical_frame: ft.criticalFrame, frame_intervals: JSON.stringify(ft.intervalsMs) }, s.refreshHz) !== null;
    const repeats = spoiled ? [...s.repeats, { index: t.trialIndex, condition: planned.condition, stimulus: planned.stimulus }] : s.repeats;
    advanced = { s, state, answered: answered + 1, repeats };
    const after = { ...s, repeats };
    const done = planAt(after, state, answered + 1) === null;
    return { answered: answered + 1, total: totalPlanned(after), done };
  }).immediate();
  // Only once committed does the open session move on (a failed commit leaves it as it was).
  const a = advanced as { s: OpenSession; state: unknown; answered: number; repeats: TrialSpec[] } | null;
  if (a) Object.assign(a.s, { state: a.state, answered: a.answered, repeats: a.repeats, verified: true });
  return result;
}

/** Close a session: 'complete' only when every trial is answered; 'aborted' keeps what was answered. */
export function finishSession(db: Db, sessionId: number, status: 'complete' | 'aborted'): SessionInfo {
  const row = liveRow(db, sessionId);
  requireRunning(row);
  if (status === 'complete') {
    const answered = answeredCount(db, sessionId);
    const s = openSession(db, row, answered);
    if (planAt(s, s.state, answered) !== null)
      throw new PredlabError('conflict', `Session ${sessionId} has ${answered} of ${totalPlanned(s)} trials answered; finish it as 'aborted' or resume it.`);
  }
  db.prepare("UPDATE sessions SET status = ?, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(status, sessionId);
  closeOpenSession(db, sessionId);
  return getSession(db, sessionId);
}
