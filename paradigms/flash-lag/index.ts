/** The flash-lag paradigm: a flash aligned with a moving bar is seen behind it. */
import { fixationScene } from '../fixation.js';
import { psi } from '../psychometric-function.js';
import type { Paradigm } from '../types.js';
import { analyseFlashLag } from './analysis.js';
import { answerFor, correctResponse, flashLagDesign, isAhead, practiceStimuli, type FlashLagState } from './design.js';
import { flashLagDefaults, flashLagParamsSchema, MAX_BLANK_AFTER_FLASH_MS, VARIANTS, type FlashLagParams, type FlashLagStimulus } from './params.js';
import { flashLagReadout } from './readout.js';
import { events, flashCentreS, flashDurationS, flashFrame, scene, trialDuration } from './scene.js';
import { NO_ANSWER } from '../types.js';
import { numberCell } from '../export-cells.js';

export * from './params.js';
export * from './design.js';
export * from './scene.js';
export * from './analysis.js';
export * from './readout.js';

/** What the participant is told: only the display these parameters show. */
export function flashLagInstructions(params: Pick<FlashLagParams, 'motion' | 'flashSegment'>): string {
  const eyes = 'Keep your eyes on the small dot in the middle. ';
  const guess = ' Guess if you are not sure.';
  if (params.motion === 'rotate') {
    if (params.flashSegment === 'inner')
      return eyes + 'Two segments will turn about the dot and, at some moment, a short bar through the dot, in line with them, will flash briefly. ' +
        'Press {left} if the flash was counter-clockwise of the turning segments (left of the upper one), {right} if it was clockwise.' + guess;
    return eyes + 'A bar through the dot will turn about it and, at some moment, two segments in line with it will flash briefly beyond its ends. ' +
      'Press {left} if the flash was counter-clockwise of the turning bar (left of its upper half), {right} if it was clockwise.' + guess;
  }
  return eyes + 'A bar will move across the screen and, at some moment, a second bar will flash briefly below it. ' +
    'Press {left} if the flash was to the left of the moving bar, {right} if it was to the right.' + guess;
}

export const flashLag: Paradigm<FlashLagParams, FlashLagStimulus, FlashLagState> = {
  id: 'flash-lag',
  name: 'Flash-lag',
  description: 'A bar moves across the screen and a second bar flashes below it, or (rotating bar) a bar turns about the centre and a segment in line with it flashes. Was the flash left or right of the moving bar?',
  taskLabel: 'flashlag',
  parameterSchema: flashLagParamsSchema as unknown as Paradigm<FlashLagParams>['parameterSchema'],
  defaults: flashLagDefaults,
  form: [
    { key: 'motion', label: 'Display', type: 'choice', choices: [{ value: 'translate', label: 'Translating bar, flash below it' }, { value: 'rotate', label: 'Rotating bar, collinear flash (Nijhawan 1994)' }] },
    { key: 'variant', label: 'Variant', type: 'choice', choices: VARIANTS.map((v) => ({ value: v, label: v })) },
    // Speed and path have one field per display (same key, never both shown): their units differ.
    { key: 'speedDegPerS', label: 'Bar speed', type: 'number', unit: 'deg/s', min: 0.1, max: 200, step: 1, showWhen: { key: 'motion', values: ['translate'] } },
    { key: 'speedDegPerS', label: 'Angular speed', type: 'number', unit: 'deg of rotation/s', min: 0.1, max: 200, step: 5, showWhen: { key: 'motion', values: ['rotate'] } },
    { key: 'travelDeg', label: 'Path length', type: 'number', unit: 'deg', min: 0.1, max: 200, step: 1, showWhen: { key: 'motion', values: ['translate'] } },
    { key: 'travelDeg', label: 'Rotation per trial (centred on vertical)', type: 'number', unit: 'deg of rotation', min: 0.1, max: 200, step: 5, showWhen: { key: 'motion', values: ['rotate'] } },
    { key: 'flashSegment', label: 'Flashed segment', type: 'choice', choices: [{ value: 'outer', label: 'Outer: beyond both ends of the rotating bar' }, { value: 'inner', label: 'Inner: the central bar, inside rotating outer segments' }], showWhen: { key: 'motion', values: ['rotate'] } },
    { key: 'innerRadiusDeg', label: 'Central bar half-length', type: 'number', unit: 'deg', min: 0.1, max: 20, step: 0.5, showWhen: { key: 'motion', values: ['rotate'] } },
    { key: 'outerRadiusDeg', label: 'Outer segments end at', type: 'number', unit: 'deg from fixation', min: 0.1, max: 40, step: 0.5, showWhen: { key: 'motion', values: ['rotate'] } },
    { key: 'design', label: 'Design', type: 'choice', choices: [{ value: 'constant', label: 'Method of constant stimuli' }, { value: 'staircase', label: 'Interleaved staircases' }, { value: 'quest', label: 'QUEST (Bayesian adaptive, Watson & Pelli 1983)' }] },
    { key: 'offsetsDeg', label: 'Flash offsets (+ = ahead)', type: 'numbers', unit: 'deg; rotating bar: of rotation', help: 'Translating bar: deg of visual angle; rotating bar: deg of rotation angle', min: -50, max: 50, showWhen: { key: 'design', values: ['constant'] } },
    { key: 'trialsPerOffset', label: 'Trials per offset', type: 'integer', min: 1, max: 1000, showWhen: { key: 'design', values: ['constant'] } },
    { key: 'staircaseTrials', label: 'Staircase trials', type: 'integer', min: 2, max: 10000, showWhen: { key: 'design', values: ['staircase'] } },
    { key: 'staircaseStepDeg', label: 'Staircase step', type: 'number', unit: 'deg; rotating bar: of rotation', min: 0.01, max: 10, step: 0.05, showWhen: { key: 'design', values: ['staircase'] } },
    { key: 'questTrials', label: 'QUEST trials', type: 'integer', min: 2, max: 10000, showWhen: { key: 'design', values: ['quest'] } },
    { key: 'questPriorMeanDeg', label: 'Prior mean of the PSE', type: 'number', unit: 'deg', min: -50, max: 50, step: 0.1, showWhen: { key: 'design', values: ['quest'] }, help: 'Your guess of the flash-lag before any answer (+ = the flash seen aligned when it is this far ahead). (Rotating bar: deg of rotation.)' },
    { key: 'questPriorSdDeg', label: 'Prior SD of the PSE', type: 'number', unit: 'deg', min: 0.01, max: 50, step: 0.1, showWhen: { key: 'design', values: ['quest'] }, help: 'How unsure that guess is. QUEST looks for the PSE only within the prior mean +- 5 SD, so make it wide; at most 20 x the assumed spread. (Rotating bar: deg of rotation.)' },
    { key: 'questSigmaDeg', label: 'Assumed spread (sigma)', type: 'number', unit: 'deg', min: 0.01, max: 20, step: 0.05, showWhen: { key: 'design', values: ['quest'] }, help: "SD of the observer's cumulative Gaussian that QUEST assumes; each trial is placed at the current estimate of the PSE. (Rotating bar: deg of rotation.)" },
    { key: 'questStepDeg', label: 'Level step', type: 'number', unit: 'deg', min: 0, max: 10, step: 0.05, showWhen: { key: 'design', values: ['quest'] }, help: 'Each trial is shown at the current estimate rounded to a multiple of this, so levels repeat and the plot is readable (about sigma / 5 costs almost nothing); 0 = not rounded. (Rotating bar: deg of rotation.)' },
    { key: 'questLapse', label: 'Assumed lapse rate', type: 'number', min: 0, max: 0.2, step: 0.01, showWhen: { key: 'design', values: ['quest'] }, help: 'Share of answers given at random (half of them each way), so one slip does not rule out the true PSE.' },
    { key: 'flashDurationMs', label: 'Flash duration', type: 'number', unit: 'ms', min: 0.1, max: 10_000, help: 'A display shows the flash for the nearest whole number of its frames (at least one); a model that integrates light over each frame sees exactly this long a flash.' },
    {
      key: 'blankAfterFlashMs', label: 'Blank after the flash', type: 'number', unit: 'ms', min: 0, max: MAX_BLANK_AFTER_FLASH_MS, step: 50, showWhen: { key: 'variant', values: ['flash-terminated'] },
      help: 'Fixation alone after the bar and the flash vanish. A model reads the frame at flash onset + its readout delay (model frames), which must fall inside the trial: at 10 model frames/s, 500 ms are 5 blank frames after the flash.',
    },
  ],
  entryAliases: ['flashFrames', 'displayHz'],
  instructions: flashLagInstructions(flashLagDefaults),
  instructionsFor: flashLagInstructions,
  responses: [
    { value: 'left', key: 'ArrowLeft', label: 'Flash left of the bar' },
    { value: 'right', key: 'ArrowRight', label: 'Flash right of the bar' },
  ],
  prompt: '{left} flash left · flash right {right}',
  design: flashLagDesign,
  conditionKey: (s) => s.variant,
  trialDuration,
  scene,
  restScene: fixationScene,
  events,
  criticalFrame: flashFrame,
  criticalTime: flashCentreS,
  simulateResponse(stimulus, observer, rng) {
    return answerFor(stimulus, rng.next() < psi(stimulus.offsetDeg, observer));
  },
  simulatedObserver: { pse: 'the offset (deg) at which the flash looks aligned', sigma: 'spread of the cumulative Gaussian (deg)' },
  analyse: analyseFlashLag,
  practice: practiceStimuli,
  correctResponse,
  readout: flashLagReadout,
  tidyColumns: (s, response, extra) => ({
    motion: s.motion ?? 'translate',
    offset_deg: s.offsetDeg,
    direction: s.direction,
    speed_deg_per_s: s.speedDegPerS,
    variant: s.variant,
    flash_time_s: s.flashTimeS,
    flash_duration_ms: flashDurationS(s) * 1000,
    flash_frames: s.flashFrames ?? null,
    // Flash-terminated trials stored before the blank existed ended with the flash: 0.
    blank_after_flash_ms: s.variant === 'flash-terminated' ? (s.blankAfterFlashMs ?? 0) : null,
    staircase: s.staircase ?? null,
    flash_ahead: response === NO_ANSWER ? null : isAhead(s, response),
    perceived_offset_deg: typeof extra?.perceivedOffsetDeg === 'number' ? extra.perceivedOffsetDeg : null,
  }),
  extraFromColumns: (row) => {
    const perceivedOffsetDeg = numberCell(row, 'perceived_offset_deg');
    return perceivedOffsetDeg === null ? null : { perceivedOffsetDeg };
  },
  stimulusColumns: {
    motion: { description: 'translate: a bar moving across fixation, flash below it; rotate: a bar rotating about fixation, collinear flash (offsets and speed then in deg of rotation angle)' },
    offset_deg: { description: 'Flash position minus bar position at flash onset, along the motion; positive = flash ahead of the bar (rotating bar: in deg of rotation angle)', units: 'deg' },
    direction: { description: 'Motion direction of the bar: +1 rightwards (rotating bar: counter-clockwise), -1 leftwards (clockwise)' },
    speed_deg_per_s: { description: 'Speed of the moving bar (rotating bar: deg of rotation angle per s)', units: 'deg/s' },
    variant: { description: 'continuous, flash-initiated or flash-terminated' },
    flash_time_s: { description: 'Nominal flash onset from trial start, before rounding to the display frame', units: 's' },
    flash_duration_ms: { description: 'Flash duration; a display shows it for the nearest whole number of its frames (trials stored before durations were in seconds: flash_frames frames at 60 Hz)', units: 'ms' },
    flash_frames: { description: 'Trials stored before durations were in seconds only: the flash lasted this many frames of whoever drew it (empty otherwise)' },
    blank_after_flash_ms: { description: 'Flash-terminated trials: how long fixation alone stayed up after the bar and the flash vanished (empty for the other variants)', units: 'ms' },
    staircase: { description: 'Which of the two interleaved staircases chose the trial (staircase design; empty otherwise)' },
    flash_ahead: { description: "Derived answer: true if the participant saw the flash ahead of the bar along its motion (empty when a model's readout found nothing to read: response 'none')" },
    perceived_offset_deg: { description: "Model observers only: the flash's offset from the bar in the model's predicted frame, before decision noise (empty for people; rotating bar: deg of rotation angle)", units: 'deg' },
  },
};
