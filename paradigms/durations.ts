/**
 * One clock: paradigms give every duration in seconds (parameters in ms). A display shows a
 * duration as the nearest whole number of its frames (at least one for anything shown at all);
 * an integrating model frame takes it as it is. A protocol may still be entered in frames of a
 * calibrated display, and is stored with its milliseconds.
 */

/** Longest duration a paradigm parameter may give (ms): 10 s. */
export const MAX_DURATION_MS = 10_000;
/** Fastest display a duration may be entered in frames of (Hz). */
export const MAX_DISPLAY_HZ = 1000;
/**
 * Trials stored before durations were in seconds count frames of whoever draws them. Where a
 * continuous time is needed for them (an integrating model), a frame is one of a display at this
 * rate: the rate the protocols' defaults were written for.
 */
export const LEGACY_FRAME_RATE_HZ = 60;

/** Frames of a display -> ms, to the microsecond (so 2 frames at 60 Hz store as 33.333). */
export function framesToMs(frames: number, displayHz: number): number {
  return Math.round((frames * 1e6) / displayHz) / 1000;
}

/** Whole frames a display at `frameRateHz` shows a duration for: the nearest count, at least one. */
export function displayFrames(seconds: number, frameRateHz: number): number {
  return Math.max(1, Math.round(seconds * frameRateHz));
}

/** The display frame whose start is nearest to a time (an onset snapped to the frame grid). */
export function nearestFrame(seconds: number, frameRateHz: number): number {
  return Math.round(seconds * frameRateHz);
}

/** Display frame containing time t (frame k covers [k/fps, (k+1)/fps)). */
export function frameAt(t: number, frameRateHz: number): number {
  return Math.floor(t * frameRateHz + 1e-6);
}
