/**
 * Presents one trial frame by frame on requestAnimationFrame. Frame k shows scene(k / refresh):
 * time advances by frames, as in Psychtoolbox, so the flash lands on its exact frame index even
 * if the system drops a refresh; every frame's timestamp is kept so drops are detected and stored.
 */
import type { DisplayTiming, Paradigm, Scene } from '../../../paradigms/types.js';
import type { FrameTiming } from '../../../preload/contract.js';
import { summariseFrames } from '../lib/frameTiming.js';
import type { StimulusPresenter } from './presenter.js';

export interface TrialPresentation {
  frameTiming: FrameTiming;
  /** rAF timestamp of the first frame after the stimulus (response window opens). */
  offsetTimeMs: number;
}

export function framesInTrial(paradigm: Paradigm<any, any, any>, stimulus: unknown, timing: DisplayTiming): number {
  return Math.ceil(paradigm.trialDuration(stimulus, timing) * timing.frameRateHz - 1e-6);
}

export function presentTrial(
  presenter: StimulusPresenter,
  paradigm: Paradigm<any, any, any>,
  stimulus: unknown,
  refreshHz: number,
  after: Scene,
  signal?: AbortSignal,
): Promise<TrialPresentation> {
  const timing = { frameRateHz: refreshHz };
  const frames = framesInTrial(paradigm, stimulus, timing);
  const stamps: number[] = [];
  return new Promise((resolve, reject) => {
    let k = 0;
    const tick = (t: number) => {
      if (signal?.aborted) return reject(new DOMException('Trial interrupted', 'AbortError'));
      stamps.push(t);
      if (k < frames) {
        presenter.draw(paradigm.scene(stimulus, k / refreshHz, timing));
        k++;
        requestAnimationFrame(tick);
      } else {
        presenter.draw(after);
        resolve({ frameTiming: summariseFrames(stamps, refreshHz, paradigm.criticalFrame(stimulus, timing)), offsetTimeMs: t });
      }
    };
    requestAnimationFrame(tick);
  });
}
