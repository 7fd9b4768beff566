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
    'models:download': async (a) => {
      const jobs = downloads();
      if (a.fromFile) {
        const file = (await deps.chooseImportSource?.('archive')) ?? null;
        if (!file) throw new PredlabError('invalid-argument', 'Cancelled: no archive was chosen.');
        return jobs.start({ release: a.release, from: file });
      }
      // The address is the release's, or the one set outside the page (never the page's).
      const mirror = (await deps.modelMirror?.()) ?? null;
      return jobs.start({ release: a.release, ...(mirror ? { url: mirror } : {}) });
    },
    'models:download-status': () => deps.downloads?.status() ?? null,
    'models:download-cancel': () => downloads().cancel(),
  };
}
