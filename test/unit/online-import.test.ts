/**
 * Online study data read back into a real lab (SQLite file): runs written as the study's page
 * writes them (the same OnlineRunner and trialData the browser bundle uses, and jsPsych's own
 * DataCollection for JSON and CSV) become online sessions whose trials and analysis equal a desktop
 * session answered identically; importing twice adds nothing; damaged, foreign and tampered
 * records are named and skipped while the rest imports; an adaptive design is planned alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { getParadigm } from '../../paradigms/index.js';
import { OnlineRunner, RUN_FIELDS, trialData } from '../../paradigms/online-study.js';
import { RUN_KEY } from '../../paradigms/run-settings.js';
import { analyseSession } from '../../main/services/analysis.js';
import { describeOnlineStudy } from '../../main/services/online-export.js';
import { importOnlineData } from '../../main/services/online-import.js';
import { finishSession, getSession, listSessions, nextTrial, recordTrial, startSession, trialRows } from '../../main/services/sessions.js';
import { addSessionToStudy, createStudy } from '../../main/services/studies.js';
import type { Db } from '../../main/store/db.js';
import { CALIBRATION, tempDb } from '../support/db.js';
import { onlineSummary } from '../../renderer/src/lib/sessionSetting.js';

const RUN = { practiceTrials: 0, breakEvery: 0, repeatDropped: false };
/** A frame timing as a 60 Hz display gives it, every frame on time. */
const timing = (frames: number, critical: number | null) => ({ frameCount: frames, intervalMeanMs: 16.667, intervalSdMs: 0, intervalMaxMs: 16.667, droppedFrames: 0, criticalFrame: critical, intervalsMs: Array(frames - 1).fill(16.667) });
/** The participant's rule: the key for the i-th data trial (the desktop twin answers the same). */
const answerOf = (i: number, stimulus: Record<string, unknown>) => ((Number(stimulus.offsetDeg ?? 0) + i) % 2 === 0 ? 'right' : 'left');

let db: Db;
let dir: string;
// jsPsych's module names a global `window` when loaded (a migration notice); its DataCollection itself needs no page.
(globalThis as { window?: unknown }).window ??= {};
const { DataCollection } = await import('jspsych');

/** A desktop session on a new protocol, answered by `answerOf`, in a new study. */
function desktopStudy(parameters: Record<string, unknown>, name = 'online'): { studyId: number; sessionId: number } {
  const s = startSession(db, { participant: { label: 'D01' }, paradigmId: 'flash-lag', parameters: { ...parameters, [RUN_KEY]: RUN }, seed: 11, calibration: { ...CALIBRATION } });
  for (let i = 0, t = nextTrial(db, s.id); t; i++, t = nextTrial(db, s.id))
    recordTrial(db, s.id, { trialIndex: t.index, response: answerOf(i, t.stimulus), rtMs: 400, frameTiming: timing(30, 12) });
  finishSession(db, s.id, 'complete');
  const study = createStudy(db, { name });
  addSessionToStudy(db, study.id, s.id);
  return { studyId: study.id, sessionId: s.id };
}

/** The jsPsych data rows of one run of the exported study, as its page writes them; `timingOf(i)` gives the i-th data trial's frames. */
function onlineRun(studyId: number, runId: string, pid: string, timingOf: (i: number) => ReturnType<typeof timing> = () => timing(30, 12)): Record<string, unknown>[] {
  const study = describeOnlineStudy(db, studyId);
  const paradigm = getParadigm(study.paradigmId);
  const runner = new OnlineRunner(paradigm, study, 60);
  const common = { [RUN_FIELDS.run]: runId, [RUN_FIELDS.participant]: pid, [RUN_FIELDS.study]: studyId, [RUN_FIELDS.protocol]: study.protocolId, [RUN_FIELDS.seed]: study.seed };
  const rows: Record<string, unknown>[] = [
    { ...common, trial_type: 'browser-check', browser: 'chrome', browser_version: '131', os: 'Linux', mobile: false, vsync_rate: 60 },
    { ...common, trial_type: 'virtual-chinrest', item_width_px: 320, px2mm: 3.74, view_dist_mm: 550 },
    { ...common, trial_type: 'predlab-calibration', predlab: 'calibration', calibration: JSON.stringify({ ...CALIBRATION, method: 'credit-card' }), viewing_distance: 'blind spot', screen_width: 1280, screen_height: 800 },
    { ...common, trial_type: 'survey-html-form', predlab: 'session-info', response: { age: '31', handedness: 'left' } },
  ];
  for (let i = 0, t = runner.next(); t; i++, t = runner.next()) {
    const ft = timingOf(i);
    rows.push({ ...common, trial_type: 'predlab-trial', ...trialData('test', t, answerOf(i, t.stimulus as Record<string, unknown>), 400, ft, 60, 36.9) });
    runner.answer(t, answerOf(i, t.stimulus as Record<string, unknown>), ft);
  }
  rows.push({ ...common, trial_type: 'html-keyboard-response', predlab: 'end' });
  return rows;
}

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const counts = () => ({ sessions: listSessions(db).length, trials: (db.prepare('SELECT count(*) AS n FROM trials').get() as { n: number }).n, participants: (db.prepare('SELECT count(*) AS n FROM participants').get() as { n: number }).n });
const trialsOf = (id: number) => trialRows(db, id).map((t) => ({ index: t.trial_index, condition: t.condition, stimulus: t.stimulus, response: t.response }));
/** The analysis without what belongs to one session (its id seeds the bootstrap, so none is drawn). */
const analysisOf = (id: number) => analyseSession(db, id, { bootstrap: 0 });

beforeEach(() => {
  ({ db, dir } = tempDb());
});

describe('import of online study data', () => {
  it('a JSON run becomes an online session equal to the desktop twin; importing again adds nothing; CSV imports alike', () => {
    const { studyId, sessionId } = desktopStudy({ offsetsDeg: [-1, 0, 1], trialsPerOffset: 2 });
    const json = write('p01.json', new DataCollection(onlineRun(studyId, 'run-1', 'P01')).json());
    const r = importOnlineData(db, studyId, json);
    expect(r.problems).toEqual([]);
    expect(r.imported).toHaveLength(1);
    const online = getSession(db, r.imported[0]!.sessionId);
    expect(online.source).toBe('online');
    expect(online.status).toBe('complete');
    expect(online.participant.label).toBe('P01');
    expect(online.participant.details).toMatchObject({ age: 31, handedness: 'left' });
    expect(online.calibration).toMatchObject({ method: 'credit-card', online: { run: 'run-1', browser: { name: 'chrome' }, timing: { verdict: { pass: true } }, completed: true } });
    expect(online.protocol.id).toBe(getSession(db, sessionId).protocol.id);
    // What the Results page says of it (and nothing for the lab's session).
    expect(onlineSummary(online)).toBe('Taken online in chrome 131 on Linux, a 1280×800 screen, 60.00 Hz measured, viewing distance 57 cm (blind spot), 36.9 px/deg; its frame timing passes the criterion.');
    expect(onlineSummary(getSession(db, sessionId))).toBeNull();
    expect(trialsOf(online.id)).toEqual(trialsOf(sessionId));
    expect(analysisOf(online.id).conditions).toEqual(analysisOf(sessionId).conditions);
    expect(analysisOf(online.id).statistics).toEqual(analysisOf(sessionId).statistics);

    const before = counts();
    const again = importOnlineData(db, studyId, json);
    expect(again.imported).toEqual([]);
    expect(again.alreadyImported).toEqual([{ run: 'run-1', participant: 'P01', sessionId: online.id }]);
    expect(counts()).toEqual(before);

    const csv = write('p02.csv', new DataCollection(onlineRun(studyId, 'run-2', 'P02')).csv());
    const c = importOnlineData(db, studyId, csv);
    expect(c.problems).toEqual([]);
    expect(trialsOf(c.imported[0]!.sessionId)).toEqual(trialsOf(sessionId));
  });

  it('a damaged record is named by its line and skipped, the rest imports; a foreign or tampered run imports nothing of itself', () => {
    const { studyId, sessionId } = desktopStudy({ offsetsDeg: [-1, 1], trialsPerOffset: 2 });
    const rows = onlineRun(studyId, 'run-3', 'P03');
    const trials = rows.filter((x) => x.trial_type === 'predlab-trial');
    trials[2]!.rt = 'soon'; // the third data trial is damaged: the session keeps the two before it
    const foreign = { ...rows[0]!, [RUN_FIELDS.protocol]: 999 };
    const tampered = onlineRun(studyId, 'run-4', 'P04').map((x) => (x.design_index === 1 ? { ...x, stimulus: JSON.stringify({ ...JSON.parse(String(x.stimulus)), offsetDeg: 3 }) } : x));
    const text = [...rows, foreign, ...tampered].map((x) => JSON.stringify(x)).join('\n');
    const before = counts();
    const r = importOnlineData(db, studyId, write('mixed.jsonl', text));
    const line = (x: Record<string, unknown>) => `mixed.jsonl line ${[...rows, foreign, ...tampered].indexOf(x) + 1}`;
    expect(r.problems).toEqual([
      { where: line(trials[2]!), problem: expect.stringMatching(/^a malformed trial: rt/) },
      { where: line(foreign), problem: expect.stringMatching(/^a record of another study \(protocol 999/) },
      { where: 'run run-3', problem: 'participant P03: trial 3 is missing; the session keeps the 2 trial(s) before it and is marked aborted' },
      { where: line(tampered.find((x) => x.design_index === 1)!), problem: expect.stringMatching(/^participant P04: trial 2 is not the trial this protocol plans/) },
    ]);
    expect(r.imported.map((x) => [x.participant, x.trials, x.status])).toEqual([['P03', 2, 'aborted']]);
    expect(trialsOf(r.imported[0]!.sessionId)).toEqual(trialsOf(sessionId).slice(0, 2));
    // P04's run left nothing: one new session, one new person, two trials.
    expect(counts()).toEqual({ sessions: before.sessions + 1, trials: before.trials + 2, participants: before.participants + 1 });

    const garbage = write('garbage.csv', 'a,b\n1,2\n');
    expect(() => importOnlineData(db, studyId, garbage)).toThrow(/garbage.csv holds no run of this study's protocol .*garbage.csv line 2: not a record of a PredLab online study/);
  });

  it.each([
    ['staircases', { design: 'staircase', staircaseTrials: 6 }],
    ['QUEST', { design: 'quest', questTrials: 6 }],
  ])('an adaptive design (%s) planned in the browser from the answers is the lab plan', (_name, parameters) => {
    const { studyId, sessionId } = desktopStudy(parameters);
    expect(describeOnlineStudy(db, studyId).trials).toBeNull();
    const r = importOnlineData(db, studyId, write('s.json', JSON.stringify(onlineRun(studyId, 'run-5', 'P05'))));
    expect(r.problems).toEqual([]);
    expect(trialsOf(r.imported[0]!.sessionId)).toEqual(trialsOf(sessionId));
    expect(new Set(trialRows(db, sessionId).map((t) => t.condition)).size).toBeGreaterThan(1);
  });

  it('a trial whose frames dropped at the flash is repeated at the end in the browser as the lab repeats it', () => {
    const s = startSession(db, { participant: { label: 'D02' }, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 1], trialsPerOffset: 2, [RUN_KEY]: { ...RUN, repeatDropped: true } }, seed: 4, calibration: { ...CALIBRATION } });
    const study = createStudy(db, { name: 'repeats' });
    addSessionToStudy(db, study.id, s.id);
    // Data trial 1 misses two refreshes at its flash (frame 12): the protocol plans it again after the 4 trials.
    const dropped = () => ({ ...timing(30, 12), droppedFrames: 2, intervalsMs: Array(29).fill(16.667).map((x, k) => (k === 11 ? 50 : x)) });
    const rows = onlineRun(study.id, 'run-6', 'P06', (i) => (i === 1 ? dropped() : timing(30, 12)));
    const trials = rows.filter((x) => x.trial_type === 'predlab-trial');
    expect(trials.map((x) => x.design_index)).toEqual([0, 1, 2, 3, 4]);
    expect(trials[4]!.stimulus).toBe(trials[1]!.stimulus);
    const r = importOnlineData(db, study.id, write('r.json', JSON.stringify(rows)));
    expect(r.problems).toEqual([]);
    expect(r.imported.map((x) => [x.trials, x.status])).toEqual([[5, 'complete']]);
    expect(JSON.parse(trialRows(db, r.imported[0]!.sessionId)[4]!.extra!)).toEqual({ repeatOf: 1 });
    finishSession(db, s.id, 'aborted');
  });
});
