/**
 * The paper battery's experiments that belong to a paradigm (each lives in its paradigm's folder),
 * in the paper's order; native-models/battery adds them after its own, so nothing outside
 * paradigms/ names a paradigm.
 */
import type { Experiment } from './battery-types.js';
import { flashLagExperiment } from './flash-lag/battery-experiment.js';

export const PARADIGM_EXPERIMENTS: readonly Experiment[] = [flashLagExperiment];
