/**
 * A study's protocol as a static online study: the built bundle (dist/online: index.html and one
 * script with jsPsych, the paradigms and the presenter) with the study described inside
 * index.html. Any web host serves the folder as it is; nothing in it calls another host.
 * The folder is written hidden beside its place and renamed in, as a job of the lab, so a killed
 * export leaves no half-written study.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSUMED_VIEWING_DISTANCE_CM, MAX_BLINDSPOT_REPS, ONLINE_FORMAT, ONLINE_FORMAT_VERSION, onlineSessionInfo, onlineStudySchema, STUDY_ELEMENT_ID, type OnlineExportResult, type OnlineStudy } from '../../paradigms/online-study.js';
import { paradigmParameters, runSettingsOf } from '../../paradigms/run-settings.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { APP_VERSION } from '../version.js';
import { asJobSync } from './jobs.js';
import { jatosArchive, jatosDirName } from './online-jatos.js';
import { getProtocol, paradigmOf } from './sessions.js';
import { getStudy, studySessionIds } from './studies.js';

/** The placeholder index.html carries where the study goes. */
export const STUDY_PLACEHOLDER = '__PREDLAB_STUDY__';
/** The bundle's files (vite.config.ts in renderer/src/online names them). */
export const BUNDLE_FILES = ['index.html', 'study.js'] as const;

export interface OnlineExportOptions {
  /** The folder to write (made; must be empty or absent). */
  out: string;
  /** The protocol to put online; default: the one protocol the study's sessions took. */
  protocolId?: number | undefined;
  /** Blind-spot measurements of the viewing distance (0: the distance is assumed). */
  blindspotReps?: number | undefined;
  /** The viewing distance assumed when blindspotReps is 0 (cm). */
  viewingDistanceCm?: number | undefined;
  completionUrl?: string | undefined;
  /** Write a JATOS study archive (<out>/<name>.jzip) instead of the plain folder. */
  jatos?: boolean | undefined;
  /** Where the built bundle lies (tests; default: dist/online beside the sources or the bundled main). */
  bundleDir?: string | undefined;
}

export type { OnlineExportResult };

/** dist/online, seen from the sources (main/services) or from the bundled main (dist/main). */
export function findBundle(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.resolve(here, '../../dist/online'), path.resolve(here, '../online')])
    if (BUNDLE_FILES.every((f) => fs.existsSync(path.join(dir, f)))) return dir;
  return null;
}

/** The protocol the study puts online: the one its sessions took, or the one named. */
export function studyProtocol(db: Db, studyId: number, protocolId?: number): number {
  const study = getStudy(db, studyId);
  const ids = [...new Set(studySessionIds(db, studyId).map((id) => (db.prepare('SELECT protocol_id FROM sessions WHERE id = ?').get(id) as { protocol_id: number }).protocol_id))];
  if (protocolId !== undefined) {
    getProtocol(db, protocolId);
    return protocolId;
  }
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) throw new PredlabError('invalid-argument', `Study '${study.name}' has no session yet, so no protocol to put online; run or simulate one session of the protocol and add it, or name one with --protocol <id>.`);
  throw new PredlabError('invalid-argument', `Study '${study.name}' holds sessions of ${ids.length} protocols (${ids.join(', ')}); name the one to put online with --protocol <id>.`);
}

/** The study as the page reads it (validated by the same schema the page uses). */
export function describeOnlineStudy(db: Db, studyId: number, o: Omit<OnlineExportOptions, 'out' | 'bundleDir'> = {}): OnlineStudy {
  const reps = o.blindspotReps ?? 3;
  if (!Number.isInteger(reps) || reps < 0 || reps > MAX_BLINDSPOT_REPS) throw new PredlabError('invalid-argument', `Blind-spot measurements: 0 to ${MAX_BLINDSPOT_REPS} (0: the viewing distance is assumed); got ${reps}.`);
  if (o.viewingDistanceCm !== undefined && !(o.viewingDistanceCm > 0 && o.viewingDistanceCm <= 1000)) throw new PredlabError('invalid-argument', `The assumed viewing distance is more than 0 and at most 1000 cm; got ${o.viewingDistanceCm}.`);
  const study = getStudy(db, studyId);
  const protocol = getProtocol(db, studyProtocol(db, studyId, o.protocolId));
  const paradigm = paradigmOf(protocol.paradigmId);
  const params = paradigmParameters(protocol.parameters);
  const run = runSettingsOf(protocol.parameters);
  // A design that does not read answers goes out as its fixed list; an adaptive one is planned in the browser.
  const adaptive = paradigm.design.adaptive(params);
  const state = paradigm.design.initialState(params, protocol.seed);
  const trials = adaptive
    ? null
    : Array.from({ length: paradigm.design.trialCount(params) }, (_, i) => {
        const t = paradigm.design.plan(state, params, protocol.seed, i)!;
        return { index: t.index, condition: t.condition, stimulus: t.stimulus };
      });
  const candidate = {
    format: ONLINE_FORMAT,
    version: ONLINE_FORMAT_VERSION,
    studyId: study.id,
    studyName: study.name,
    protocolId: protocol.id,
    paradigmId: protocol.paradigmId,
    parameters: protocol.parameters,
    seed: protocol.seed,
    trials,
    sessionInfo: onlineSessionInfo(run, study.settings.sessionInfoFields),
    calibration: { blindspotReps: reps, viewingDistanceCm: o.viewingDistanceCm ?? ASSUMED_VIEWING_DISTANCE_CM },
    completionUrl: o.completionUrl ?? null,
    exportedAt: new Date().toISOString(),
    appVersion: APP_VERSION,
  };
  const parsed = onlineStudySchema.safeParse(candidate);
  if (!parsed.success) throw new PredlabError('invalid-argument', `Cannot put study '${study.name}' online: ${describeIssues(parsed.error.issues)}.`);
  if (parsed.data.completionUrl !== null && !/^https?:\/\//i.test(parsed.data.completionUrl)) throw new PredlabError('invalid-argument', `The completion URL must start with http:// or https://; got '${parsed.data.completionUrl.slice(0, 80)}'.`);
  return parsed.data;
}

/** index.html with the study inside (as JSON no '<' can close the script element). */
export function studyPage(template: string, study: OnlineStudy): string {
  if (!template.includes(STUDY_PLACEHOLDER)) throw new PredlabError('storage', 'The online study bundle is damaged: its index.html has no place for the study. Rebuild it with npm run build.');
  const json = JSON.stringify(study).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return template.replace(STUDY_PLACEHOLDER, () => json);
}

export function exportOnlineStudy(db: Db, studyId: number, o: OnlineExportOptions): OnlineExportResult {
  const study = describeOnlineStudy(db, studyId, o);
  const bundle = o.bundleDir ?? findBundle();
  if (!bundle) throw new PredlabError('not-found', 'The online study bundle is not built (dist/online); run npm run build first.');
  const folder = path.resolve(o.out);
  if (fs.existsSync(folder) && (!fs.statSync(folder).isDirectory() || fs.readdirSync(folder).length > 0))
    throw new PredlabError('conflict', `${folder} exists and is not an empty folder; choose a new folder for the online study.`);
  const parent = path.dirname(folder);
  if (!fs.existsSync(parent)) throw new PredlabError('not-found', `The folder ${parent} does not exist; nothing was written.`);
  const partial = path.join(parent, `.${path.basename(folder)}.partial-${process.pid}-${Date.now()}`);
  const page = studyPage(fs.readFileSync(path.join(bundle, 'index.html'), 'utf8'), study);
  asJobSync(db.readonly ? null : db, { kind: 'export', target: folder, partials: [partial] }, () => {
    try {
      fs.mkdirSync(partial);
      if (o.jatos) fs.writeFileSync(path.join(partial, `${jatosDirName(study)}.jzip`), jatosArchive(study, page, fs.readFileSync(path.join(bundle, 'study.js'))));
      else {
        fs.writeFileSync(path.join(partial, 'index.html'), page);
        fs.writeFileSync(path.join(partial, 'study.js'), fs.readFileSync(path.join(bundle, 'study.js'))); // read, not copied: inside app.asar only reads are sure
      }
      if (fs.existsSync(folder)) fs.rmdirSync(folder);
      fs.renameSync(partial, folder);
    } finally {
      fs.rmSync(partial, { recursive: true, force: true });
    }
  });
  return {
    folder,
    files: o.jatos ? [path.join(folder, `${jatosDirName(study)}.jzip`)] : BUNDLE_FILES.map((f) => path.join(folder, f)),
    study: { studyId: study.studyId, protocolId: study.protocolId, paradigmId: study.paradigmId, seed: study.seed },
    trials: paradigmOf(study.paradigmId).design.trialCount(paradigmParameters(study.parameters)),
    adaptive: study.trials === null,
  };
}
