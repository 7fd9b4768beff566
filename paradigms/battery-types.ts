/**
 * The paper battery's seam (issue 13): a Responder is anything with PredNet's unit types whose
 * activity over time can be recorded (a checkpoint, or a hand-made network with a known answer
 * for the tests); an Experiment runs stimuli through one and returns a result the report writer
 * (`predlab replicate`, the Paper battery page) turns into a plot, data files and a verdict.
 * Stimuli are made in paradigms/battery-*-stimuli.ts; a paradigm declares its own experiment in its
 * folder with these types (pure), and native-models/battery runs them on a network.
 */
import type { SessionAnalysis } from './records.js';

export type UnitType = 'R' | 'E' | 'A' | 'Ahat';
export const UNIT_TYPES: readonly UnitType[] = ['R', 'E', 'A', 'Ahat'];

/** Which units to record: a layer and a unit type (all channels, all positions). */
export interface Probe {
  layer: number;
  type: UnitType;
}

/** One recorded probe over a sequence: data is (T, C, H, W) float32, time-major. */
export interface Recording {
  probe: Probe;
  shape: [number, number, number, number];
  data: Float32Array;
}

export interface RunOptions {
  probes: Probe[];
  /** Remove the top-down input (R_{l+1} -> R_l) at every layer: the feedback ablation. */
  ablateFeedback?: boolean;
}

export interface Responder {
  readonly name: string;
  /** Frame size it takes; frames are (T, H, W, C) float32 in [0, 1], time-major. */
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly layers: number;
  /** Identity of the weights (e.g. SHA-256 of weights.bin), keying caches such as the receptive-field maps; absent: nothing is cached. */
  readonly cacheKey?: string;
  /**
   * A reference observer (copy-last, oracle): it exposes only its predicted frame, as Ahat0 at
   * layer 0, and has no units; experiments that read units say they do not apply to it.
   */
  readonly predictionOnly?: boolean;
  /** Channels of each unit type at each layer (R: rStackSizes, E: 2x stack, A/Ahat: stack). */
  unitChannels(probe: Probe): number;
  /** One or more sequences (batch of equal length); one Recording per probe per sequence. */
  run(sequences: Float32Array[], frames: number, options: RunOptions): Promise<Recording[][]>;
  /** Continued training on given sequences (sequence-learning experiment); absent: that experiment is skipped, saying why. */
  trainOn?(sequences: Float32Array[], frames: number, steps: number): Promise<Responder>;
  dispose?(): void;
}

/** A statistic a verdict rests on, with its unit and (where computed) a 95 % CI. */
export interface Statistic {
  name: string;
  value: number;
  unit: string;
  ci?: [number, number];
}

/** The null observers run beside the model on the same stimuli (see references.ts). */
export type ReferenceRole = 'untrained' | 'copy-last' | 'oracle';

export interface References {
  /** An untrained network of the model's architecture (fixed seed); null where there is none (reason in `missing`). */
  untrained: Responder | null;
  /** Prediction-only references: the last frame seen, and the true next frame. */
  copyLast: Responder | null;
  oracle: Responder | null;
  /** Why a reference is absent, in a sentence. */
  missing: Partial<Record<ReferenceRole, string>>;
}

/**
 * One test a verdict is held to: a difference (model minus a reference, or a paired change) with
 * its 95 % CI and the rule it must meet; holds null: it could not be computed (reason in `rule`).
 */
export interface Comparison {
  name: string;
  value: number | null;
  unit: string;
  ci: [number, number] | null;
  /** The rule in words, e.g. 'CI below 0'. */
  rule: string;
  holds: boolean | null;
}

/** A reference's own value of the verdict's statistic (or why it has none). */
export interface BesideValue {
  who: string;
  statistic: Statistic | null;
  text: string;
}

/** One line of a plot: x and y (and optional CI band) in the axes' units; `group` = panel. */
export interface Series {
  name: string;
  group?: string;
  x: number[];
  y: number[];
  lo?: number[];
  hi?: number[];
}

export interface ExperimentResult {
  id: string;
  title: string;
  /** What the paper reports, in one sentence with its figure (shown beside ours). */
  published: string;
  /** effect: true = shows it, false = does not, null = could not be determined (say why in text). */
  verdict: {
    effect: boolean | null;
    text: string;
    statistic: Statistic | null;
    /** The tests the effect rests on (each against a null observer or a paired change). */
    comparisons?: Comparison[];
    /** The same statistic for the references run beside. */
    beside?: BesideValue[];
  };
  axes: { x: string; y: string };
  series: Series[];
  /** The data behind the plot, written as CSV. */
  table: { columns: string[]; rows: (string | number)[][] };
  /** Unit responses written to HDF5 (dataset name -> array). */
  arrays?: { name: string; shape: number[]; data: Float32Array }[];
  /** Notes a reader needs (units analysed, receptive fields used, skipped parts and why). */
  notes: string[];
}

export interface ExperimentContext {
  responder: Responder;
  /** Null observers on the same stimuli; absent: none (verdicts that need one are undetermined). */
  references?: References;
  /** Seed of every random choice (stimuli, bootstrap). */
  seed: number;
  /** Smaller sweeps and fewer units, for tests and quick looks. */
  quick: boolean;
  /** Receptive fields measured once per checkpoint and cached (see receptive-fields.ts). */
  cacheDir: string | null;
  onProgress?: (fraction: number, message: string) => void;
  /** Set when the user cancels; experiments check it between stimuli. */
  signal?: AbortSignal;
}

/** A finished session of a person in the lab, as an experiment reads it. */
export interface LabSession {
  parameters: Record<string, unknown>;
  analysis: SessionAnalysis;
}

/**
 * People's values beside the model's: the replicate service reads the lab (where the database is)
 * for the paradigm named here, `read` summarises those sessions, and `merge` adds the summary to
 * the result (values null: no lab database was given).
 */
export interface LabComparison<V> {
  paradigmId: string;
  read(sessions: LabSession[]): V;
  merge(result: ExperimentResult, values: V | null): ExperimentResult;
}

export interface Experiment {
  /** Also the name of its output folder and of its page card; unique across the battery. */
  id: string;
  title: string;
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each experiment has its own summary type
  lab?: LabComparison<any>;
}
