/**
 * The lab's monitor profiles as the pages use them. The display calibration used to live in this
 * browser's localStorage: the first time the lab has no profile, a calibration found there becomes
 * the profile "This display" (gamma assumed, as it was drawn), so nothing measured is lost.
 */
import type { PredlabApi } from '../../../preload/api.js';
import type { MonitorProfile, MonitorSnapshot, SessionInfo } from '../../../preload/contract.js';
import { legacyCalibration } from './calibration.js';

export const MIGRATED_PROFILE_NAME = 'This display';

/** The profiles, after moving a calibration left in localStorage into the lab (once, into an empty lab). */
export async function loadMonitorProfiles(api: PredlabApi): Promise<MonitorProfile[]> {
  const list = await api['monitors:list']({});
  if (list.length) return list;
  const old = legacyCalibration();
  if (!old) return list;
  try {
    await api['monitors:create']({ name: MIGRATED_PROFILE_NAME, calibration: old, gamma: { method: 'assumed' }, choose: true });
  } catch {
    // A lab opened read-only cannot take it; the Calibrate page then offers to save a profile.
    return list;
  }
  return api['monitors:list']({});
}

/** What a session is drawn with: its own stored display (and its profile's gamma), else the chosen profile's. */
export function displayOf(session: SessionInfo, profile: MonitorProfile | null): { pxPerDeg: number; refreshHz: number; gamma: number } {
  const c = session.calibration as { pxPerDeg?: unknown; refreshHz?: unknown; monitor?: MonitorSnapshot };
  const pxPerDeg = typeof c.pxPerDeg === 'number' ? c.pxPerDeg : profile?.calibration.pxPerDeg;
  const refreshHz = typeof c.refreshHz === 'number' ? c.refreshHz : profile?.calibration.refreshHz;
  if (pxPerDeg === undefined || refreshHz === undefined) throw new Error('This display has no monitor profile: calibrate it first (Calibrate page).');
  // A session before profiles was drawn with gamma 1; it goes on so.
  return { pxPerDeg, refreshHz, gamma: typeof c.monitor?.gamma === 'number' ? c.monitor.gamma : 1 };
}

export const gammaSummary = (p: MonitorProfile): string =>
  p.gammaMethod === 'assumed' ? 'gamma not measured (assumed 1: pixel = 255 × luminance)' : `gamma ${p.gamma.toFixed(2)} (${p.gammaMethod === 'entered' ? 'entered' : p.gammaMethod === 'photometer' ? 'photometer fit' : 'half-split match'})`;

export const profileSummary = (p: MonitorProfile): string => `${p.calibration.pxPerDeg.toFixed(1)} px/deg at ${p.calibration.viewingDistanceCm} cm, ${p.calibration.refreshHz.toFixed(1)} Hz, ${gammaSummary(p)}`;
