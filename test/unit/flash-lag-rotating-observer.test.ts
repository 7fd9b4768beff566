/**
 * The rotating-bar readout through the model observer, validated without PredNet: a predictor
 * that turns each ring around fixation on by the angle its content turned between the last two
 * frames must show a flash-lag of one model frame of rotation; copying the last frame, none.
 */
import { describe, expect, it } from 'vitest';
import { flashLag, flashLagParamsSchema, ringOrientationDeg, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { planFromHistory, type AnsweredTrial, type TrialSpec } from '../../paradigms/types.js';
import { answerTrials, observerSettingsSchema } from '../../native-models/observer/observer.js';
import { copyLastFrame, type Predictor } from '../../native-models/observer/predictors.js';
import type { ModelView } from '../../paradigms/rasterize.js';

// Authored at the model's rate (flashes of whole model frames): sample mode.
const view: ModelView = { width: 80, height: 64, channels: 1, fovDeg: 20, frameRateHz: 10, temporal: { mode: 'sample', exposure: 1, subSamples: 1 } };
const k = view.width / view.fovDeg;

/** Orientations differ modulo half a turn: wrap to (-90, 90]. */
const wrap = (d: number) => {
  const x = (((d % 180) + 180) % 180);
  return x > 90 ? x - 180 : x;
};

/**
 * The rotational counterpart of the per-row velocity extrapolator: the image is cut into rings
 * around fixation (edges in deg); each ring of the last frame is turned on by the angle its
 * content turned between the two frames before (none for content that just appeared).
 */
function ringExtrapolator(edges: number[]): Predictor {
  return {
    name: 'ring extrapolator',
    async predict(frames, s) {
      const f = s.height * s.width * s.channels;
      const out = new Float32Array(frames.length);
      const frame = (b: number, t: number) => frames.subarray((b * s.T + t) * f, (b * s.T + t + 1) * f);
      for (let b = 0; b < s.batch; b++)
        for (let t = 0; t < s.T; t++) {
          const last = frame(b, Math.max(0, t - 1));
          if (t < 2) {
            out.set(last, (b * s.T + t) * f);
            continue;
          }
          const before = frame(b, t - 2);
          const turn = edges.slice(1).map((r1, n) => {
            const a1 = ringOrientationDeg(last, view, edges[n]!, r1);
            const a0 = ringOrientationDeg(before, view, edges[n]!, r1);
            return a1 !== null && a0 !== null ? (wrap(a1 - a0) * Math.PI) / 180 : 0;
          });
          const bg = Float32Array.from(last).sort()[last.length >> 1]!;
          const at = (i: number, j: number) => (i >= 0 && i < s.height && j >= 0 && j < s.width ? last[i * s.width + j]! : bg);
          for (let i = 0; i < s.height; i++)
            for (let j = 0; j < s.width; j++) {
              const x = (j + 0.5 - s.width / 2) / k;
              const y = (s.height / 2 - (i + 0.5)) / k;
              const ring = edges.findIndex((e, n) => n > 0 && Math.hypot(x, y) < e) - 1;
              const a = ring >= 0 ? -turn[ring]! : 0;
              // Sample the last frame where this pixel was one turn ago (bilinear).
              const xs = x * Math.cos(a) - y * Math.sin(a);
              const ys = x * Math.sin(a) + y * Math.cos(a);
              const pj = xs * k + s.width / 2 - 0.5;
              const pi = s.height / 2 - ys * k - 0.5;
              const j0 = Math.floor(pj);
              const i0 = Math.floor(pi);
              const u = pj - j0;
              const v = pi - i0;
              out[(b * s.T + t) * f + i * s.width + j] = (1 - v) * ((1 - u) * at(i0, j0) + u * at(i0, j0 + 1)) + v * ((1 - u) * at(i0 + 1, j0) + u * at(i0 + 1, j0 + 1));
            }
        }
      return out;
    },
  };
}

// 60 deg/s at 10 frames/s: one model frame is 6 deg of rotation.
const params = flashLagParamsSchema.parse({ motion: 'rotate', speedDegPerS: 60, travelDeg: 90, flashJitterDeg: 20, offsetsDeg: [-15, -10, -5, 0, 5, 10, 15, 20], trialsPerOffset: 2, flashDurationMs: 100 });
const trials: TrialSpec[] = [...Array(flashLag.design.trialCount(params)).keys()].map((i) => planFromHistory(flashLag, params, 5, i)!);
// Rings split halfway across the gap between the central bar (to 3 deg) and the outer segments (from 3.5 deg).
const extrapolator = ringExtrapolator([0, 3.25, 7]);

async function observe(p: Predictor) {
  const answers = await answerTrials(flashLag, trials, p, view, observerSettingsSchema.parse({ decisionNoiseDeg: 0.5, temporalMode: 'sample' }), { parameters: params, seed: 5 });
  const answered: AnsweredTrial<FlashLagStimulus>[] = answers.map((a, i) => ({ index: i, stimulus: trials[i]!.stimulus as FlashLagStimulus, response: a.response, extra: a.extra }));
  const a = flashLag.analyse(params, answered, { bootstrap: 50 });
  const stat = (key: string) => a.conditions[0]!.statistics.find((s) => s.key === key)?.value ?? null;
  return { answers, pseDeg: stat('pse-deg'), directPseDeg: stat('direct-pse-deg'), directPseMs: stat('direct-pse-ms') };
}

describe('rotating-bar readout with hand-built predictors', () => {
  it('a ring extrapolator sees the flash lag by one model frame of rotation', async () => {
    const { answers, pseDeg, directPseDeg, directPseMs } = await observe(extrapolator);
    const oneFrameDeg = params.speedDegPerS / view.frameRateHz;
    expect(answers.every((a) => a.extra.guessed === false)).toBe(true);
    for (const [i, a] of answers.entries()) expect(Math.abs((a.extra.perceivedOffsetDeg as number) - ((trials[i]!.stimulus as FlashLagStimulus).offsetDeg - oneFrameDeg))).toBeLessThan(1);
    expect(Math.abs(directPseDeg! - oneFrameDeg)).toBeLessThan(0.5);
    expect(Math.abs(directPseMs! - 100)).toBeLessThan(10);
    expect(Math.abs(pseDeg! - oneFrameDeg)).toBeLessThan(2.5);
  }, 60_000);

  it('copying the last frame shows no flash-lag', async () => {
    const { pseDeg, directPseDeg } = await observe(copyLastFrame);
    expect(Math.abs(directPseDeg!)).toBeLessThan(0.5);
    expect(Math.abs(pseDeg!)).toBeLessThan(2.5);
  }, 60_000);
});

describe('rotating bar, flash-terminated: the blank after the flash is read as a real frame', () => {
  // A 2-frame flash; the bar stops at the flash, stays with it, and fixation alone follows.
  const term = flashLagParamsSchema.parse({ motion: 'rotate', variant: 'flash-terminated', speedDegPerS: 60, travelDeg: 90, flashJitterDeg: 20, offsetsDeg: [-10, 0, 10], trialsPerOffset: 2, flashDurationMs: 200 });
  const termTrials: TrialSpec[] = [...Array(flashLag.design.trialCount(term)).keys()].map((i) => planFromHistory(flashLag, term, 5, i)!);
  const read = async (delay: number) =>
    (await answerTrials(flashLag, termTrials, extrapolator, view, observerSettingsSchema.parse({ decisionNoiseDeg: 0, readoutDelayFrames: delay, temporalMode: 'sample' }), { parameters: term, seed: 5 })).map((a, i) => ({
      offsetDeg: (termTrials[i]!.stimulus as FlashLagStimulus).offsetDeg,
      perceived: a.extra.perceivedOffsetDeg as number | null,
    }));

  it('a ring extrapolator lags by one frame of rotation at delay 1 and not at delay 2, when it has seen the bar stand still', async () => {
    const oneFrameDeg = term.speedDegPerS / view.frameRateHz;
    const [d1, d2] = [await read(1), await read(2)];
    for (const [i, r] of d1.entries()) {
      expect(Math.abs(r.perceived! - (r.offsetDeg - oneFrameDeg))).toBeLessThan(1);
      expect(Math.abs(d2[i]!.perceived! - r.offsetDeg)).toBeLessThan(1);
    }
  }, 120_000);
});
