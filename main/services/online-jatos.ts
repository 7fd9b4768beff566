/**
 * The online study for JATOS, and JATOS's results read back. Layouts as JATOS's own source has
 * them (github.com/JATOS/JATOS; read, not copied):
 * - Study archive (.jzip), ImportExportService.createStudyExportZipFile / deserializeStudy: a ZIP
 *   holding one `.jas` file and one folder, the study assets; StudyDeserializer reads the `.jas`
 *   as { "version": "3", "data": <Study> } (Study.SERIAL_VERSION 3), Study and Component fields
 *   as their JsonForIO views name them; StudyProperties/ComponentProperties.validate: a title of
 *   1-255 characters without HTML, a dirName without characters of IOUtils.REGEX_ILLEGAL_IN_FILENAME
 *   and not one of StudyProperties.INVALID_DIR_NAMES, an htmlFilePath matching their path pattern.
 *   An empty batchList gets JATOS's default batch (StudyService.createAndPersistStudy).
 * - Results archive, ResultStreamer.writeComponentResults / IOUtils.getResultsPathForZip:
 *   study_result_<id>/comp-result_<id>/data.txt per component result, metadata.json at the root.
 *   The results-data text file (ResultStreamer.writeComponentResultData): each result's data
 *   followed by a line break.
 * jatos.js is served by JATOS beside the component's page (StudyAssets.scala: "jatos.js").
 */
import crypto from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import type { OnlineStudy } from '../../paradigms/online-study.js';

/** JATOS's Study.SERIAL_VERSION that this archive is written in. */
export const JAS_VERSION = '3';
/** Characters JATOS refuses in a study assets folder name (IOUtils.REGEX_ILLEGAL_IN_FILENAME). */
export const JATOS_ILLEGAL_IN_FILENAME = /[\s\n\r\t\f*?"\\\0/,`<>|:~!§$%&^°]/;
/** Folder names JATOS reserves (StudyProperties.INVALID_DIR_NAMES). */
export const JATOS_INVALID_DIR_NAMES = ['jatos', 'publix', 'public', 'assets', 'study_assets_root', 'study_assets'];
/** A component's page path as JATOS accepts it (ComponentProperties.validate). */
export const JATOS_HTML_PATH = /^[\w\d_-][\w\d/_-]*\.[\w\d_-]+$/;
/** A UUID that stays the same for the same study and protocol, so a new export updates the study in JATOS. */
function stableUuid(...parts: (string | number)[]): string {
  const h = crypto.createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Text JATOS takes as a title or description: no markup (its Jsoup check allows none). */
const plain = (s: string) => s.replace(/[<>&]/g, ' ').trim();

export function jatosDirName(study: Pick<OnlineStudy, 'studyId' | 'protocolId'>): string {
  return `predlab_study_${study.studyId}_protocol_${study.protocolId}`;
}

/** The .jas description of the study: one component, the study's page. */
export function jasOf(study: OnlineStudy): Record<string, unknown> {
  return {
    version: JAS_VERSION,
    data: {
      uuid: stableUuid('predlab-study', study.studyId, study.protocolId, study.seed),
      title: plain(study.studyName).slice(0, 255) || `PredLab study ${study.studyId}`,
      description: plain(`PredLab study ${study.studyId}, protocol ${study.protocolId} (${study.paradigmId}, seed ${study.seed}). Import the results into PredLab with predlab study import-online --study ${study.studyId} and the results file`),
      groupStudy: false,
      linearStudy: false,
      allowPreview: false,
      dirName: jatosDirName(study),
      comments: plain(`Exported by PredLab ${study.appVersion} on ${study.exportedAt}.`),
      studyInput: '',
      endRedirectUrl: '',
      studyEntryMsg: '',
      componentList: [
        {
          uuid: stableUuid('predlab-component', study.studyId, study.protocolId, study.seed),
          title: 'Experiment',
          htmlFilePath: 'index.html',
          reloadable: false,
          active: true,
          comments: '',
          componentInput: '',
        },
      ],
      batchList: [],
    },
  };
}

/** index.html for JATOS: jatos.js loaded first (JATOS serves it beside the page); JATOS sets its own headers, so the page's CSP is left out. */
export function jatosPage(page: string): string {
  const withoutCsp = page.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
  if (withoutCsp.includes('src="jatos.js"')) return withoutCsp;
  return withoutCsp.replace(/(\s*)<script type="module"/, '$1<script src="jatos.js"></script>$1<script type="module"');
}

/** The .jzip: <dirName>.jas and the folder <dirName>/ with the page and its script. */
export function jatosArchive(study: OnlineStudy, page: string, script: Uint8Array): Uint8Array {
  const dir = jatosDirName(study);
  return zipSync({
    [`${dir}.jas`]: strToU8(`${JSON.stringify(jasOf(study), null, 2)}\n`),
    [dir]: { 'index.html': strToU8(jatosPage(page)), 'study.js': script },
  });
}

