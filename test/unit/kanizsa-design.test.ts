/**
 * Kanizsa designs and analysis: balanced constant stimuli, the weighted up-down rule, and a
 * simulated observer's threshold recovered inside its CI in most seeded runs, for both designs,
 * through the same services a person's session uses.
 */
import { describe, expect, it } from 'vitest';
import { analyseSession } from '../../main/services/analysis.js';
import { simulateSession } from '../../main/services/simulate.js';
import { trialRows } from '../../main/services/sessions.js';
import { kanizsa, kanizsaParamsSchema, questSettingsOf, rotationGridStep, signedLevels, type KanizsaStimulus } from '../../paradigms/kanizsa/index.js';
import { questEstimate } from '../../paradigms/quest.js';
import { sigmaForSpread75 } from '../../paradigms/psychometric-function.js';
import { planFromHistory, type AnsweredTrial } from '../../paradigms/types.js';
import { tempDb } from '../support/db.js';

const params = (over: Record<string, unknown> = {}) => kanizsaParamsSchema.parse(over);

describe('Kanizsa designs', () => {
  it('constant stimuli: every condition x signed rotation trialsPerLevel times, reproducible from the seed', () => {
    const p = params({ alphasDeg: [0, 1, 3], trialsPerLevel: 4 });
    const n = kanizsa.design.trialCount(p);
    expect(n).toBe(3 * 5 * 4);
    const list = Array.from({ length: n }, (_, i) => planFromHistory(kanizsa, p, 7, i)!);
    expect(planFromHistory(kanizsa, p, 7, n)).toBeNull();
    for (const c of p.conditions) for (const a of signedLevels(p)) expect(list.filter((t) => t.stimulus.condition === c && t.stimulus.alphaDeg === a)).toHaveLength(4);
    expect(list.map((t) => t.stimulus)).toEqual(Array.from({ length: n }, (_, i) => planFromHistory(kanizsa, p, 7, i)!.stimulus));
    // Shuffled: conditions are interleaved, not blocked.
    expect(new Set(list.slice(0, 10).map((t) => t.stimulus.condition)).size).toBeGreaterThan(1);
  });

  it('weighted up-down: one step down after a correct answer, three up after an error, per condition', () => {
    const p = params({ design: 'updown', conditions: ['illusory', 'real'], updownStartDeg: 4, updownStepDeg: 0.5, updownTrials: 4 });
    let state = kanizsa.design.initialState(p, 1);
    const seen: number[][] = [];
    const answers = ['right', 'right', 'wrong', 'right', 'right', 'wrong', 'right', 'right'];
    for (let i = 0; i < 8; i++) {
      const t = kanizsa.design.plan(state, p, 1, i)!;
      expect(t.stimulus.staircase).toBe(i % 2);
      seen.push([t.stimulus.staircase!, Math.abs(t.stimulus.alphaDeg)]);
      const fat = t.stimulus.alphaDeg > 0;
      const response = answers[i] === 'right' ? (fat ? 'fat' : 'thin') : fat ? 'thin' : 'fat';
      state = kanizsa.design.update(state, p, { index: i, stimulus: t.stimulus, response });
    }
    // Staircase 0 answered right, wrong, right (then wrong); staircase 1 right, right, wrong (then right).
    expect(seen.filter(([s]) => s === 0).map(([, a]) => a)).toEqual([4, 3.5, 5, 4.5]);
    expect(seen.filter(([s]) => s === 1).map(([, a]) => a)).toEqual([4, 3.5, 3, 4.5]);
    expect(kanizsa.design.plan(state, p, 1, 8)).toBeNull();
  });

  it('QUEST: one posterior per condition, interleaved, each trial at its condition\'s posterior mean; replayed from the history alike', () => {
    const p = params({ design: 'quest', conditions: ['illusory', 'real'], questTrials: 6, questPriorSdDeg: 2, questSigmaDeg: 1 });
    expect(kanizsa.design.adaptive(p)).toBe(true);
    expect(kanizsa.design.trialCount(p)).toBe(12);
    let state = kanizsa.design.initialState(p, 3);
    const history: AnsweredTrial<KanizsaStimulus>[] = [];
    for (let i = 0; i < 12; i++) {
      const t = kanizsa.design.plan(state, p, 3, i)!;
      const k = i % 2;
      expect(t.stimulus.condition).toBe(p.conditions[k]);
      // The posterior mean rounded to the level step (default 0.25 deg).
      expect(t.stimulus.alphaDeg).toBeCloseTo(Math.round(questEstimate(state.quest![k]!, questSettingsOf(p)).mean / 0.25) * 0.25, 9);
      expect(planFromHistory(kanizsa, p, 3, i, history)).toEqual(t);
      // Illusory always looks fat (its PSE far below), real always thin (far above).
      const before = state;
      const frozen = state.quest!.map((q) => Array.from(q.logPosterior));
      history.push({ index: i, stimulus: t.stimulus, response: t.stimulus.condition === 'illusory' ? 'fat' : 'thin' });
      state = kanizsa.design.update(state, p, history[i]!);
      expect(before.quest!.map((q) => Array.from(q.logPosterior))).toEqual(frozen);
      // Only the trial's own condition learned from it.
      expect(state.quest![1 - k]).toBe(before.quest![1 - k]);
    }
    expect(kanizsa.design.plan(state, p, 3, 12)).toBeNull();
    const alphas = (c: string) => history.filter((t) => t.stimulus.condition === c).map((t) => t.stimulus.alphaDeg);
    expect(alphas('illusory')[5]!).toBeLessThan(alphas('illusory')[1]!);
    expect(alphas('real')[5]!).toBeGreaterThan(alphas('real')[1]!);
    // Practice at the prior mean +- 2 prior SD; a model's decision noise is QUEST's sigma.
    expect(new Set(kanizsa.practice!(p, 1, 4).map((s) => Math.abs(s.alphaDeg)))).toEqual(new Set([4]));
    expect(rotationGridStep(p)).toBe(1);
  });

  it('refuses unbounded or inconsistent protocols, naming the limit', () => {
    const issues = (over: Record<string, unknown>) => JSON.stringify(kanizsaParamsSchema.safeParse(over).error?.issues.map((i) => i.message));
    expect(issues({ alphasDeg: Array.from({ length: 500 }, (_, i) => i / 20) })).toMatch(/at most 101 rotations/);
    expect(issues({ alphasDeg: Array.from({ length: 101 }, (_, i) => i / 4), trialsPerLevel: 100 })).toMatch(/plans 60300 trials; at most 10000/);
    expect(issues({ inducerRadiusDeg: 3, sideDeg: 5 })).toMatch(/inducers must not touch/);
    expect(issues({ conditions: [] })).toMatch(/at least one condition/);
  });
});

/** Share of seeded simulated sessions whose threshold CI holds the observer's threshold. */
function recovery(parameters: Record<string, unknown>, threshold: number, seeds: number[]) {
  const { db } = tempDb();
  const results = seeds.map((seed) => {
    const s = simulateSession(db, { paradigmId: 'kanizsa', parameters, seed, observer: { pse: 0, sigma: sigmaForSpread75(threshold, 0.02, 0.02), guess: 0.02, lapse: 0.02 } });
    const a = analyseSession(db, s.id, { bootstrap: 100 });
    const t = a.conditions[0]!.statistics.find((x) => x.key === 'threshold')!;
    return { value: t.value!, ci: t.ci!, session: s.id };
  });
  return { db, results, inside: results.filter((r) => r.ci[0] <= threshold && threshold <= r.ci[1]).length / results.length };
}

describe('Kanizsa threshold recovery', () => {
  it('constant stimuli: the threshold lies inside its 95% CI in most seeded runs', () => {
    const { results, inside } = recovery({ conditions: ['illusory'], alphasDeg: [0.5, 1, 2, 3, 5, 8], trialsPerLevel: 15 }, 2, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(inside).toBeGreaterThanOrEqual(0.75);
    const mean = results.reduce((s, r) => s + r.value, 0) / results.length;
    expect(mean).toBeGreaterThan(1.5);
    expect(mean).toBeLessThan(2.6);
  }, 120_000);

  it('weighted up-down: the staircase settles near the 75 % point and the fit recovers the threshold', () => {
    const { db, results, inside } = recovery({ conditions: ['real'], design: 'updown', updownTrials: 300, updownStartDeg: 6, updownStepDeg: 0.25 }, 2, [11, 12, 13, 14, 15, 16]);
    expect(inside).toBeGreaterThanOrEqual(0.75);
    for (const r of results) {
      const late = trialRows(db, r.session).slice(-60).map((t) => Math.abs((JSON.parse(t.stimulus) as KanizsaStimulus).alphaDeg));
      const mean = late.reduce((a, b) => a + b, 0) / late.length;
      expect(mean).toBeGreaterThan(1.4);
      expect(mean).toBeLessThan(2.8);
    }
  }, 120_000);

  it('reports the illusory/real threshold ratio with a CI', () => {
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'kanizsa', parameters: { conditions: ['illusory', 'real'], trialsPerLevel: 20 }, seed: 5, observer: { pse: 0, sigma: sigmaForSpread75(2, 0.02, 0.02), guess: 0.02, lapse: 0.02 } });
    const a = analyseSession(db, s.id, { bootstrap: 100 });
    const [ill, real] = a.conditions.map((c) => c.statistics.find((x) => x.key === 'threshold')!.value!);
    const ratio = a.statistics.find((x) => x.key === 'threshold-ratio')!;
    expect(ratio.value).toBeCloseTo(ill! / real!, 9);
    expect(ratio.ci![0]).toBeLessThan(ratio.value!);
    expect(ratio.ci![1]).toBeGreaterThan(ratio.value!);
  }, 60_000);
});

describe('Kanizsa QUEST sessions', () => {
  it('a full simulated session: each condition gets QUEST\'s estimate of its PSE, holding the observer\'s', () => {
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'kanizsa', parameters: { design: 'quest', conditions: ['illusory', 'real'], questTrials: 64 }, seed: 8, observer: { pse: 1, sigma: 1.5, guess: 0.01, lapse: 0.01 } });
    expect(s).toMatchObject({ status: 'complete', answered: 128 });
    const a = analyseSession(db, s.id, { bootstrap: 100 });
    expect(a.conditions.map((c) => c.key)).toEqual(['illusory', 'real']);
    for (const c of a.conditions) {
      const q = c.statistics.find((x) => x.key === 'quest-pse')!;
      expect(q).toMatchObject({ unit: 'deg', label: expect.stringMatching(/^QUEST estimate of the PSE/) });
      expect(q.ci![0]).toBeLessThan(1);
      expect(q.ci![1]).toBeGreaterThan(1);
      expect(Math.abs(q.value! - 1)).toBeLessThan(0.8);
    }
  }, 60_000);
});

describe('Kanizsa thresholds the data do not bound', () => {
  it('are not determined, with the reason, when their interval reaches far past the rotations tested', () => {
    const p = params({ conditions: ['illusory'], alphasDeg: [2, 4, 8], trialsPerLevel: 10 });
    const planned = Array.from({ length: kanizsa.design.trialCount(p) }, (_, i) => planFromHistory(kanizsa, p, 3, i)!);
    // Barely above chance at every rotation: 6 of 10 right.
    const seen = new Map<number, number>();
    const trials: AnsweredTrial<KanizsaStimulus>[] = planned.map((t, i) => {
      const a = t.stimulus.alphaDeg;
      const k = seen.get(a) ?? 0;
      seen.set(a, k + 1);
      const right = k < 6;
      return { index: i, stimulus: t.stimulus, response: (a > 0) === right ? 'fat' : 'thin' };
    });
    const a = kanizsa.analyse(p, trials, { bootstrap: 200, seed: 2 });
    const t = a.conditions[0]!.statistics.find((x) => x.key === 'threshold')!;
    expect(t.ci).toBeNull();
    expect(t.undetermined).toMatch(/^Not determined by the data: its 95 % interval reaches beyond 4 x the largest rotation tested \(8 deg\)/);
  }, 60_000);
});

// A fat/thin answer at alpha = 0 is neither right nor wrong, and unknown answers are refused.
describe('Kanizsa answers', () => {
  it('analyses P("fat") against the signed rotation and refuses foreign answers', () => {
    const p = params({ conditions: ['illusory'], alphasDeg: [0, 2], trialsPerLevel: 1 });
    const trials: AnsweredTrial<KanizsaStimulus>[] = Array.from({ length: 3 }, (_, i) => planFromHistory(kanizsa, p, 1, i)!).map((t, i) => ({ index: i, stimulus: t.stimulus, response: 'fat' }));
    const a = kanizsa.analyse(p, trials, { bootstrap: 0 });
    expect(a.conditions[0]!.levels.map((l) => [l.x, l.k, l.n])).toEqual([[-2, 1, 1], [0, 1, 1], [2, 1, 1]]);
    expect(() => kanizsa.analyse(p, [{ ...trials[0]!, response: 'left' }])).toThrow(/'fat' or 'thin'/);
  });
});
