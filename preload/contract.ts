/**
 * The one IPC contract: channel name -> argument schema and result type.
 * main validates every argument with these schemas; the preload builds `window.predlab` from the
 * channel list; the renderer gets the types. Errors cross as { code, message }.
 */
import { z } from 'zod';
import type { FlashLagAnalysis } from '../paradigms/flash-lag/analysis.js';
import type { ResponseOption } from '../paradigms/types.js';


const id = z.number().int().positive();
const json = z.record(z.string(), z.unknown());

export const calibrationSchema = z
  .object({
    screenWidthCm: z.number().finite().positive().max(1000),
    screenWidthPx: z.number().int().positive().max(100000),
    viewingDistanceCm: z.number().finite().positive().max(1000),
    refreshHz: z.number().finite().min(20).max(1000),
    pxPerDeg: z.number().finite().positive(),
    method: z.enum(['screen-width', 'credit-card']),
    devicePixelRatio: z.number().finite().positive().optional(),
  })
  .strict();
export type Calibration = z.infer<typeof calibrationSchema>;

export const frameTimingSchema = z
  .object({
    frameCount: z.number().int().nonnegative(),
    intervalMeanMs: z.number().finite().nonnegative(),
    intervalSdMs: z.number().finite().nonnegative(),
    intervalMaxMs: z.number().finite().nonnegative(),
    droppedFrames: z.number().int().nonnegative(),
    criticalFrame: z.number().int().nullable(),
    intervalsMs: z.array(z.number().finite()).max(100000),
  })
  .strict();
export type FrameTiming = z.infer<typeof frameTimingSchema>;

export const schemas = {
  'paradigms:list': z.object({}).strict(),
  'participants:create': z.object({ kind: z.literal('human'), label: z.string().trim().min(1, 'label must not be empty').max(100), details: json.optional() }).strict(),
  'participants:list': z.object({}).strict(),
  'sessions:start': z
    .object({
      participantId: id,
      paradigmId: z.string().min(1).max(64),
      parameters: json,
      seed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1).optional(),
      calibration: calibrationSchema,
      /** A model that takes the same trials in the background while the person is tested. */
      companionModelId: id.optional(),
    })
    .strict(),
  'sessions:next': z.object({ sessionId: id }).strict(),
  'sessions:record': z
    .object({
      sessionId: id,
      trialIndex: z.number().int().nonnegative(),
      response: z.string().min(1).max(64),
      rtMs: z.number().finite().nonnegative().max(3_600_000).nullable(),
      frameTiming: frameTimingSchema,
    })
    .strict(),
  'sessions:finish': z.object({ sessionId: id, status: z.enum(['complete', 'aborted']) }).strict(),
  'sessions:list': z.object({ status: z.enum(['running', 'complete', 'aborted']).optional() }).strict(),
  'sessions:get': z.object({ sessionId: id }).strict(),
  'analysis:session': z.object({ sessionId: id, bootstrap: z.number().int().min(0).max(5000).optional() }).strict(),
  'export:session': z.object({ sessionId: id, format: z.enum(['csv', 'bids']) }).strict(),
  // Fullscreen goes through the main process: the window's permission handler grants the page nothing but the camera.
  'display:fullscreen': z.object({ on: z.boolean() }).strict(),
  'models:list': z.object({}).strict(),
  'models:run-session': z
    .object({
      modelId: id,
      protocolId: id,
      observer: z
        .object({ fovDeg: z.number().positive().max(180), frameRateHz: z.number().positive().max(240), decisionNoiseDeg: z.number().nonnegative().max(10), readoutDelayFrames: z.number().int().min(0).max(100) })
        .partial()
        .strict()
        .optional(),
    })
    .strict(),
  'models:inspect-trial': z.object({ sessionId: id, trialIndex: z.number().int().nonnegative() }).strict(),
  'models:jobs': z.object({}).strict(),
  'compare:sessions': z.object({ sessionIds: z.array(id).min(1).max(20), bootstrap: z.number().int().min(0).max(5000).optional() }).strict(),
  'engine:info': z.object({}).strict(),
} as const;

export type Channel = keyof typeof schemas;
export const channels = Object.keys(schemas) as Channel[];
export type Args<C extends Channel> = z.input<(typeof schemas)[C]>;

export interface ParadigmInfo {
  id: string;
  name: string;
  description: string;
  instructions: string;
  responses: ResponseOption[];
  defaults: Record<string, unknown>;
}

export interface Participant {
  id: number;
  kind: 'human' | 'model';
  label: string;
  details: Record<string, unknown>;
  createdAt: string;
}

export type SessionStatus = 'running' | 'complete' | 'aborted';

export interface SessionInfo {
  id: number;
  status: SessionStatus;
  participant: Participant;
  protocol: { id: number; paradigmId: string; parameters: Record<string, unknown>; seed: number };
  calibration: Record<string, unknown>;
  appVersion: string;
  source: string;
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

export type SessionAnalysis = FlashLagAnalysis & { sessionId: number };

export interface Results {
  'paradigms:list': ParadigmInfo[];
  'participants:create': Participant;
  'participants:list': Participant[];
  'sessions:start': SessionInfo;
  'sessions:next': PlannedTrial | null;
  'sessions:record': RecordResult;
  'sessions:finish': SessionInfo;
  'sessions:list': SessionInfo[];
  'sessions:get': SessionInfo;
  'analysis:session': SessionAnalysis;
  'export:session': ExportResult;
  'display:fullscreen': { fullscreen: boolean };
  'models:list': ModelInfo[];
  'models:run-session': SessionInfo;
  'models:inspect-trial': TrialFilmstrip;
  'compare:sessions': Comparison;
  'models:jobs': ModelJob[];
  'engine:info': EngineInfo;
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

export interface EngineInfo {
  backend: string;
  detail: string;
  patchedKernels: string[];
  skipped: { choice: string; reason: string }[];
}

/** What crosses the boundary: a result or an error a person can act on. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

export interface ComparisonRow {
  sessionId: number;
  protocolId: number;
  kind: 'human' | 'model';
  label: string;
  variant: string;
  speedDegPerS: number;
  trials: number;
  pseDeg: number | null;
  pseDegCi: [number, number] | null;
  pseMs: number | null;
  pseMsCi: [number, number] | null;
  /** Models only: where the noise-free perceived offset crosses zero. */
  directPseDeg: number | null;
  messages: string[];
}

export interface ComparisonDifference {
  humanSessionId: number;
  modelSessionId: number;
  variant: string;
  speedDegPerS: number;
  sameProtocol: boolean;
  /** Person minus model. */
  diffDeg: number;
  diffMs: number;
  /** Approximate 95 % interval: the two CI half-widths combined in quadrature (independent sessions). */
  diffDegCi: [number, number];
  diffMsCi: [number, number];
}

export interface Comparison {
  rows: ComparisonRow[];
  differences: ComparisonDifference[];
  analyses: SessionAnalysis[];
}

/** The trial inspector: what a model saw and predicted on one stored trial. */
export interface TrialFilmstrip {
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
