/**
 * Settings of the model observer (how a model takes a protocol): one schema, used by the IPC
 * contract (as overrides), the CLI, the services and the observer itself.
 */
import { z } from 'zod';

const shape = {
  /** Degrees of visual angle across the model's image width. */
  fovDeg: z.number().positive().max(180),
  /** Model frames per second (PredNet's KITTI data ran at about 10). */
  frameRateHz: z.number().positive().max(240),
  /**
   * SD of Gaussian noise added to the perceived value before the decision, in the readout's unit
   * (deg for every paradigm so far); 'auto': one step of the protocol's stimulus grid (the
   * readout's defaultDecisionNoise), so a noise-free model still gives a graded curve.
   */
  decisionNoiseDeg: z.union([z.number().nonnegative().max(50), z.literal('auto')]),
  /** Readouts that read one predicted frame read this many frames after the critical frame. */
  readoutDelayFrames: z.number().int().min(0).max(100),
  /** Trials per forward pass. */
  batchSize: z.number().int().min(1).max(64),
  /** For readouts that read a layer: which one ('auto' = the readout's default, 'prediction' = the predicted frames, or e.g. 'E1', 'R2'). */
  layer: z.string().regex(/^(auto|prediction|(R|E|A|Ahat)\d{1,2})$/, "layer is 'auto', 'prediction' or a unit and layer such as E1 or R2"),
  /** Seed of the decision noise. */
  seed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  /** How model frames relate to the stimulus in time (paradigms/types.ts TemporalSettings): integrate (default) or sample. */
  temporalMode: z.enum(['integrate', 'sample']),
  /** Integrate mode: the fraction of each frame interval the shutter is open. */
  exposure: z.number().gt(0).max(1),
  /** Integrate mode: instants sampled per frame exposure (motion blur; events are exact whatever the count). */
  subSamples: z.number().int().min(1).max(64),
  /** A trial whose readout finds nothing to read: 'exclude' (no answer, left out of the fit) or 'guess' (a random answer, marked). */
  noReadout: z.enum(['exclude', 'guess']),
};

export const OBSERVER_DEFAULTS = {
  fovDeg: 20,
  frameRateHz: 10,
  decisionNoiseDeg: 'auto',
  readoutDelayFrames: 1,
  batchSize: 8,
  layer: 'auto',
  seed: 1,
  temporalMode: 'integrate',
  exposure: 1,
  subSamples: 8,
  noReadout: 'exclude',
} as const;

/**
 * What a model session stored before these settings existed meant: frames sampled at the model's
 * rate, a fixed decision noise of 0.1, a random answer where the readout found nothing.
 */
export const LEGACY_OBSERVER = { temporalMode: 'sample', decisionNoiseDeg: 0.1, noReadout: 'guess' } as const;

/** Any subset of the settings (what a request may give). */
export const observerOverridesSchema = z.object(shape).partial().strict();
export type ObserverOverrides = z.infer<typeof observerOverridesSchema>;

/** Complete settings: defaults fill what is missing. */
export const observerSettingsSchema = observerOverridesSchema.transform((o) => ({ ...OBSERVER_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) }) as ObserverSettings);
export type ObserverSettings = { [K in keyof typeof shape]: z.infer<(typeof shape)[K]> };

/** A stored model session's observer settings, read as they were meant when it ran (LEGACY_OBSERVER fills what older sessions lack). */
export function storedObserverSettings(stored: unknown): ObserverSettings {
  const given = stored && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  return observerSettingsSchema.parse({ ...LEGACY_OBSERVER, ...given });
}

/** The temporal part of the settings, as a ModelView carries it. */
export function temporalSettingsOf(s: Pick<ObserverSettings, 'temporalMode' | 'exposure' | 'subSamples'>): { mode: 'integrate' | 'sample'; exposure: number; subSamples: number } {
  return { mode: s.temporalMode, exposure: s.exposure, subSamples: s.subSamples };
}
