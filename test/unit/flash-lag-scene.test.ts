import { describe, expect, it } from 'vitest';
import { flashFrame, flashLag, flashLagParamsSchema, scene, trialDuration, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { planFromHistory, type RectShape } from '../../paradigms/types.js';

const at60 = { frameRateHz: 60 };
function stim(over: Partial<FlashLagStimulus> = {}): FlashLagStimulus {
  const p = flashLagParamsSchema.parse({ offsetsDeg: [0.5], trialsPerOffset: 1 });
  return { ...planFromHistory(flashLag, p, 1, 0)!.stimulus, direction: 1, startXDeg: -8, speedDegPerS: 10, travelDeg: 16, flashTimeS: 0.8, flashDurationS: 2 / 60, offsetDeg: 0.5, ...over };
}
const shape = (s: ReturnType<typeof scene>, id: string) => s.shapes.find((x) => x.id === id) as RectShape | undefined;

describe('flash-lag scene(t)', () => {
  it('moves the bar at the set speed, constant within a frame', () => {
    const s = stim();
    expect(shape(scene(s, 0, at60), 'bar')!.x).toBeCloseTo(-8, 9);
    expect(shape(scene(s, 0.5, at60), 'bar')!.x).toBeCloseTo(-3, 9);
    // t = 0.51 is inside frame 30 (0.5 .. 0.5167 s): same position as at 0.5.
    expect(shape(scene(s, 0.51, at60), 'bar')!.x).toBeCloseTo(-3, 9);
    const left = stim({ direction: -1, startXDeg: 8 });
    expect(shape(scene(left, 1, at60), 'bar')!.x).toBeCloseTo(-2, 9);
    expect(shape(scene(s, 0.5, at60), 'bar')!.y).toBeGreaterThan(0);
  });

  it('shows the flash on its exact frames, offset from the bar along the motion', () => {
    const s = stim({ flashTimeS: 0.8 });
    const k = flashFrame(s, at60);
    expect(k).toBe(48);
    expect(shape(scene(s, 47 / 60, at60), 'flash')).toBeUndefined();
    const f = shape(scene(s, 48 / 60, at60), 'flash')!;
    expect(f.x).toBeCloseTo(-8 + 10 * 0.8 + 0.5, 9);
    expect(f.y).toBeLessThan(0);
    expect(shape(scene(s, 49 / 60, at60), 'flash')!.x).toBeCloseTo(f.x, 9); // the flash does not move
    expect(shape(scene(s, 50 / 60, at60), 'flash')).toBeUndefined();
    const behindLeft = stim({ direction: -1, startXDeg: 8, offsetDeg: -1 });
    expect(shape(scene(behindLeft, 0.8, at60), 'flash')!.x).toBeCloseTo(8 - 8 + 1, 9);
  });

  it('rounds the flash onset to the frame grid of each display, and its duration to whole frames (at least one)', () => {
    const s = stim({ flashTimeS: 0.81 });
    expect(flashFrame(s, at60)).toBe(49);
    expect(flashFrame(s, { frameRateHz: 10 })).toBe(8);
    // 33 ms at 10 Hz: one whole frame of 100 ms.
    expect(shape(scene(s, 0.85, { frameRateHz: 10 }), 'flash')).toBeDefined();
    expect(shape(scene(s, 0.95, { frameRateHz: 10 }), 'flash')).toBeUndefined();
    // 33.3 ms at 144 Hz: 5 frames (34.7 ms), the nearest count.
    const at144 = { frameRateHz: 144 };
    const k = flashFrame(s, at144);
    expect(shape(scene(s, (k + 4) / 144, at144), 'flash')).toBeDefined();
    expect(shape(scene(s, (k + 5) / 144, at144), 'flash')).toBeUndefined();
  });

  it('a trial stored before durations were in seconds keeps its flash of whole frames of whoever draws it', () => {
    const { flashDurationS: _, ...rest } = stim({ flashTimeS: 0.81 });
    const stored: FlashLagStimulus = { ...rest, flashFrames: 2 };
    expect(shape(scene(stored, 0.99, { frameRateHz: 10 }), 'flash')).toBeDefined();
    expect(shape(scene(stored, 1.0, { frameRateHz: 10 }), 'flash')).toBeUndefined();
    // In continuous time it lasts 2 frames of a 60 Hz display.
    expect(shape(scene(stored, 0.81 + 0.033), 'flash')).toBeDefined();
    expect(shape(scene(stored, 0.81 + 0.034), 'flash')).toBeUndefined();
  });

  it('in continuous time (no display): the flash is on exactly from its nominal onset for its duration, the bar moves smoothly', () => {
    const s = stim({ flashTimeS: 0.81 });
    expect(shape(scene(s, 0.8099), 'flash')).toBeUndefined();
    expect(shape(scene(s, 0.81), 'flash')!.x).toBeCloseTo(-8 + 10 * 0.81 + 0.5, 9);
    expect(shape(scene(s, 0.81 + 2 / 60 - 1e-6), 'flash')).toBeDefined();
    expect(shape(scene(s, 0.81 + 2 / 60 + 1e-6), 'flash')).toBeUndefined();
    expect(shape(scene(s, 0.51), 'bar')!.x).toBeCloseTo(-2.9, 9);
    expect(flashLag.events(s)).toEqual([0.81, 0.81 + 2 / 60, 1.6]);
    // An integrating model reads the flash in the frame holding its middle.
    expect(flashLag.criticalTime(s)).toBeCloseTo(0.81 + 1 / 60, 12);
  });

  it('variants: flash-initiated starts the bar at the flash, flash-terminated stops it there', () => {
    const init = stim({ variant: 'flash-initiated' });
    expect(shape(scene(init, 0.5, at60), 'bar')).toBeUndefined();
    expect(shape(scene(init, 0.8, at60), 'bar')!.x).toBeCloseTo(0, 9);
    expect(shape(scene(init, 1.2, at60), 'bar')!.x).toBeCloseTo(4, 9);
    expect(trialDuration(init, at60)).toBeCloseTo(1.6, 9);

    const term = stim({ variant: 'flash-terminated', blankAfterFlashMs: 300 });
    expect(shape(scene(term, 0.5, at60), 'bar')!.x).toBeCloseTo(-3, 9);
    expect(shape(scene(term, 49 / 60, at60), 'bar')!.x).toBeCloseTo(0, 9); // frozen during the flash
    // Bar and flash vanish together, then fixation alone for the blank (300 ms = 18 frames at 60 Hz).
    for (const f of [50, 60, 67]) expect(scene(term, f / 60, at60).shapes.map((x) => x.id)).toEqual(['fixation']);
    expect(trialDuration(term, at60)).toBeCloseTo(50 / 60 + 0.3, 9);
    // A trial stored before the blank existed ended with the flash, and still does.
    const { flashDurationS: _, ...older } = stim({ variant: 'flash-terminated' });
    const stored: FlashLagStimulus = { ...older, flashFrames: 2 };
    expect(stored.blankAfterFlashMs).toBeUndefined();
    expect(trialDuration(stored, at60)).toBeCloseTo(50 / 60, 9);

    const cont = stim();
    expect(shape(scene(cont, 1.55, at60), 'bar')).toBeDefined();
    expect(shape(scene(cont, 1.6, at60), 'bar')).toBeUndefined();
  });

  it('always shows the fixation point and the background luminance', () => {
    const s = scene(stim(), 0.1, at60);
    expect(s.background).toBe(0.5);
    expect(shape(s, 'fixation')).toMatchObject({ kind: 'disc', x: 0, y: 0 });
  });
});
