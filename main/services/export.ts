/**
 * Exports of a session's trials: a tidy CSV (one row per trial) with a column dictionary, and a
 * BIDS-style behavioural TSV with its JSON sidecar. Files are written to a temporary name and
 * renamed, so a full disk never leaves a half-written export behind.
 */
import { stringify } from 'csv-stringify/sync';
import fs from 'node:fs';
import path from 'node:path';
import { instructionsOf, paradigmParameters, runSettingsOf } from '../../paradigms/run-settings.js';
import type { ExportResult } from '../../preload/contract.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { APP_VERSION } from '../version.js';
import { analysedTrials, guessesKeptOf } from './analysis.js';
import { getSession, paradigmOf, trialRows } from './sessions.js';
import { getStudy, studyOfSession } from './studies.js';
import { parseStored } from '../store/rows.js';
import { defaultKeys } from '../../paradigms/response-keys.js';
import { sessionGamma } from '../../paradigms/monitor-profile.js';

type Cell = string | number | boolean | null;

const COMMON_COLUMNS: Record<string, { description: string; units?: string }> = {
  session_id: { description: 'PredLab session id' },
  participant_id: { description: 'PredLab participant id' },
  participant_kind: { description: "'human', 'model' (a PredNet checkpoint) or 'simulated' (a simulated observer)" },
  participant_label: { description: "Participant label as entered (or model name); text starting with = + - @, a tab or a carriage return is prefixed with ' so spreadsheets do not run it as a formula" },
  setting: { description: "'online': taken in a participant's own browser (an online study's data, imported); 'lab': taken in the lab" },
  paradigm: { description: 'Paradigm id' },
  protocol_id: { description: 'Protocol id: paradigm, parameters and seed shared by sessions that took the same trials' },
  seed: { description: 'Seed of the trial list' },
  trial_index: { description: 'Trial number within the session, from 0' },
  condition: { description: 'Condition label' },
};
const TRAILING_COLUMNS: Record<string, { description: string; units?: string }> = {
  response: { description: "The answer given (the paradigm defines the values); 'none': a model whose readout found nothing to read (left out of the fit)" },
  response_key: { description: "The key that gave this answer in this session (KeyboardEvent.key: 'ArrowLeft', 'f'...; a protocol may name its own keys and counterbalance them across participants); empty for a model, which answers by value" },
  guessed: { description: 'Model observers: true when the answer is a random guess for want of a readout (left out of the fit unless the observer settings asked for guesses); empty for people' },
  in_fit: { description: "true when the session's fit, as the app shows it by default (trials with a dropped frame near the critical event left out), used this trial; the PSE and its CI are recomputed from these rows" },
  left_out_because: { description: "Why the fit did not use the trial: 'dropped frame near the critical event', 'no model readout' or 'random guess (no model readout)'; empty when in_fit is true" },
  repeat_of: { description: 'trial_index of the trial this one repeats (a trial spoiled by a dropped frame near its critical event, repeated at the end when the session asks for it); empty otherwise' },
  rt_ms: { description: 'Reaction time from the end of the stimulus to the key press (to 0.1 ms, the browser clock\'s precision)', units: 'ms' },
  dropped_frames: { description: 'Frames whose interval exceeded 1.5 times the nominal frame duration' },
  frame_count: { description: 'Frames presented in the trial' },
  frame_interval_mean_ms: { description: 'Mean interval between presented frames', units: 'ms' },
  frame_interval_sd_ms: { description: 'Standard deviation of the frame intervals', units: 'ms' },
  frame_interval_max_ms: { description: 'Longest frame interval (to 0.1 ms; mean and SD to 0.01 ms)', units: 'ms' },
  critical_frame: { description: 'Frame index (from 0) on which the critical event (e.g. the flash) was drawn' },
  refresh_hz: { description: 'Measured display refresh rate at calibration (to 0.01 Hz)', units: 'Hz' },
  px_per_deg: { description: 'Pixels per degree of visual angle at calibration', units: 'px/deg' },
  monitor_profile: { description: "The monitor profile the session ran with (its values as they were then); empty for sessions without one (before profiles, online, models)" },
  gamma: { description: "The display gamma the presenter linearised luminance with (pixel = round(255 L^(1/gamma))); 1 where none was measured; empty for models and simulated observers, which see linear luminance" },
  gamma_method: { description: "How the gamma was obtained: 'assumed' (none: pixel = 255 L), 'entered', 'photometer' (fitted to measured luminances) or 'half-split' (matched by eye); empty for models and simulated observers" },
  answered_at: { description: 'When the answer was stored (UTC, ISO 8601)' },
};

export interface TidyTable {
  columns: string[];
  descriptions: Record<string, { description: string; units?: string }>;
  rows: Cell[][];
}

/** A measurement at its precision (browser clocks give 0.1 ms at best): no 941.3999999999942 ms. */
const rounded = (x: number | null | undefined, digits: number): number | null => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

/**
 * The BIDS behavioural table: the tidy table with BIDS's conventions, durations and times in
 * seconds. `duration` (the stimulus as presented: frames shown times their mean interval) comes
 * first and `response_time` replaces rt_ms. There is no `onset`: PredLab does not record when each
 * stimulus began on a clock shared across the session (only when the answer was stored), and a
 * behavioural file needs none.
 */
export function bidsTrials(table: TidyTable): TidyTable {
  const col = (c: string) => table.columns.indexOf(c);
  const [rt, frames, mean] = [col('rt_ms'), col('frame_count'), col('frame_interval_mean_ms')];
  const columns = ['duration', ...table.columns.map((c) => (c === 'rt_ms' ? 'response_time' : c))];
  const { rt_ms: _, ...rest } = table.descriptions;
  const descriptions = {
    duration: { description: "How long the stimulus was on the display: frames presented times their mean interval (to 1 ms; a simulated observer's is its nominal display's); n/a where no display timing was stored (models)", units: 's' },
    ...Object.fromEntries(Object.entries(rest).flatMap(([k, d]) => (k === 'response' ? [[k, d], ['response_time', { description: 'Reaction time from the end of the stimulus to the key press (to 0.1 ms, the browser clock\'s precision)', units: 's' }]] : [[k, d]]))),
  } as TidyTable['descriptions'];
  const rows = table.rows.map((r) => {
    const n = r[frames] as number | null;
    const m = r[mean] as number | null;
    // To 1 ms: the mean interval is exported to 0.01 ms, so n frames of it are good to n x 0.005 ms.
    const duration = n !== null && m !== null ? rounded((n * m) / 1000, 3) : null;
    return [duration, ...r.map((v, i) => (i === rt ? rounded(v === null ? null : (v as number) / 1000, 4) : v))];
  });
  return { columns, descriptions, rows };
}

/** One row per answered trial, every column described. */
export function tidyTrials(db: Db, sessionId: number): TidyTable {
  const session = getSession(db, sessionId);
  const paradigm = paradigmOf(session.protocol.paradigmId);
  const descriptions = { ...COMMON_COLUMNS, ...paradigm.stimulusColumns, ...TRAILING_COLUMNS };
  const columns = Object.keys(descriptions);
  const cal = session.calibration as { refreshHz?: number; pxPerDeg?: number };
  const display = sessionGamma(session);
  // What the app's default analysis left out, and why (analysis.ts decides, so the two agree).
  const stored = trialRows(db, sessionId);
  const fit = analysedTrials(db, sessionId, true, stored);
  const used = new Set(fit.trials.map((t) => t.index));
  const why = new Map<number, string>([
    ...fit.flagged.map((f) => [f.trialIndex, 'dropped frame near the critical event'] as const),
    ...fit.guessed.map((i) => [i, 'random guess (no model readout)'] as const),
    ...fit.noAnswer.map((i) => [i, 'no model readout'] as const),
  ]);
  // People answer by key: the session's own, or (sessions stored before keys were) the paradigm's.
  const keysOfSession = session.participant.kind === 'model' || session.participant.kind === 'simulated' ? null : (session.responseKeys ?? defaultKeys(paradigm));
  const rows = stored.map((t) => {
    const extra = t.extra ? (parseStored(t.extra, `trials row ${t.id} (extra)`) as Record<string, unknown>) : null;
    const record: Record<string, Cell> = {
      session_id: session.id,
      participant_id: session.participant.id,
      participant_kind: session.participant.kind,
      participant_label: session.participant.label,
      setting: session.source === 'online' ? 'online' : 'lab',
      paradigm: paradigm.id,
      protocol_id: session.protocol.id,
      seed: session.protocol.seed,
      trial_index: t.trial_index,
      condition: t.condition,
      ...paradigm.tidyColumns(parseStored(t.stimulus, `trials row ${t.id} (stimulus)`), t.response, t.extra ? parseStored(t.extra, `trials row ${t.id} (extra)`) : null),
      response: t.response,
      response_key: keysOfSession?.[t.response] ?? null,
      guessed: session.participant.kind === 'model' ? extra?.guessed === true : null,
      in_fit: used.has(t.trial_index),
      left_out_because: used.has(t.trial_index) ? null : (why.get(t.trial_index) ?? null),
      repeat_of: typeof extra?.repeatOf === 'number' ? extra.repeatOf : null,
      rt_ms: rounded(t.rt_ms, 1),
      dropped_frames: t.dropped_frames,
      frame_count: t.frame_count,
      frame_interval_mean_ms: rounded(t.frame_interval_mean_ms, 2),
      frame_interval_sd_ms: rounded(t.frame_interval_sd_ms, 2),
      frame_interval_max_ms: rounded(t.frame_interval_max_ms, 1),
      critical_frame: t.critical_frame,
      refresh_hz: rounded(cal.refreshHz, 2),
      px_per_deg: rounded(cal.pxPerDeg, 2),
      monitor_profile: display.profile,
      gamma: rounded(display.gamma, 3),
      gamma_method: display.method,
      answered_at: t.answered_at,
    };
    return columns.map((c) => record[c] ?? null);
  });
  return { columns, descriptions, rows };
}

/**
 * A text cell a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage
 * return that some programs skip before one) is written with a leading apostrophe, as OWASP
 * advises; numbers are left as they are. The column dictionary says so.
 */
export function neutraliseFormula(v: Cell): Cell {
  return typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.partial-${process.pid}`;
  try {
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOSPC' ? 'the disk is full' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
    throw new PredlabError('storage', `Could not write ${file}: ${why}. Nothing was changed in the database.`);
  }
}

function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new PredlabError('storage', `Could not create the folder ${dir}: ${(e as Error).message}`);
  }
}

/** The run a session's files take in a subject's beh folder: the one it has, else the next free one. */
function runIndexFor(dir: string, task: string, sessionId: number): number {
  let max = 0;
  for (const name of fs.readdirSync(dir)) {
    // Runs count per task: a subject's first session of a second task is that task's run-1.
    if (!name.includes(`_task-${task}_run-`)) continue;
    const m = /_run-(\d+)_beh\.json$/.exec(name);
    if (!m) continue;
    const run = Number(m[1]);
    max = Math.max(max, run);
    try {
      if ((JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { PredLabSessionId?: unknown }).PredLabSessionId === sessionId) return run;
    } catch {
      /* not ours, or damaged: its run is taken */
    }
  }
  return max + 1;
}

/**
 * BIDS labels are alphanumeric only. A simulated observer's or a model's label carries numbers
 * ("pse -0.5", "pse 0.5", "pse 1.5", "pse 15"): their sign and point are spelled (m, p) so that
 * different observers never share a subject.
 */
export function bidsLabel(s: string, kind: 'human' | 'simulated' | 'model' = 'human'): string {
  const spelled = kind === 'human' ? s : s.replace(/-/g, 'm').replace(/\./g, 'p');
  const label = spelled.replace(/[^A-Za-z0-9]/g, '');
  return label || 'unlabelled';
}

const dictionaryOf = (table: TidyTable) =>
  Object.fromEntries(
    table.columns.map((c) => {
      const d = table.descriptions[c]!;
      return [c, { Description: d.description, ...(d.units ? { Units: d.units } : {}) }];
    }),
  );

/** A BIDS dataset's README (the validator asks for one): what the dataset holds and how it was made. */
export function bidsReadme(title: string, lines: string[]): string {
  return [
    title,
    '',
    ...lines,
    '',
    'Written by PredLab. Each participant has one folder (sub-<label>); each PredLab session is one run',
    '(beh/sub-<label>_task-<task>_run-<n>_beh.tsv, numbered from 1 per participant) with a JSON sidecar',
    'that names the session (PredLabSessionId) and describes every column, the paradigm parameters, the',
    'display calibration and the instructions the participant read.',
    'Times are in seconds. A trial the fit left out says why (in_fit, left_out_because).',
    '',
  ].join('\n');
}

/** `<base>.protocol.json` beside a session's CSV: what its trials were drawn from. */
export interface ExportedProtocol {
  sessionId: number;
  paradigm: string;
  protocolId: number;
  seed: number;
  parameters: Record<string, unknown>;
  participantKind: string;
  /** A model's guesses (no readout, answered at random) are in its fit (its observer settings asked for them). */
  guessesKept: boolean;
  predlabVersion: string;
}

/** A cell as the session CSV holds it (empty for null, booleans as true/false, numbers in full); analysis-from-export.ts reads it back. */
export const csvCell = (v: Cell): string => (v === null ? '' : String(neutraliseFormula(v)));

export function exportSession(db: Db, sessionId: number, format: 'csv' | 'bids', outDir: string): ExportResult {
  const tidy = tidyTrials(db, sessionId);
  const table = format === 'bids' ? bidsTrials(tidy) : tidy;
  const session = getSession(db, sessionId);
  const paradigm = paradigmOf(session.protocol.paradigmId);
  ensureDir(outDir);
  const dictionary = dictionaryOf(table);
  if (format === 'csv') {
    const base = path.join(outDir, `predlab_session-${sessionId}_${paradigm.id}_trials`);
    writeAtomic(`${base}.csv`, stringify([table.columns, ...table.rows.map((r) => r.map(csvCell))]));
    writeAtomic(`${base}.columns.json`, `${JSON.stringify(dictionary, null, 2)}\n`);
    // The protocol the trials came from: with it the file alone recomputes the fit (analysis-from-export.ts).
    const protocol: ExportedProtocol = { sessionId, paradigm: paradigm.id, protocolId: session.protocol.id, seed: session.protocol.seed, parameters: session.protocol.parameters, participantKind: session.participant.kind, guessesKept: guessesKeptOf(session), predlabVersion: APP_VERSION };
    writeAtomic(`${base}.protocol.json`, `${JSON.stringify(protocol, null, 2)}\n`);
    return { files: [`${base}.csv`, `${base}.columns.json`, `${base}.protocol.json`], rows: table.rows.length };
  }
  const sub = bidsLabel(session.participant.label, session.participant.kind);
  // Each session is a run of its subject, numbered from 1 in the order written (a study writes its
  // sessions in id order), so subjects with one session each have the same files; the sidecar
  // names the session, and a session exported again into the same folder keeps its run.
  const dir = path.join(outDir, `sub-${sub}`, 'beh');
  ensureDir(dir);
  const base = path.join(dir, `sub-${sub}_task-${paradigm.taskLabel}_run-${runIndexFor(dir, paradigm.taskLabel, sessionId)}_beh`);
  const tsv = stringify([table.columns, ...table.rows.map((r) => r.map((v) => (v === null ? 'n/a' : neutraliseFormula(v))))], { delimiter: '\t', cast: { boolean: (b) => String(b) } });
  const sidecar = {
    TaskName: paradigm.name,
    TaskDescription: paradigm.description,
    // What this participant read: the text for the session's display, or the experimenter's own.
    Instructions: instructionsOf(runSettingsOf(session.protocol.parameters), paradigm, paradigmParameters(session.protocol.parameters), session.responseKeys),
    PredLabSessionId: sessionId,
    // Read back by analyze --from-export (export-readback.ts): whether a model's random guesses were in its fit.
    PredLabGuessesKept: guessesKeptOf(session),
    SoftwareName: 'PredLab',
    SoftwareVersion: APP_VERSION,
    ParadigmParameters: session.protocol.parameters,
    Calibration: session.calibration,
    // Said apart from the calibration too, so a reader need not know where the profile's copy lies.
    MonitorProfile: sessionGamma(session).profile,
    DisplayGamma: sessionGamma(session).gamma,
    DisplayGammaMethod: sessionGamma(session).method,
    ...dictionary,
  };
  const description = path.join(outDir, 'dataset_description.json');
  const readme = path.join(outDir, 'README');
  // A session of a study takes the study's authors (a lone session has none to give).
  const studyId = studyOfSession(db, sessionId);
  const authors = studyId === null ? undefined : getStudy(db, studyId).settings.authors;
  if (!fs.existsSync(description))
    writeAtomic(description, `${JSON.stringify({ Name: 'PredLab export', BIDSVersion: '1.9.0', DatasetType: 'raw', ...(authors?.length ? { Authors: authors } : {}), GeneratedBy: [{ Name: 'PredLab', Version: APP_VERSION }] }, null, 2)}\n`);
  if (!fs.existsSync(readme)) writeAtomic(readme, bidsReadme('PredLab export', [
        `Session ${sessionId} (${paradigm.name}) of ${session.participant.kind === 'human' ? 'participant' : session.participant.kind} ${session.participant.label}.`,
        ...(authors?.length ? [] : ['No authors are named: a session exported outside a study has none to give (a study names its authors, and its export carries them).']),
      ]));
  writeAtomic(`${base}.tsv`, tsv);
  writeAtomic(`${base}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
  return { files: [`${base}.tsv`, `${base}.json`, description, readme], rows: table.rows.length };
}
