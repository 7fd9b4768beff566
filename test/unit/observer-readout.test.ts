/**
 * The flash-lag readout, validated without PredNet: a predictor that extrapolates the bar by its
 * velocity must show a flash-lag of one model frame of motion; copying the last frame, none.
 */
import { describe, expect, it } from 'vitest';
import { flashLag, flashLagParamsSchema, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { planFromHistory, type AnsweredTrial, type TrialSpec } from '../../paradigms/types.js';
import { answerTrials, observerSettingsSchema } from '../../native-models/observer/observer.js';
import { copyLastFrame, velocityExtrapolator, type Predictor } from '../../native-models/observer/predictors.js';
import type { ModelView } from '../../paradigms/rasterize.js';

// Authored at the model's rate (a one-frame flash at 10 frames/s, as in the paper): sample mode.
const view: ModelView = { width: 80, height: 64, channels: 3, fovDeg: 20, frameRateHz: 10, temporal: { mode: 'sample', exposure: 1, subSamples: 1 } };
const params = flashLagParamsSchema.parse({ speedDegPerS: 10, offsetsDeg: [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5], trialsPerOffset: 4, flashDurationMs: 100, flashJitterDeg: 4 });
const trials: TrialSpec[] = [...Array(flashLag.design.trialCount(params)).keys()].map((i) => planFromHistory(flashLag, params, 5, i)!);

async function observe(p: Predictor, noise = 0.1) {
  const answers = await answerTrials(flashLag, trials, p, view, observerSettingsSchema.parse({ decisionNoiseDeg: noise, temporalMode: 'sample' }), { parameters: params, seed: 5 });
  const answered: AnsweredTrial<FlashLagStimulus>[] = answers.map((a, i) => ({ index: i, stimulus: trials[i]!.stimulus as FlashLagStimulus, response: a.response, extra: a.extra }));
  const a = flashLag.analyse(params, answered, { bootstrap: 100 });
  const stat = (key: string) => a.conditions[0]!.statistics.find((s) => s.key === key)?.value ?? null;
  return { answers, analysis: a, pseDeg: stat('pse-deg'), directPseDeg: stat('direct-pse-deg'), directPseMs: stat('direct-pse-ms'), levels: a.conditions[0]!.levels };
}

describe('flash-lag readout with hand-built predictors', () => {
  it('a velocity extrapolator sees the flash lag by one model frame of motion', async () => {
    const { answers, pseDeg, directPseDeg, directPseMs } = await observe(velocityExtrapolator);
    const oneFrameDeg = params.speedDegPerS / view.frameRateHz; // 1 deg
    expect(answers.every((a) => a.extra.guessed === false)).toBe(true);
    // Each trial: perceived = physical offset - one frame of motion.
    for (const [i, a] of answers.entries()) expect(a.extra.perceivedOffsetDeg as number).toBeCloseTo((trials[i]!.stimulus as { offsetDeg: number }).offsetDeg - oneFrameDeg, 0);
    expect(directPseDeg!).toBeGreaterThan(oneFrameDeg - 0.2);
    expect(directPseDeg!).toBeLessThan(oneFrameDeg + 0.2);
    expect(directPseMs!).toBeCloseTo(100, -1.5);
    expect(pseDeg!).toBeGreaterThan(0.6);
    expect(pseDeg!).toBeLessThan(1.4);
  });

  it('copying the last frame shows no flash-lag', async () => {
    const { pseDeg, directPseDeg } = await observe(copyLastFrame);
    expect(Math.abs(directPseDeg!)).toBeLessThan(0.2);
    expect(Math.abs(pseDeg!)).toBeLessThan(0.4);
  });

  it('decision noise turns a deterministic readout into a graded psychometric curve', async () => {
    const sharp = await observe(copyLastFrame, 0);
    const noisy = await observe(copyLastFrame, 0.8);
    expect(sharp.levels.every((l) => l.p === 0 || l.p === 1 || l.x === 0)).toBe(true);
    expect(noisy.levels.filter((l) => l.p > 0 && l.p < 1).length).toBeGreaterThan(2);
    // The perceived offset itself does not depend on the noise.
    expect(noisy.answers.map((a) => a.extra.perceivedOffsetDeg)).toEqual(sharp.answers.map((a) => a.extra.perceivedOffsetDeg));
  });
});
