/**
 * The study-wide export: every session of a study (people, simulated observers, models) as one
 * tidy CSV (one row per trial, with a column dictionary) and one BIDS dataset (written by
 * export.ts's BIDS writer, plus participants.tsv with each participant's kind). Everything is
 * written into a fresh temporary folder beside the target and swapped in at the end, so a
 * failure never leaves a half-written or half-replaced export; the previous export is replaced
 * only if it carries PredLab's marker file.
 */
import { stringify } from 'csv-stringify/sync';
import fs from 'node:fs';
import path from 'node:path';
import type { ParticipantKind, SessionInfo } from '../../paradigms/records.js';
import type { Study, StudyExportResult, StudyExportStatus } from '../../preload/channels/studies.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { APP_VERSION } from '../version.js';
import { bidsLabel, bidsReadme, exportSession, neutraliseFormula, tidyTrials } from './export.js';
import { asJobSync } from './jobs.js';
import { getSession } from './sessions.js';
import { getStudy, recordExportStatus, studyExportFolder, studyOfSession, studySessionIds, studySlug } from './studies.js';

type Cell = string | number | boolean | null;
type Described = Record<string, { description: string; units?: string }>;

/** Marks a folder as a study export PredLab may replace. */
export const STUDY_MARKER = '.predlab-study.json';

const STUDY_COLUMNS: Described = {
  study: { description: 'Study name' },
  session_status: { description: "Session status when exported: 'complete', 'aborted' or 'running'" },
};
const FLAG_COLUMNS: Described = {
  dropped_frame_flag: { description: 'true when at least one frame of the trial was dropped (dropped_frames > 0)' },
};

/** The union of several column lists, keeping the order of first appearance. */
function union(lists: string[][]): string[] {
  const seen = new Set<string>();
  for (const l of lists) for (const c of l) seen.add(c);
  return [...seen];
}

/**
 * Columns of sessions of different paradigms in one table: the shared leading columns (up to
 * condition), every paradigm's own columns, then the shared trailing ones (from response).
 */
function mergeColumns(perSession: string[][]): string[] {
  const split = (cols: string[]) => {
    const a = cols.indexOf('condition') + 1;
    const b = cols.indexOf('response');
    return b > a && a > 0 ? [cols.slice(0, a), cols.slice(a, b), cols.slice(b)] : [cols, [], []];
  };
  const parts = perSession.map(split);
  return [...union(parts.map((p) => p[0]!)), ...union(parts.map((p) => p[1]!)), ...union(parts.map((p) => p[2]!))];
}

export interface StudyTable {
  columns: string[];
  descriptions: Described;
  rows: Cell[][];
}

/** Every trial of the study's sessions, one row each. */
export function studyTable(db: Db, studyName: string, sessions: SessionInfo[], infoFields: string[] = []): StudyTable {
  const tables = sessions.map((s) => ({ s, t: tidyTrials(db, s.id), info: sessionInfoOf(s) }));
  const infoColumns: Described = Object.fromEntries(infoFields.map((f) => [`info_${f}`, { description: `Session information: ${f}, as given before this session (empty for models and simulated observers)` }]));
  const descriptions: Described = { ...STUDY_COLUMNS, ...infoColumns };
  for (const { t } of tables) Object.assign(descriptions, t.descriptions);
  Object.assign(descriptions, FLAG_COLUMNS);
  const columns = [...Object.keys(STUDY_COLUMNS), ...mergeColumns(tables.map(({ t }) => t.columns)), ...Object.keys(FLAG_COLUMNS), ...Object.keys(infoColumns)];
  const rows = tables.flatMap(({ s, t, info }) =>
    t.rows.map((r) => {
      const record: Record<string, Cell> = Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null]));
      record.study = studyName;
      record.session_status = s.status;
      record.dropped_frame_flag = typeof record.dropped_frames === 'number' ? record.dropped_frames > 0 : null;
      for (const f of infoFields) record[`info_${f}`] = cell(info[f]);
      return columns.map((c) => record[c] ?? null);
    }),
  );
  return { columns, descriptions: Object.fromEntries(columns.map((c) => [c, descriptions[c]!])), rows };
}

interface BidsSubject {
  label: string;
  kind: ParticipantKind;
  participantIds: number[];
  labels: string[];
  sessions: number[];
  /** Session information, the latest answer for each field (sessions in id order). */
  info: Record<string, unknown>;
}

/** One BIDS subject per participant label; two kinds under one label is ambiguous and refused. */
function bidsSubjects(sessions: SessionInfo[]): BidsSubject[] {
  const subjects = new Map<string, BidsSubject>();
  for (const s of sessions) {
    const label = bidsLabel(s.participant.label, s.participant.kind);
    const known = subjects.get(label);
    if (known && known.kind !== s.participant.kind)
      throw new PredlabError(
        'conflict',
        `Participants '${known.labels[0]}' (${known.kind}) and '${s.participant.label}' (${s.participant.kind}) share the BIDS label sub-${label}; relabel one of them or remove its session from the study.`,
      );
    const subject = known ?? { label, kind: s.participant.kind, participantIds: [], labels: [], sessions: [], info: {} };
    if (!subject.participantIds.includes(s.participant.id)) {
      subject.participantIds.push(s.participant.id);
      subject.labels.push(s.participant.label);
    }
    subject.info = { ...subject.info, ...sessionInfoOf(s) };
    subject.sessions.push(s.id);
    subjects.set(label, subject);
  }
  return [...subjects.values()];
}

/**
 * The session information given before this session (sessions.ts keeps it with the participant,
 * under details.sessions[<session id>]); empty for models and simulated observers.
 */
export function sessionInfoOf(s: SessionInfo): Record<string, unknown> {
  const bySession = s.participant.details.sessions;
  const info = bySession && typeof bySession === 'object' && !Array.isArray(bySession) ? (bySession as Record<string, unknown>)[String(s.id)] : undefined;
  return info && typeof info === 'object' && !Array.isArray(info) ? (info as Record<string, unknown>) : {};
}

/** The study's own fields first, then any other field some session was asked. */
function infoFieldsOf(settingsFields: string[], sessions: SessionInfo[]): string[] {
  return union([settingsFields, ...sessions.map((s) => Object.keys(sessionInfoOf(s)))]);
}

function cell(v: unknown): Cell {
  return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
}

function tsv(rows: Cell[][]): string {
  return stringify(rows.map((r) => r.map((v) => (v === null || v === '' ? 'n/a' : neutraliseFormula(v)))), { delimiter: '\t', cast: { boolean: (b) => String(b) } });
}

function writeBids(db: Db, dir: string, study: { name: string; description: string; infoFields: string[]; authors?: string[] | undefined }, all: SessionInfo[]): string[] {
  // Only sessions with answers have files: a subject listed without a folder is an error in BIDS.
  const sessions = all.filter((s) => s.answered > 0);
  const subjects = bidsSubjects(sessions);
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const put = (name: string, content: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    files.push(f);
  };
  // Written before the sessions, so export.ts's writer keeps this one.
  put(
    'dataset_description.json',
    `${JSON.stringify({ Name: study.name, BIDSVersion: '1.9.0', DatasetType: 'raw', ...(study.authors?.length ? { Authors: study.authors } : {}), ...(study.description ? { Description: study.description } : {}), GeneratedBy: [{ Name: 'PredLab', Version: APP_VERSION }] }, null, 2)}\n`,
  );
  const count = (k: string, one: string, many: string) => {
    const n = subjects.filter((s) => s.kind === k).length;
    return `${n} ${n === 1 ? one : many}`;
  };
  put(
    'README',
    bidsReadme(study.name, [
      ...(study.description ? [study.description, ''] : []),
      `${sessions.length} session${sessions.length === 1 ? '' : 's'} of ${count('human', 'person', 'people')}, ${count('simulated', 'simulated observer', 'simulated observers')} and ${count('model', 'model', 'models')} (participants.tsv says which is which).`,
    ]),
  );
  const header = ['participant_id', 'kind', 'label', 'predlab_participant_ids', 'sessions', ...study.infoFields];
  put('participants.tsv', tsv([header, ...subjects.map((s) => [`sub-${s.label}`, s.kind, s.labels.join('; '), s.participantIds.join(';'), s.sessions.join(';'), ...study.infoFields.map((f) => cell(s.info[f]))])]));
  put(
    'participants.json',
    `${JSON.stringify(
      {
        kind: { Description: 'Who took the sessions', Levels: { human: 'a person', simulated: 'a simulated observer drawn from a known psychometric function', model: 'a PredNet checkpoint answering through a readout' } },
        label: { Description: 'Participant label(s) in PredLab (people: their ID; models: the checkpoint)' },
        predlab_participant_ids: { Description: 'PredLab participant ids under this subject label, separated by ;' },
        sessions: { Description: "PredLab session ids of this subject in the study, separated by ;, in the order of its files' run- index (run-1 is the first)" },
        ...Object.fromEntries(study.infoFields.map((f) => [f, { Description: `Session information: ${f} (the latest answer given before a session of the study)` }])),
      },
      null,
      2,
    )}\n`,
  );
  for (const s of sessions) files.push(...exportSession(db, s.id, 'bids', dir).files.filter((f) => !f.endsWith('dataset_description.json') && path.basename(f) !== 'README'));
  return files;
}

function canWrite(dir: string): string | null {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    if (!fs.statSync(dir).isDirectory()) return 'it is not a folder';
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'EEXIST' || err.code === 'ENOTDIR' ? 'a file is in the way' : err.code === 'ENOSPC' ? 'the disk is full' : err.message;
  }
}

function why(e: unknown): string {
  if (e instanceof PredlabError) return e.message;
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOSPC' ? 'the disk is full' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
}

/**
 * Write the study's export into `folder` (default: the study's export folder) and record the
 * outcome with the study. Validates everything before writing; on failure nothing is replaced.
 */
export function exportStudy(db: Db, studyId: number, opts: { folder?: string; trigger?: 'manual' | 'auto' } = {}): StudyExportResult {
  const study = getStudy(db, studyId);
  const folder = path.resolve(opts.folder ?? studyExportFolder(db, study));
  const trigger = opts.trigger ?? 'manual';
  try {
    const result = writeStudyExport(db, study, folder);
    recordExportStatus(db, studyId, { at: new Date().toISOString(), trigger, ok: true, folder, files: result.files, rows: result.rows });
    return result;
  } catch (e) {
    // Nothing to export yet is not a failed export; a folder or disk problem is, and is shown with the study.
    if (!(e instanceof PredlabError && e.code === 'invalid-argument')) recordExportStatus(db, studyId, { at: new Date().toISOString(), trigger, ok: false, folder, error: why(e) });
    throw e instanceof PredlabError ? e : new PredlabError('storage', why(e));
  }
}

function writeStudyExport(db: Db, study: Study, folder: string): StudyExportResult {
  const sessions = studySessionIds(db, study.id).map((id) => getSession(db, id));
  if (sessions.length === 0) throw new PredlabError('invalid-argument', `Study '${study.name}' has no sessions yet; add sessions before exporting it.`);
  if (sessions.every((s) => s.answered === 0)) throw new PredlabError('invalid-argument', `The sessions of study '${study.name}' have no answered trials yet; nothing to export.`);
  bidsSubjects(sessions.filter((s) => s.answered > 0)); // a label clash is refused before anything is written
  const parent = path.dirname(folder);
  const problem = canWrite(parent);
  if (problem) throw new PredlabError('storage', `Cannot write the export of study '${study.name}' to ${folder}: ${problem}. Nothing was written.`);
  if (fs.existsSync(folder) && !fs.existsSync(path.join(folder, STUDY_MARKER)) && fs.readdirSync(folder).length > 0)
    throw new PredlabError('conflict', `${folder} exists and is not a PredLab study export; PredLab will not replace it. Choose another folder.`);

  const slug = studySlug(study);
  const stamp = `${process.pid}-${Date.now()}`;
  const partial = path.join(parent, `.${path.basename(folder)}.partial-${stamp}`);
  const old = path.join(parent, `.${path.basename(folder)}.old-${stamp}`);
  // A job in the lab owns the hidden folders: killed half-way, the next start-up removes the
  // partial one and puts the previous export back if it was set aside.
  return asJobSync(db.readonly ? null : db, { kind: 'export', target: folder, partials: [partial, { aside: old, to: folder }] }, () => swapIn(db, study, folder, sessions, slug, partial, old));
}

function swapIn(db: Db, study: Study, folder: string, sessions: SessionInfo[], slug: string, partial: string, old: string): StudyExportResult {
  try {
    fs.mkdirSync(partial);
    const table = studyTable(db, study.name, sessions, infoFieldsOf(study.settings.sessionInfoFields ?? [], sessions));
    const csv = `${slug}_trials.csv`;
    const columnsFile = `${slug}_trials.columns.json`;
    fs.writeFileSync(path.join(partial, csv), stringify([table.columns, ...table.rows.map((r) => r.map((v) => (v === null ? '' : neutraliseFormula(v))))], { cast: { boolean: (b) => String(b) } }));
    const dictionary = Object.fromEntries(table.columns.map((c) => [c, { Description: table.descriptions[c]!.description, ...(table.descriptions[c]!.units ? { Units: table.descriptions[c]!.units } : {}) }]));
    fs.writeFileSync(path.join(partial, columnsFile), `${JSON.stringify(dictionary, null, 2)}\n`);
    const bids = writeBids(db, path.join(partial, 'bids'), { name: study.name, description: study.description, infoFields: infoFieldsOf(study.settings.sessionInfoFields ?? [], sessions), authors: study.settings.authors }, sessions);
    fs.writeFileSync(path.join(partial, STUDY_MARKER), `${JSON.stringify({ studyId: study.id, name: study.name, exportedAt: new Date().toISOString(), sessions: sessions.map((s) => s.id) }, null, 2)}\n`);
    // Swap: the old export aside, the new one in, then the old one removed.
    if (fs.existsSync(folder)) fs.renameSync(folder, old);
    fs.renameSync(partial, folder);
    fs.rmSync(old, { recursive: true, force: true });
    const files = [csv, columnsFile, ...bids.map((f) => path.relative(partial, f))].map((f) => path.join(folder, f));
    return { folder, files, rows: table.rows.length, sessions: sessions.length };
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (fs.existsSync(old) && !fs.existsSync(folder)) fs.renameSync(old, folder);
    throw new PredlabError('storage', `Could not write the export of study '${study.name}' to ${folder}: ${why(e)}. The previous export, if any, was kept.`);
  }
}

function runningOthers(db: Db, studyId: number, sessionId: number): number {
  const r = db
    .prepare("SELECT count(*) AS n FROM study_sessions ss JOIN sessions s ON s.id = ss.session_id WHERE ss.study_id = ? AND s.id != ? AND s.status = 'running'")
    .get(studyId, sessionId) as { n: number };
  return r.n;
}

/**
 * Call when a session ends (a person's, a simulated observer's or a model's): if it is in a study,
 * that study's export is written to its folder. (A session on a study's trials that is in no study
 * stays out: the study lists it for the user to add.)
 * Never throws (a session's finish must not fail because of an export): a failure is logged and
 * recorded as the study's last export status. Returns that status, or null when the session is
 * in no study or the study's automatic export is off. While another session of the study is
 * still running, nothing is written: that session's end writes the export.
 */
export function exportStudyAfterSession(db: Db, sessionId: number, log: (message: string) => void = (m) => console.error(m)): StudyExportStatus | null {
  let studyId: number | null = null;
  try {
    studyId = studyOfSession(db, sessionId);
    if (studyId === null || getStudy(db, studyId).settings.autoExport === false) return null;
    // While another session of the study runs (a person, with a model finishing alongside), the
    // export waits for that session's end: it would hold up the answers being stored.
    if (runningOthers(db, studyId, sessionId) > 0) return getStudy(db, studyId).lastExport;
    exportStudy(db, studyId, { trigger: 'auto' });
  } catch (e) {
    // exportStudy recorded the failure with the study; the log says which session set it off.
    log(`The automatic export of study ${studyId ?? '(none)'} after session ${sessionId} failed: ${why(e)}`);
  }
  try {
    return studyId === null ? null : getStudy(db, studyId).lastExport;
  } catch {
    return null;
  }
}
