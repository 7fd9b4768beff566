/**
 * Display timing test: trials of every registered paradigm (default parameters, in turn) drawn
 * back to back for a given time, every frame timestamp kept. Reports what a session on this
 * display can expect (mean, SD, dropped frames) and whether that meets TIMING_CRITERION.
 */
import { paradigms } from '../../../paradigms/index.js';
import { planFromHistory, type Paradigm, type TrialSpec } from '../../../paradigms/types.js';
import { timingVerdict, type TimingVerdict } from '../../../paradigms/timing-verdict.js';
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
  verdict: TimingVerdict;
}

export { TIMING_CRITERION, timingVerdict, type TimingVerdict } from '../../../paradigms/timing-verdict.js';

export function runTimingTest(canvas: HTMLCanvasElement, pxPerDeg: number, refreshHz: number, seconds: number): Promise<TimingReport> {
  const presenter = new StimulusPresenter(canvas, pxPerDeg);
  const timing = { frameRateHz: refreshHz };
  const list = [...paradigms.values()];
  const stamps: number[] = [];
  let n = 0;
  const trialAt = (i: number): { p: Paradigm<any, any, any>; trial: TrialSpec } => {
    const p = list[i % list.length]!;
    // Adaptive designs plan their first trials without answers, so only non-adaptive indices are replayed.
    const count = p.design.trialCount(p.defaults);
    const index = p.design.adaptive(p.defaults) ? 0 : Math.floor(i / list.length) % count;
    return { p, trial: planFromHistory(p, p.defaults, 1, index)! };
  };
  let current = trialAt(0);
  let trialStart = 0;
  return new Promise((resolve) => {
    const tick = (t: number) => {
      stamps.push(t);
      const k = stamps.length - 1 - trialStart;
      if (k / refreshHz >= current.p.trialDuration(current.trial.stimulus, timing)) {
        current = trialAt(++n);
        trialStart = stamps.length - 1;
      }
      presenter.draw(current.p.scene(current.trial.stimulus, (stamps.length - 1 - trialStart) / refreshHz, timing));
      if (t - stamps[0]! < seconds * 1000) requestAnimationFrame(tick);
      else {
        presenter.dispose();
        const s = summariseFrames(stamps, refreshHz, null);
        const measured = { seconds, frames: s.frameCount, refreshHz, intervalMeanMs: s.intervalMeanMs, intervalSdMs: s.intervalSdMs, intervalMaxMs: s.intervalMaxMs, droppedFrames: s.droppedFrames };
        resolve({ ...measured, verdict: timingVerdict(measured) });
      }
    };
    requestAnimationFrame(tick);
  });
}
