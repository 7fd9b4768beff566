/** Handlers of the datasets channels (preload/channels/datasets.ts). */
import type { datasetsSchemas, DatasetResults } from '../../preload/channels/datasets.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function datasetsHandlers(_deps: HandlerDeps): FeatureHandlers<typeof datasetsSchemas, DatasetResults> {
  return {};
}
