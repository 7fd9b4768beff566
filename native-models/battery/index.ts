/** The paper battery's experiments, in the paper's order (Lotter, Kreiman & Cox 2020, Figs. 2-6). */
import { PARADIGM_EXPERIMENTS } from '../../paradigms/battery-experiments.js';
import { illusoryContours } from './illusory-contours.js';
import { lengthSuppression } from './length-suppression.js';
import { onOff } from './on-off.js';
import { sequenceLearning } from './sequence-learning.js';
import type { Experiment } from '../../paradigms/battery-types.js';

export const EXPERIMENTS: readonly Experiment[] = [
  lengthSuppression,
  onOff,
  sequenceLearning,
  illusoryContours,
  ...PARADIGM_EXPERIMENTS,
];

export type { Experiment, ExperimentContext, ExperimentResult, Responder } from '../../paradigms/battery-types.js';
