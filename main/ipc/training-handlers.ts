/** Handlers of the training channels (preload/channels/training.ts). */
import type { trainingSchemas, TrainingResults } from '../../preload/channels/training.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function trainingHandlers(_deps: HandlerDeps): FeatureHandlers<typeof trainingSchemas, TrainingResults> {
  return {};
}
