/**
 * The shared shape of a paradigm: pure data and pure functions, no I/O.
 * Humans (renderer/three.js) and models (native-models rasterizer) both read `scene(t)`.
 */
import type { z } from 'zod';

/** A filled axis-aligned rectangle, centred at (x, y), sizes in degrees of visual angle. */
export interface RectShape {
  kind: 'rect';
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** 0 = black, 1 = white (linear luminance as drawn). */
  luminance: number;
}

/** A filled disc (e.g. a fixation point), centred at (x, y), radius in degrees. */
export interface DiscShape {
  kind: 'disc';
  id: string;
  x: number;
  y: number;
  radius: number;
  luminance: number;
}

export type Shape = RectShape | DiscShape;

export interface Scene {
  background: number;
  shapes: Shape[];
}

/** Timing of the display (or model) that presents a trial: durations given in frames need it. */
export interface DisplayTiming {
  frameRateHz: number;
}

/** One response option: what the participant presses and what it means. */
export interface ResponseOption {
  value: string;
  key: string;
  label: string;
}

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

export interface Paradigm<P = unknown, S = unknown, A = unknown> {
  id: string;
  name: string;
  description: string;
  /** BIDS task label. */
  taskLabel: string;
  parameterSchema: z.ZodType<P>;
  defaults: P;
  instructions: string;
  responses: ResponseOption[];
  /** Total trials the protocol plans (adaptive designs included). */
  trialCount(params: P): number;
  /** The trial at `index`, from the seed and (for adaptive designs) the answers so far. */
  planTrial(params: P, seed: number, index: number, history: AnsweredTrial<S>[]): TrialSpec<S> | null;
  /** Trial duration in seconds for the given display. */
  trialDuration(stimulus: S, timing: DisplayTiming): number;
  /** Everything visible at time t (s, from trial start). */
  scene(stimulus: S, t: number, timing: DisplayTiming): Scene;
  /** The frame index (from 0 at trial start) on which the critical event appears, if any. */
  criticalFrame(stimulus: S, timing: DisplayTiming): number | null;
  /** A simulated observer's answer (for testing designs): psychometric parameters in the paradigm's units. */
  simulateResponse(stimulus: S, observer: SimulatedObserver, rng: { next(): number }): string;
  analyse(params: P, trials: AnsweredTrial<S>[], options?: { bootstrap?: number; seed?: number }): A;
  /** Paradigm-specific export columns of one answered trial (keys as in `stimulusColumns`). */
  tidyColumns(stimulus: S, response: string, extra?: Record<string, unknown> | null): Record<string, string | number | boolean | null>;
  /** Descriptions of those columns, for data dictionaries and BIDS sidecars. */
  stimulusColumns: Record<string, { description: string; units?: string }>;
}

/** A simulated observer: answers follow a cumulative Gaussian with guess/lapse rates. */
export interface SimulatedObserver {
  pse: number;
  sigma: number;
  guess: number;
  lapse: number;
}
