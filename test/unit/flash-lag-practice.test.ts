/** Flash-lag practice trials and feedback: easy offsets, and a right answer only outside the margin. */
import { describe, expect, it } from 'vitest';
import { constantStimuliList, FEEDBACK_MARGIN_S, flashLag, flashLagParamsSchema, isAhead, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';

const translating = flashLagParamsSchema.parse({});
const base = (over: Partial<FlashLagStimulus>, params = translating): FlashLagStimulus => ({ ...constantStimuliList(params, 1)[0]!.stimulus, ...over });

describe('flash-lag feedback', () => {
  it('names the right answer only beyond 100 ms of motion, for either display and direction', () => {
    expect(FEEDBACK_MARGIN_S).toBe(0.1);
    // 10 deg/s: the margin is 1 deg.
    expect(flashLag.correctResponse!(base({ offsetDeg: 1.5, direction: 1 }))).toBe('right');
    expect(flashLag.correctResponse!(base({ offsetDeg: 1.5, direction: -1 }))).toBe('left');
    expect(flashLag.correctResponse!(base({ offsetDeg: -1.5, direction: 1 }))).toBe('left');
    expect(flashLag.correctResponse!(base({ offsetDeg: 1, direction: 1 }))).toBeNull();
    expect(flashLag.correctResponse!(base({ offsetDeg: -0.5, direction: -1 }))).toBeNull();
    // Rotating bar at 90 deg/s: 9 deg of rotation; 'left' is counter-clockwise.
    const rotating = flashLagParamsSchema.parse({ motion: 'rotate', speedDegPerS: 90, travelDeg: 120, flashJitterDeg: 20, offsetsDeg: [-12, 0, 12] });
    expect(flashLag.correctResponse!(base({ offsetDeg: 12, direction: 1 }, rotating))).toBe('left');
    expect(flashLag.correctResponse!(base({ offsetDeg: 12, direction: -1 }, rotating))).toBe('right');
    expect(flashLag.correctResponse!(base({ offsetDeg: 6, direction: 1 }, rotating))).toBeNull();
    // The right answer is the physical one: ahead exactly when the offset is positive.
    for (const s of constantStimuliList(rotating, 3)) {
      const right = flashLag.correctResponse!(s.stimulus);
      if (right !== null) expect(isAhead(s.stimulus, right)).toBe(s.stimulus.offsetDeg > 0);
    }
  });
});

describe('flash-lag practice', () => {
  it('shows the largest offsets ahead and behind in turn, seeded, with feedback at the defaults', () => {
    const practice = flashLag.practice!(translating, 4, 6);
    expect(practice).toHaveLength(6);
    const offsets = practice.map((s) => s.offsetDeg);
    expect(new Set(offsets)).toEqual(new Set([1.5, -1.5]));
    for (let i = 1; i < 6; i++) expect(offsets[i]).toBe(-offsets[i - 1]!);
    expect(practice.every((s) => flashLag.correctResponse!(s) !== null)).toBe(true);
    expect(flashLag.practice!(translating, 4, 6)).toEqual(practice);
    expect(flashLag.practice!(translating, 5, 6).map((s) => [s.direction, s.flashTimeS])).not.toEqual(practice.map((s) => [s.direction, s.flashTimeS]));
    // The staircase design practises at its start level; the rotating bar keeps its display.
    const stair = flashLag.practice!(flashLagParamsSchema.parse({ design: 'staircase', staircaseStartDeg: 3 }), 1, 4);
    expect(stair.map((s) => Math.abs(s.offsetDeg))).toEqual([3, 3, 3, 3]);
    expect(flashLag.practice!(flashLagParamsSchema.parse({ motion: 'rotate' }), 1, 2).every((s) => s.motion === 'rotate')).toBe(true);
  });
});
