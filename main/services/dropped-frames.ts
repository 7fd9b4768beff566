/**
 * Trials whose stimulus was not shown as planned near its critical event (the frame the
 * paradigm marks as critical, stored with each trial): a refresh was missed within a few frames of it. Read from the frame
 * intervals stored with every trial; nothing else needs to know what the critical event is.
 */
import { DROP_THRESHOLD } from '../../paradigms/limits.js';
import type { TrialRow } from '../store/rows.js';
import { parseStored } from '../store/rows.js';

/** "Near": an interval that starts or ends within this many frames of the critical frame. */
export const NEAR_CRITICAL_FRAMES = 2;

export interface DropFlag {
  trialIndex: number;
  /** Why the trial is flagged, in a phrase. */
  reason: string;
}

/**
 * The trial's missed refresh near its critical frame, or null. With no critical frame (the
 * paradigm has no single event) any missed refresh counts; a trial that counted dropped frames
 * but stored no intervals (older data) counts too, as the drop cannot be placed.
 */
export function dropNearCritical(row: Pick<TrialRow, 'trial_index' | 'dropped_frames' | 'critical_frame' | 'frame_intervals'>, refreshHz: number | null): DropFlag | null {
  const intervals = row.frame_intervals ? parseStored<number[]>(row.frame_intervals, `trial ${row.trial_index} (frame_intervals)`) : [];
  if (intervals.length === 0) return row.dropped_frames > 0 ? { trialIndex: row.trial_index, reason: `${row.dropped_frames} dropped frame(s), not located` } : null;
  const nominal = refreshHz && refreshHz > 0 ? 1000 / refreshHz : median(intervals);
  const c = row.critical_frame;
  // Interval i lies between frames i and i + 1.
  for (let i = 0; i < intervals.length; i++) {
    if (!(intervals[i]! > DROP_THRESHOLD * nominal)) continue;
    if (c === null) return { trialIndex: row.trial_index, reason: `a dropped frame at frame ${i + 1}` };
    if (i + 1 >= c - NEAR_CRITICAL_FRAMES && i <= c + NEAR_CRITICAL_FRAMES)
      return { trialIndex: row.trial_index, reason: `a dropped frame at frame ${i + 1}, critical frame ${c}` };
  }
  return null;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
