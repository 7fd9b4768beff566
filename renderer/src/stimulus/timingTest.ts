/**
 * Display timing test: flash-lag trials drawn back to back for a given time, every frame
 * timestamp kept. Reports what a session on this display can expect (mean, SD, dropped frames).
 */
import { flashLag } from '../../../paradigms/flash-lag/index.js';
import { summariseFrames } from '../lib/frameTiming.js';
import { StimulusPresenter } from './presenter.js';

export interface TimingReport {
  seconds: number;
  frames: number;
  refreshHz: number;
  intervalMeanMs: number;
  intervalSdMs: number;
  intervalMaxMs: number;
  droppedFrames: number;
}

export function runTimingTest(canvas: HTMLCanvasElement, pxPerDeg: number, refreshHz: number, seconds: number): Promise<TimingReport> {
  const presenter = new StimulusPresenter(canvas, pxPerDeg);
  const timing = { frameRateHz: refreshHz };
  const params = flashLag.defaults;
  const stamps: number[] = [];
  let trialIndex = 0;
  let trial = flashLag.planTrial(params, 1, 0, [])!;
  let trialStart = 0;
  return new Promise((resolve) => {
    const tick = (t: number) => {
      stamps.push(t);
      if (stamps.length === 1) trialStart = 0;
      const k = stamps.length - 1 - trialStart;
      if (k / refreshHz >= flashLag.trialDuration(trial.stimulus, timing)) {
        trialIndex = (trialIndex + 1) % flashLag.trialCount(params);
        trial = flashLag.planTrial(params, 1, trialIndex, [])!;
        trialStart = stamps.length - 1;
      }
      presenter.draw(flashLag.scene(trial.stimulus, (stamps.length - 1 - trialStart) / refreshHz, timing));
      if (t - stamps[0]! < seconds * 1000) requestAnimationFrame(tick);
      else {
        presenter.dispose();
        const s = summariseFrames(stamps, refreshHz, null);
        resolve({ seconds, frames: s.frameCount, refreshHz, intervalMeanMs: s.intervalMeanMs, intervalSdMs: s.intervalSdMs, intervalMaxMs: s.intervalMaxMs, droppedFrames: s.droppedFrames });
      }
    };
    requestAnimationFrame(tick);
  });
}
