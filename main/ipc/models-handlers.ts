/** Handlers of the model-download channels (preload/channels/models.ts). */
import type { ModelsResults, modelsSchemas } from '../../preload/channels/models.js';
import { PredlabError } from '../errors.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function modelsHandlers(deps: HandlerDeps): FeatureHandlers<typeof modelsSchemas, ModelsResults> {
  const downloads = () => {
    if (!deps.downloads) throw new PredlabError('unavailable', 'Model downloads are not available here; use `predlab model download kitti`.');
    return deps.downloads;
  };
  return {
    'models:download': (a) => downloads().start({ release: a.release, ...(a.url ? { url: a.url } : {}) }),
    'models:download-status': () => deps.downloads?.status() ?? null,
    'models:download-cancel': () => downloads().cancel(),
  };
}
