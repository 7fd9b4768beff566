import { describe, expect, it } from 'vitest';
import { analyseSession } from '../../main/services/analysis.js';
import { simulateSession } from '../../main/services/simulate.js';
import { trialRows } from '../../main/services/sessions.js';
import { constantStimuliList, flashLag, flashLagParamsSchema, isAhead, offsetGridStep, questSettingsOf, type FlashLagState, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { questEstimate } from '../../paradigms/quest.js';
import { planFromHistory, type AnsweredTrial } from '../../paradigms/types.js';
import { tempDb } from '../support/db.js';

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

  it('QUEST places each trial at the posterior mean, and plans the same trials when replayed from the history', () => {
    const p = params({ design: 'quest', questTrials: 12, questPriorMeanDeg: 0.5, questPriorSdDeg: 1, questSigmaDeg: 0.4, questStepDeg: 0.1 });
    expect(flashLag.design.adaptive(p)).toBe(true);
    expect(flashLag.design.trialCount(p)).toBe(12);
    const settings = questSettingsOf(p);
    let state = flashLag.design.initialState(p, 4);
    const states: { state: FlashLagState; copy: number[] }[] = [];
    const history: AnsweredTrial<FlashLagStimulus>[] = [];
    for (let i = 0; i < 12; i++) {
      states.push({ state, copy: Array.from(state.quest!.logPosterior) });
      const t = flashLag.design.plan(state, p, 4, i)!;
      // The posterior mean, rounded to the level step (0.1 deg); the first trial is the prior mean.
      const mean = questEstimate(state.quest!, settings).mean;
      expect(t.stimulus.offsetDeg).toBeCloseTo(Math.round(mean / 0.1) * 0.1, 9);
      expect(Math.abs(t.stimulus.offsetDeg - mean)).toBeLessThanOrEqual(0.05 + 1e-9);
      if (i === 0) expect(t.stimulus.offsetDeg).toBe(0.5);
      // Lazy: the plan depends only on the state and the index, not on what was planned before.
      expect(flashLag.design.plan(state, p, 4, i)).toEqual(t);
      expect(planFromHistory(flashLag, p, 4, i, history)).toEqual(t);
      // Answers: ahead when the flash leads by more than 0.2 deg.
      const response = t.stimulus.offsetDeg > 0.2 === (t.stimulus.direction === 1) ? 'right' : 'left';
      history.push({ index: i, stimulus: t.stimulus, response });
      state = flashLag.design.update(state, p, history[i]!);
    }
    expect(flashLag.design.plan(state, p, 4, 12)).toBeNull();
    // No update changed the state it was given.
    for (const s of states) expect(Array.from(s.state.quest!.logPosterior)).toEqual(s.copy);
    // The same answers folded again give the same posterior.
    const again = history.reduce((st, t) => flashLag.design.update(st, p, t), flashLag.design.initialState(p, 4));
    expect(again).toEqual(state);
    // The answers moved the placements toward 0.2; directions come from each trial's own stream.
    const offsets = history.map((t) => t.stimulus.offsetDeg);
    expect(Math.abs(offsets[11]! - 0.2)).toBeLessThan(Math.abs(offsets[0]! - 0.2));
    expect(new Set(history.map((t) => t.stimulus.direction)).size).toBe(2);
    expect(history.filter((t) => isAhead(t.stimulus, t.response)).length).toBeGreaterThan(0);
    // Practice shows the prior mean +- 2 prior SD (clearly ahead and behind); a model's decision noise is QUEST's sigma.
    expect(new Set(flashLag.practice!(p, 1, 4).map((s) => s.offsetDeg))).toEqual(new Set([2.5, -1.5]));
    expect(offsetGridStep(p)).toBe(0.4);
  });

  it('QUEST through the simulate service: a full session, and QUEST\'s estimate of the PSE beside the fit', () => {
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { design: 'quest', questTrials: 64 }, seed: 21, observer: { pse: 0.6, sigma: 0.5, guess: 0.01, lapse: 0.01 } });
    expect(s).toMatchObject({ status: 'complete', answered: 64, total: 64 });
    // Every trial but the first sits at an offset the answers chose, near the observer's PSE by the end.
    const offsets = trialRows(db, s.id).map((r) => (JSON.parse(r.stimulus) as FlashLagStimulus).offsetDeg);
    expect(offsets[0]).toBe(0);
    const late = offsets.slice(-16).reduce((a, b) => a + b, 0) / 16;
    expect(Math.abs(late - 0.6)).toBeLessThan(0.25);
    const a = analyseSession(db, s.id, { bootstrap: 100 });
    const q = a.conditions[0]!.statistics.find((x) => x.key === 'quest-pse')!;
    expect(q).toMatchObject({ label: expect.stringMatching(/^QUEST estimate of the PSE/), unit: 'deg', absentAtZero: true });
    expect(q.undetermined).toBeUndefined();
    expect(q.ci![0]).toBeLessThan(0.6);
    expect(q.ci![1]).toBeGreaterThan(0.6);
    expect(q.ci![0]).toBeLessThan(q.value!);
    expect(q.ci![1]).toBeGreaterThan(q.value!);
    // The headline is still the fitted PSE; a constant-stimuli session has no QUEST estimate.
    expect(a.conditions[0]!.statistics[0]!.key).toBe('pse-deg');
    const c = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 4 }, seed: 21, observer: { pse: 0.6, sigma: 0.5, guess: 0.01, lapse: 0.01 } });
    expect(analyseSession(db, c.id, { bootstrap: 0 }).conditions[0]!.statistics.map((x) => x.key)).not.toContain('quest-pse');
  }, 60_000);

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
