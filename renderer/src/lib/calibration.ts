/** Display calibration: sizes in degrees of visual angle -> CSS pixels, and the refresh rate. */
import { pxPerDegFor } from '../../../paradigms/monitor-geometry.js';
import type { Calibration } from '../../../preload/contract.js';
import { calibrationSchema } from '../../../preload/schema-parts.js';

export const CREDIT_CARD_WIDTH_CM = 8.56; // ISO/IEC 7810 ID-1

/** Pixels per degree at the centre of the screen. */
export const pxPerDeg = pxPerDegFor;

export function makeCalibration(input: { method: Calibration['method']; screenWidthPx: number; screenWidthCm?: number; cardWidthPx?: number; viewingDistanceCm: number; refreshHz: number }): Calibration {
  const pxPerCm = input.method === 'credit-card' ? (input.cardWidthPx ?? NaN) / CREDIT_CARD_WIDTH_CM : input.screenWidthPx / (input.screenWidthCm ?? NaN);
  if (!(pxPerCm > 0) || !Number.isFinite(pxPerCm)) throw new RangeError(input.method === 'credit-card' ? 'Match the card on screen to a real card first.' : 'Enter the visible width of the screen in centimetres.');
  if (!(input.viewingDistanceCm > 0)) throw new RangeError('Enter the viewing distance in centimetres.');
  if (!(input.refreshHz >= 20)) throw new RangeError('Measure the refresh rate first.');
  return {
    method: input.method,
    screenWidthPx: Math.round(input.screenWidthPx),
    screenWidthCm: input.screenWidthPx / pxPerCm,
    viewingDistanceCm: input.viewingDistanceCm,
    refreshHz: input.refreshHz,
    pxPerDeg: pxPerDeg(pxPerCm, input.viewingDistanceCm),
    devicePixelRatio: window.devicePixelRatio,
  };
}

/** Where the calibration was kept before monitor profiles (read once, into the lab's first profile: lib/monitor-profiles.ts). */
const KEY = 'predlab.calibration';

/** A calibration this browser kept before monitor profiles, if it is a valid one. */
export function legacyCalibration(): Calibration | null {
  try {
    const raw = localStorage.getItem(KEY);
    const parsed = raw ? calibrationSchema.safeParse(JSON.parse(raw)) : null;
    return parsed?.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Median rAF interval over `frames` frames -> refresh rate in Hz. */
export function measureRefreshRate(frames = 90): Promise<{ hz: number; intervalsMs: number[] }> {
  return new Promise((resolve) => {
    const stamps: number[] = [];
    const tick = (t: number) => {
      stamps.push(t);
      if (stamps.length <= frames) requestAnimationFrame(tick);
      else {
        const iv = stamps.slice(1).map((s, i) => s - stamps[i]!);
        const sorted = iv.slice().sort((a, b) => a - b);
        resolve({ hz: 1000 / sorted[Math.floor(sorted.length / 2)]!, intervalsMs: iv });
      }
    };
    requestAnimationFrame(tick);
  });
}

/** Forgets the calibration kept before monitor profiles, so a lab whose last profile was deleted does not get it back as "This display". */
export function forgetLegacyCalibration(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // No storage (a locked-down page): nothing kept, nothing to forget.
  }
}
