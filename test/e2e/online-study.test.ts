/**
 * A study put online and taken as a participant would: the exported folder served from
 * 127.0.0.1, run in Chromium (fullscreen, card match, blind spot, session information,
 * instructions, practice, data trials by key, a break), the downloaded jsPsych data imported,
 * and the online session's trials and analysis equal those of a desktop session on the same
 * protocol answered identically. Then the JATOS archive's study, run with a stand-in for jatos.js:
 * its result goes to the "server", and JATOS's results archive of it imports. Needs the built
 * bundle (npm run build: dist/online).
 */
import fs from 'node:fs';
import path from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../main/bootstrap.js';
import { databasePath } from '../../main/paths.js';
import { openDatabase } from '../../main/store/db.js';
import { getParadigm } from '../../paradigms/index.js';
import { RUN_KEY } from '../../paradigms/run-settings.js';
import { analyseSession } from '../../main/services/analysis.js';
import { exportOnlineStudy, findBundle } from '../../main/services/online-export.js';
import { importOnlineData } from '../../main/services/online-import.js';
import { finishSession, getSession, nextTrial, nominalFrameTiming, recordTrial, startSession, trialRows } from '../../main/services/sessions.js';
import { addSessionToStudy, createStudy } from '../../main/services/studies.js';
import { launchChromium } from '../support/chromium.js';
import { CALIBRATION, tempDb } from '../support/db.js';
import { JATOS_STAND_IN } from '../support/jatos-stand-in.js';
import { serveFolder, type StaticHost } from '../support/online-host.js';
import { takeOnlineStudy } from '../support/online-participant.js';

const SHOTS = '/tmp/shots';
/** 3 data trials, one practice trial, a break after 2; half a second of motion each. */
const PARAMETERS = { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1, speedDegPerS: 20, travelDeg: 10, [RUN_KEY]: { practiceTrials: 1, breakEvery: 2, repeatDropped: false, sessionInfo: [{ key: 'age', label: 'Age', type: 'integer', min: 1, max: 120 }] } };
/** The participant's key for the i-th data trial (practice: any). */
const KEYS = ['ArrowRight', 'ArrowLeft'];
const keyOf = (i: number) => KEYS[Math.abs(i) % 2]!;
const answerOf = (i: number) => (keyOf(i) === 'ArrowRight' ? 'right' : 'left');

// The lab lives in a data folder, so the app's services (last test) open the same database.
const { dir } = tempDb();
const dataDir = path.join(dir, 'data');
fs.mkdirSync(dataDir);
const db = openDatabase(databasePath(dataDir));
let dataFile = '';
let browser: Browser;
let host: StaticHost;
let jatosHost: StaticHost;
let studyId = 0;

beforeAll(async () => {
  if (!findBundle()) throw new Error('The online study bundle is not built (dist/online): run npm run build first.');
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await host?.close();
  await jatosHost?.close();
  await browser?.close();
});

describe('an online study', () => {
  it('taken in Chromium and imported, equals the desktop session answered identically', async () => {
    // The desktop session: a person in the lab on the protocol, answering by the same rule.
    const desk = startSession(db, { participant: { label: 'D01' }, paradigmId: 'flash-lag', parameters: PARAMETERS, seed: 5, calibration: { ...CALIBRATION } });
    for (let i = 0, t = nextTrial(db, desk.id); t; i++, t = nextTrial(db, desk.id))
      recordTrial(db, desk.id, { trialIndex: t.index, response: answerOf(i), rtMs: 500, frameTiming: nominalFrameTiming(30, 60, 12) });
    finishSession(db, desk.id, 'complete');
    const study = createStudy(db, { name: 'online pilot' });
    studyId = study.id;
    addSessionToStudy(db, study.id, desk.id);

    const out = path.join(dir, 'online');
    const exported = exportOnlineStudy(db, study.id, { out, blindspotReps: 1 });
    expect(fs.readdirSync(out).sort()).toEqual(['index.html', 'study.js']);
    host = await serveFolder(out);

    const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(r.url()));
    dataFile = path.join(dir, 'data.json');
    const taken = await takeOnlineStudy(page, `${host.url}?PROLIFIC_PID=PP-0042&SESSION_ID=x`, { answer: keyOf, info: { age: '29' }, download: dataFile });
    await page.screenshot({ path: path.join(SHOTS, 'online-study-end.png') });
    expect(errors).toEqual([]);
    expect(taken).toMatchObject({ dataTrials: 3, practiceTrials: 1, breaks: 1 });
    // The study fetched its two files and nothing else, from no other host.
    expect(new Set(host.requests)).toEqual(new Set(['/', '/study.js']));
    expect(fetched.filter((u) => !u.startsWith(host.url) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);

    const r = importOnlineData(db, study.id, dataFile);
    expect(r.problems).toEqual([]);
    expect(r.imported).toHaveLength(1);
    const online = getSession(db, r.imported[0]!.sessionId);
    expect(online).toMatchObject({ source: 'online', status: 'complete', participant: { label: 'PP-0042', details: { age: 29 } }, protocol: { id: exported.study.protocolId } });
    const cal = online.calibration as { method: string; pxPerDeg: number; refreshHz: number; online: { takenAt: string; browser: { name: string }; card: { viewingDistance: string }; timing: { frames: number } } };
    expect(Date.parse(cal.online.takenAt)).toBeGreaterThan(Date.parse(online.startedAt) - 3_600_000);
    expect(cal.method).toBe('credit-card');
    expect(cal.online.card.viewingDistance).toBe('blind spot');
    expect(cal.online.browser.name).toBe('chrome');

    // Trials: the same plan, answers and condition; each with its frames, flash frame and timing.
    const rows = trialRows(db, online.id);
    const deskRows = trialRows(db, desk.id);
    expect(rows.map((t) => [t.trial_index, t.condition, t.stimulus, t.response])).toEqual(deskRows.map((t) => [t.trial_index, t.condition, t.stimulus, t.response]));
    const paradigm = getParadigm('flash-lag');
    for (const t of rows) {
      const frames = Math.ceil(paradigm.trialDuration(JSON.parse(t.stimulus), { frameRateHz: cal.refreshHz }) * cal.refreshHz - 1e-6);
      expect(t.frame_count).toBe(frames + 1);
      expect(JSON.parse(t.frame_intervals!)).toHaveLength(frames);
      expect(t.critical_frame).toBe(paradigm.criticalFrame(JSON.parse(t.stimulus), { frameRateHz: cal.refreshHz }));
      expect(t.rt_ms).toBeGreaterThan(0);
    }
    expect(cal.online.timing.frames).toBe(rows.reduce((n, t) => n + t.frame_count!, 0));

    // The analysis of the same answers is the same (all trials in, no bootstrap: the estimates themselves).
    const a = analyseSession(db, online.id, { bootstrap: 0, excludeDroppedFrames: false });
    const b = analyseSession(db, desk.id, { bootstrap: 0, excludeDroppedFrames: false });
    expect(a.conditions).toEqual(b.conditions);
    expect(a.statistics).toEqual(b.statistics);

    // The same file again adds nothing.
    const again = importOnlineData(db, study.id, dataFile);
    expect(again.imported).toEqual([]);
    expect(again.alreadyImported).toHaveLength(1);
  }, 170_000);

  it('from the JATOS archive, under a stand-in for jatos.js: the result is sent, not downloaded, and the results archive imports', async () => {
    const r = exportOnlineStudy(db, studyId, { out: path.join(dir, 'jatos'), jatos: true, blindspotReps: 1, completionUrl: 'https://app.prolific.com/submissions/complete?cc=TEST' });
    // The study's folder as JATOS unpacks it, served with the stand-in where JATOS serves jatos.js.
    const assets = path.join(dir, 'jatos-assets');
    for (const [name, bytes] of Object.entries(unzipSync(fs.readFileSync(r.files[0]!)))) {
      if (name.endsWith('/') || !name.includes('/')) continue;
      fs.mkdirSync(path.join(assets, path.dirname(name)), { recursive: true });
      fs.writeFileSync(path.join(assets, name), bytes);
    }
    const folder = path.join(assets, fs.readdirSync(assets)[0]!);
    jatosHost = await serveFolder(folder, { '/jatos.js': JATOS_STAND_IN });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await takeOnlineStudy(page, `${jatosHost.url}?PROLIFIC_PID=PP-0043`, { answer: keyOf, info: { age: '41' }, download: null });
    // Every row appended as it was written, then the whole data submitted (replacing them), then the end.
    await expect.poll(() => jatosHost.posts.at(-1)?.path).toBe('/__jatos/end');
    const paths = jatosHost.posts.map((p) => p.path);
    expect(paths.slice(-2)).toEqual(['/__jatos/result', '/__jatos/end']);
    expect(new Set(paths.slice(0, -2))).toEqual(new Set(['/__jatos/append']));
    expect(errors).toEqual([]);
    expect(JSON.parse(jatosHost.posts.at(-1)!.body)).toMatchObject({ successful: true, url: 'https://app.prolific.com/submissions/complete?cc=TEST' });
    // Had the participant left after the second data trial, JATOS would hold the rows appended so far.
    const appended = jatosHost.posts.filter((p) => p.path === '/__jatos/append').map((p) => p.body);
    const second = appended.findIndex((b) => JSON.parse(b).trial_type === 'predlab-trial' && JSON.parse(b).phase === 'test' && JSON.parse(b).design_index === 1);
    const results = (data: string) => zipSync({ 'metadata.json': strToU8('{}'), study_result_1: { 'comp-result_1': { 'data.txt': strToU8(data) } } });
    const archive = path.join(dir, 'jatos_results.zip');
    fs.writeFileSync(archive, results(`${jatosHost.posts.at(-2)!.body}\n`));
    const early = path.join(dir, 'jatos_results_early.zip');
    fs.writeFileSync(early, results(appended.slice(0, second + 1).join('')));
    // The early results, in a lab of its own with the same protocol: the answered trials, the session aborted.
    const other = tempDb();
    const twin = startSession(other.db, { participant: { label: 'D01' }, paradigmId: 'flash-lag', parameters: PARAMETERS, seed: 5, calibration: { ...CALIBRATION } });
    const otherStudy = createStudy(other.db, { name: 'online pilot' });
    addSessionToStudy(other.db, otherStudy.id, twin.id);
    expect(twin.protocol.id).toBe(r.study.protocolId);
    const left = importOnlineData(other.db, otherStudy.id, early);
    expect(left.problems).toEqual([]);
    expect(left.imported.map((x) => [x.participant, x.trials, x.status])).toEqual([['PP-0043', 2, 'aborted']]);
    other.db.close();
    // The results archive as JATOS exports it after the end: the submitted data in data.txt.
    const imported = importOnlineData(db, studyId, archive);
    expect(imported.problems).toEqual([]);
    expect(imported.imported.map((x) => [x.participant, x.trials, x.status])).toEqual([['PP-0043', 3, 'complete']]);
  }, 170_000);

  it("the Study panel's buttons: through the app's IPC, the argument checked, the folder and the file chosen in the main process's dialogs", async () => {
    const chosenDir = path.join(dir, 'chosen');
    fs.mkdirSync(chosenDir);
    const app = bootstrap({ dataDir, appRoot: path.resolve(import.meta.dirname, '../..'), chooseExportDir: async () => chosenDir, chooseImportSource: async (kind) => (kind === 'online-data' ? dataFile : null) });
    try {
      const call = async (channel: string, args: unknown) => app.handleFromPage('app://predlab/index.html', channel, args);
      const out = await call('studies:export-online', { studyId, jatos: true, blindspotReps: 2 });
      expect(out).toMatchObject({ ok: true, value: { files: [expect.stringMatching(/\.jzip$/)] } });
      expect(fs.readdirSync(chosenDir)).toEqual([`study-${studyId}-online-pilot-jatos`]);
      expect(await call('studies:export-online', { studyId, completionUrl: 'javascript:alert(1)' })).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/^Invalid arguments for studies:export-online: completionUrl: /) } });
      expect(await call('studies:export-online', { studyId, blindspotReps: 11 })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/blindspotReps/) } });
      // The participant's file again: already in the lab, nothing added.
      const back = await call('studies:import-online', { studyId });
      expect(back).toMatchObject({ ok: true, value: { imported: [], alreadyImported: [{ participant: 'PP-0042' }] } });
    } finally {
      await app.close();
    }
  }, 120_000);
});

describe('an online study of an adaptive design', () => {
  it('QUEST planned in the browser from the answers: the same trials and QUEST estimate as the desktop session answered identically', async () => {
    const parameters = { ...PARAMETERS, design: 'quest', questTrials: 4, [RUN_KEY]: { ...PARAMETERS[RUN_KEY], practiceTrials: 0 } };
    const desk = startSession(db, { participant: { label: 'D09' }, paradigmId: 'flash-lag', parameters, seed: 8, calibration: { ...CALIBRATION } });
    for (let i = 0, t = nextTrial(db, desk.id); t; i++, t = nextTrial(db, desk.id))
      recordTrial(db, desk.id, { trialIndex: t.index, response: answerOf(i), rtMs: 500, frameTiming: nominalFrameTiming(30, 60, 12) });
    finishSession(db, desk.id, 'complete');
    const study = createStudy(db, { name: 'online quest' });
    addSessionToStudy(db, study.id, desk.id);
    const out = path.join(dir, 'online-quest');
    const exported = exportOnlineStudy(db, study.id, { out, blindspotReps: 1 });
    expect(exported.adaptive).toBe(true);
    const questHost = await serveFolder(out);
    try {
      const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const file = path.join(dir, 'quest-data.json');
      const taken = await takeOnlineStudy(page, `${questHost.url}?PROLIFIC_PID=PP-0099&SESSION_ID=q`, { answer: keyOf, info: { age: '31' }, download: file });
      expect(errors).toEqual([]);
      expect(taken).toMatchObject({ dataTrials: 4 });
      const r = importOnlineData(db, study.id, file);
      expect(r.problems).toEqual([]);
      const rows = trialRows(db, r.imported[0]!.sessionId);
      expect(rows.map((t) => [t.trial_index, t.stimulus, t.response])).toEqual(trialRows(db, desk.id).map((t) => [t.trial_index, t.stimulus, t.response]));
      // The answers moved QUEST: not every trial at the prior mean.
      expect(new Set(rows.map((t) => (JSON.parse(t.stimulus) as { offsetDeg: number }).offsetDeg)).size).toBeGreaterThan(1);
      const q = (id: number) => analyseSession(db, id, { bootstrap: 0, excludeDroppedFrames: false }).conditions[0]!.statistics.find((s) => s.key === 'quest-pse');
      expect(q(r.imported[0]!.sessionId)).toEqual(q(desk.id));
      expect(q(desk.id)!.value).not.toBeNull();
    } finally {
      await questHost.close();
    }
  }, 170_000);
});
