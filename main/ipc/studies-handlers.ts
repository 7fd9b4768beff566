/** Handlers of the studies channels (preload/channels/studies.ts). */
import type { studiesSchemas, StudyResults } from '../../preload/channels/studies.js';
import { PredlabError } from '../errors.js';
import { addSessionsToStudy, addSessionToStudy, createStudy, deleteStudy, getStudy, getStudyDetail, listStudies, removeSessionFromStudy, studySlug, updateStudy } from '../services/studies.js';
import { exportStudy } from '../services/study-export.js';
import { exportOnlineStudy } from '../services/online-export.js';
import { importOnlineData } from '../services/online-import.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';
import path from 'node:path';

export function studiesHandlers(deps: HandlerDeps): FeatureHandlers<typeof studiesSchemas, StudyResults> {
  const { db } = deps;
  return {
    'studies:list': () => listStudies(db),
    'studies:get': (a) => getStudyDetail(db, a.studyId),
    'studies:create': (a) => createStudy(db, a),
    // The stored export folder stays: only the folder dialog changes it (studies:choose-folder).
    'studies:update': (a) => updateStudy(db, a.studyId, a.settings ? { ...a, settings: { ...a.settings, exportDir: getStudy(db, a.studyId).settings.exportDir ?? null } } : a),
    'studies:delete': (a) => deleteStudy(db, a.studyId),
    'studies:add-session': (a) => addSessionToStudy(db, a.studyId, a.sessionId),
    'studies:add-sessions': (a) => addSessionsToStudy(db, a.studyId, a.sessionIds),
    'studies:remove-session': (a) => removeSessionFromStudy(db, a.studyId, a.sessionId),
    'studies:choose-folder': async (a) => {
      const study = getStudy(db, a.studyId);
      const dir = await deps.chooseExportDir(studySlug(study));
      if (!dir) throw new PredlabError('invalid-argument', 'No folder was chosen; the study keeps its export folder.');
      return updateStudy(db, study.id, { settings: { ...study.settings, exportDir: path.resolve(dir) } });
    },
    'studies:export': async (a) => {
      const study = getStudy(db, a.studyId);
      if (!a.choose) return exportStudy(db, study.id);
      const dir = await deps.chooseExportDir(studySlug(study));
      if (!dir) throw new PredlabError('invalid-argument', 'Export cancelled: no folder was chosen.');
      return exportStudy(db, study.id, { folder: path.join(dir, studySlug(study)) });
    },
    'studies:export-online': async (a) => {
      const study = getStudy(db, a.studyId);
      const name = `${studySlug(study)}-${a.jatos ? 'jatos' : 'online'}`;
      const dir = await deps.chooseExportDir(name);
      if (!dir) throw new PredlabError('invalid-argument', 'Export cancelled: no folder was chosen.');
      return exportOnlineStudy(db, study.id, { out: path.join(dir, name), jatos: a.jatos, blindspotReps: a.blindspotReps, completionUrl: a.completionUrl });
    },
    'studies:import-online': async (a) => {
      getStudy(db, a.studyId);
      const file = deps.chooseImportSource ? await deps.chooseImportSource('online-data') : null;
      if (!file) throw new PredlabError('invalid-argument', 'Import cancelled: no data file was chosen.');
      return importOnlineData(db, a.studyId, file);
    },
  };
}
