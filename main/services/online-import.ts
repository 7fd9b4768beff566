/**
 * Data of an online study read back into the lab: a jsPsych JSON or CSV data file (what the
 * study offers as a download) or JATOS's results. Each run of the study (one visit of one
 * participant) becomes a person's session of the study's protocol, marked online (source
 * 'online') with its browser, screen, calibration and frame-timing verdict kept with the
 * calibration. Every trial goes through recordTrial, so the lab plans it again from the protocol
 * and refuses a record whose stimulus is not the one planned: the stored trials are the lab's own.
 * All runs are written in one transaction; a run already in the lab (same run id) is skipped, so
 * importing twice adds nothing; a malformed or foreign record is reported by where it is and skipped.
 */
import path from 'node:path';
import { frameTimingOf, RUN_FIELDS, trialRecordSchema, type ImportedRun, type OnlineImportResult, type OnlineTiming, type TrialRecord } from '../../paradigms/online-study.js';

export type { ImportedRun, OnlineImportResult, OnlineTiming };
import { runSettingsOf, validateSessionInfo } from '../../paradigms/run-settings.js';
import { timingVerdict } from '../../paradigms/timing-verdict.js';
import { calibrationSchema } from '../../preload/contract.js';
import { readRegularFile } from '../../native-models/safe-read.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { finishSession, getProtocol, nextTrial, paradigmOf, recordTrial, startSession } from './sessions.js';
import { addSessionToStudy, getStudy, studyOfSession } from './studies.js';
import { studyProtocol } from './online-export.js';
import { isObject, isZip, jatosResultRecords, parseRecords, type ImportProblem, type RawRecord } from './online-records.js';
import { keyProblems, responseKeysSchema, type ResponseKeys } from '../../paradigms/response-keys.js';

/** The largest data file read (a 1,000-trial run is about 1 MB of jsPsych JSON). */
export const ONLINE_IMPORT_MAX_BYTES = 64 * 2 ** 20;
/** Records (jsPsych data rows) in one file. */
export const ONLINE_IMPORT_MAX_RECORDS = 200_000;
/** Runs (participants' visits) in one file. */
export const ONLINE_IMPORT_MAX_RUNS = 2000;
/** Problems listed one by one (the rest are counted). */
const PROBLEMS_LISTED = 50;

/** A CSV cell holds text; a JSON row its value. */
const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const jsonOf = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
};
const numberOf = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/** One run's records, sorted out. */
interface Run {
  id: string;
  participant: string;
  /** The run's response keys as the page wrote them (JSON), or '' (a study page from before keys were stored). */
  keys: string;
  calibration: RawRecord | null;
  browser: RawRecord | null;
  chinrest: RawRecord | null;
  sessionInfo: RawRecord | null;
  trials: { where: string; trial: TrialRecord }[];
  ended: boolean;
}

function sortRuns(records: RawRecord[], protocol: { id: number; seed: number }, problems: ImportProblem[]): Map<string, Run> {
  const runs = new Map<string, Run>();
  for (const r of records) {
    const d = r.data;
    const runId = text(d[RUN_FIELDS.run]).trim();
    if (!runId) {
      problems.push({ where: r.where, problem: 'not a record of a PredLab online study (no predlab_run)' });
      continue;
    }
    if (numberOf(d[RUN_FIELDS.protocol]) !== protocol.id || numberOf(d[RUN_FIELDS.seed]) !== protocol.seed) {
      problems.push({ where: r.where, problem: `a record of another study (protocol ${text(d[RUN_FIELDS.protocol]) || '?'}, seed ${text(d[RUN_FIELDS.seed]) || '?'}; this study's is protocol ${protocol.id}, seed ${protocol.seed})` });
      continue;
    }
    if (runId.length > 100) {
      problems.push({ where: r.where, problem: 'its predlab_run is longer than 100 characters' });
      continue;
    }
    let run = runs.get(runId);
    // Every row of a run carries the same keys; a row that says otherwise is another run's.
    if (run && text(d[RUN_FIELDS.keys]) && text(d[RUN_FIELDS.keys]) !== run.keys) {
      problems.push({ where: r.where, problem: `participant ${run.participant || runId}: its response keys differ from the run's first row; the row is left out` });
      continue;
    }
    if (!run) {
      if (runs.size >= ONLINE_IMPORT_MAX_RUNS) throw new PredlabError('invalid-argument', `The file holds more than ${ONLINE_IMPORT_MAX_RUNS} runs of the study; split it (nothing was imported).`);
      run = { id: runId, participant: text(d[RUN_FIELDS.participant]).trim(), keys: text(d[RUN_FIELDS.keys]), calibration: null, browser: null, chinrest: null, sessionInfo: null, trials: [], ended: false };
      runs.set(runId, run);
    }
    const type = text(d.trial_type);
    if (type === 'predlab-trial') {
      const parsed = trialRecordSchema.safeParse(d);
      if (!parsed.success) problems.push({ where: r.where, problem: `a malformed trial: ${describeIssues(parsed.error.issues)}` });
      else if (parsed.data.phase === 'test') run.trials.push({ where: r.where, trial: parsed.data });
    } else if (type === 'predlab-calibration') run.calibration = r;
    else if (type === 'browser-check') run.browser = r;
    else if (type === 'virtual-chinrest') run.chinrest = r;
    else if (text(d.predlab) === 'session-info') run.sessionInfo = r;
    else if (text(d.predlab) === 'end') run.ended = true;
  }
  return runs;
}

/** Frame timing over all of a run's data trials, judged by the display timing criterion. */
function runTiming(trials: TrialRecord[], refreshHz: number): OnlineTiming {
  const intervals = trials.flatMap((t) => t.frame_intervals);
  const mean = intervals.length ? intervals.reduce((a, b) => a + b, 0) / intervals.length : 0;
  const sd = intervals.length > 1 ? Math.sqrt(intervals.reduce((a, b) => a + (b - mean) ** 2, 0) / (intervals.length - 1)) : 0;
  const frames = trials.reduce((n, t) => n + t.frame_count, 0);
  const droppedFrames = trials.reduce((n, t) => n + t.dropped_frames, 0);
  return { refreshHz, frames, droppedFrames, intervalSdMs: sd, verdict: timingVerdict({ frames, droppedFrames, intervalSdMs: sd, refreshHz }) };
}

function sessionOfRun(db: Db, runId: string): number | null {
  const r = db.prepare("SELECT id FROM sessions WHERE source = 'online' AND json_extract(calibration, '$.online.run') = ?").get(runId) as { id: number } | undefined;
  return r?.id ?? null;
}

/** What the browser and the card match said, kept with the session's calibration. */
function onlineDetails(run: Run, file: string, timing: OnlineTiming): Record<string, unknown> {
  const b = run.browser?.data ?? {};
  const c = run.calibration!.data;
  const k = run.chinrest?.data ?? {};
  return {
    run: run.id,
    participant: run.participant,
    file: path.basename(file),
    takenAt: text(c.taken_at).slice(0, 40) || null,
    browser: { name: text(b.browser) || null, version: text(b.browser_version) || null, os: text(b.os) || null, mobile: text(b.mobile) === 'true' || b.mobile === true, vsyncRateHz: numberOf(b.vsync_rate), userAgent: text(c.user_agent).slice(0, 400) || null },
    screen: { width: numberOf(c.screen_width), height: numberOf(c.screen_height), windowWidth: numberOf(c.window_width), windowHeight: numberOf(c.window_height), devicePixelRatio: numberOf(c.device_pixel_ratio) },
    card: { itemWidthPx: numberOf(k.item_width_px), pxPerMm: numberOf(k.px2mm), viewDistanceMm: numberOf(k.view_dist_mm), viewingDistance: text(c.viewing_distance) || null },
    timing,
    completed: run.ended,
  };
}

/** Stops a run's import at a trial the lab cannot take; the trials before it are kept. */
class RunStop extends Error {}

export function importOnlineData(db: Db, studyId: number, file: string, o: { protocolId?: number | undefined } = {}): OnlineImportResult {
  const study = getStudy(db, studyId);
  const protocol = getProtocol(db, studyProtocol(db, studyId, o.protocolId));
  const name = path.basename(file);
  const problems: ImportProblem[] = [];
  const bytes = readRegularFile(file, ONLINE_IMPORT_MAX_BYTES, 'data file');
  const records = isZip(bytes) ? jatosResultRecords(bytes, name, problems) : parseRecords(bytes.toString('utf8'), name, problems);
  return importRecords(db, study.id, protocol, file, records, problems);
}

/** The import proper, from records already read (a JATOS archive gives several files' records). */
export function importRecords(db: Db, studyId: number, protocol: ReturnType<typeof getProtocol>, file: string, records: RawRecord[], problems: ImportProblem[]): OnlineImportResult {
  if (records.length > ONLINE_IMPORT_MAX_RECORDS) throw new PredlabError('invalid-argument', `${path.basename(file)} holds ${records.length} records; PredLab imports at most ${ONLINE_IMPORT_MAX_RECORDS} from one file (nothing was imported).`);
  const runs = sortRuns(records, protocol, problems);
  if (runs.size === 0) throw new PredlabError('invalid-argument', `${path.basename(file)} holds no run of this study's protocol (${protocol.id}, seed ${protocol.seed})${problems.length ? `; first problem: ${problems[0]!.where}: ${problems[0]!.problem}` : ''}. Nothing was imported.`);
  const fields = runSettingsOf(protocol.parameters).sessionInfo;
  const imported: ImportedRun[] = [];
  const alreadyImported: OnlineImportResult['alreadyImported'] = [];
  db.transaction(() => {
    for (const run of runs.values()) {
      const participant = run.participant || `online-${run.id.slice(0, 8)}`;
      const known = sessionOfRun(db, run.id);
      if (known !== null) {
        alreadyImported.push({ run: run.id, participant, sessionId: known });
        continue;
      }
      const cal = run.calibration ? calibrationSchema.safeParse(jsonOf(run.calibration.data.calibration)) : null;
      if (!cal?.success) {
        problems.push({ where: run.calibration?.where ?? `run ${run.id}`, problem: `participant ${participant}: ${cal ? `a malformed calibration (${describeIssues(cal.error.issues)})` : 'no calibration record'}; the run is skipped` });
        continue;
      }
      // The keys the browser gave this participant; a page that did not say used the protocol's.
      let keys: ResponseKeys | null = null;
      if (run.keys) {
        const parsed = responseKeysSchema.safeParse(jsonOf(run.keys));
        const wrong = parsed.success ? keyProblems(paradigmOf(protocol.paradigmId), parsed.data) : [describeIssues(parsed.error.issues)];
        if (wrong.length) {
          problems.push({ where: `run ${run.id}`, problem: `participant ${participant}: malformed response keys (${wrong.join(' ')}); the run is skipped` });
          continue;
        }
        keys = parsed.data ?? null;
      }
      // One trial per index: a repeated index is a foreign record.
      const byIndex = new Map<number, { where: string; trial: TrialRecord }>();
      for (const t of run.trials) {
        if (byIndex.has(t.trial.design_index)) problems.push({ where: t.where, problem: `participant ${participant}: trial ${t.trial.design_index + 1} again; the first one is kept` });
        else byIndex.set(t.trial.design_index, t);
      }
      let info: Record<string, string | number> = {};
      const answers = run.sessionInfo ? jsonOf(run.sessionInfo.data.response) : undefined;
      if (isObject(answers)) {
        const checked = validateSessionInfo(fields, answers);
        if (checked.problems.length) problems.push({ where: run.sessionInfo!.where, problem: `participant ${participant}: session information left out: ${checked.problems.join(' ')}` });
        else info = checked.values;
      }
      const timing = runTiming([...byIndex.values()].map((t) => t.trial), cal.data.refreshHz);
      try {
        // A savepoint per run: a run refused half-way leaves nothing of itself.
        const done = db.transaction(() => {
          const session = startSession(db, {
            participant: { label: participant },
            responseKeys: keys ?? undefined,
            sessionInfo: info,
            paradigmId: protocol.paradigmId,
            parameters: {},
            protocolId: protocol.id,
            calibration: { ...cal.data, online: onlineDetails(run, file, timing) },
            source: 'online',
          });
          let stored = 0;
          for (;;) {
            const planned = nextTrial(db, session.id);
            if (!planned) break;
            const got = byIndex.get(planned.index);
            if (!got) {
              if (planned.index < byIndex.size || [...byIndex.keys()].some((i) => i > planned.index))
                problems.push({ where: `run ${run.id}`, problem: `participant ${participant}: trial ${planned.index + 1} is missing; the session keeps the ${stored} trial(s) before it and is marked aborted` });
              break;
            }
            if (got.trial.condition !== planned.condition || JSON.stringify(got.trial.stimulus) !== JSON.stringify(planned.stimulus))
              throw new RunStop(`${got.where}: participant ${participant}: trial ${planned.index + 1} is not the trial this protocol plans (${planned.condition}); the run is skipped`);
            if (!/^[\x20-\x7e]{1,100}$/.test(got.trial.response)) throw new RunStop(`${got.where}: participant ${participant}: the answer is not text the lab stores; the run is skipped`);
            recordTrial(db, session.id, { trialIndex: planned.index, response: got.trial.response, rtMs: got.trial.rt, frameTiming: frameTimingOf(got.trial) });
            stored++;
          }
          const complete = nextTrial(db, session.id) === null;
          finishSession(db, session.id, complete ? 'complete' : 'aborted');
          if (studyOfSession(db, session.id) === null) addSessionToStudy(db, studyId, session.id);
          return { sessionId: session.id, trials: stored, status: complete ? ('complete' as const) : ('aborted' as const) };
        })();
        imported.push({ run: run.id, participant, ...done, timing });
      } catch (e) {
        if (e instanceof RunStop) {
          const [where, ...rest] = e.message.split(': ');
          problems.push({ where: where!, problem: rest.join(': ') });
        } else if (e instanceof PredlabError && e.code !== 'storage') problems.push({ where: `run ${run.id}`, problem: `participant ${participant}: ${e.message} The run is skipped.` });
        else throw e;
      }
    }
  }).immediate();
  return { file, studyId, protocolId: protocol.id, records: records.length, imported, alreadyImported, problems: problems.slice(0, PROBLEMS_LISTED), moreProblems: Math.max(0, problems.length - PROBLEMS_LISTED) };
}
