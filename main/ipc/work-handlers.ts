/**
 * The work channels are answered by main/bootstrap.ts on the main thread; these answers are for
 * handlers used without the app's threads (the CLI, unit tests), where nothing computes in the background.
 */
import type { WorkResults, workSchemas } from '../../preload/channels/work.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function workHandlers(_deps: HandlerDeps): FeatureHandlers<typeof workSchemas, WorkResults> {
  return {
    'work:status': () => ({ channel: null, waiting: 0, seconds: 0 }),
    'work:cancel': () => ({ cancelled: 0 }),
  };
}
