/**
 * Trials whose stimulus was not shown as planned near its critical event (the frame the
 * paradigm marks as critical, stored with each trial): a refresh was missed within a few frames of it. Read from the frame
 * intervals stored with every trial; nothing else needs to know what the critical event is.
 */
import { dropNearCriticalReason, NEAR_CRITICAL_FRAMES } from '../../paradigms/frame-drops.js';
import type { TrialRow } from '../store/rows.js';
import { parseStored } from '../store/rows.js';

export { NEAR_CRITICAL_FRAMES };

export interface DropFlag {
  trialIndex: number;
  /** Why the trial is flagged, in a phrase. */
  reason: string;
}

/** The trial's missed refresh near its critical frame, or null (the rule: paradigms/frame-drops.ts). */
export function dropNearCritical(row: Pick<TrialRow, 'trial_index' | 'dropped_frames' | 'critical_frame' | 'frame_intervals'>, refreshHz: number | null): DropFlag | null {
  const intervals = row.frame_intervals ? parseStored<number[]>(row.frame_intervals, `trial ${row.trial_index} (frame_intervals)`) : [];
  const reason = dropNearCriticalReason(intervals, row.dropped_frames, row.critical_frame, refreshHz);
  return reason === null ? null : { trialIndex: row.trial_index, reason };
}
