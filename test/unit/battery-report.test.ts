/** Known answers of the contour and flash-lag experiments, on hand-made Responders. */
import { describe, expect, it } from 'vitest';
import { contourDesign } from '../../paradigms/battery/contour-stimuli.js';
import { flashLagExperiment } from '../../native-models/battery/flash-lag.js';
import { illusoryContours } from '../../native-models/battery/illusory-contours.js';
import { batteryView } from '../../native-models/battery/report-stats.js';
import type { ExperimentResult } from '../../native-models/battery/types.js';
import { contourResponder, copyLastFrame, velocityExtrapolator } from '../support/battery-responders-report.js';

const rowsOf = (r: ExperimentResult, variant: string) => r.table.rows.filter((row) => row[0] === 'model' && row[1] === variant);

describe('flash-lag experiment', () => {
  it('a velocity extrapolator lags by one frame of motion in continuous and flash-terminated alike, not when motion starts at the flash', async () => {
    const r = await flashLagExperiment.run({ responder: velocityExtrapolator(), seed: 1, quick: true, cacheDir: null });
    const frameMs = 1000 / batteryView(velocityExtrapolator()).frameRateHz;
    for (const variant of ['continuous', 'flash-terminated']) {
      const rows = rowsOf(r, variant);
      expect(rows.length).toBe(3);
      // lag in ms = one model frame at every speed; in deg it grows with speed
      for (const row of rows) expect(row[4] as number).toBeCloseTo(frameMs, -1);
      const deg = rows.map((row) => row[3] as number);
      expect(deg[2]! / deg[0]!).toBeCloseTo(4, 0);
    }
    for (const row of rowsOf(r, 'flash-initiated')) expect(Math.abs(row[4] as number)).toBeLessThan(15);
    expect(r.verdict.effect).toBe(true);
    expect(r.verdict.statistic!.value).toBeGreaterThan(80);
    expect(r.verdict.text).toMatch(/^flash-lag \(continuous\): yes/);
  });

  it('a copy-last-frame predictor shows no flash-lag', async () => {
    const r = await flashLagExperiment.run({ responder: copyLastFrame(), seed: 1, quick: true, cacheDir: null });
    for (const variant of ['continuous', 'flash-initiated', 'flash-terminated']) for (const row of rowsOf(r, variant)) expect(Math.abs(row[4] as number)).toBeLessThan(15);
    expect(r.verdict.effect).toBe(false);
  });
});

describe('illusory-contour experiment', () => {
  const responder = velocityExtrapolator();
  const view = batteryView(responder);
  const design = contourDesign(view, true);

  it('a responder whose illusory response comes 2 steps late gives a latency of 2 steps', async () => {
    const r = await illusoryContours.run({ responder: contourResponder(view, design, 2), seed: 3, quick: true, cacheDir: null });
    expect(r.verdict.effect).toBe(true);
    expect(r.verdict.statistic!.value).toBe(2);
    expect(r.verdict.statistic!.ci).toEqual([2, 2]);
    // the mean illusory trace is flat before onset + 2 and up from there; the real one is up at onset
    const ill = r.series.find((s) => s.name === 'illusory')!;
    const real = r.series.find((s) => s.name === 'real')!;
    const at = (s: typeof ill, step: number) => s.y[s.x.indexOf(step)]!;
    expect(at(real, 0)).toBeGreaterThan(0.5);
    expect(at(ill, 1)).toBeCloseTo(0, 6);
    expect(at(ill, 2)).toBeGreaterThan(0.5);
  });

  it('with no illusory response the verdict is no', async () => {
    const r = await illusoryContours.run({ responder: contourResponder(view, design, null), seed: 3, quick: true, cacheDir: null });
    expect(r.verdict.effect).toBe(false);
    expect(r.verdict.text).toMatch(/no/);
  });

  it('the delay is measured, not assumed: 0 steps gives 0', async () => {
    const r = await illusoryContours.run({ responder: contourResponder(view, design, 0), seed: 3, quick: true, cacheDir: null });
    expect(r.verdict.statistic!.value).toBe(0);
    expect(r.verdict.effect).toBe(false);
  });
});
