/**
 * Stimuli of the battery's flash-lag experiment (Nijhawan 1994; Lotter et al. 2020): the flash-lag
 * paradigm's own trials, with the flash aligned with the bar (offset 0), in its three variants at
 * several speeds, both directions, scaled to the model's field of view. The model's lag is then
 * read from its predicted frame by the paradigm's readout.
 */
import { flashLag } from '../flash-lag/index.js';
import { flashLagDefaults, VARIANTS, type FlashLagStimulus, type FlashLagVariant } from '../flash-lag/params.js';
import type { ModelView } from '../types.js';

export { VARIANTS as FLASH_VARIANTS, type FlashLagVariant };
export const flashLagParadigm = flashLag;

/** Speeds in the model's own frames: degrees per frame as a fraction of the field of view. */
export function flashSpeeds(view: Pick<ModelView, 'fovDeg' | 'frameRateHz'>, quick: boolean): number[] {
  // 1.25 % .. 10 % of the image width per frame: slow enough to track, fast enough to measure.
  const perFrame = quick ? [0.025, 0.05, 0.1] : [0.0125, 0.025, 0.05, 0.1];
  return perFrame.map((f) => Number((f * view.fovDeg * view.frameRateHz).toPrecision(4)));
}

/** Model frames of motion before the flash (enough for a velocity to be known). */
export const FRAMES_BEFORE_FLASH = 5;

export interface FlashTrial {
  variant: FlashLagVariant;
  speedDegPerS: number;
  /** Which repetition (flash moment) of this variant and speed. */
  repeat: number;
  stimulus: FlashLagStimulus;
}

/**
 * Trials: every variant x speed x direction x flash moment. The bar starts so that the flash
 * falls at the centre (+- one frame's motion per repeat), and moves on for as long as it moved before.
 */
export function flashTrials(view: Pick<ModelView, 'width' | 'fovDeg' | 'frameRateHz'>, quick: boolean): FlashTrial[] {
  const pxPerDeg = view.width / view.fovDeg;
  // Bars at least two pixels wide, so the readout's centroid sees them at any image size.
  const widthDeg = Math.max(flashLagDefaults.barWidthDeg, 2 / pxPerDeg);
  const heightDeg = 0.2 * view.fovDeg;
  const repeats = quick ? [0] : [-1, 0, 1];
  const trials: FlashTrial[] = [];
  for (const variant of VARIANTS)
    for (const speed of flashSpeeds(view, quick))
      for (const direction of [1, -1] as const)
        repeats.forEach((shift, r) => {
          const frameS = 1 / view.frameRateHz;
          const flashTimeS = (FRAMES_BEFORE_FLASH + 1 + shift) * frameS;
          const travelDeg = speed * 2 * (FRAMES_BEFORE_FLASH + 1) * frameS;
          // Flash at the centre of the path: the bar starts half the path before it.
          const startXDeg = -direction * speed * flashTimeS;
          trials.push({
            variant,
            speedDegPerS: speed,
            repeat: r,
            stimulus: {
              variant,
              direction,
              offsetDeg: 0,
              speedDegPerS: speed,
              startXDeg,
              travelDeg,
              flashTimeS,
              flashFrames: 2,
              barWidthDeg: widthDeg,
              barHeightDeg: heightDeg,
              flashWidthDeg: widthDeg,
              flashHeightDeg: heightDeg,
              gapDeg: 0.05 * view.fovDeg,
              background: flashLagDefaults.background,
              stimulusLuminance: flashLagDefaults.stimulusLuminance,
              fixationLuminance: flashLagDefaults.background,
            },
          });
        });
  return trials;
}
