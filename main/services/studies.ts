/**
 * Studies: sessions grouped for a study-wide export. A session belongs to at most one study and
 * joins one only when the user adds it (or starts it in the study on the Run page). Sessions that
 * took the trials of a study's session (a model or a simulated observer run on a person's
 * protocol) are listed beside the study for the user to choose (`sameTrials`), never added by
 * themselves: a throwaway checkpoint must not become part of a study.
 * Deleting a study never deletes sessions.
 */
import path from 'node:path';
import type { ParticipantKind, SessionInfo } from '../../paradigms/records.js';
import { STUDY_SESSIONS_MAX, studySettingsSchema, type Study, type StudyDetail, type StudyExportStatus, type StudySettings } from '../../preload/channels/studies.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { getSession } from './sessions.js';
import { parseStored } from '../store/rows.js';

/** Studies one lab holds. */
export const STUDIES_MAX = 1000;
/** The automatic export's default parent folder, beside the lab database. */
export const DEFAULT_STUDY_FOLDER = 'studies';

interface StudyRow {
  id: number;
  name: string;
  description: string;
  settings: string;
  last_export: string | null;
  created_at: string;
}

/** A file-system friendly name for the study's export folder and files. */
export function studySlug(study: { id: number; name: string }): string {
  const words = study.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return `study-${study.id}${words ? `-${words}` : ''}`;
}

/** The folder the study's export is written into: <exportDir or data folder/studies>/<slug>. */
export function studyExportFolder(db: Db, study: { id: number; name: string; settings: StudySettings }): string {
  const parent = study.settings.exportDir ? path.resolve(study.settings.exportDir) : path.join(path.dirname(path.resolve(db.name)), DEFAULT_STUDY_FOLDER);
  return path.join(parent, studySlug(study));
}

function parseSettings(raw: string): StudySettings {
  const parsed = studySettingsSchema.safeParse(parseStored(raw, 'a study\'s settings'));
  return parsed.success ? parsed.data : {};
}

function checkSettings(settings: unknown): StudySettings {
  const parsed = studySettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid study settings: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function checkName(name: string): string {
  const n = name.trim();
  if (!n) throw new PredlabError('invalid-argument', 'A study needs a name.');
  if (n.length > 100) throw new PredlabError('invalid-argument', `A study name has at most 100 characters; this one has ${n.length}.`);
  return n;
}

function row(db: Db, studyId: number): StudyRow {
  const r = db.prepare('SELECT * FROM studies WHERE id = ?').get(studyId) as StudyRow | undefined;
  if (!r) throw new PredlabError('not-found', `No study with id ${studyId}.`);
  return r;
}

function toStudy(db: Db, r: StudyRow): Study {
  const settings = parseSettings(r.settings);
  const counts: Record<ParticipantKind, number> = { human: 0, simulated: 0, model: 0 };
  const kinds = db
    // By label, as the BIDS subjects are: a model or simulated observer has a participant row per
    // session, and one checkpoint run on three people's trials is one model.
    .prepare('SELECT p.kind AS kind, count(DISTINCT p.label) AS n FROM study_sessions ss JOIN sessions s ON s.id = ss.session_id JOIN participants p ON p.id = s.participant_id WHERE ss.study_id = ? GROUP BY p.kind')
    .all(r.id) as { kind: ParticipantKind; n: number }[];
  for (const k of kinds) counts[k.kind] = k.n;
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    settings,
    createdAt: r.created_at,
    counts,
    sessionTotal: sessionCount(db, r.id),
    lastExport: r.last_export ? parseStored<StudyExportStatus>(r.last_export, `studies row ${r.id} (last_export)`) : null,
    exportFolder: studyExportFolder(db, { id: r.id, name: r.name, settings }),
  };
}

/** Refuse a name another study has (names are compared ignoring case). */
function checkNameFree(db: Db, name: string, except = 0): void {
  const other = db.prepare('SELECT name FROM studies WHERE name = ? COLLATE NOCASE AND id != ?').get(name, except) as { name: string } | undefined;
  if (other) throw new PredlabError('conflict', `There is already a study named '${other.name}'${other.name !== name ? ` (names are compared ignoring case)` : ''}. Choose another name.`);
}

export function createStudy(db: Db, req: { name: string; description?: string | undefined; settings?: unknown }): Study {
  const name = checkName(req.name);
  const settings = checkSettings(req.settings);
  const description = (req.description ?? '').trim();
  if (description.length > 2000) throw new PredlabError('invalid-argument', `A study description has at most 2000 characters; this one has ${description.length}.`);
  const id = db.transaction(() => {
    checkNameFree(db, name);
    const n = (db.prepare('SELECT count(*) AS n FROM studies').get() as { n: number }).n;
    if (n >= STUDIES_MAX) throw new PredlabError('conflict', `This lab already has ${STUDIES_MAX} studies, the most it holds; delete one first.`);
    return Number(db.prepare('INSERT INTO studies (name, description, settings) VALUES (?, ?, ?)').run(name, description, JSON.stringify(settings)).lastInsertRowid);
  })();
  return getStudy(db, id);
}

export function listStudies(db: Db): Study[] {
  return (db.prepare('SELECT * FROM studies ORDER BY id').all() as StudyRow[]).map((r) => toStudy(db, r));
}

export function getStudy(db: Db, studyId: number): Study {
  return toStudy(db, row(db, studyId));
}

export function studySessionIds(db: Db, studyId: number): number[] {
  return (db.prepare('SELECT session_id FROM study_sessions WHERE study_id = ? ORDER BY session_id').all(studyId) as { session_id: number }[]).map((r) => r.session_id);
}

export function getStudyDetail(db: Db, studyId: number): StudyDetail {
  const study = getStudy(db, studyId);
  const sessions: SessionInfo[] = studySessionIds(db, studyId).map((id) => getSession(db, id));
  return { ...study, sessions, sameTrials: sameTrialsOutside(db, studyId).map((id) => getSession(db, id)) };
}

/** Sessions in no study on the protocol of one of the study's sessions (reference observers excluded: they join no study). */
function sameTrialsOutside(db: Db, studyId: number): number[] {
  return (
    db
      .prepare(
        `SELECT s.id FROM sessions s WHERE s.protocol_id IN (SELECT s2.protocol_id FROM study_sessions ss JOIN sessions s2 ON s2.id = ss.session_id WHERE ss.study_id = ?) AND ${NOT_REFERENCE} AND NOT EXISTS (SELECT 1 FROM study_sessions ss WHERE ss.session_id = s.id) ORDER BY s.id LIMIT ${STUDY_SESSIONS_MAX}`,
      )
      .all(studyId) as { id: number }[]
  ).map((r) => r.id);
}

/** Rename, describe or change the settings of a study. */
export function updateStudy(db: Db, studyId: number, change: { name?: string | undefined; description?: string | undefined; settings?: unknown }): Study {
  const current = row(db, studyId);
  const name = change.name !== undefined ? checkName(change.name) : current.name;
  const settings = change.settings !== undefined ? checkSettings(change.settings) : parseSettings(current.settings);
  const description = change.description !== undefined ? change.description.trim() : current.description;
  if (description.length > 2000) throw new PredlabError('invalid-argument', `A study description has at most 2000 characters; this one has ${description.length}.`);
  db.transaction(() => {
    checkNameFree(db, name, studyId);
    db.prepare('UPDATE studies SET name = ?, description = ?, settings = ? WHERE id = ?').run(name, description, JSON.stringify(settings), studyId);
  })();
  return getStudy(db, studyId);
}

/** Delete the study and its memberships; its sessions stay in the lab. */
export function deleteStudy(db: Db, studyId: number): { deleted: number; sessionsKept: number } {
  row(db, studyId);
  return db.transaction(() => {
    const kept = db.prepare('DELETE FROM study_sessions WHERE study_id = ?').run(studyId).changes;
    db.prepare('DELETE FROM studies WHERE id = ?').run(studyId);
    return { deleted: studyId, sessionsKept: kept };
  })();
}

/** The study a session belongs to, if any. */
export function studyOfSession(db: Db, sessionId: number): number | null {
  const r = db.prepare('SELECT study_id FROM study_sessions WHERE session_id = ?').get(sessionId) as { study_id: number } | undefined;
  return r?.study_id ?? null;
}

function sessionCount(db: Db, studyId: number): number {
  return (db.prepare('SELECT count(*) AS n FROM study_sessions WHERE study_id = ?').get(studyId) as { n: number }).n;
}

/**
 * A reference observer's session (copy-last, oracle) stays out of studies: it is read beside its
 * model (analysis, Compare), not counted as a participant of the study.
 */
const NOT_REFERENCE = "json_extract((SELECT p.details FROM participants p WHERE p.id = s.participant_id), '$.type') IS NOT 'reference'";

/**
 * Add sessions to a study, all or none: each must exist, not be a reference observer's, and be in
 * no other study (remove it there first). Only the sessions named join: those that took the same
 * trials are listed in the study's `sameTrials` for the user to choose.
 */
export function addSessionsToStudy(db: Db, studyId: number, sessionIds: readonly number[]): StudyDetail {
  const study = row(db, studyId);
  db.transaction(() => {
    const joining: number[] = [];
    for (const sessionId of new Set(sessionIds)) {
      const session = getSession(db, sessionId);
      if ((session.participant.details as { type?: unknown }).type === 'reference')
        throw new PredlabError('invalid-argument', `Session ${sessionId} is a reference observer's (${session.participant.label}): it is read beside its model in the analysis and Compare, and joins no study. Add the model's session instead.`);
      const current = studyOfSession(db, sessionId);
      if (current === studyId) continue;
      if (current !== null) throw new PredlabError('conflict', `Session ${sessionId} already belongs to study '${row(db, current).name}'; a session is in one study at most. Remove it there first.`);
      joining.push(sessionId);
    }
    if (sessionCount(db, studyId) + joining.length > STUDY_SESSIONS_MAX)
      throw new PredlabError('conflict', `Study '${study.name}' would hold more than ${STUDY_SESSIONS_MAX} sessions, the most a study holds.`);
    const insert = db.prepare('INSERT INTO study_sessions (study_id, session_id) VALUES (?, ?)');
    for (const id of joining) insert.run(studyId, id);
  })();
  return getStudyDetail(db, studyId);
}

export function addSessionToStudy(db: Db, studyId: number, sessionId: number): StudyDetail {
  return addSessionsToStudy(db, studyId, [sessionId]);
}

export function removeSessionFromStudy(db: Db, studyId: number, sessionId: number): StudyDetail {
  const study = row(db, studyId);
  getSession(db, sessionId);
  const removed = db.prepare('DELETE FROM study_sessions WHERE study_id = ? AND session_id = ?').run(studyId, sessionId).changes;
  if (!removed) throw new PredlabError('not-found', `Session ${sessionId} is not in study '${study.name}'.`);
  return getStudyDetail(db, studyId);
}

/** Record the outcome of the newest export (shown with the study). */
export function recordExportStatus(db: Db, studyId: number, status: StudyExportStatus): void {
  db.prepare('UPDATE studies SET last_export = ? WHERE id = ?').run(JSON.stringify(status), studyId);
}
