/** The Kanizsa paradigm: is the illusory square fat or thin? (Ringach & Shapley 1996) */
import { fixationScene } from '../fixation.js';
import { psi } from '../psychometric-function.js';
import type { Paradigm } from '../types.js';
import { analyseKanizsa } from './analysis.js';
import { isCorrect, kanizsaDesign, practiceStimuli, type KanizsaState } from './design.js';
import { events, figureFrame, figureOnsetS, phaseEnds, scene, trialDuration } from './geometry.js';
import { NO_ANSWER } from '../types.js';
import { listCell, numberCell, numberListCell } from '../export-cells.js';
import { CONDITION_LABELS, CONDITIONS, kanizsaDefaults, kanizsaParamsSchema, type KanizsaParams, type KanizsaStimulus } from './params.js';
import { kanizsaReadout } from './readout.js';

export * from './params.js';
export * from './design.js';
export * from './geometry.js';
export * from './analysis.js';
export * from './readout.js';
export * from './completion.js';

const msOf = (seconds: number) => Math.round(seconds * 1e6) / 1000;

export const kanizsa: Paradigm<KanizsaParams, KanizsaStimulus, KanizsaState> = {
  id: 'kanizsa',
  name: 'Kanizsa fat/thin',
  description: 'Four pac-men outline a square whose sides bow out (fat) or in (thin). Fat or thin? Illusory, real and control contours.',
  taskLabel: 'kanizsa',
  parameterSchema: kanizsaParamsSchema as unknown as Paradigm<KanizsaParams>['parameterSchema'],
  defaults: kanizsaDefaults,
  entryAliases: ['preFrames', 'discFrames', 'presentationFrames', 'maskFrames', 'displayHz'],
  form: [
    { key: 'design', label: 'Design', type: 'choice', choices: [{ value: 'constant', label: 'Method of constant stimuli' }, { value: 'updown', label: 'Weighted up-down staircase (75 %)' }, { value: 'quest', label: 'QUEST on the PSE (Bayesian adaptive, Watson & Pelli 1983)' }] },
    { key: 'conditions', label: 'Contour conditions', type: 'multi', choices: CONDITIONS.map((c) => ({ value: c, label: CONDITION_LABELS[c] })) },
    { key: 'alphasDeg', label: 'Inducer rotations', type: 'numbers', unit: 'deg', min: 0, max: 45, showWhen: { key: 'design', values: ['constant'] } },
    { key: 'trialsPerLevel', label: 'Trials per rotation, fat and thin each', type: 'integer', min: 1, max: 1000, showWhen: { key: 'design', values: ['constant'] } },
    { key: 'updownTrials', label: 'Staircase trials per condition', type: 'integer', min: 2, max: 10000, showWhen: { key: 'design', values: ['updown'] } },
    { key: 'updownStartDeg', label: 'Staircase start', type: 'number', unit: 'deg', min: 0.01, max: 45, step: 0.5, showWhen: { key: 'design', values: ['updown'] } },
    { key: 'updownStepDeg', label: 'Staircase step down (up = 3x)', type: 'number', unit: 'deg', min: 0.01, max: 10, step: 0.1, showWhen: { key: 'design', values: ['updown'] } },
    { key: 'questTrials', label: 'QUEST trials per condition', type: 'integer', min: 2, max: 10000, showWhen: { key: 'design', values: ['quest'] } },
    { key: 'questPriorMeanDeg', label: 'Prior mean of the PSE', type: 'number', unit: 'deg', min: -45, max: 45, step: 0.1, showWhen: { key: 'design', values: ['quest'] }, help: 'Your guess, before any answer, of the rotation that looks neither fat nor thin (+ = fat).' },
    { key: 'questPriorSdDeg', label: 'Prior SD of the PSE', type: 'number', unit: 'deg', min: 0.01, max: 45, step: 0.1, showWhen: { key: 'design', values: ['quest'] }, help: 'How unsure that guess is. QUEST looks for the PSE only within the prior mean +- 5 SD, so make it wide; at most 20 x the assumed spread.' },
    { key: 'questSigmaDeg', label: 'Assumed spread (sigma)', type: 'number', unit: 'deg', min: 0.01, max: 20, step: 0.05, showWhen: { key: 'design', values: ['quest'] }, help: "SD of the observer's cumulative Gaussian of P(fat) that QUEST assumes; each trial is placed at the current estimate of the PSE." },
    { key: 'questStepDeg', label: 'Level step', type: 'number', unit: 'deg', min: 0, max: 10, step: 0.05, showWhen: { key: 'design', values: ['quest'] }, help: 'Each trial is shown at the current estimate rounded to a multiple of this, so levels repeat and the plot is readable (about sigma / 5 costs almost nothing); 0 = not rounded.' },
    { key: 'questLapse', label: 'Assumed lapse rate', type: 'number', min: 0, max: 0.2, step: 0.01, showWhen: { key: 'design', values: ['quest'] }, help: 'Share of answers given at random (half of them each way), so one slip does not rule out the true PSE.' },
    { key: 'sideDeg', label: 'Square side', type: 'number', unit: 'deg', min: 0.1, max: 40, step: 0.5 },
    { key: 'inducerRadiusDeg', label: 'Inducer radius', type: 'number', unit: 'deg', min: 0.05, max: 20, step: 0.1 },
    { key: 'lineWidthDeg', label: 'Real-contour line width', type: 'number', unit: 'deg', min: 0.01, max: 2, step: 0.05 },
    { key: 'jitterDeg', label: 'Position jitter (range per axis)', type: 'number', unit: 'deg', min: 0, max: 5, step: 0.05 },
    { key: 'onset', label: 'Onset', type: 'choice', choices: [{ value: 'static', label: 'Figure appears at once' }, { value: 'discs', label: 'Discs turn into pac-men' }] },
    { key: 'preMs', label: 'Fixation before the figure', type: 'number', unit: 'ms', min: 0, max: 10_000 },
    { key: 'discMs', label: 'Complete discs before the figure', type: 'number', unit: 'ms', min: 0, max: 10_000, showWhen: { key: 'onset', values: ['discs'] } },
    { key: 'presentationMs', label: 'Presentation', type: 'number', unit: 'ms', min: 0.1, max: 10_000, help: 'A display shows each phase for the nearest whole number of its frames; a model that integrates light over each frame sees exactly these durations.' },
    { key: 'maskMs', label: 'Backward mask', type: 'number', unit: 'ms', min: 0, max: 10_000 },
    { key: 'inducerLuminance', label: 'Inducer luminance (0 black, 1 white)', type: 'number', min: 0, max: 1, step: 0.05, advanced: true },
    { key: 'background', label: 'Background luminance', type: 'number', min: 0, max: 1, step: 0.05, advanced: true },
    { key: 'fixationLuminance', label: 'Fixation dot luminance', type: 'number', min: 0, max: 1, step: 0.05, advanced: true },
  ],
  instructions:
    'Keep your eyes on the small dot in the middle. Four black discs with a corner cut out will outline a square whose sides bend slightly: outward (FAT) or inward (THIN) at the left and right. ' +
    'Press {fat} if the shape looked fat, {thin} if it looked thin. Sometimes the sides are drawn as lines, sometimes the discs face away: answer the same way. Guess if you are not sure.',
  responses: [
    { value: 'fat', key: 'f', label: 'Fat' },
    { value: 'thin', key: 't', label: 'Thin' },
  ],
  prompt: '{fat} = fat · {thin} = thin',
  design: kanizsaDesign,
  conditionKey: (s) => s.condition,
  trialDuration,
  scene,
  restScene: fixationScene,
  events,
  criticalFrame: figureFrame,
  criticalTime: figureOnsetS,
  simulateResponse: (s, observer, rng) => (rng.next() < psi(s.alphaDeg, observer) ? 'fat' : 'thin'),
  simulatedObserver: { pse: 'the rotation (deg) that looks neither fat nor thin (bias)', sigma: 'spread (deg); --threshold gives the rotation answered 75 % correctly' },
  analyse: analyseKanizsa,
  practice: practiceStimuli,
  correctResponse: (s) => (s.alphaDeg === 0 ? null : s.alphaDeg > 0 ? 'fat' : 'thin'),
  readout: kanizsaReadout,
  tidyColumns: (s, response, extra) => ({
    contour_condition: s.condition,
    alpha_deg: s.alphaDeg,
    figure_x_deg: s.xDeg,
    figure_y_deg: s.yDeg,
    side_deg: s.sideDeg,
    inducer_radius_deg: s.inducerRadiusDeg,
    presentation_ms: msOf(phaseEnds(s)[2] - phaseEnds(s)[1]),
    mask_ms: msOf(phaseEnds(s)[3] - phaseEnds(s)[2]),
    presentation_frames: s.presentationFrames ?? null,
    mask_frames: s.maskFrames ?? null,
    staircase: s.staircase ?? null,
    answered_fat: response === NO_ANSWER ? null : response === 'fat',
    correct: response === NO_ANSWER ? null : isCorrect(s, response),
    perceived_alpha_deg: typeof extra?.perceivedAlphaDeg === 'number' ? extra.perceivedAlphaDeg : null,
    decoder_units: typeof extra?.decoderUnits === 'number' ? extra.decoderUnits : null,
    contour_index: listCell(extra?.contourIndex),
    figure_frame: typeof extra?.figureFrame === 'number' ? extra.figureFrame : null,
    model_frame_rate_hz: typeof extra?.frameRateHz === 'number' ? extra.frameRateHz : null,
  }),
  extraFromColumns: (row) => {
    const extra = { perceivedAlphaDeg: numberCell(row, 'perceived_alpha_deg'), decoderUnits: numberCell(row, 'decoder_units'), contourIndex: numberListCell(row, 'contour_index'), figureFrame: numberCell(row, 'figure_frame'), frameRateHz: numberCell(row, 'model_frame_rate_hz') };
    const kept = Object.entries(extra).filter(([, v]) => v !== null);
    return kept.length ? Object.fromEntries(kept) : null;
  },
  stimulusColumns: {
    contour_condition: { description: `Contour condition: ${CONDITIONS.join(', ')}` },
    alpha_deg: { description: 'Inducer rotation; positive = fat (left and right sides bow outward), negative = thin', units: 'deg' },
    figure_x_deg: { description: 'Horizontal position of the figure centre (jitter)', units: 'deg' },
    figure_y_deg: { description: 'Vertical position of the figure centre (jitter)', units: 'deg' },
    side_deg: { description: 'Side of the unrotated square', units: 'deg' },
    inducer_radius_deg: { description: 'Inducer radius', units: 'deg' },
    presentation_ms: { description: 'How long the figure was shown (a display shows the nearest whole number of its frames; trials stored before durations were in seconds: presentation_frames at 60 Hz)', units: 'ms' },
    mask_ms: { description: 'How long the backward mask was shown', units: 'ms' },
    presentation_frames: { description: 'Trials stored before durations were in seconds only: frames the figure was shown, of whoever drew it (empty otherwise)' },
    mask_frames: { description: 'Trials stored before durations were in seconds only: frames of backward mask (empty otherwise)' },
    staircase: { description: 'Which condition staircase chose the trial (up-down design; empty otherwise)' },
    answered_fat: { description: "Derived answer: true if the participant answered fat (empty when a model's readout gave no answer: response 'none')" },
    correct: { description: 'Answer matches the sign of alpha (empty at alpha = 0 and for no answer)' },
    perceived_alpha_deg: { description: "Model observers only: the decoder's rotation estimate before decision noise (empty for people)", units: 'deg' },
    decoder_units: { description: 'Model observers only: units read by the gap decoder that gave perceived_alpha_deg (empty: read by the earlier whole-layer decoder, from which no completion is measured)' },
    contour_index: { description: "Model observers only: the contour index (response of the units on the illusory contour) at each model frame of the trial, numbers joined by ';' (empty for people)" },
    figure_frame: { description: 'Model observers only: the model frame (from 0) in which the figure appeared, where contour_index is aligned', units: 'frames' },
    model_frame_rate_hz: { description: "Model observers only: the model's frame rate, which converts contour_index steps to time", units: 'Hz' },
  },
};
