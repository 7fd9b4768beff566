/**
 * The three psychometric families (cumulative Gaussian, logistic, Weibull), with free or fixed
 * guess and lapse rates: each curve's own identities, known values recovered from simulated data,
 * and the choice stated in every output (the analysis, the CLI).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { core, familyParameters, quantile, slopeAtPse, spread75 } from '../../paradigms/psychometric-function.js';
import { fitPsychometric, psi, PSYCHOMETRIC_FAMILIES, type Level, type PsychometricFamily } from '../../paradigms/psychometric.js';
import { createRng } from '../../paradigms/rng.js';
import { analyseSession } from '../../main/services/analysis.js';
import { simulateSession } from '../../main/services/simulate.js';
import { openDatabase } from '../../main/store/db.js';
import { cli } from '../support/cli.js';

const truthOf = (family: PsychometricFamily) => ({ family, pse: 1, sigma: 0.3, guess: 0.02, lapse: 0.02 });
// Positive levels, so that the Weibull is defined on all of them.
const xs = [0.4, 0.6, 0.8, 0.9, 1, 1.1, 1.2, 1.4, 1.7];

function simulate(seed: number, truth: ReturnType<typeof truthOf>, n: number): Level[] {
  const rng = createRng(seed);
  return xs.map((x) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng.next() < psi(x, truth)) k++;
    return { x, n, k };
  });
}

describe.each(PSYCHOMETRIC_FAMILIES)('the %s function', (family) => {
  const truth = truthOf(family);

  it('is placed by its 50 % point, with the slope, quantiles and 75 % spread its formula gives', () => {
    expect(core(truth.pse, truth)).toBeCloseTo(0.5, 12);
    const h = 1e-6;
    expect(slopeAtPse(truth)).toBeCloseTo((psi(truth.pse + h, truth) - psi(truth.pse - h, truth)) / (2 * h), 6);
    for (const p of [0.1, 0.25, 0.5, 0.75, 0.9]) expect(psi(quantile(p, truth), truth)).toBeCloseTo(p, 10);
    expect(spread75(truth)).toBeCloseTo((quantile(0.75, truth) - quantile(0.25, truth)) / 2, 12);
    // Left and right of the PSE the curve rises.
    expect(psi(0.5, truth)).toBeLessThan(0.5);
    expect(psi(1.5, truth)).toBeGreaterThan(0.5);
  });

  it('recovers the parameters of noise-free data to 0.2 %, rates fixed at their true value', () => {
    // Counts at their expected value (n large): the maximum-likelihood fit is the generating curve.
    const n = 100_000;
    const levels = xs.map((x) => ({ x, n, k: Math.round(n * psi(x, truth)) }));
    const fit = fitPsychometric(levels, { family, fixedRates: 0.02, bootstrap: 0 });
    expect(fit.family).toBe(family);
    expect(fit.rates).toBe(0.02);
    expect([fit.guess, fit.lapse]).toEqual([0.02, 0.02]);
    expect(Math.abs(fit.pse - truth.pse) / truth.pse).toBeLessThan(0.002);
    expect(Math.abs(fit.sigma - truth.sigma) / truth.sigma).toBeLessThan(0.002);
  });

  it('recovers the PSE and spread of simulated answers inside their 95 % intervals in most seeded runs, rates free', () => {
    const runs = 16;
    let pseCovered = 0;
    let spreadCovered = 0;
    let pseSum = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const fit = fitPsychometric(simulate(seed, truth, 100), { family, bootstrap: 100, seed });
      expect(fit.rates).toBe('free');
      if (fit.ci.pse[0] <= truth.pse && truth.pse <= fit.ci.pse[1]) pseCovered++;
      if (fit.ci.spread75[0] <= spread75(truth) && spread75(truth) <= fit.ci.spread75[1]) spreadCovered++;
      pseSum += fit.pse;
    }
    expect(pseCovered / runs).toBeGreaterThanOrEqual(0.8);
    expect(spreadCovered / runs).toBeGreaterThanOrEqual(0.8);
    expect(Math.abs(pseSum / runs - truth.pse)).toBeLessThan(0.03);
  });
});

describe('families against each other', () => {
  it('a Weibull is refused where a level is not positive; a logistic fitted to Gaussian data keeps the PSE and the 75 % spread', () => {
    const signed = [-1, -0.5, 0, 0.5, 1].map((x) => ({ x, n: 20, k: 10 }));
    expect(() => fitPsychometric(signed, { family: 'weibull', bootstrap: 0 })).toThrow(/Weibull function is defined for positive stimulus levels only.*from -1 to 1/);
    const n = 100_000;
    const gauss = truthOf('cumulative-gaussian');
    const levels = xs.map((x) => ({ x, n, k: Math.round(n * psi(x, gauss)) }));
    const logistic = fitPsychometric(levels, { family: 'logistic', fixedRates: 0.02, bootstrap: 0 });
    expect(logistic.pse).toBeCloseTo(gauss.pse, 3);
    // The two shapes differ in their tails; the 25-75 % spread agrees within 10 %.
    expect(Math.abs(logistic.spread75 - spread75(gauss)) / spread75(gauss)).toBeLessThan(0.1);
    // sigma means each family's own scale: the logistic's is near the Gaussian SD * sqrt(3) / pi.
    expect(logistic.sigma).toBeGreaterThan(0.45 * gauss.sigma);
    expect(logistic.sigma).toBeLessThan(0.65 * gauss.sigma);
  });

  it("the Weibull's own alpha and beta: F(alpha) = 1 - 1/e", () => {
    const w = truthOf('weibull');
    const [alpha, beta] = familyParameters(w);
    expect(alpha!.name).toBe('alpha');
    expect(core(alpha!.value, w)).toBeCloseTo(1 - Math.exp(-1), 12);
    expect(beta!.value).toBeCloseTo(w.pse / w.sigma, 12);
  });

  it('a fixed rate outside 0 to 0.2 is refused', () => {
    const levels = xs.map((x) => ({ x, n: 10, k: 5 }));
    expect(() => fitPsychometric(levels, { fixedRates: 0.3, bootstrap: 0 })).toThrow(/between 0 and 0.2; got 0.3/);
  });
});

describe('the choice of function in a session analysis and the CLI', () => {
  it('is chosen per analysis, fitted, and stated in the result, the caption and the CLI output', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-families-'));
    const file = path.join(dir, 'lab.sqlite');
    const db = openDatabase(file);
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 30, offsetsDeg: [0.2, 0.5, 0.8, 1.1, 1.4, 1.7] }, seed: 2, observer: { pse: 0.9, sigma: 0.3, guess: 0.02, lapse: 0.02 } });
    const byDefault = analyseSession(db, s.id, { bootstrap: 20 });
    expect(byDefault.psychometricFunction).toBe('cumulative Gaussian; guess and lapse rates free (each 0 to 0.1)');
    expect(byDefault.conditions[0]!.fit!.family).toBe('cumulative-gaussian');
    const weibull = analyseSession(db, s.id, { bootstrap: 20, fit: { family: 'weibull', rates: 0 } });
    expect(weibull.psychometricFunction).toBe('Weibull; guess and lapse rates fixed at 0');
    expect(weibull.conditions[0]!.fit).toMatchObject({ family: 'weibull', rates: 0, guess: 0, lapse: 0 });
    expect(weibull.caption).toMatch(/the fitted Weibull function/);
    db.close();

    const out = await cli('--db', file, 'analyze', '--session', String(s.id), '--function', 'logistic', '--lapse', '0.01', '--bootstrap', '100');
    expect(out.code).toBe(0);
    expect(out.out).toMatch(/^Psychometric function: logistic; guess and lapse rates fixed at 0.01$/m);
    expect(out.out).toMatch(/^ {2}scale \d\.\d{3} deg, guess 0\.010 \(fixed\), lapse 0\.010 \(fixed\);/m);
    // compare --json says which function its fits used, per session.
    const cmp = await cli('--db', file, 'compare', '--sessions', String(s.id), '--function', 'logistic', '--bootstrap', '20', '--json');
    expect(cmp.json().psychometricFunction).toEqual([{ sessionId: s.id, psychometricFunction: 'logistic; guess and lapse rates free (each 0 to 0.1)' }]);
    const bad = await cli('--db', file, 'analyze', '--session', String(s.id), '--lapse', 'fixed');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--lapse takes 'free' or a fixed rate from 0 to 0.2; got 'fixed'/);
    // A signed axis: the Weibull is not fitted, and the note says why (no number is built on it).
    const signed = simulateSession(openDatabase(file), { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 4 }, seed: 2, observer: { pse: 0.5, sigma: 0.5, guess: 0.02, lapse: 0.02 } });
    const w = await cli('--db', file, 'analyze', '--session', String(signed.id), '--function', 'weibull', '--bootstrap', '20');
    expect(w.out).toMatch(/Flash-lag \(PSE\) \(deg, ms\): not determined/);
    expect(w.out).toMatch(/Note: Not fitted: the Weibull function is defined for positive stimulus levels only, and these run from -1\.5 to 1\.5; choose the cumulative Gaussian or the logistic\./);
  });
});
