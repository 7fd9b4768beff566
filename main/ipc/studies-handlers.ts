/** Handlers of the studies channels (preload/channels/studies.ts). */
import type { studiesSchemas, StudyResults } from '../../preload/channels/studies.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function studiesHandlers(_deps: HandlerDeps): FeatureHandlers<typeof studiesSchemas, StudyResults> {
  return {};
}
