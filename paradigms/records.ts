/**
 * Lab records, typed once: participants, sessions, trials, models, analysis results and
 * comparisons. The IPC contract, the store and the services all take their types from here.
 */
import { z } from 'zod';
import type { OracleFraction, ReferenceSummary } from './references.js';
import type { AnalysisResult, ResponseOption, ParamField, Statistic } from './types.js';
export * from './monitor-profile.js';
export type { HalfSplitMatch, PhotometerFit, PhotometerPoint } from './gamma.js';

export const frameTimingSchema = z
  .object({
    frameCount: z.number().int().nonnegative().max(1_000_000),
    intervalMeanMs: z.number().finite().nonnegative(),
    intervalSdMs: z.number().finite().nonnegative(),
    intervalMaxMs: z.number().finite().nonnegative(),
    droppedFrames: z.number().int().nonnegative(),
    criticalFrame: z.number().int().nullable(),
    intervalsMs: z.array(z.number().finite()).max(100000),
  })
  .strict();
export type FrameTiming = z.infer<typeof frameTimingSchema>;

export interface ParadigmInfo {
  id: string;
  name: string;
  description: string;
  instructions: string;
  responses: ResponseOption[];
  prompt: string;
  defaults: Record<string, unknown>;
  /** Every editable parameter: the paradigm's curated fields, then the rest of its schema (advanced). */
  form: ParamField[];
  /** Whether practice can give feedback (the paradigm defines a correct answer). */
  feedback: boolean;
  /** How a model answers: the readout's description, its unit, and the layer it reads by default. */
  readout: { description: string; unit: string; defaultLayer: string | null };
}

/** 'simulated': an observer drawn from a known psychometric function (design tests, demos), neither a person nor a model. */
export type ParticipantKind = 'human' | 'model' | 'simulated';

export interface Participant {
  id: number;
  kind: ParticipantKind;
  label: string;
  details: Record<string, unknown>;
  createdAt: string;
}

export type SessionStatus = 'running' | 'complete' | 'aborted';

export interface Protocol {
  id: number;
  paradigmId: string;
  parameters: Record<string, unknown>;
  seed: number;
}

export interface SessionInfo {
  id: number;
  status: SessionStatus;
  participant: Participant;
  protocol: Protocol;
  calibration: Record<string, unknown>;
  appVersion: string;
  source: string;
  /** Which key gave which answer in this session (null: the paradigm's own keys, or a model answering by value). */
  responseKeys: Record<string, string> | null;
  startedAt: string;
  endedAt: string | null;
  answered: number;
  total: number;
}

export interface PlannedTrial {
  sessionId: number;
  index: number;
  condition: string;
  stimulus: Record<string, unknown>;
  answered: number;
  total: number;
  /** Set when this trial repeats an earlier one whose frames dropped near its critical event. */
  repeatOf?: number | null;
}

export interface RecordResult {
  answered: number;
  total: number;
  done: boolean;
}

export interface ExportResult {
  files: string[];
  rows: number;
}

export interface ModelInfo {
  id: number;
  path: string;
  label: string;
  parameters: number;
  config: Record<string, unknown>;
  source: Record<string, unknown>;
  training: Record<string, unknown> | null;
  registeredAt: string;
  updatedAt: string;
}

export type SessionAnalysis = AnalysisResult & {
  sessionId: number;
  /** A model session's reference observers on the same trials (copy-last, oracle), where they were run. */
  references?: ReferenceSummary[];
  /** The model's headline statistics as fractions of the oracle's (where defined). */
  ofOracle?: OracleFraction[];
  /** How the model saw the trials in time and decided (model sessions): one line. */
  modelNote?: string;
};

/** One condition of one session in a comparison. */
export interface ComparisonRow {
  sessionId: number;
  protocolId: number;
  paradigmId: string;
  kind: ParticipantKind;
  label: string;
  /** A reference observer's session (copy-last, oracle): read beside the models, never compared with people. */
  reference?: 'copy-last' | 'oracle' | 'untrained';
  group: string;
  condition: string;
  conditionLabel: string;
  trials: number;
  statistics: Statistic[];
  messages: string[];
}

/** Person minus model for one comparable statistic of the same paradigm, group and condition. */
export interface ComparisonDifference {
  humanSessionId: number;
  modelSessionId: number;
  paradigmId: string;
  group: string;
  condition: string;
  sameProtocol: boolean;
  statistic: string;
  label: string;
  unit: string;
  diff: number;
  /**
   * 95 % interval of the difference. 'paired': a bootstrap over the trials both answered (same
   * protocol), one resample refitted for both; 'independent': the two CI half-widths combined in
   * quadrature (different trials, or too few resamples gave both values).
   */
  diffCi: [number, number];
  ciMethod: 'paired' | 'independent';
  /** Why the interval is not paired ('different trials', or why the same trials gave no paired bootstrap). */
  independentBecause?: string;
  /** Trials both sessions answered (0 for different protocols). */
  sharedTrials: number;
  /** Sessions whose value is not determined by their data (a fit at its bound): then so is the difference. */
  undeterminedIn: number[];
}

export interface Comparison {
  rows: ComparisonRow[];
  differences: ComparisonDifference[];
  analyses: SessionAnalysis[];
  /**
   * Each model's headline statistic minus copy-last's on the same trials (paired bootstrap over the
   * trials both answered): what the model shows beyond what the display and the readout give alone.
   */
  beyondCopyLast?: { modelSessionId: number; referenceSessionId: number; condition: string; statistic: string; label: string; unit: string; diff: number | null; diffCi: [number, number] | null; sharedTrials: number; undetermined?: string }[];
  /** Which reference session stands beside which model session (added to the comparison when they were run). */
  references?: { modelSessionId: number; kind: 'copy-last' | 'oracle' | 'untrained'; sessionId: number }[];
}

/** The trial inspector: what a model saw and predicted on one stored trial. */
export interface TrialFilmstrip {
  /** The trial's condition (the paradigm's condition key). */
  condition: string;
  width: number;
  height: number;
  frames: number;
  frameRateHz: number;
  criticalFrame: number | null;
  readoutFrame: number | null;
  /** Each: `frames` grey images of width x height, 8-bit, concatenated, base64. */
  stimulus: string;
  prediction: string;
  error: string;
  extra: Record<string, unknown> | null;
}

/** A model taking a protocol in the background. */
export interface ModelJob {
  id: number;
  label: string;
  protocolId: number | null;
  state: 'running' | 'done' | 'error';
  done: number;
  total: number;
  sessionId: number | null;
  error: string | null;
}
