/**
 * QUEST (paradigms/quest.ts): the posterior against Bayes' rule written out, its grid limits,
 * and convergence on seeded simulated observers measured against the ideal observer's bound
 * (Watson & Pelli 1983: QUEST's estimates come near the best possible precision, unbiased).
 */
import jstat from 'jstat';
import { describe, expect, it } from 'vitest';
import { flashLag, flashLagParamsSchema, isAhead } from '../../paradigms/flash-lag/index.js';
import { isFat, kanizsa, kanizsaParamsSchema } from '../../paradigms/kanizsa/index.js';
import { idealPseSd, MAX_QUEST_GRID, questEstimate, questFromAnswers, questGrid, questInitial, questPlacement, questPosterior, questSettingsProblem, questUpdate, type QuestSettings } from '../../paradigms/quest.js';
import { completeForm } from '../../paradigms/form-fields.js';
import { createRng, subSeed } from '../../paradigms/rng.js';
import type { Paradigm, SimulatedObserver } from '../../paradigms/types.js';

const { jStat } = jstat;

describe('QUEST posterior', () => {
  // A five-point grid: the axis clips the prior mean +- 5 SD to [-0.1, 0.1] in steps of 0.05.
  const s: QuestSettings = { priorMean: 0.02, priorSd: 1, sigma: 1, lapse: 0.04, limits: [-0.1, 0.1] };

  it('is Bayes\' rule on the grid: prior x likelihood of each answer, normalised', () => {
    const g = questGrid(s);
    expect(g).toEqual({ start: -0.1, step: 0.05, size: 5 });
    const answers: [number, boolean][] = [[0.3, true], [-0.2, false], [0.05, false], [1.5, true]];
    let state = questInitial(s);
    for (const [x, positive] of answers) state = questUpdate(state, s, x, positive);
    // Written out: prior N(0.02, 1) at each PSE, times lapse/2 + (1 - lapse) Phi((x - pse)/sigma) or its complement.
    const pses = [-0.1, -0.05, 0, 0.05, 0.1];
    const direct = pses.map((pse) => {
      let w = Math.exp(-0.5 * (pse - 0.02) ** 2);
      for (const [x, positive] of answers) {
        const p = 0.02 + 0.96 * jStat.normal.cdf((x - pse) / 1, 0, 1);
        w *= positive ? p : 1 - p;
      }
      return w;
    });
    const total = direct.reduce((a, b) => a + b, 0);
    const post = questPosterior(state);
    direct.forEach((w, i) => expect(post[i]).toBeCloseTo(w / total, 12));
    const mean = pses.reduce((m, pse, i) => m + pse * (direct[i]! / total), 0);
    expect(questEstimate(state, s).mean).toBeCloseTo(mean, 12);
    expect(questPlacement(state, s)).toBeCloseTo(mean, 6);
    // With a level step, the mean rounded to a multiple of it (and never -0).
    const wide: QuestSettings = { priorMean: 0, priorSd: 2, sigma: 1, lapse: 0.02, limits: [-50, 50], step: 0.25 };
    const one = questUpdate(questInitial(wide), wide, 0, true);
    expect(questEstimate(one, wide).mean).toBeLessThan(-0.3);
    expect(questPlacement(one, wide)).toBe(Math.round(questEstimate(one, wide).mean / 0.25) * 0.25);
    expect(Object.is(questPlacement(questInitial(wide), wide), 0)).toBe(true);
    // "positive" answers at high x pull the PSE down, relative to the prior alone.
    expect(questEstimate(questUpdate(questInitial(s), s, 0.3, true), s).mean).toBeLessThan(questEstimate(questInitial(s), s).mean);
  });

  it('never changes the state it is given', () => {
    const a = questInitial(s);
    const before = Array.from(a.logPosterior);
    const b = questUpdate(a, s, 0, true);
    expect(Array.from(a.logPosterior)).toEqual(before);
    expect(b.logPosterior).not.toBe(a.logPosterior);
  });

  it('the credible interval holds the mean and narrows with answers; one that runs into the grid\'s end is flagged', () => {
    const wide: QuestSettings = { priorMean: 0, priorSd: 2, sigma: 0.5, lapse: 0.02, limits: [-50, 50] };
    const prior = questEstimate(questInitial(wide), wide);
    expect(prior.mean).toBeCloseTo(0, 9);
    expect(prior.sd).toBeCloseTo(2, 2);
    expect(prior.ci[0]).toBeCloseTo(-1.96 * 2, 1);
    expect(prior.atGridEdge).toBe(false);
    const some = questFromAnswers(wide, [[-1, false], [1, true], [0.3, true], [-0.3, false], [0.1, true], [0, false]].map(([x, positive]) => ({ x: x as number, positive: positive as boolean })));
    expect(some.ci[0]).toBeLessThan(some.mean);
    expect(some.ci[1]).toBeGreaterThan(some.mean);
    expect(some.ci[1] - some.ci[0]).toBeLessThan(prior.ci[1] - prior.ci[0]);
    // Every answer says the PSE lies far above the prior's range: the posterior piles at the grid's end.
    const far = questFromAnswers(wide, Array.from({ length: 40 }, () => ({ x: 9, positive: false })));
    expect(far.atGridEdge).toBe(true);
    expect(far.mean).toBeGreaterThan(9);
  });

  it('refuses settings whose grid would exceed its stated limit, naming the fix', () => {
    expect(questSettingsProblem({ priorMean: 0, priorSd: 20, sigma: 1, lapse: 0.02, limits: [-50, 50] })).toBeNull();
    expect(questGrid({ priorMean: 0, priorSd: 20, sigma: 1, lapse: 0.02, limits: [-1000, 1000] }).size).toBe(MAX_QUEST_GRID);
    expect(questSettingsProblem({ priorMean: 0, priorSd: 21, sigma: 1, lapse: 0.02, limits: [-1000, 1000] })).toMatch(/would hold 4201 points .* at most 4001 .* prior SD at most 20 x sigma/);
    expect(() => questInitial({ priorMean: 0, priorSd: 1, sigma: 0, lapse: 0.02, limits: [-5, 5] })).toThrow(/sigma must be a positive number/);
    expect(flashLagParamsSchema.safeParse({ design: 'quest', questPriorSdDeg: 20, questSigmaDeg: 0.1 }).error?.issues[0]).toMatchObject({ path: ['questPriorSdDeg'], message: expect.stringMatching(/^QUEST: the PSE grid would hold \d+ points/) });
    // The same settings are fine while another design is chosen (QUEST's keys are not read then).
    expect(flashLagParamsSchema.safeParse({ design: 'constant', questPriorSdDeg: 20, questSigmaDeg: 0.1 }).success).toBe(true);
    expect(kanizsaParamsSchema.safeParse({ design: 'quest', questTrials: 4000 }).error?.issues[0]).toMatchObject({ path: ['questTrials'], message: expect.stringMatching(/plans 12000 trials; at most 10000/) });
    expect(kanizsaParamsSchema.safeParse({ design: 'quest', questLapse: 0.5 }).success).toBe(false);
  });
});

describe('QUEST parameters on the Run page', () => {
  it.each([['flash-lag', flashLag], ['kanizsa', kanizsa]] as const)('%s: every QUEST setting has a field shown only with design = quest, with the schema\'s range', (_id, paradigm) => {
    const form = completeForm(paradigm as Paradigm);
    const shape = (paradigm.parameterSchema as unknown as { shape: Record<string, unknown> }).shape;
    const keys = Object.keys(shape).filter((k) => k.startsWith('quest'));
    expect(keys.sort()).toEqual(['questLapse', 'questPriorMeanDeg', 'questPriorSdDeg', 'questSigmaDeg', 'questStepDeg', 'questTrials']);
    for (const key of keys) {
      const fields = form.filter((f) => f.key === key);
      expect(fields, key).toHaveLength(1);
      expect(fields[0], key).toMatchObject({ showWhen: { key: 'design', values: ['quest'] } });
      expect(fields[0]!.advanced, key).toBeUndefined();
      // The form's bounds are the schema's: a value at either end parses, one beyond does not.
      const at = (v: number) => paradigm.parameterSchema.safeParse({ design: 'quest', questPriorSdDeg: 3, questSigmaDeg: 1, [key]: v }).success;
      if (fields[0]!.max !== undefined) expect(at(fields[0]!.max! + 1), `${key} above max`).toBe(false);
      if (fields[0]!.min !== undefined && fields[0]!.min! <= 0) expect(at(fields[0]!.min! - 1), `${key} below min`).toBe(false);
    }
    expect(form.find((f) => f.key === 'design')!.choices!.map((c) => c.value)).toContain('quest');
  });
});

/**
 * One simulated run: the paradigm's design plans each trial from the answers so far, the
 * paradigm's simulated observer answers; QUEST's final estimate (from the answers, as the
 * analysis computes it) minus the observer's PSE.
 */
function runError<P, S, St>(paradigm: Paradigm<P, S, St>, params: P, seed: number, observer: SimulatedObserver, positive: (s: S, response: string) => boolean, x: (s: S) => number, settings: QuestSettings): { error: number; lateDistance: number } {
  const rng = createRng(subSeed(seed, 77));
  let state = paradigm.design.initialState(params, seed);
  const points: { x: number; positive: boolean }[] = [];
  for (let i = 0; ; i++) {
    const t = paradigm.design.plan(state, params, seed, i);
    if (!t) break;
    const response = paradigm.simulateResponse(t.stimulus, observer, rng);
    state = paradigm.design.update(state, params, { index: i, stimulus: t.stimulus, response });
    points.push({ x: x(t.stimulus), positive: positive(t.stimulus, response) });
  }
  // The design placed the trials itself: the first at the prior mean.
  expect(points[0]!.x).toBe(settings.priorMean);
  const late = points.slice(Math.floor((3 * points.length) / 4));
  return { error: questFromAnswers(settings, points).mean - observer.pse, lateDistance: late.reduce((m, p) => m + Math.abs(p.x - observer.pse), 0) / late.length };
}

/** Bias and RMS error of the final estimates; how far the last quarter of the trials lay from the PSE, on average. */
function summary(runs: { error: number; lateDistance: number }[]) {
  const errors = runs.map((r) => r.error);
  const late = runs.reduce((m, r) => m + r.lateDistance, 0) / runs.length;
  const bias = errors.reduce((a, b) => a + b, 0) / errors.length;
  const rms = Math.sqrt(errors.reduce((a, b) => a + b * b, 0) / errors.length);
  return { bias, rms, late };
}

const RUNS = 120;
/** RMS error may exceed the ideal observer's SD, sigma * sqrt(pi / 2N), by at most this factor. */
const IDEAL_FACTOR = 1.5;

describe('QUEST converges on simulated observers (Watson & Pelli 1983)', () => {
  // The observer is the one QUEST assumes (sigma 0.5 deg, 2 % lapses in all), its PSE off the
  // prior mean and off the grid's points.
  const observer: SimulatedObserver = { pse: 0.37, sigma: 0.5, guess: 0.01, lapse: 0.01 };

  it('flash-lag: unbiased, RMS error within 1.5 x the ideal bound at 16, 32 and 64 trials, and falling with N', () => {
    const rows = [16, 32, 64].map((n) => {
      const params = flashLagParamsSchema.parse({ design: 'quest', questTrials: n, questPriorMeanDeg: 0, questPriorSdDeg: 1.5, questSigmaDeg: 0.5, questLapse: 0.02 });
      const settings: QuestSettings = { priorMean: 0, priorSd: 1.5, sigma: 0.5, lapse: 0.02, limits: [-50, 50] };
      const errors = Array.from({ length: RUNS }, (_, r) => runError(flashLag, params, 1000 + r, observer, isAhead, (s) => s.offsetDeg, settings));
      return { n, ...summary(errors), ideal: idealPseSd(observer.sigma, n) };
    });
    console.log('flash-lag QUEST convergence (deg):', rows.map((r) => `N=${r.n} bias ${r.bias.toFixed(4)} rms ${r.rms.toFixed(4)} ideal ${r.ideal.toFixed(4)} (x${(r.rms / r.ideal).toFixed(2)}), last quarter of trials ${r.late.toFixed(3)} from the PSE`).join('; '));
    for (const r of rows) {
      // Bias: within 3 standard errors of the mean error, and small against sigma.
      expect(Math.abs(r.bias)).toBeLessThan(3 * (r.rms / Math.sqrt(RUNS)));
      expect(Math.abs(r.bias)).toBeLessThan(0.1 * observer.sigma);
      expect(r.rms).toBeLessThan(IDEAL_FACTOR * r.ideal);
      // The trials themselves homed in on the PSE (a design that ignored the answers would not).
      expect(r.late).toBeLessThan(observer.sigma);
    }
    expect(rows[1]!.rms).toBeLessThan(rows[0]!.rms);
    expect(rows[2]!.rms).toBeLessThan(rows[1]!.rms);
  }, 120_000);

  it('Kanizsa: each condition\'s QUEST converges on that condition\'s PSE alike', () => {
    const k: SimulatedObserver = { pse: -0.8, sigma: 1.5, guess: 0.01, lapse: 0.01 };
    const rows = [16, 64].map((n) => {
      const params = kanizsaParamsSchema.parse({ design: 'quest', conditions: ['illusory'], questTrials: n, questPriorMeanDeg: 0, questPriorSdDeg: 3, questSigmaDeg: 1.5, questLapse: 0.02 });
      const settings: QuestSettings = { priorMean: 0, priorSd: 3, sigma: 1.5, lapse: 0.02, limits: [-45, 45] };
      const errors = Array.from({ length: RUNS }, (_, r) => runError(kanizsa, params, 2000 + r, k, (_s, response) => isFat(response), (s) => s.alphaDeg, settings));
      return { n, ...summary(errors), ideal: idealPseSd(k.sigma, n) };
    });
    console.log('Kanizsa QUEST convergence (deg):', rows.map((r) => `N=${r.n} bias ${r.bias.toFixed(4)} rms ${r.rms.toFixed(4)} ideal ${r.ideal.toFixed(4)} (x${(r.rms / r.ideal).toFixed(2)}), last quarter of trials ${r.late.toFixed(3)} from the PSE`).join('; '));
    for (const r of rows) {
      expect(Math.abs(r.bias)).toBeLessThan(0.1 * k.sigma);
      expect(r.rms).toBeLessThan(IDEAL_FACTOR * r.ideal);
      expect(r.late).toBeLessThan(k.sigma);
    }
    expect(rows[1]!.rms).toBeLessThan(rows[0]!.rms);
  }, 120_000);
});
