import { describe, expect, it } from 'vitest';
import { constantStimuliList, flashLag, flashLagParamsSchema, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { planFromHistory, type AnsweredTrial } from '../../paradigms/types.js';

const planTrial = (p: ReturnType<typeof params>, seed: number, index: number, history: AnsweredTrial<FlashLagStimulus>[]) => planFromHistory(flashLag, p, seed, index, history);

const params = (over: Record<string, unknown> = {}) => flashLagParamsSchema.parse(over);

describe('flash-lag trial list', () => {
  it('is reproducible from the seed and differs between seeds', () => {
    const p = params();
    const a = constantStimuliList(p, 123);
    const b = constantStimuliList(p, 123);
    const c = constantStimuliList(p, 124);
    expect(a).toEqual(b);
    expect(a.map((t) => t.stimulus.offsetDeg)).not.toEqual(c.map((t) => t.stimulus.offsetDeg));
  });

  it('presents every offset trialsPerOffset times with both directions balanced', () => {
    const p = params({ offsetsDeg: [-1, 0, 0.5, 2], trialsPerOffset: 10 });
    const list = constantStimuliList(p, 9);
    expect(list).toHaveLength(40);
    expect(list.map((t) => t.index)).toEqual([...Array(40).keys()]);
    for (const o of p.offsetsDeg) {
      const at = list.filter((t) => t.stimulus.offsetDeg === o);
      expect(at).toHaveLength(10);
      expect(at.filter((t) => t.stimulus.direction === 1)).toHaveLength(5);
    }
    // Flash positions are jittered along the path, within the jitter range.
    const along = list.map((t) => t.stimulus.flashTimeS * p.speedDegPerS - p.travelDeg / 2);
    expect(Math.min(...along)).toBeGreaterThanOrEqual(-p.flashJitterDeg / 2);
    expect(Math.max(...along)).toBeLessThanOrEqual(p.flashJitterDeg / 2);
    expect(new Set(along.map((x) => x.toFixed(6))).size).toBeGreaterThan(30);
  });

  it('planTrial returns the list in order and null past the end', () => {
    const p = params({ offsetsDeg: [0, 1, 2], trialsPerOffset: 2 });
    const list = constantStimuliList(p, 5);
    for (let i = 0; i < 6; i++) expect(planTrial(p, 5, i, [])).toEqual(list[i]);
    expect(planTrial(p, 5, 6, [])).toBeNull();
    expect(flashLag.design.trialCount(p)).toBe(6);
  });

  it('staircases step toward the answers: "ahead" lowers the offset, "behind" raises it', () => {
    const p = params({ design: 'staircase', staircaseStartDeg: 2, staircaseStepDeg: 0.5, staircaseTrials: 8 });
    const history: AnsweredTrial<FlashLagStimulus>[] = [];
    const offsets: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = planTrial(p, 3, i, history)!;
      offsets.push(t.stimulus.offsetDeg);
      expect(t.stimulus.staircase).toBe(i % 2);
      // Always answer "ahead" (right when moving right, left when moving left).
      history.push({ index: i, stimulus: t.stimulus, response: t.stimulus.direction === 1 ? 'right' : 'left' });
    }
    expect(offsets.filter((_, i) => i % 2 === 0)).toEqual([2, 1.5, 1, 0.5]);
    expect(offsets.filter((_, i) => i % 2 === 1)).toEqual([-2, -2.5, -3, -3.5]);
    expect(planTrial(p, 3, 8, history)).toBeNull();
  });

  it('refuses invalid parameters with messages naming the field', () => {
    const bad = (over: Record<string, unknown>) => flashLagParamsSchema.safeParse(over);
    const speed = bad({ speedDegPerS: -5 });
    expect(speed.success).toBe(false);
    expect(JSON.stringify(speed.error!.issues)).toContain('speedDegPerS');
    const empty = bad({ offsetsDeg: [] });
    expect(empty.success).toBe(false);
    expect(empty.error!.issues[0]!.message).toMatch(/at least one offset/);
    expect(bad({ flashFrames: 0.5 }).success).toBe(false);
    expect(bad({ variant: 'sideways' }).success).toBe(false);
    expect(bad({ offsetsDeg: [1, 1] }).success).toBe(false);
    expect(bad({ speedDegPerS: 10, unknownKey: 1 }).success).toBe(false);
    expect(bad({ flashJitterDeg: 20, travelDeg: 10 }).error!.issues[0]!.path).toEqual(['flashJitterDeg']);
  });
});
