/**
 * The flash-lag readout, validated without PredNet: a predictor that extrapolates the bar by its
 * velocity must show a flash-lag of one model frame of motion; copying the last frame, none.
 */
import { describe, expect, it } from 'vitest';
import { flashLag, flashLagParamsSchema, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import type { AnsweredTrial, TrialSpec } from '../../paradigms/types.js';
import { answerTrials, observerSettingsSchema } from '../../native-models/observer/observer.js';
import { copyLastFrame, velocityExtrapolator, type Predictor } from '../../native-models/observer/predictors.js';
import type { ModelView } from '../../native-models/raster/scene.js';

const view: ModelView = { width: 80, height: 64, channels: 3, fovDeg: 20, frameRateHz: 10 };
const params = flashLagParamsSchema.parse({ speedDegPerS: 10, offsetsDeg: [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5], trialsPerOffset: 4, flashFrames: 1, flashJitterDeg: 4 });
const trials: TrialSpec[] = [...Array(flashLag.trialCount(params)).keys()].map((i) => flashLag.planTrial(params, 5, i, [])!);

async function observe(p: Predictor, noise = 0.1) {
  const answers = await answerTrials(flashLag, trials, p, view, observerSettingsSchema.parse({ decisionNoiseDeg: noise }));
  const answered: AnsweredTrial<FlashLagStimulus>[] = answers.map((a, i) => ({ index: i, stimulus: trials[i]!.stimulus as FlashLagStimulus, response: a.response, extra: a.extra }));
  return { answers, analysis: flashLag.analyse(params, answered, { bootstrap: 100 }) };
}

describe('flash-lag readout with hand-built predictors', () => {
  it('a velocity extrapolator sees the flash lag by one model frame of motion', async () => {
    const { answers, analysis } = await observe(velocityExtrapolator);
    const oneFrameDeg = params.speedDegPerS / view.frameRateHz; // 1 deg
    expect(answers.every((a) => a.extra.guessed === false)).toBe(true);
    // Each trial: perceived = physical offset - one frame of motion.
    for (const [i, a] of answers.entries()) expect(a.extra.perceivedOffsetDeg as number).toBeCloseTo((trials[i]!.stimulus as { offsetDeg: number }).offsetDeg - oneFrameDeg, 0);
    expect(analysis.direct!.pseDeg).toBeGreaterThan(oneFrameDeg - 0.2);
    expect(analysis.direct!.pseDeg).toBeLessThan(oneFrameDeg + 0.2);
    expect(analysis.direct!.pseMs).toBeCloseTo(100, -1.5);
    expect(analysis.pseDeg!).toBeGreaterThan(0.6);
    expect(analysis.pseDeg!).toBeLessThan(1.4);
  });

  it('copying the last frame shows no flash-lag', async () => {
    const { analysis } = await observe(copyLastFrame);
    expect(Math.abs(analysis.direct!.pseDeg)).toBeLessThan(0.2);
    expect(Math.abs(analysis.pseDeg!)).toBeLessThan(0.4);
  });

  it('decision noise turns a deterministic readout into a graded psychometric curve', async () => {
    const sharp = await observe(copyLastFrame, 0);
    const noisy = await observe(copyLastFrame, 0.8);
    expect(sharp.analysis.levels.every((l) => l.pAhead === 0 || l.pAhead === 1 || l.offsetDeg === 0)).toBe(true);
    expect(noisy.analysis.levels.filter((l) => l.pAhead > 0 && l.pAhead < 1).length).toBeGreaterThan(2);
    // The perceived offset itself does not depend on the noise.
    expect(noisy.answers.map((a) => a.extra.perceivedOffsetDeg)).toEqual(sharp.answers.map((a) => a.extra.perceivedOffsetDeg));
  });
});
