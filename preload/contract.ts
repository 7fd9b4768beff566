/**
 * The one IPC contract: channel name -> argument schema and result type. The core channels are
 * here; each feature (datasets, training, the paper battery, studies) declares its own in
 * preload/channels/<feature>.ts, merged below. main validates every argument with these schemas; the preload builds `window.predlab` from the
 * channel list; the renderer gets the types. Errors cross as { code, message }.
 */
import { z } from 'zod';
import { datasetsSchemas, type DatasetResults } from './channels/datasets.js';
import { modelsSchemas, type ModelsResults } from './channels/models.js';
import { workSchemas, type WorkResults } from './channels/work.js';
import { replicateSchemas, type ReplicateResults } from './channels/replicate.js';
import { studiesSchemas, type StudyResults } from './channels/studies.js';
import { trainingSchemas, type TrainingResults } from './channels/training.js';
import { calibrationSchema, id, json } from './schema-parts.js';
import { monitorsSchemas, type MonitorResults } from './channels/monitors.js';
import { observerOverridesSchema } from '../paradigms/observer-settings.js';
import { fitChoiceSchema } from '../paradigms/psychometric.js';
import { frameTimingSchema, type Comparison, type ExportResult, type ModelInfo, type ModelJob, type ParadigmInfo, type Participant, type PlannedTrial, type RecordResult, type SessionAnalysis, type SessionInfo, type TrialFilmstrip } from '../paradigms/records.js';

export * from '../paradigms/records.js';

export { MAX_JSON_CHARS } from './schema-parts.js';

/** Where the experimenter's window opened: on a screen other than the participant's, or (one screen) beside it. */
export interface ExperimenterWindowResult {
  secondScreen: boolean;
  /** In a sentence, for the page. */
  message: string;
}

export { calibrationSchema, type Calibration } from './schema-parts.js';

const coreSchemas = {
  'paradigms:list': z.object({}).strict(),
  'participants:create': z.object({ kind: z.literal('human'), label: z.string().trim().min(1, 'label must not be empty').max(100), details: json.optional() }).strict(),
  'participants:list': z.object({}).strict(),
  'sessions:start': z
    .object({
      /** An existing participant; or else `participant`, a person by their ID (reused when the ID is known). */
      participantId: id.optional(),
      participant: z.object({ label: z.string().trim().min(1, 'label must not be empty').max(100), details: json.optional() }).strict().optional(),
      /** Answers to the protocol's session-information fields (kept in the participant's details). */
      sessionInfo: json.optional(),
      paradigmId: z.string().min(1).max(64),
      parameters: json,
      seed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1).optional(),
      /** The display as measured; or else `monitorProfileId`, a monitor profile whose values (and gamma) the session keeps a copy of. */
      calibration: calibrationSchema.optional(),
      monitorProfileId: id.optional(),
      /** A model that takes the same trials in the background while the person is tested. */
      companionModelId: id.optional(),
    })
    .strict()
    .refine((a) => (a.participantId === undefined) !== (a.participant === undefined), { message: 'give either participantId or participant (a person by their ID), not both', path: ['participant'] })
    .refine((a) => (a.calibration === undefined) !== (a.monitorProfileId === undefined), { message: 'give either calibration or monitorProfileId (a monitor profile), not both', path: ['monitorProfileId'] }),
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
  // excludeDroppedFrames (default true): leave out trials with a dropped frame near the critical event; fit: the psychometric function (default cumulative Gaussian, free rates).
  'analysis:session': z.object({ sessionId: id, bootstrap: z.number().int().min(0).max(5000).optional(), excludeDroppedFrames: z.boolean().optional(), fit: fitChoiceSchema.optional() }).strict(),
  'export:session': z.object({ sessionId: id, format: z.enum(['csv', 'bids']) }).strict(),
  // Fullscreen goes through the main process: the window's permission handler grants the page nothing but the camera.
  'display:fullscreen': z.object({ on: z.boolean() }).strict(),
  // The experimenter's view in a window of its own, on another screen when there is one.
  'display:experimenter-window': z.object({}).strict(),
  'models:list': z.object({}).strict(),
  'models:run-session': z
    .object({
      modelId: id,
      protocolId: id,
      observer: observerOverridesSchema.optional(),
      /** The person's session the model is run beside: with 'auto' noise, the noise is matched to their fitted spread. */
      matchSessionId: id.optional(),
      /** Run a new session even if this checkpoint already took these trials with these settings (else that session is returned, `reused`). */
      again: z.boolean().optional(),
    })
    .strict(),
  'models:inspect-trial': z.object({ sessionId: id, trialIndex: z.number().int().nonnegative() }).strict(),
  'models:jobs': z.object({}).strict(),
  'compare:sessions': z.object({ sessionIds: z.array(id).min(1).max(20), bootstrap: z.number().int().min(0).max(5000).optional(), excludeDroppedFrames: z.boolean().optional(), fit: fitChoiceSchema.optional() }).strict(),
  'engine:info': z.object({}).strict(),
} as const;

/** Every channel: the core ones above and each feature's own file under preload/channels/. */
export const schemas = { ...coreSchemas, ...workSchemas, ...modelsSchemas, ...datasetsSchemas, ...trainingSchemas, ...replicateSchemas, ...studiesSchemas, ...monitorsSchemas } as const;

export type Channel = keyof typeof schemas;
export const channels = Object.keys(schemas) as Channel[];
export type Args<C extends Channel> = z.input<(typeof schemas)[C]>;

export interface Results extends WorkResults, ModelsResults, DatasetResults, TrainingResults, ReplicateResults, StudyResults, MonitorResults {
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
  'display:experimenter-window': ExperimenterWindowResult;
  'models:list': ModelInfo[];
  /** `reused`: the checkpoint had already taken these trials with these settings; that session, nothing run. */
  'models:run-session': SessionInfo & { reused?: boolean };
  'models:inspect-trial': TrialFilmstrip;
  'compare:sessions': Comparison;
  'models:jobs': ModelJob[];
  'engine:info': EngineInfo;
}

export interface EngineInfo {
  backend: string;
  detail: string;
  patchedKernels: string[];
  skipped: { choice: string; reason: string }[];
}

/** What crosses the boundary: a result or an error a person can act on. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

