/**
 * Stimuli of the battery's flash-lag experiment (Nijhawan 1994; Lotter et al. 2020): the flash-lag
 * paradigm's own trials, with the flash aligned with the bar (offset 0), in its three variants at
 * several speeds, both directions, on both of its displays (a translating bar with a bar flashed
 * below it; Nijhawan's rotating bar with collinear outer segments flashed, the paper's display),
 * scaled to the model's field of view. The model's lag is then read from its predicted frame by
 * the paradigm's readout.
 * As in the paper, the flash lasts one model frame (100 ms at 10 frames/s; the battery samples
 * scenes at the model's rate): the true next frame never shows it, so a prediction that shows the
 * flash at all shows what the network made of it, not the display (a longer flash is still on
 * screen when the prediction is read, and any predictor that moves the bar then "lags").
 */
import { flashLag } from './flash-lag/index.js';
import { flashLagDefaults, MOTIONS, ROTATION_CENTRE_DEG, VARIANTS, type FlashLagMotion, type FlashLagStimulus, type FlashLagVariant } from './flash-lag/params.js';
import type { ModelView } from './types.js';

export { MOTIONS as FLASH_DISPLAYS, VARIANTS as FLASH_VARIANTS, type FlashLagMotion, type FlashLagVariant };
export const flashLagParadigm = flashLag;

/**
 * Speeds in the model's own frames: for the translating bar, degrees per frame as a fraction of the
 * field of view; for the rotating bar, degrees of rotation per frame.
 */
export function flashSpeeds(view: Pick<ModelView, 'fovDeg' | 'frameRateHz'>, quick: boolean, display: FlashLagMotion = 'translate'): number[] {
  // Translating: 1.25 % .. 10 % of the image width per frame; rotating: 2.5 .. 20 deg per frame.
  const perFrame = display === 'rotate' ? (quick ? [5, 10, 20] : [2.5, 5, 10, 20]) : (quick ? [0.025, 0.05, 0.1] : [0.0125, 0.025, 0.05, 0.1]).map((f) => f * view.fovDeg);
  return perFrame.map((f) => Number((f * view.frameRateHz).toPrecision(4)));
}

/** Model frames of motion before the flash (enough for a velocity to be known). */
export const FRAMES_BEFORE_FLASH = 5;

/** The flash lasts this many model frames; flash-terminated trials end with this many blank frames (so readout delays 1 and 2 read real frames). */
export const FLASH_MODEL_FRAMES = 1;
export const BLANK_FRAMES_AFTER_TERMINATED = 2;

export interface FlashTrial {
  display: FlashLagMotion;
  variant: FlashLagVariant;
  speedDegPerS: number;
  /** Which repetition (flash moment) of this display, variant and speed. */
  repeat: number;
  stimulus: FlashLagStimulus;
}

/**
 * Trials: every display x variant x speed x direction x flash moment. The bar moves so that the
 * flash falls at the centre of its path (translating: at fixation; rotating: vertical), +- one
 * frame's motion per repeat, and moves on for as long as it moved before.
 */
export function flashTrials(view: Pick<ModelView, 'width' | 'height' | 'fovDeg' | 'frameRateHz'>, quick: boolean): FlashTrial[] {
  const pxPerDeg = view.width / view.fovDeg;
  const heightDeg = view.height / pxPerDeg;
  // Bars at least two pixels wide, so the readout sees them at any image size.
  const widthDeg = Math.max(flashLagDefaults.barWidthDeg, 2 / pxPerDeg);
  const repeats = quick ? [0] : [-1, 0, 1];
  const frameS = 1 / view.frameRateHz;
  const trials: FlashTrial[] = [];
  for (const display of MOTIONS)
    for (const variant of VARIANTS)
      for (const speed of flashSpeeds(view, quick, display))
        for (const direction of [1, -1] as const)
          repeats.forEach((shift, r) => {
            const flashTimeS = (FRAMES_BEFORE_FLASH + 1 + shift) * frameS;
            const travelDeg = speed * 2 * (FRAMES_BEFORE_FLASH + 1) * frameS;
            // The bar is at the path's centre (x 0, or vertical) when the flash comes.
            const centre = display === 'rotate' ? ROTATION_CENTRE_DEG : 0;
            const common = {
              variant,
              motion: display,
              direction,
              offsetDeg: 0,
              speedDegPerS: speed,
              startXDeg: centre - direction * speed * flashTimeS,
              travelDeg,
              flashTimeS,
              flashDurationS: FLASH_MODEL_FRAMES * frameS,
              barWidthDeg: widthDeg,
              flashWidthDeg: widthDeg,
              background: flashLagDefaults.background,
              stimulusLuminance: flashLagDefaults.stimulusLuminance,
              fixationLuminance: flashLagDefaults.background,
            };
            const stimulus: FlashLagStimulus =
              display === 'rotate'
                ? // Nijhawan's display: a bar through fixation, its outer collinear segments flashed.
                  { ...common, barHeightDeg: 0.4 * heightDeg, flashHeightDeg: 0.2 * heightDeg, gapDeg: 0.05 * heightDeg, flashSegment: 'outer', innerRadiusDeg: 0.2 * heightDeg, outerRadiusDeg: 0.45 * heightDeg }
                : { ...common, barHeightDeg: 0.2 * view.fovDeg, flashHeightDeg: 0.2 * view.fovDeg, gapDeg: 0.05 * view.fovDeg };
            // Flash-terminated: fixation alone for 2 frames after the flash (the bar vanishes with it),
            // so the predictions of both frames after it (readout delays 1 and 2) read real frames.
            if (variant === 'flash-terminated') stimulus.blankAfterFlashMs = BLANK_FRAMES_AFTER_TERMINATED * 1000 * frameS;
            trials.push({ display, variant, speedDegPerS: speed, repeat: r, stimulus });
          });
  return trials;
}
