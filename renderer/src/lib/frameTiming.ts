/** Frame-interval statistics of one presentation (PsychoPy's convention for dropped frames). */
import type { FrameTiming } from '../../../preload/contract.js';
import { DROP_THRESHOLD } from '../../../paradigms/limits.js';

export function summariseFrames(timestampsMs: number[], refreshHz: number, criticalFrame: number | null): FrameTiming {
  const nominal = 1000 / refreshHz;
  const iv = timestampsMs.slice(1).map((t, i) => t - timestampsMs[i]!);
  const mean = iv.length ? iv.reduce((a, b) => a + b, 0) / iv.length : 0;
  const sd = iv.length > 1 ? Math.sqrt(iv.reduce((a, b) => a + (b - mean) ** 2, 0) / (iv.length - 1)) : 0;
  // Count missed refreshes, not just long intervals: a 50 ms gap at 60 Hz lost two frames.
  const dropped = iv.reduce((n, x) => (x > DROP_THRESHOLD * nominal ? n + Math.max(1, Math.round(x / nominal) - 1) : n), 0);
  return {
    frameCount: timestampsMs.length,
    intervalMeanMs: mean,
    intervalSdMs: sd,
    intervalMaxMs: iv.length ? Math.max(...iv) : 0,
    droppedFrames: dropped,
    criticalFrame,
    intervalsMs: iv.map((x) => Math.round(x * 1000) / 1000),
  };
}
