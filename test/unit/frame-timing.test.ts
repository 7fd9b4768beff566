import { describe, expect, it } from 'vitest';
import { summariseFrames } from '../../renderer/src/lib/frameTiming.js';
import { pxPerDeg } from '../../renderer/src/lib/calibration.js';

describe('frame timing', () => {
  it('counts missed refreshes from the frame timestamps', () => {
    const f = 1000 / 60;
    const stamps = [0, f, 2 * f, 4 * f, 5 * f, 8 * f, 9 * f]; // one gap of 2 frames (1 missed), one of 3 (2 missed)
    const s = summariseFrames(stamps, 60, 3);
    expect(s.frameCount).toBe(7);
    expect(s.droppedFrames).toBe(3);
    expect(s.intervalMaxMs).toBeCloseTo(3 * f, 9);
    expect(s.intervalMeanMs).toBeCloseTo((9 * f) / 6, 9);
    expect(s.criticalFrame).toBe(3);
    expect(summariseFrames([0, f, 2 * f, 3 * f + 5], 60, null).droppedFrames).toBe(0); // 1.3 frames is jitter, not a drop
  });

  it('converts centimetres to pixels per degree at the viewing distance', () => {
    // At 57 cm, 1 cm on screen subtends about 1 degree.
    expect(pxPerDeg(40, 57)).toBeCloseTo(40 * 0.9948629, 4);
    expect(pxPerDeg(40, 114)).toBeCloseTo(2 * pxPerDeg(40, 57), 9);
  });
});
