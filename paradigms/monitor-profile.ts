/**
 * A monitor profile: a named display calibration (sizes in degrees -> pixels, refresh rate) with
 * its gamma and how the gamma was obtained. Sessions keep a snapshot of the profile they ran
 * with (`MonitorSnapshot`), so editing a profile later never rewrites a session's history.
 */
import type { HalfSplitMatch, PhotometerFit, PhotometerPoint } from './gamma.js';

export { GAMMA_MAX, GAMMA_MIN } from './gamma.js';

/** How a profile's gamma was obtained: 'assumed' (none: gamma 1, pixel = 255 L), typed in, fitted to photometer readings, or matched by eye (half-split). */
export type GammaMethod = 'assumed' | 'entered' | 'photometer' | 'half-split';
export const GAMMA_METHODS: readonly GammaMethod[] = ['assumed', 'entered', 'photometer', 'half-split'];

/** Limits on what a profile holds (checked at the IPC boundary and again by the service). */
export const MONITOR_NAME_MAX = 60;
export const PHOTOMETER_POINTS_MIN = 3;
export const PHOTOMETER_POINTS_MAX = 32;
/** cd/m²: a bright HDR display reaches a few thousand; more is a typing error. */
export const LUMINANCE_MAX = 10_000;
export const HALF_SPLIT_MATCHES_MAX = 8;
/** Profiles one lab holds. */
export const MONITOR_PROFILES_MAX = 200;

/** The display geometry and timing of a profile (the shape of a session's calibration). */
export interface MonitorCalibration {
  method: 'screen-width' | 'credit-card';
  screenWidthPx: number;
  screenWidthCm: number;
  viewingDistanceCm: number;
  refreshHz: number;
  pxPerDeg: number;
  devicePixelRatio?: number | undefined;
}

/** What the gamma rests on: photometer readings and their fit, or half-split matches (none for assumed/entered). */
export interface GammaData {
  points?: PhotometerPoint[];
  fit?: PhotometerFit;
  matches?: HalfSplitMatch[];
}

export interface MonitorProfile {
  id: number;
  name: string;
  calibration: MonitorCalibration;
  gamma: number;
  gammaMethod: GammaMethod;
  gammaData: GammaData;
  /** The profile new sessions on this computer use (one at most). */
  chosen: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A session's copy of its profile, kept in its calibration under `monitor`. */
export interface MonitorSnapshot {
  profileId: number;
  name: string;
  gamma: number;
  gammaMethod: GammaMethod;
  gammaData: GammaData;
  /** When the profile was last edited before the session took this copy. */
  profileUpdatedAt: string;
}

/**
 * The gamma a session's display had: its profile's snapshot, else (sessions before profiles,
 * online sessions, the CLI's simulated ones) 1, 'assumed'. Models and simulated observers see linear luminance and have none.
 */
export function sessionGamma(s: { calibration: Record<string, unknown>; participant: { kind: string } }): { profile: string | null; gamma: number | null; method: GammaMethod | null } {
  const m = s.calibration.monitor as Partial<MonitorSnapshot> | undefined;
  if (m && typeof m.gamma === 'number' && typeof m.name === 'string') return { profile: m.name, gamma: m.gamma, method: m.gammaMethod ?? 'assumed' };
  if (s.participant.kind !== 'human') return { profile: null, gamma: null, method: null };
  return { profile: null, gamma: 1, method: 'assumed' };
}
