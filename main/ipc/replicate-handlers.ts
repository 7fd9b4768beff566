/** Handlers of the replicate channels (preload/channels/replicate.ts). */
import type { replicateSchemas, ReplicateResults } from '../../preload/channels/replicate.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function replicateHandlers(_deps: HandlerDeps): FeatureHandlers<typeof replicateSchemas, ReplicateResults> {
  return {};
}
