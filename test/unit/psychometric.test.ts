import { describe, expect, it } from 'vitest';
import { curveUndetermined, fitPsychometric, psi, toLevels, type Level } from '../../paradigms/psychometric.js';
import { createRng } from '../../paradigms/rng.js';

function simulate(seed: number, truth: { pse: number; sigma: number; guess: number; lapse: number }, xs: number[], n: number): Level[] {
  const rng = createRng(seed);
  return xs.map((x) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng.next() < psi(x, truth)) k++;
    return { x, n, k };
  });
}

describe('psychometric fit', () => {
  const xs = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5];
  const truth = { pse: 0.4, sigma: 0.5, guess: 0.02, lapse: 0.02 };

  it('recovers a simulated observer\'s PSE inside its 95% interval in most seeded runs', () => {
    const runs = 40;
    let covered = 0;
    let sumPse = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const fit = fitPsychometric(simulate(seed, truth, xs, 20), { bootstrap: 200, seed });
      if (fit.ci.pse[0] <= truth.pse && truth.pse <= fit.ci.pse[1]) covered++;
      sumPse += fit.pse;
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.85);
    expect(sumPse / runs).toBeCloseTo(truth.pse, 1);
  });

  it('recovers the spread with plenty of data and reports a sensible slope', () => {
    const fit = fitPsychometric(simulate(7, truth, xs, 400), { bootstrap: 100, seed: 1 });
    expect(fit.pse).toBeCloseTo(0.4, 1);
    expect(fit.sigma).toBeGreaterThan(0.4);
    expect(fit.sigma).toBeLessThan(0.6);
    expect(fit.slope).toBeCloseTo(((1 - fit.guess - fit.lapse) / Math.sqrt(2 * Math.PI)) / fit.sigma, 9);
    expect(fit.warnings).toEqual([]);
    expect(fit.devianceP).toBeGreaterThan(0.01);
  });

  it('flags data that a psychometric curve cannot explain', () => {
    const zigzag: Level[] = xs.map((x, i) => ({ x, n: 40, k: i % 2 === 0 ? 2 : 38 }));
    const fit = fitPsychometric(zigzag, { bootstrap: 200, seed: 1 });
    expect(fit.warnings.join(' ')).toMatch(/does not explain the data/);
  });

  it('refuses to fit fewer than three levels and warns when every answer is the same', () => {
    expect(() => fitPsychometric([{ x: 0, n: 5, k: 2 }, { x: 1, n: 5, k: 4 }])).toThrow(/3 or more stimulus levels/);
    const same = fitPsychometric(xs.map((x) => ({ x, n: 10, k: 10 })), { bootstrap: 20 });
    expect(same.warnings.join(' ')).toMatch(/Every answer was the same/);
    // Only that: a PSE the data do not determine is placed nowhere (not "outside the tested range"),
    // and no sentence names one paradigm's stimulus ("offsets").
    for (const k of [0, 10]) {
      const w = fitPsychometric(xs.map((x) => ({ x, n: 10, k })), { bootstrap: 20 }).warnings;
      expect(w).toEqual(['Every answer was the same; the PSE is not determined.']);
    }
    const outside = fitPsychometric(xs.map((x, i) => ({ x, n: 20, k: Math.min(20, 12 + i) })), { bootstrap: 20 });
    expect(outside.warnings.join(' ')).toMatch(/lies outside the tested range .*; extend the tested levels\./);
    expect(outside.warnings.join(' ')).not.toMatch(/offsets/);
  });

  it('perfectly separated answers give the step between two levels as the PSE interval', () => {
    const fit = fitPsychometric([{ x: -1, n: 2, k: 0 }, { x: 0, n: 2, k: 0 }, { x: 1, n: 2, k: 2 }], { bootstrap: 50 });
    expect(fit.ci.pse).toEqual([0, 1]);
    expect(fit.pse).toBeGreaterThanOrEqual(0);
    expect(fit.pse).toBeLessThanOrEqual(1);
    expect(fit.warnings.join(' ')).toMatch(/switch completely between 0 and 1/);
  });

  it('groups binary answers into levels', () => {
    expect(toLevels([{ x: 1, positive: true }, { x: 0, positive: false }, { x: 1, positive: false }])).toEqual([
      { x: 0, n: 1, k: 0 },
      { x: 1, n: 2, k: 1 },
    ]);
  });
});

describe('parameters at a bound of the fit', () => {
  const xs = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5];
  // A steep observer tested with widely spaced levels: many bootstrap fits reach the steepest
  // curve the spacing allows, so the slope CI's upper limit is the fit's bound (issue 10, defect 3).
  const steep: Level[] = xs.map((x, i) => ({ x, n: 10, k: [0, 0, 0, 1, 10, 10, 10][i]! }));

  it('with the bootstrap piling up at the spread floor, the slope is not determined (the PSE is, inside the levels), and each says why', () => {
    const fit = fitPsychometric(steep, { bootstrap: 300, seed: 1 });
    expect([...fit.undetermined].sort()).toEqual(['sigma', 'slope', 'spread75']);
    expect(fit.reasons.slope).toMatch(/slope is at the fit's bound \(\d+ % of the bootstrap fits reached the steepest curve/);
    // Answers that switch completely between two levels: the fit is the step, and its PSE is only known to lie in between.
    const step = fitPsychometric(xs.map((x, i) => ({ x, n: 10, k: i < 4 ? 0 : 10 })), { bootstrap: 100, seed: 1 });
    expect([...step.undetermined].sort()).toEqual(['pse', 'sigma', 'slope', 'spread75']);
    expect(step.reasons.pse).toMatch(/switch completely between 0 and 0.5/);
    expect(fit.warnings.join(' ')).toMatch(/slope is not determined/);
  });

  it('one answer throughout, and a PSE interval past the tested levels, are not determined either', () => {
    const same = fitPsychometric(xs.map((x) => ({ x, n: 10, k: 10 })), { bootstrap: 100, seed: 1 });
    expect(same.reasons.pse).toMatch(/every answer was the same/);
    // Nor is the curve itself: its guess, lapse and deviance are where the optimiser stopped.
    expect(curveUndetermined(same)).toMatch(/every answer was the same/);
    expect(curveUndetermined(fitPsychometric(xs.map((x, i) => ({ x, n: 10, k: i < 4 ? 0 : 10 })), { bootstrap: 100, seed: 1 }))).toMatch(/switch completely/);
    // An observer far off the tested range: the fit's PSE and its interval reach past the levels.
    const off = fitPsychometric(xs.map((x) => ({ x, n: 10, k: Math.round(10 * psi(x, { pse: 3, sigma: 1.5, guess: 0, lapse: 0 })) })), { bootstrap: 100, seed: 1 });
    expect(off.undetermined).toContain('pse');
    expect(off.reasons.pse).toMatch(/beyond the tested levels|outside the tested levels/);
  });

  it('a well-measured observer has every parameter determined', () => {
    expect(curveUndetermined({ undetermined: [], reasons: {} })).toBeNull();
    const truth = { pse: 0.4, sigma: 0.5, guess: 0.02, lapse: 0.02 };
    const rng = createRng(7);
    const levels = xs.map((x) => {
      let k = 0;
      for (let i = 0; i < 400; i++) if (rng.next() < psi(x, truth)) k++;
      return { x, n: 400, k };
    });
    expect(fitPsychometric(levels, { bootstrap: 100, seed: 1 }).undetermined).toEqual([]);
  });

  it('the session analysis marks those statistics, in any paradigm, and the CLI says "not determined"', async () => {
    const { flagUndetermined } = await import('../../main/services/analysis.js');
    const { formatStatistic } = await import('../../main/cli/format.js');
    const { flashLag } = await import('../../paradigms/flash-lag/index.js');
    const params = flashLag.parameterSchema.parse({ offsetsDeg: xs, trialsPerOffset: 10 });
    let i = 0;
    const trials = steep.flatMap((l) =>
      Array.from({ length: l.n }, (_, j) => ({ index: i++, stimulus: { offsetDeg: l.x, direction: 1 as const, variant: params.variant }, response: j < l.k ? 'right' : 'left' })),
    );
    const a = flagUndetermined(flashLag.analyse(params, trials as never, { bootstrap: 300, seed: 1 }));
    const c = a.conditions[0]!;
    const slope = c.statistics.find((s) => s.key === 'slope')!;
    expect(c.fit!.undetermined).toContain('slope');
    expect(slope.undetermined).toMatch(/^Not determined by the data: the slope is at the fit's bound/);
    expect(slope.determined).toBe(false);
    const pse = c.statistics.find((s) => s.key === 'pse-deg')!;
    expect(pse.undetermined).toBeUndefined();
    expect(pse.determined).toBe(true);
    expect(formatStatistic(slope)).toMatch(/^Slope at PSE: not determined \(the slope is at the fit's bound/);
  });
});
