/**
 * How a session is run, the same for every paradigm: practice trials, scheduled breaks, the pause
 * between trials, the instruction text, repeating trials whose timing failed, and the
 * session-information fields asked before the first trial. Stored with the protocol, under the
 * key `run` of its parameters (the paradigm's own schema never declares that key).
 */
import { z } from 'zod';
import { MAX_TRIALS } from './limits.js';
import { defaultKeys, responseKeysSchema, withKeys, type ResponseKeys } from './response-keys.js';
import { subSeed } from './rng.js';
import type { Paradigm } from './types.js';

export const RUN_KEY = 'run';
export const MAX_PRACTICE_TRIALS = 50;
export const MAX_INSTRUCTIONS_CHARS = 4000;
export const MAX_ITI_MS = 10_000;
export const MAX_SESSION_INFO_FIELDS = 12;
export const MAX_TEXT_ANSWER_CHARS = 1000;

export const sessionInfoFieldSchema = z
  .object({
    key: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'a field key is a letter then up to 31 letters, digits or _'),
    label: z.string().trim().min(1).max(80),
    type: z.enum(['integer', 'number', 'choice', 'text']),
    required: z.boolean().default(false),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    choices: z.array(z.string().trim().min(1).max(40)).min(1).max(20).optional(),
    maxLength: z.number().int().min(1).max(MAX_TEXT_ANSWER_CHARS).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.type === 'choice' && !f.choices) ctx.addIssue({ code: 'custom', path: ['choices'], message: `field '${f.key}' is a choice and needs choices` });
  });
export type SessionInfoField = z.output<typeof sessionInfoFieldSchema>;

/** PsychoPy's and jsPsych's usual questions; each may be dropped or made required per protocol. */
export const DEFAULT_SESSION_INFO: SessionInfoField[] = [
  { key: 'age', label: 'Age', type: 'integer', required: false, min: 1, max: 120 },
  { key: 'handedness', label: 'Handedness', type: 'choice', required: false, choices: ['right', 'left', 'ambidextrous'] },
  { key: 'dominantEye', label: 'Dominant eye', type: 'choice', required: false, choices: ['right', 'left', 'not tested'] },
  { key: 'notes', label: 'Notes', type: 'text', required: false, maxLength: MAX_TEXT_ANSWER_CHARS },
];

export const runSettingsSchema = z
  .object({
    practiceTrials: z.number().int().min(0).max(MAX_PRACTICE_TRIALS, `practiceTrials may be at most ${MAX_PRACTICE_TRIALS}`).default(4),
    /** A break after every this many data trials (0 = none). */
    breakEvery: z.number().int().min(0).max(MAX_TRIALS).default(50),
    itiMs: z.number().int().min(0).max(MAX_ITI_MS, `itiMs may be at most ${MAX_ITI_MS}`).default(500),
    /** Absent or empty: the paradigm's own instructions. */
    instructions: z.string().max(MAX_INSTRUCTIONS_CHARS, `instructions may be at most ${MAX_INSTRUCTIONS_CHARS} characters`).optional(),
    /** Repeat, at the end of the session, each trial whose dropped frames fell near its critical event. */
    repeatDropped: z.boolean().default(true),
    sessionInfo: z.array(sessionInfoFieldSchema).max(MAX_SESSION_INFO_FIELDS).default(DEFAULT_SESSION_INFO),
    /** The protocol's own keys (answer -> KeyboardEvent.key); absent: the paradigm's. Checked against the paradigm when a protocol is made. */
    keys: responseKeysSchema.optional(),
    /** Rotate the keys among the answers from one person to the next (each keeps theirs in later sessions). */
    counterbalanceKeys: z.boolean().default(false),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (new Set(r.sessionInfo.map((f) => f.key)).size !== r.sessionInfo.length) ctx.addIssue({ code: 'custom', path: ['sessionInfo'], message: 'session-information fields must not repeat a key' });
  });
export type RunSettings = z.output<typeof runSettingsSchema>;
export type RunSettingsInput = z.input<typeof runSettingsSchema>;
export const DEFAULT_RUN_SETTINGS: RunSettings = runSettingsSchema.parse({});

/** A protocol's stored run settings; defaults for protocols made before they existed (or by the CLI). */
export function runSettingsOf(parameters: Record<string, unknown>): RunSettings {
  const parsed = runSettingsSchema.safeParse(parameters[RUN_KEY] ?? {});
  return parsed.success ? parsed.data : DEFAULT_RUN_SETTINGS;
}

/** The paradigm's parameters without the run settings. */
export function paradigmParameters(parameters: Record<string, unknown>): Record<string, unknown> {
  const { [RUN_KEY]: _run, ...rest } = parameters;
  return rest;
}

/** The text shown before the trials: the run's own text if it has one, else the paradigm's for these parameters. */
/**
 * The instructions a participant reads, with the keys of their session filled in (`{left}` ->
 * "the LEFT arrow"); without `keys`, the protocol's own keys or the paradigm's.
 */
export function instructionsOf(run: RunSettings, paradigm: Pick<Paradigm, 'instructions' | 'instructionsFor' | 'responses'>, params?: unknown, keys?: ResponseKeys | null): string {
  const text = run.instructions?.trim() ? run.instructions : params !== undefined && paradigm.instructionsFor ? paradigm.instructionsFor(params) : paradigm.instructions;
  return withKeys(text, keys ?? run.keys ?? defaultKeys(paradigm));
}

/**
 * Check answers to the session-information fields. Returns the cleaned values (empty answers
 * dropped, numbers as numbers) and one sentence per problem.
 */
export function validateSessionInfo(fields: SessionInfoField[], values: Record<string, unknown>): { values: Record<string, string | number>; problems: string[] } {
  const out: Record<string, string | number> = {};
  const problems: string[] = [];
  const keys = new Set(fields.map((f) => f.key));
  for (const k of Object.keys(values)) if (!keys.has(k)) problems.push(`'${k}' is not a session-information field here.`);
  for (const f of fields) {
    const raw = values[f.key];
    const text = raw === undefined || raw === null ? '' : String(raw).trim();
    if (text === '') {
      if (f.required) problems.push(`${f.label} is required.`);
      continue;
    }
    if (f.type === 'integer' || f.type === 'number') {
      const n = Number(text);
      const range = `${f.min !== undefined ? ` from ${f.min}` : ''}${f.max !== undefined ? ` to ${f.max}` : ''}`;
      const what = f.type === 'integer' ? 'a whole number' : 'a number';
      if (!Number.isFinite(n) || (f.type === 'integer' && !Number.isInteger(n)) || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max))
        problems.push(`${f.label} must be ${what}${range}; got '${text.slice(0, 40)}'.`);
      else out[f.key] = n;
    } else if (f.type === 'choice') {
      if (!f.choices!.includes(text)) problems.push(`${f.label} must be one of ${f.choices!.join(', ')}; got '${text.slice(0, 40)}'.`);
      else out[f.key] = text;
    } else {
      const max = f.maxLength ?? MAX_TEXT_ANSWER_CHARS;
      if (text.length > max) problems.push(`${f.label} may be at most ${max} characters (${text.length} given).`);
      else out[f.key] = text;
    }
  }
  return { values: out, problems };
}

/** Practice stimuli: the paradigm's easy ones, or else trials of the design drawn with a seed of their own. */
export function practiceStimuli<P, S>(paradigm: Paradigm<P, S, any>, params: P, seed: number, count: number): S[] {
  if (count <= 0) return [];
  if (paradigm.practice) return paradigm.practice(params, seed, count);
  const practiceSeed = subSeed(seed, 7001);
  const state = paradigm.design.initialState(params, practiceSeed);
  const n = paradigm.design.trialCount(params);
  const out: S[] = [];
  for (let i = 0; i < count; i++) {
    const t = paradigm.design.plan(state, params, practiceSeed, i % Math.max(1, n));
    if (t) out.push(t.stimulus);
  }
  return out;
}

/** Assumed for the estimate: time to answer, feedback after a practice trial, one break. */
export const ASSUMED_RESPONSE_S = 1;
export const FEEDBACK_S = 0.8;
export const ASSUMED_BREAK_S = 30;
/** Trials whose durations are summed exactly; beyond this the mean of these stands for the rest. */
const ESTIMATE_SAMPLE = 2000;

export interface SessionEstimate {
  trials: number;
  practice: number;
  breaks: number;
  /** Sum of the stimulus durations of the data trials. */
  stimulusS: number;
  /** Everything: practice, stimuli, pauses, answers, breaks. */
  totalS: number;
}

/**
 * Expected length of a session before it starts. Adaptive designs are planned from their
 * initial state (their levels change durations little); repeats of dropped-frame trials are not
 * foreseen.
 */
export function estimateSession(paradigm: Paradigm<any, any, any>, params: Record<string, unknown>, run: RunSettings, refreshHz: number): SessionEstimate {
  const timing = { frameRateHz: refreshHz };
  const trials = paradigm.design.trialCount(params);
  const seed = 1;
  const state = paradigm.design.initialState(params, seed);
  const sample = Math.min(trials, ESTIMATE_SAMPLE);
  let sampled = 0;
  for (let i = 0; i < sample; i++) {
    const t = paradigm.design.plan(state, params, seed, i);
    if (t) sampled += paradigm.trialDuration(t.stimulus, timing);
  }
  const stimulusS = sample ? (sampled / sample) * trials : 0;
  const practice = practiceStimuli(paradigm, params, seed, run.practiceTrials);
  const practiceS = practice.reduce((s, st) => s + paradigm.trialDuration(st, timing) + run.itiMs / 1000 + ASSUMED_RESPONSE_S + FEEDBACK_S, 0);
  const breaks = run.breakEvery > 0 && trials > 0 ? Math.floor((trials - 1) / run.breakEvery) : 0;
  const totalS = practiceS + stimulusS + trials * (run.itiMs / 1000 + ASSUMED_RESPONSE_S) + breaks * ASSUMED_BREAK_S;
  return { trials, practice: practice.length, breaks, stimulusS, totalS };
}

/** "1 h 05 min", "6 min", "40 s". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const min = Math.round(seconds / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}
