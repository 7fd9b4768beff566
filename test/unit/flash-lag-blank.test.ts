/**
 * Flash-terminated trials run on past the flash with a blank (fixation alone), so a model readout
 * at flash + delay reads a real frame. Before, trials ended on the flash's last frame and a delay
 * past it silently read that last frame: delays 1 and 2 gave the same numbers, and with a
 * one-frame flash a delay of 1 read a frame without the flash.
 */
import { describe, expect, it } from 'vitest';
import { flashFrame, flashLag, flashLagParamsSchema, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { completeForm } from '../../paradigms/form-fields.js';
import { planFromHistory, type TrialSpec } from '../../paradigms/types.js';
import { answerTrials, observerSettingsSchema } from '../../native-models/observer/observer.js';
import { copyLastFrame, velocityExtrapolator, type Predictor } from '../../native-models/observer/predictors.js';
import { rasterizeTrial, type ModelView } from '../../paradigms/rasterize.js';

// These trials are authored in model frames (a flash of 100 or 200 ms at 10 frames/s): sample mode.
const SAMPLE = { mode: 'sample', exposure: 1, subSamples: 1 } as const;
const view: ModelView = { width: 80, height: 64, channels: 1, fovDeg: 20, frameRateHz: 10, temporal: SAMPLE };
// 10 deg/s at 10 frames/s: one model frame of motion is 1 deg.
const ONE_FRAME_DEG = 1;
const terminated = (over: Record<string, unknown> = {}) =>
  flashLagParamsSchema.parse({ variant: 'flash-terminated', speedDegPerS: 10, offsetsDeg: [-2, -1, 0, 1, 2], trialsPerOffset: 2, flashJitterDeg: 4, ...over });
const trialsOf = (params: ReturnType<typeof terminated>): TrialSpec[] => [...Array(flashLag.design.trialCount(params)).keys()].map((i) => planFromHistory(flashLag, params, 3, i)!);

async function perceived(p: Predictor, params: ReturnType<typeof terminated>, readoutDelayFrames: number) {
  const trials = trialsOf(params);
  const answers = await answerTrials(flashLag, trials, p, view, observerSettingsSchema.parse({ decisionNoiseDeg: 0, readoutDelayFrames, temporalMode: 'sample' }), { parameters: params, seed: 3 });
  return answers.map((a, i) => {
    const s = trials[i]!.stimulus as FlashLagStimulus;
    return { offsetDeg: s.offsetDeg, perceived: a.extra.perceivedOffsetDeg as number | null, readoutFrame: a.extra.readoutFrame as number, flashFrame: flashFrame(s, view), frames: a.frameCount };
  });
}

describe('flash-terminated blank after the flash', () => {
  it('is a parameter with a default, a limit and a form field; protocols stored without it still load', () => {
    expect(flashLagParamsSchema.parse({}).blankAfterFlashMs).toBe(500);
    // Parameters given without it (a new protocol) get the default.
    expect(flashLagParamsSchema.parse({ variant: 'flash-terminated', flashDurationMs: 200 }).blankAfterFlashMs).toBe(500);
    for (const bad of [-1, 10_001]) {
      const r = flashLagParamsSchema.safeParse({ variant: 'flash-terminated', blankAfterFlashMs: bad });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['blankAfterFlashMs']);
    }
    const fields = completeForm(flashLag).filter((f) => f.key === 'blankAfterFlashMs');
    expect(fields).toEqual([expect.objectContaining({ label: 'Blank after the flash', unit: 'ms', min: 0, max: 10_000, showWhen: { key: 'variant', values: ['flash-terminated'] } })]);
    // Only flash-terminated trials carry it; the others keep their stored shape.
    expect(trialsOf(terminated())[0]!.stimulus).toMatchObject({ blankAfterFlashMs: 500 });
    const continuous = trialsOf(terminated({ variant: 'continuous' }))[0]!.stimulus as FlashLagStimulus;
    expect(continuous).not.toHaveProperty('blankAfterFlashMs');
    // The tidy export says how long the blank was; trials stored before it existed had none.
    const term = trialsOf(terminated())[0]!.stimulus as FlashLagStimulus;
    const column = (s: FlashLagStimulus) => flashLag.tidyColumns(s, 'left', {}).blank_after_flash_ms;
    expect([column(term), column({ ...term, blankAfterFlashMs: undefined }), column(continuous)]).toEqual([500, 0, null]);
    expect(flashLag.stimulusColumns.blank_after_flash_ms).toMatchObject({ units: 'ms' });
  });

  it('a protocol stored before the blank existed keeps its trials: planned from its stored parameters, they end with the flash', () => {
    // Stored before the blank (and before durations in seconds): a frame-counted flash, no blank.
    const { blankAfterFlashMs: _, flashDurationMs: __, ...rest } = terminated();
    const stored = { ...rest, flashFrames: 2 };
    const s = planFromHistory(flashLag, JSON.parse(JSON.stringify(stored)), 3, 0)!.stimulus as FlashLagStimulus;
    expect(s).not.toHaveProperty('blankAfterFlashMs');
    expect(flashLag.trialDuration(s, view)).toBeCloseTo((flashFrame(s, view) + 2) / view.frameRateHz, 9);
    const now = planFromHistory(flashLag, terminated({ flashDurationMs: 200 }), 3, 0)!.stimulus as FlashLagStimulus;
    expect(flashLag.trialDuration(now, view)).toBeCloseTo((flashFrame(now, view) + 2) / view.frameRateHz + 0.5, 9);
  });

  it('both displays: the model sees fixation alone for the blank, as many frames as it lasts', () => {
    for (const motion of ['translate', 'rotate'] as const) {
      const params = terminated({ motion, flashDurationMs: 200, blankAfterFlashMs: 300, ...(motion === 'rotate' ? { speedDegPerS: 60, travelDeg: 90, offsetsDeg: [6] } : {}) });
      const s = trialsOf(params)[0]!.stimulus as FlashLagStimulus;
      const k = flashFrame(s, view);
      const { frames, count } = rasterizeTrial(flashLag, s, view);
      expect(count).toBe(k + 2 + 3);
      const size = view.width * view.height;
      const frame = (f: number) => frames.subarray(f * size, (f + 1) * size);
      // Pixels away from fixation: the moving bar (and the flash) on the flash's frames, background after.
      const lit = (f: number) => frame(f).filter((v) => v > 0.75).length;
      expect(lit(k + 1)).toBeGreaterThan(10);
      for (let f = k + 2; f < count; f++) {
        expect(lit(f)).toBe(0);
        expect(frame(f)[0]).toBeCloseTo(params.background, 6);
      }
    }
  });

  it('a one-frame flash: a velocity extrapolator at delay 1 reads the flash lagging by one frame of motion (there is a frame after the flash)', async () => {
    const reads = await perceived(velocityExtrapolator, terminated({ flashDurationMs: 100 }), 1);
    for (const r of reads) {
      expect(r.readoutFrame).toBe(r.flashFrame + 1);
      expect(r.frames).toBe(r.flashFrame + 1 + 5);
      expect(r.perceived).not.toBeNull();
      expect(r.perceived!).toBeCloseTo(r.offsetDeg - ONE_FRAME_DEG, 0);
    }
  }, 60_000);

  it('delays 1 and 2 read different frames: an extrapolator lags at 1, not at 2 (the bar stood still for the flash\'s second frame); copy-last never lags', async () => {
    const params = terminated({ flashDurationMs: 200 });
    const ex1 = await perceived(velocityExtrapolator, params, 1);
    const ex2 = await perceived(velocityExtrapolator, params, 2);
    for (const [i, r] of ex1.entries()) {
      expect(r.perceived!).toBeCloseTo(r.offsetDeg - ONE_FRAME_DEG, 0);
      expect(ex2[i]!.readoutFrame).toBe(r.readoutFrame + 1);
      expect(ex2[i]!.perceived!).toBeCloseTo(r.offsetDeg, 0);
    }
    for (const delay of [1, 2]) for (const r of await perceived(copyLastFrame, params, delay)) expect(r.perceived!).toBeCloseTo(r.offsetDeg, 1);
    // Delay 3 is the blank: copying the last frame there shows neither bar nor flash.
    for (const r of await perceived(copyLastFrame, params, 3)) expect(r.perceived).toBeNull();
  }, 120_000);

  it('a delay past the end of the trial is refused, saying how long the blank must be', async () => {
    const params = terminated({ flashDurationMs: 200, blankAfterFlashMs: 0 });
    await expect(perceived(copyLastFrame, params, 2)).rejects.toThrow(/Readout delay 2 frame\(s\) reads model frame \d+, but this trial has \d+ frames at 10 frames\/s .*set blankAfterFlashMs to at least 100 ms \(now 0\)/);
  });
});
