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
  /** SD of Gaussian noise added to the perceived value before the decision, in the readout's unit (deg for every paradigm so far). */
  decisionNoiseDeg: z.number().nonnegative().max(10),
  /** Readouts that read one predicted frame read this many frames after the critical frame. */
  readoutDelayFrames: z.number().int().min(0).max(100),
  /** Trials per forward pass. */
  batchSize: z.number().int().min(1).max(64),
  /** For readouts that read a layer: which one ('auto' = the readout's default, 'prediction' = the predicted frames, or e.g. 'E1', 'R2'). */
  layer: z.string().regex(/^(auto|prediction|(R|E|A|Ahat)\d{1,2})$/, "layer is 'auto', 'prediction' or a unit and layer such as E1 or R2"),
  /** Seed of the decision noise. */
  seed: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
};

export const OBSERVER_DEFAULTS = { fovDeg: 20, frameRateHz: 10, decisionNoiseDeg: 0.1, readoutDelayFrames: 1, batchSize: 8, layer: 'auto', seed: 1 } as const;

/** Any subset of the settings (what a request may give). */
export const observerOverridesSchema = z.object(shape).partial().strict();
export type ObserverOverrides = z.infer<typeof observerOverridesSchema>;

/** Complete settings: defaults fill what is missing. */
export const observerSettingsSchema = observerOverridesSchema.transform((o) => ({ ...OBSERVER_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) }) as ObserverSettings);
export type ObserverSettings = { [K in keyof typeof shape]: z.infer<(typeof shape)[K]> };
