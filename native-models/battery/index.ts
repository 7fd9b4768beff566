/** The paper battery's experiments, in the paper's order (Lotter, Kreiman & Cox 2020, Figs. 2-6). */
import { flashLagExperiment } from './flash-lag.js';
import { illusoryContours } from './illusory-contours.js';
import { lengthSuppression } from './length-suppression.js';
import { onOff } from './on-off.js';
import { sequenceLearning } from './sequence-learning.js';
import type { Experiment } from './types.js';

export const EXPERIMENTS: readonly Experiment[] = [
  lengthSuppression,
  onOff,
  sequenceLearning,
  illusoryContours,
  flashLagExperiment,
];

export type { Experiment, ExperimentContext, ExperimentResult, Responder } from './types.js';
