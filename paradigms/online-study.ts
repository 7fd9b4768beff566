/**
 * A study's protocol run online (jsPsych in any browser) and read back: the description the export
 * writes into the study's page, the names of the fields each jsPsych data record carries, and the
 * runner that plans trial after trial in the browser exactly as a lab session does (the same
 * design reducer, the same repeats of trials whose frames dropped near the critical event).
 * Pure: the browser bundle, the export and the import share it.
 */
import { z } from 'zod';
import { dropNearCriticalReason } from './frame-drops.js';
import { MAX_TRIALS } from './limits.js';
import { frameTimingSchema, type FrameTiming } from './records.js';
import { paradigmParameters, runSettingsOf, sessionInfoFieldSchema, type RunSettings } from './run-settings.js';
import type { TimingVerdict } from './timing-verdict.js';
import type { AnsweredTrial, Paradigm, TrialSpec } from './types.js';

export const ONLINE_FORMAT = 'predlab-online-study';
export const ONLINE_FORMAT_VERSION = 1;
/** The id of the <script type="application/json"> element that carries the study in index.html. */
export const STUDY_ELEMENT_ID = 'predlab-study';
/** Viewing distance assumed when the study skips the blind-spot measurement (57 cm: 1 cm is about 1 deg). */
export const ASSUMED_VIEWING_DISTANCE_CM = 57;
export const MAX_BLINDSPOT_REPS = 10;

export const onlineStudySchema = z
  .object({
    format: z.literal(ONLINE_FORMAT),
    version: z.literal(ONLINE_FORMAT_VERSION),
    studyId: z.number().int().positive(),
    studyName: z.string().max(100),
    protocolId: z.number().int().positive(),
    paradigmId: z.string().max(60),
    /** The protocol's parameters as stored (the run settings under `run`). */
    parameters: z.record(z.string(), z.unknown()),
    seed: z.number().int(),
    /** A design that does not depend on answers, as the fixed list of its trials; null: planned in the browser. */
    trials: z.array(z.object({ index: z.number().int().nonnegative(), condition: z.string(), stimulus: z.unknown() })).max(MAX_TRIALS).nullable(),
    sessionInfo: z.array(sessionInfoFieldSchema).max(12),
    calibration: z.object({ blindspotReps: z.number().int().min(0).max(MAX_BLINDSPOT_REPS), viewingDistanceCm: z.number().positive().max(1000) }).strict(),
    /** Where the participant goes at the end (a Prolific completion URL, say); null: stay on the last page. */
    completionUrl: z.string().url().max(2000).nullable(),
    exportedAt: z.string(),
    appVersion: z.string(),
  })
  .strict();
export type OnlineStudy = z.infer<typeof onlineStudySchema>;

/** What kind of record of ours a jsPsych data row is (the value of its `predlab` field). */
export type OnlineRecordKind = 'trial' | 'calibration' | 'session-info' | 'end';

/**
 * Fields every data row of a run carries (jsPsych's data.addProperties): the run (one visit of
 * one participant), the participant's ID from the URL, and the study and protocol it belongs to.
 */
/** Fields every row of a run carries; `keys`: the run's response keys, JSON (answer -> key), drawn in the browser when the protocol counterbalances them. */
export const RUN_FIELDS = { run: 'predlab_run', participant: 'participant', study: 'predlab_study', protocol: 'predlab_protocol', seed: 'predlab_seed', keys: 'predlab_keys' } as const;

/** The fields of a trial row (jsPsych's own `rt`, in ms, is the answer time). */
export interface OnlineTrialData {
  predlab: 'trial';
  phase: 'practice' | 'test';
  design_index: number;
  condition: string;
  /** JSON text, so a CSV of the data holds it in one cell. */
  stimulus: string;
  response: string;
  rt: number;
  frame_count: number;
  frame_interval_mean_ms: number;
  frame_interval_sd_ms: number;
  frame_interval_max_ms: number;
  dropped_frames: number;
  critical_frame: number | null;
  /** JSON text of the intervals (ms). */
  frame_intervals: string;
  refresh_hz: number;
  px_per_deg: number;
}

export function trialData(phase: 'practice' | 'test', trial: TrialSpec, response: string, rtMs: number, ft: FrameTiming, refreshHz: number, pxPerDeg: number): OnlineTrialData {
  return {
    predlab: 'trial',
    phase,
    design_index: trial.index,
    condition: trial.condition,
    stimulus: JSON.stringify(trial.stimulus),
    response,
    rt: rtMs,
    frame_count: ft.frameCount,
    frame_interval_mean_ms: ft.intervalMeanMs,
    frame_interval_sd_ms: ft.intervalSdMs,
    frame_interval_max_ms: ft.intervalMaxMs,
    dropped_frames: ft.droppedFrames,
    critical_frame: ft.criticalFrame,
    frame_intervals: JSON.stringify(ft.intervalsMs),
    refresh_hz: refreshHz,
    px_per_deg: pxPerDeg,
  };
}

/** JSON text or the value itself (a JSON data file keeps objects; a CSV cell holds their text). */
const jsonText = (what: string) =>
  z.unknown().transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${what} is not JSON` });
      return z.NEVER;
    }
  });
const num = z.coerce.number().finite();
const int = z.coerce.number().int();
/** A CSV's empty cell, JSON's null: no critical frame. */
const intOrNull = z.union([z.null(), z.literal(''), z.coerce.number().int()]).transform((v) => (v === '' || v === null ? null : v));

/** A trial row as read back from a JSON or CSV data file (CSV cells are text, so numbers are coerced). */
export const trialRecordSchema = z.object({
  predlab: z.literal('trial'),
  phase: z.enum(['practice', 'test']),
  design_index: int.pipe(z.number().int().nonnegative().max(2 * MAX_TRIALS)),
  condition: z.coerce.string().max(200),
  stimulus: jsonText('stimulus'),
  response: z.coerce.string().max(100),
  rt: num.pipe(z.number().nonnegative()),
  frame_count: int.pipe(z.number().nonnegative()),
  frame_interval_mean_ms: num.pipe(z.number().nonnegative()),
  frame_interval_sd_ms: num.pipe(z.number().nonnegative()),
  frame_interval_max_ms: num.pipe(z.number().nonnegative()),
  dropped_frames: int.pipe(z.number().nonnegative()),
  critical_frame: intOrNull,
  frame_intervals: jsonText('frame_intervals').pipe(frameTimingSchema.shape.intervalsMs),
  refresh_hz: num.pipe(z.number().min(20).max(1000)),
  px_per_deg: num.pipe(z.number().positive()),
});
export type TrialRecord = z.output<typeof trialRecordSchema>;

export function frameTimingOf(r: TrialRecord): FrameTiming {
  return {
    frameCount: r.frame_count,
    intervalMeanMs: r.frame_interval_mean_ms,
    intervalSdMs: r.frame_interval_sd_ms,
    intervalMaxMs: r.frame_interval_max_ms,
    droppedFrames: r.dropped_frames,
    criticalFrame: r.critical_frame,
    intervalsMs: r.frame_intervals,
  };
}

/** The session-information fields asked online: the protocol's, narrowed to the study's own list when it names one. */
export function onlineSessionInfo(run: RunSettings, studyFields: readonly string[] | undefined): RunSettings['sessionInfo'] {
  if (!studyFields?.length) return run.sessionInfo;
  return run.sessionInfo.filter((f) => studyFields.includes(f.key));
}

/**
 * Plans the data trials one after another as a lab session does (sessions.ts): the design's
 * trials (a fixed list, or the design's reducer fed each answer), then, when the protocol says
 * so, one repeat of each trial whose frames dropped near its critical event.
 */
export class OnlineRunner {
  readonly params: Record<string, unknown>;
  readonly run: RunSettings;
  readonly base: number;
  private state: unknown;
  private readonly repeats: TrialSpec[] = [];
  private answered = 0;

  constructor(
    readonly paradigm: Paradigm<any, any, any>,
    readonly study: Pick<OnlineStudy, 'parameters' | 'seed' | 'trials'>,
    private readonly refreshHz: number,
  ) {
    this.params = paradigmParameters(study.parameters);
    this.run = runSettingsOf(study.parameters);
    this.base = paradigm.design.trialCount(this.params);
    this.state = paradigm.design.initialState(this.params, study.seed);
  }

  /** Trials planned so far (grows with repeats). */
  get total(): number {
    return this.base + (this.run.repeatDropped ? this.repeats.length : 0);
  }

  /** The next data trial (with the index it is stored under), or null when the protocol is done. */
  next(): (TrialSpec & { repeatOf: number | null }) | null {
    const index = this.answered;
    if (index < this.base) {
      const t = this.study.trials ? (this.study.trials[index] ?? null) : this.paradigm.design.plan(this.state, this.params, this.study.seed, index);
      return t ? { index, condition: t.condition, stimulus: t.stimulus, repeatOf: null } : null;
    }
    const original = this.run.repeatDropped ? this.repeats[index - this.base] : undefined;
    return original ? { index, condition: original.condition, stimulus: original.stimulus, repeatOf: original.index } : null;
  }

  /** Fold in the answer to the trial `next()` gave. */
  answer(trial: TrialSpec, response: string, ft: FrameTiming): void {
    if (trial.index !== this.answered) throw new RangeError(`expected an answer to trial ${this.answered}, not ${trial.index}`);
    if (trial.index < this.base) {
      const answered: AnsweredTrial = { index: trial.index, stimulus: trial.stimulus, response, extra: null };
      this.state = this.paradigm.design.update(this.state, this.params, answered);
      if (this.run.repeatDropped && dropNearCriticalReason(ft.intervalsMs, ft.droppedFrames, ft.criticalFrame, this.refreshHz) !== null)
        this.repeats.push({ index: trial.index, condition: trial.condition, stimulus: trial.stimulus });
    }
    this.answered++;
  }
}

/* ------------------------------------------------ what export and import report */

export interface OnlineExportResult {
  folder: string;
  files: string[];
  study: Pick<OnlineStudy, 'studyId' | 'protocolId' | 'paradigmId' | 'seed'>;
  /** Data trials the protocol plans (repeats of spoiled trials come on top). */
  trials: number;
  adaptive: boolean;
}

/** A record or run left out of an import, and where it was (file, line or record). */
export interface ImportProblem {
  where: string;
  problem: string;
}

/** A run's frame timing over its data trials, judged by the display timing criterion. */
export interface OnlineTiming {
  refreshHz: number;
  frames: number;
  droppedFrames: number;
  intervalSdMs: number;
  verdict: TimingVerdict;
}

export interface ImportedRun {
  run: string;
  participant: string;
  sessionId: number;
  trials: number;
  status: 'complete' | 'aborted';
  timing: OnlineTiming;
}

export interface OnlineImportResult {
  file: string;
  studyId: number;
  protocolId: number;
  records: number;
  imported: ImportedRun[];
  /** Runs already in the lab (imported before): left as they are. */
  alreadyImported: { run: string; participant: string; sessionId: number }[];
  problems: ImportProblem[];
  /** Problems beyond those listed. */
  moreProblems: number;
}
