/**
 * The JATOS study archive checked against the layout JATOS's own source reads (see
 * main/services/online-jatos.ts for the files): one .jas and one folder at the root, version 3,
 * only the JsonForIO fields of Study and Component, a valid title, folder name and page path, the
 * page present in the folder and loading jatos.js. And JATOS's results archive and results text
 * file imported, the same run from either adding one session.
 */
import fs from 'node:fs';
import path from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { RUN_KEY } from '../../paradigms/run-settings.js';
import { OnlineRunner, RUN_FIELDS, STUDY_ELEMENT_ID, trialData } from '../../paradigms/online-study.js';
import { getParadigm } from '../../paradigms/index.js';
import { describeOnlineStudy, exportOnlineStudy } from '../../main/services/online-export.js';
import { JATOS_HTML_PATH, JATOS_ILLEGAL_IN_FILENAME, JATOS_INVALID_DIR_NAMES } from '../../main/services/online-jatos.js';
import { importOnlineData } from '../../main/services/online-import.js';
import { finishSession, listSessions, nextTrial, nominalFrameTiming, recordTrial, startSession } from '../../main/services/sessions.js';
import { addSessionToStudy, createStudy } from '../../main/services/studies.js';
import { CALIBRATION, tempDb } from '../support/db.js';

/** The properties JATOS writes and reads for a study and a component (JsonForIO views of Study.java and Component.java). */
const STUDY_IO = ['uuid', 'title', 'description', 'groupStudy', 'linearStudy', 'allowPreview', 'dirName', 'comments', 'studyInput', 'endRedirectUrl', 'studyEntryMsg', 'componentList', 'batchList'];
const COMPONENT_IO = ['uuid', 'title', 'htmlFilePath', 'reloadable', 'active', 'comments', 'componentInput'];
const noHtml = (s: string) => !/[<>]/.test(s);

function lab() {
  const { db, dir } = tempDb();
  const s = startSession(db, { participant: { label: 'D01' }, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 1], trialsPerOffset: 1, [RUN_KEY]: { practiceTrials: 0, breakEvery: 0, repeatDropped: false } }, seed: 3, calibration: { ...CALIBRATION } });
  for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id)) recordTrial(db, s.id, { trialIndex: t.index, response: 'left', rtMs: 300, frameTiming: nominalFrameTiming(20, 60, 8) });
  finishSession(db, s.id, 'complete');
  const study = createStudy(db, { name: 'Flash <lag> online' });
  addSessionToStudy(db, study.id, s.id);
  return { db, dir, studyId: study.id };
}

describe('JATOS', () => {
  it("the .jzip is a study archive as JATOS's import reads it", () => {
    const { db, dir, studyId } = lab();
    const out = path.join(dir, 'jatos');
    const r = exportOnlineStudy(db, studyId, { out, jatos: true, bundleDir: fixtureBundle(dir) });
    expect(r.files).toHaveLength(1);
    const files = unzipSync(fs.readFileSync(r.files[0]!));
    const root = [...new Set(Object.keys(files).map((n) => n.split('/')[0]! + (n.includes('/') ? '/' : '')))];
    const jas = root.filter((n) => n.endsWith('.jas'));
    const dirs = root.filter((n) => n.endsWith('/'));
    expect(jas).toHaveLength(1);
    expect(dirs).toHaveLength(1);
    expect(root).toHaveLength(2);
    const doc = JSON.parse(new TextDecoder().decode(files[jas[0]!]!)) as { version: string; data: Record<string, unknown> };
    expect(Number(doc.version)).toBeLessThanOrEqual(3);
    expect(Object.keys(doc.data).every((k) => STUDY_IO.includes(k))).toBe(true);
    const title = String(doc.data.title);
    expect(title.trim().length).toBeGreaterThan(0);
    expect(title.length).toBeLessThanOrEqual(255);
    expect(noHtml(title) && noHtml(String(doc.data.description)) && noHtml(String(doc.data.comments))).toBe(true);
    const dirName = String(doc.data.dirName);
    expect(`${dirName}/`).toBe(dirs[0]);
    expect(JATOS_ILLEGAL_IN_FILENAME.test(dirName) || JATOS_INVALID_DIR_NAMES.includes(dirName) || dirName.length > 255).toBe(false);
    const components = doc.data.componentList as Record<string, unknown>[];
    expect(components).toHaveLength(1);
    for (const c of components) {
      expect(Object.keys(c).every((k) => COMPONENT_IO.includes(k))).toBe(true);
      expect(String(c.htmlFilePath)).toMatch(JATOS_HTML_PATH);
      const page = new TextDecoder().decode(files[`${dirName}/${String(c.htmlFilePath)}`]!);
      expect(page).toContain('<script src="jatos.js"></script>');
      expect(page).toContain(`id="${STUDY_ELEMENT_ID}"`);
      expect(page).not.toContain('Content-Security-Policy');
    }
    expect(files[`${dirName}/study.js`]).toBeDefined();
    // The same study and protocol keep their UUIDs, so a new export updates the study in JATOS.
    const again = exportOnlineStudy(db, studyId, { out: path.join(dir, 'jatos2'), jatos: true, bundleDir: fixtureBundle(dir) });
    const doc2 = JSON.parse(new TextDecoder().decode(unzipSync(fs.readFileSync(again.files[0]!))[jas[0]!]!)) as typeof doc;
    expect(doc2.data.uuid).toBe(doc.data.uuid);
  });

  it("JATOS's results archive and its results text file import the same run once", () => {
    const { db, dir, studyId } = lab();
    const study = describeOnlineStudy(db, studyId);
    const runner = new OnlineRunner(getParadigm(study.paradigmId), study, 60);
    const common = { [RUN_FIELDS.run]: 'jatos-run-1', [RUN_FIELDS.participant]: 'PRO-7', [RUN_FIELDS.study]: studyId, [RUN_FIELDS.protocol]: study.protocolId, [RUN_FIELDS.seed]: study.seed };
    const rows: Record<string, unknown>[] = [{ ...common, trial_type: 'predlab-calibration', predlab: 'calibration', calibration: JSON.stringify({ ...CALIBRATION, method: 'credit-card' }) }];
    for (let t = runner.next(); t; t = runner.next()) {
      const ft = nominalFrameTiming(20, 60, 8);
      rows.push({ ...common, trial_type: 'predlab-trial', ...trialData('test', t, 'right', 350, { ...ft, intervalsMs: Array(19).fill(16.667) }, 60, 36.9) });
      runner.answer(t, 'right', ft);
    }
    const data = `${JSON.stringify(rows)}\n`;
    const archive = path.join(dir, 'jatos_results_20261206.zip');
    fs.writeFileSync(archive, zipSync({ 'metadata.json': strToU8('{"apiVersion":"1.0.1","data":[]}'), study_result_12: { 'comp-result_40': { 'data.txt': strToU8(data) } } }));
    const r = importOnlineData(db, studyId, archive);
    expect(r.problems).toEqual([]);
    expect(r.imported.map((x) => [x.participant, x.trials, x.status])).toEqual([['PRO-7', 2, 'complete']]);
    const text = path.join(dir, 'jatos_results_data_20261206.txt');
    fs.writeFileSync(text, data);
    const again = importOnlineData(db, studyId, text);
    expect(again.imported).toEqual([]);
    expect(again.alreadyImported.map((a) => a.sessionId)).toEqual([r.imported[0]!.sessionId]);
    expect(listSessions(db).filter((s) => s.source === 'online')).toHaveLength(1);
    const notResults = path.join(dir, 'other.zip');
    fs.writeFileSync(notResults, zipSync({ 'readme.txt': strToU8('hello') }));
    expect(() => importOnlineData(db, studyId, notResults)).toThrow(/other.zip holds no study_result_\*\/comp-result_\*\/data.txt: it is not a JATOS results archive/);
  });
});

/** A stand-in for the built bundle (the archive's layout does not depend on the script's content). */
function fixtureBundle(dir: string): string {
  const b = path.join(dir, 'bundle');
  if (!fs.existsSync(b)) {
    fs.mkdirSync(b);
    const template = fs.readFileSync(path.join(import.meta.dirname, '../../renderer/src/online/index.html'), 'utf8').replace('<script type="module" src="./main.ts"></script>', '<script type="module" crossorigin src="./study.js"></script>');
    fs.writeFileSync(path.join(b, 'index.html'), template);
    fs.writeFileSync(path.join(b, 'study.js'), '/* the study */');
  }
  return b;
}
