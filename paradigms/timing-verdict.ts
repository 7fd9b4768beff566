/**
 * The criterion a display must meet for frame-exact stimuli, and the verdict on measured frames
 * (pure: the Calibrate page's timing test and the import of online sessions judge alike).
 */

/** At most 1 % of frames dropped and a frame-interval SD of at most 1 ms, at the measured refresh rate. */
export const TIMING_CRITERION = { maxDroppedShare: 0.01, maxIntervalSdMs: 1 } as const;

export interface TimingVerdict {
  pass: boolean;
  /** The criterion in words. */
  criterion: string;
  /** What failed, one phrase each (empty on a pass). */
  failures: string[];
}

export function timingVerdict(r: { frames: number; droppedFrames: number; intervalSdMs: number; refreshHz: number }): TimingVerdict {
  const failures: string[] = [];
  // Frames the display should have shown: those drawn plus those missed.
  const share = r.droppedFrames / Math.max(1, r.frames + r.droppedFrames);
  if (share > TIMING_CRITERION.maxDroppedShare) failures.push(`${r.droppedFrames} dropped frames (${(100 * share).toFixed(2)} %, more than ${100 * TIMING_CRITERION.maxDroppedShare} %)`);
  if (r.intervalSdMs > TIMING_CRITERION.maxIntervalSdMs) failures.push(`frame-interval SD ${r.intervalSdMs.toFixed(3)} ms (more than ${TIMING_CRITERION.maxIntervalSdMs} ms)`);
  return {
    pass: failures.length === 0,
    criterion: `at most ${100 * TIMING_CRITERION.maxDroppedShare} % of frames dropped and a frame-interval SD of at most ${TIMING_CRITERION.maxIntervalSdMs} ms at the measured ${r.refreshHz.toFixed(2)} Hz`,
    failures,
  };
}
