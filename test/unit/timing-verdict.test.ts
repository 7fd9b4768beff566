/** The display timing test's verdict against its stated criterion (<= 1 % dropped, interval SD <= 1 ms). */
import { describe, expect, it } from 'vitest';
import { summariseFrames } from '../../renderer/src/lib/frameTiming.js';
import { timingVerdict } from '../../renderer/src/stimulus/timingTest.js';

/** Timestamps of `n` frames at 60 Hz with jitter `sdMs` and the given intervals doubled. */
function stamps(n: number, sdMs: number, doubled: Set<number>): number[] {
  let t = 0;
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return Array.from({ length: n }, (_, i) => (t += (doubled.has(i) ? 2 : 1) * (1000 / 60) + (i ? rand() * sdMs * Math.sqrt(3) : 0)));
}

const verdictOf = (ts: number[]) => {
  const s = summariseFrames(ts, 60, null);
  return { s, v: timingVerdict({ frames: s.frameCount, droppedFrames: s.droppedFrames, intervalSdMs: s.intervalSdMs, refreshHz: 60 }) };
};

describe('timing test verdict', () => {
  it('passes a steady display and states the criterion', () => {
    const { v } = verdictOf(stamps(600, 0.2, new Set()));
    expect(v).toMatchObject({ pass: true, failures: [] });
    expect(v.criterion).toBe('at most 1 % of frames dropped and a frame-interval SD of at most 1 ms at the measured 60.00 Hz');
  });
  it('fails on more than 1 % dropped frames, and on jitter, naming each', () => {
    // 3 of 300 frames missed is 1 %: still a pass on drops (SD aside); 8 is not.
    const few = verdictOf(stamps(300, 0, new Set([50, 150, 250])));
    expect(few.s.droppedFrames).toBe(3);
    expect(few.v.failures.some((f) => /dropped/.test(f))).toBe(false);
    const many = verdictOf(stamps(300, 0, new Set([10, 40, 80, 120, 160, 200, 240, 280])));
    expect(many.v.pass).toBe(false);
    expect(many.v.failures[0]).toMatch(/^8 dropped frames \(2\.60 %, more than 1 %\)/);
    const jittery = verdictOf(stamps(600, 2, new Set()));
    expect(jittery.s.droppedFrames).toBe(0);
    expect(jittery.v).toMatchObject({ pass: false });
    expect(jittery.v.failures).toEqual([expect.stringMatching(/^frame-interval SD [12]\.\d{3} ms \(more than 1 ms\)$/)]);
  });
});
