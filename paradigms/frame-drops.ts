/**
 * Where a trial's missed refreshes fell, from its frame intervals alone (pure: the lab's sessions
 * and the exported online study judge a trial by the same rule, so both repeat the same trials).
 */
import { DROP_THRESHOLD } from './limits.js';

/** "Near": an interval that starts or ends within this many frames of the critical frame. */
export const NEAR_CRITICAL_FRAMES = 2;

/**
 * Why the trial's stimulus was not shown as planned near its critical frame, in a phrase, or
 * null. With no critical frame (the paradigm has no single event) any missed refresh counts; a
 * trial that counted dropped frames but kept no intervals (older data) counts too, as the drop
 * cannot be placed.
 */
export function dropNearCriticalReason(intervals: readonly number[], droppedFrames: number, criticalFrame: number | null, refreshHz: number | null): string | null {
  if (intervals.length === 0) return droppedFrames > 0 ? `${droppedFrames} dropped frame(s), not located` : null;
  const nominal = refreshHz && refreshHz > 0 ? 1000 / refreshHz : median(intervals);
  const c = criticalFrame;
  // Interval i lies between frames i and i + 1.
  for (let i = 0; i < intervals.length; i++) {
    if (!(intervals[i]! > DROP_THRESHOLD * nominal)) continue;
    if (c === null) return `a dropped frame at frame ${i + 1}`;
    if (i + 1 >= c - NEAR_CRITICAL_FRAMES && i <= c + NEAR_CRITICAL_FRAMES) return `a dropped frame at frame ${i + 1}, critical frame ${c}`;
  }
  return null;
}

function median(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
