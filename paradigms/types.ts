/**
 * The shared shape of a paradigm: pure data and pure functions, no I/O.
 * Humans (renderer/three.js) and models (native-models rasterizer) both read `scene(t)`; the
 * services, the contract, the CLI and the pages know a paradigm only through this interface.
 */
import type { z } from 'zod';
import type { FitChoice, PsychometricFit } from './psychometric.js';

/* ------------------------------------------------------------------ scenes */

interface ShapeBase {
  id: string;
  /** 0 = black, 1 = white (linear luminance as drawn). */
  luminance: number;
}

/** A filled rectangle centred at (x, y), sizes in degrees, rotated counter-clockwise by `rotationDeg`. */
export interface RectShape extends ShapeBase {
  kind: 'rect';
  x: number;
  y: number;
  width: number;
  height: number;
  rotationDeg?: number;
}

/** A filled disc centred at (x, y), radius in degrees. */
export interface DiscShape extends ShapeBase {
  kind: 'disc';
  x: number;
  y: number;
  radius: number;
}

/**
 * A disc with a wedge cut out (a Kanizsa "pac-man"): the missing wedge spans `wedgeDeg`, centred
 * on the direction `rotationDeg` (counter-clockwise from +x).
 */
export interface WedgeDiscShape extends ShapeBase {
  kind: 'wedge-disc';
  x: number;
  y: number;
  radius: number;
  wedgeDeg: number;
  rotationDeg: number;
}

/** A filled simple polygon: vertices relative to (x, y), then rotated by `rotationDeg` about (x, y). */
export interface PolygonShape extends ShapeBase {
  kind: 'polygon';
  x: number;
  y: number;
  points: [number, number][];
  rotationDeg?: number;
}

/** A straight line of the given width (deg) from (x1, y1) to (x2, y2), square ends flush with the points. */
export interface LineShape extends ShapeBase {
  kind: 'line';
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  width: number;
}

export type Shape = RectShape | DiscShape | WedgeDiscShape | PolygonShape | LineShape;
export type ShapeKind = Shape['kind'];
export const SHAPE_KINDS: readonly ShapeKind[] = ['rect', 'disc', 'wedge-disc', 'polygon', 'line'];

/** Paint order is the array order: later shapes cover earlier ones (every drawer honours it). */
export interface Scene {
  background: number;
  shapes: Shape[];
}

/**
 * Timing of a display that draws a trial frame by frame (a person's screen, or a model in
 * `sample` mode): events fall on its frame grid and last whole frames.
 */
export interface DisplayTiming {
  frameRateHz: number;
}

/**
 * How a model's frames relate to the stimulus in time (paradigms/rasterize.ts):
 * - integrate: each frame is the scene integrated over its exposure (the first `exposure` of the
 *   frame interval, like a camera whose shutter opens at the frame's start), so a 33 ms flash
 *   is 33 ms of light at any model frame rate; motion within the exposure is blurred.
 * - sample: the frame is what a display running at the model's rate would draw (events on the
 *   model's frame grid, durations rounded to whole model frames, motion at the frame's start):
 *   for stimuli authored at the model's rate (the paper's one-frame flash at 10 frames/s), and
 *   what every model session before durations were in seconds used.
 */
export type TemporalMode = 'integrate' | 'sample';

export interface TemporalSettings {
  mode: TemporalMode;
  /** Fraction of the frame interval the shutter is open (integrate mode), in (0, 1]. */
  exposure: number;
  /** Instants sampled per frame exposure, spread over its pieces between events (integrate mode). */
  subSamples: number;
}

/** How a model sees a scene: its image size, field of view and frame rate. */
export interface ModelView {
  width: number;
  height: number;
  channels: number;
  /** Degrees of visual angle across the image width (square pixels). */
  fovDeg: number;
  frameRateHz: number;
  /** Absent: integrate, whole frame exposed (TEMPORAL_DEFAULTS). */
  temporal?: TemporalSettings;
}

export const TEMPORAL_DEFAULTS: TemporalSettings = { mode: 'integrate', exposure: 1, subSamples: 8 };

/* ----------------------------------------------------------------- trials */

/** One response option: what the participant presses and what it means. */
export interface ResponseOption {
  value: string;
  key: string;
  label: string;
}

/**
 * The answer of a model observer whose readout found nothing to read on a trial (e.g. no flash in
 * its predicted frame): stored so the trial is counted, left out of fits and designs by default,
 * never replaced by a coin flip unless the observer settings ask for one.
 */
export const NO_ANSWER = 'none';

/** A planned trial: everything needed to draw it and to analyse it. */
export interface TrialSpec<S = unknown> {
  index: number;
  /** Short condition label, e.g. "offset=+0.50". */
  condition: string;
  stimulus: S;
}

/** A trial as it was answered (what analysis and adaptive designs read). */
export interface AnsweredTrial<S = unknown> {
  index: number;
  stimulus: S;
  response: string;
  /** What the participant's side stored with the answer (a model observer's readout, say). */
  extra?: Record<string, unknown> | null;
}

/**
 * A trial design as a reducer: the state after n answers plans trial n. Sessions keep the state
 * in memory and fold in each answer, so planning and recording cost the same at trial 10 and at
 * trial 10,000. Planning is lazy: no design builds its whole list.
 */
export interface Design<P, S, St = unknown> {
  /** True when a trial depends on earlier answers (then trials are taken one at a time). */
  adaptive(params: P): boolean;
  /** Total trials the protocol plans. */
  trialCount(params: P): number;
  initialState(params: P, seed: number): St;
  /** The state after one more answer (the trial planned at index = answers so far). Must not mutate `state`. */
  update(state: St, params: P, trial: AnsweredTrial<S>): St;
  /** The trial at `index` given the state after `index` answers; null past the end. */
  plan(state: St, params: P, seed: number, index: number): TrialSpec<S> | null;
}

/* -------------------------------------------------------------- parameters */

/** One field of a paradigm's parameter form (the Run page builds its form from these). */
export interface ParamField {
  key: string;
  label: string;
  /** 'numbers' is a comma-separated list of numbers; 'multi' a subset of `choices` (an array of their values). */
  type: 'number' | 'integer' | 'choice' | 'numbers' | 'multi';
  unit?: string;
  min?: number;
  max?: number;
  step?: number;
  choices?: { value: string; label: string }[];
  help?: string;
  /** Show only when another parameter has one of these values. */
  showWhen?: { key: string; values: unknown[] };
  /** Shown under "More stimulus settings" (fields the paradigm's curated form leaves out). */
  advanced?: boolean;
}

/* ---------------------------------------------------------------- analysis */

/** A named number with its unit and (optionally) a confidence interval. */
export interface Statistic {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  ci?: [number, number] | null;
  /** Compared between people and models (person minus model) when both sessions have it. */
  comparable?: boolean;
  /** An effect that is absent at 0 (a PSE on an axis whose 0 is physical equality): a value whose interval excludes 0 is the effect itself. */
  absentAtZero?: boolean;
  /** Set when the data do not determine this number (it is a limit of the fit, or has no bounded interval): why, in a sentence. */
  undetermined?: string;
  /** False when `undetermined` is set (or the value is missing); set on every statistic of a session's analysis. */
  determined?: boolean;
}

/** One point of a psychometric plot: answers at one stimulus level. */
export interface LevelSummary {
  x: number;
  n: number;
  /** Answers counted as "positive" (see the result's yLabel). */
  k: number;
  p: number;
  /** 95 % Wilson interval of p. */
  ci: [number, number];
}

/** One condition's data and fit (flash-lag has one condition, Kanizsa one per contour type). */
export interface ConditionResult {
  key: string;
  label: string;
  levels: LevelSummary[];
  fit: PsychometricFit | null;
  /** Headline numbers first (e.g. the PSE, a threshold), each with its CI. */
  statistics: Statistic[];
  /** A reference line on the plot's y axis (0.5 for a PSE, 0.75 for a threshold). */
  criterion?: number;
}

/** How a paradigm's analysis is run: bootstrap samples, seed, and the psychometric function to fit (default: cumulative Gaussian, free rates). */
export interface AnalyseOptions {
  bootstrap?: number | undefined;
  seed?: number | undefined;
  fit?: FitChoice | undefined;
}

/** A paradigm's analysis in the generic shape every layer renders without knowing the paradigm. */
export interface AnalysisResult {
  paradigmId: string;
  /** e.g. "Flash-lag (continuous, 10 deg/s)". */
  title: string;
  /** Sessions with the same paradigm and group can be compared number for number. */
  group: string;
  trials: number;
  xLabel: string;
  xUnit: string;
  yLabel: string;
  conditions: ConditionResult[];
  /** Numbers about the whole session (e.g. the illusory/real threshold ratio). */
  statistics: Statistic[];
  /** Why there is no fit, or what to distrust about it. */
  messages: string[];
  /** One sentence on how to read the plot. */
  caption: string;
  /** The psychometric function fitted, in words ("cumulative Gaussian; guess and lapse rates free (each 0 to 0.1)"); every output states it. */
  psychometricFunction: string;
  /** Further line plots, e.g. a model's response over time per condition. */
  timeCourses?: TimeCourse[];
}

/** A line plot of some quantity over time, one line per series. */
export interface TimeCourse {
  key: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: { label: string; points: [number, number][] }[];
}

/* ---------------------------------------------------------------- models */

/** What a model produced for one trial's frames. */
export interface ModelResponse {
  frames: number;
  /** Predicted frames, (T, H, W, C) in [0, 1]. */
  prediction: Float32Array;
  /** One layer's units over time, (T, h, w, c), when the readout asks for a layer. */
  layer?: { name: string; data: Float32Array; height: number; width: number; channels: number };
}

/** Settings of the model observer that readouts use. */
export interface ReadoutSettings {
  /** SD of Gaussian noise added to the readout's perceived value before the decision (its units). */
  decisionNoise: number;
  /** Which prediction to read, in model frames after the frame holding the critical event's onset (readouts that read one frame). */
  readoutDelayFrames: number;
  /** Seed of the decision noise. */
  seed: number;
  /**
   * A trial whose readout finds nothing to read: 'exclude' answers NO_ANSWER (counted, left out
   * of the fit); 'guess' answers at random (as every model session did before), marked guessed.
   */
  noReadout: 'exclude' | 'guess';
}

export interface ReadoutContext {
  view: ModelView;
  settings: ReadoutSettings;
  /** Trial index (the noise of each trial is drawn from its own stream). */
  index: number;
  /** What `prepare` returned (e.g. trained decoder weights). */
  prepared: unknown;
  /** The model frame holding the critical event's onset in this view's temporal mode (rasterize.ts modelCriticalFrame). */
  criticalFrame: number | null;
}

/**
 * A model readout: a pure function from what the model produced for a trial (and the stimulus)
 * to a perceived value and an answer. The model observer in native-models calls it.
 */
export interface ModelReadout<P, S> {
  description: string;
  /** Unit of the perceived value and of the decision noise. */
  unit: string;
  /**
   * The decision noise (SD, in `unit`) used when the observer settings leave it to the protocol:
   * one step of the protocol's stimulus grid, so a noise-free observer still gives a graded curve
   * over the levels it is tested on.
   */
  defaultDecisionNoise(params: P): number;
  /**
   * The readout reads the model's units (not only its predicted frames): a checkpoint's session
   * is then also read beside an untrained network of the same architecture on the same trials.
   */
  untrainedBeside?: boolean;
  /**
   * The layer this readout reads by default (e.g. 'E1'; 'prediction' = the predicted frames);
   * absent: predicted frames only. The observer setting `layer` overrides it.
   */
  defaultLayer?: string;
  /**
   * Work before the trials (e.g. train a decoder on probe stimuli); `respond` runs the model on
   * stimuli and returns its responses. Its result reaches `read` as `ctx.prepared`.
   */
  prepare?(params: P, seed: number, view: ModelView, respond: (stimuli: S[]) => Promise<ModelResponse[]>): Promise<unknown>;
  read(response: ModelResponse, stimulus: S, ctx: ReadoutContext): { response: string; perceived: number | null; extra: Record<string, unknown> };
}

/* --------------------------------------------------------------- paradigm */

export interface Paradigm<P = unknown, S = unknown, St = unknown> {
  id: string;
  name: string;
  description: string;
  /** BIDS task label. */
  taskLabel: string;
  parameterSchema: z.ZodType<P>;
  defaults: P;
  /** The form the Run page shows (labels, units, ranges); values start at `defaults`. */
  form: ParamField[];
  /**
   * Schema keys that only offer another way to enter a parameter (a duration in frames of a
   * given display): no form field of their own (the form converts frames itself).
   */
  entryAliases?: string[];
  /** The instructions for the default parameters (lists, exports); `{value}` stands for the key of that answer (response-keys.ts withKeys). */
  instructions: string;
  /** The instructions for these (parsed) parameters, when they depend on them; absent: `instructions`. */
  instructionsFor?(params: P): string;
  responses: ResponseOption[];
  /** Prompt shown while waiting for an answer; `{value}` stands for the key of that answer, as a glyph (promptFor). */
  prompt: string;
  design: Design<P, S, St>;
  /** The condition a trial belongs to (analysis groups trials by it). */
  conditionKey(stimulus: S): string;
  /**
   * Trial duration in seconds: as a display with this timing shows it (whole frames), or without
   * a timing the stimulus's own continuous-time length.
   */
  trialDuration(stimulus: S, timing?: DisplayTiming): number;
  /**
   * Everything visible at time t (s, from trial start). With a display's timing: what that
   * display shows in the frame containing t (events on its frame grid, durations rounded to
   * whole frames, motion at the frame's start). Without: the stimulus in continuous time, as an
   * integrating model frame sees it.
   */
  scene(stimulus: S, t: number, timing?: DisplayTiming): Scene;
  /**
   * Times (s) in continuous time at which something appears or disappears, i.e. where the scene
   * changes other than by continuous motion: an integrating model frame splits its exposure there.
   */
  events(stimulus: S): number[];
  /** What is on screen between trials (fixation). */
  restScene(params: P): Scene;
  /** The frame index (from 0 at trial start) on which a display with this timing shows the critical event, if any. */
  criticalFrame(stimulus: S, timing: DisplayTiming): number | null;
  /**
   * When the critical event is centred in continuous time (s), if there is one: an integrating
   * model's critical frame is the one holding that instant, so a brief event (a flash) is read in
   * the frame that holds most of its light, whatever its phase against the model's frame clock.
   */
  criticalTime(stimulus: S): number | null;
  /** A simulated observer's answer (for testing designs): psychometric parameters in the paradigm's units. */
  simulateResponse(stimulus: S, observer: SimulatedObserver, rng: { next(): number }): string;
  /** How `session simulate` describes the observer's parameters. */
  simulatedObserver: { pse: string; sigma: string };
  analyse(params: P, trials: AnsweredTrial<S>[], options?: AnalyseOptions): AnalysisResult;
  /**
   * Practice stimuli (easy levels) shown before the data trials, never stored as trials. Absent:
   * practice trials are drawn from the design with another seed.
   */
  practice?(params: P, seed: number, count: number): S[];
  /** The right answer to a stimulus, for feedback in practice; null when no answer is right. Absent: no feedback. */
  correctResponse?(stimulus: S): string | null;
  readout: ModelReadout<P, S>;
  /** Paradigm-specific export columns of one answered trial (keys as in `stimulusColumns`). */
  tidyColumns(stimulus: S, response: string, extra?: Record<string, unknown> | null): Record<string, string | number | boolean | null>;
  /** Descriptions of those columns, for data dictionaries and BIDS sidecars. */
  stimulusColumns: Record<string, { description: string; units?: string }>;
  /**
   * The inverse of tidyColumns' readout columns: the trial's `extra` values the analysis reads
   * (a model's readout), from an exported row's cells (export-cells.ts), for an analysis
   * recomputed from an export. Null when the row holds none (a person's trial).
   */
  extraFromColumns(row: Record<string, string>): Record<string, unknown> | null;
}

/** A simulated observer: answers follow a cumulative Gaussian with guess/lapse rates. */
export interface SimulatedObserver {
  pse: number;
  sigma: number;
  guess: number;
  lapse: number;
}

/** Convenience: plan trial `index` from scratch (tests, previews). Replays the given answers. */
export function planFromHistory<P, S, St>(p: Paradigm<P, S, St>, params: P, seed: number, index: number, history: AnsweredTrial<S>[] = []): TrialSpec<S> | null {
  let state = p.design.initialState(params, seed);
  for (const t of history.slice(0, index)) state = p.design.update(state, params, t);
  return p.design.plan(state, params, seed, index);
}
