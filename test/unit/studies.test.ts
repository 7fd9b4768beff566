/**
 * Studies and the study-wide export, on a lab made as a user makes it: a person through the
 * app's services (bootstrap, IPC channels), a simulated observer and a model session through the
 * CLI, the study through the CLI. The export is read back (pandas where it is installed).
 */
import { parse } from 'csv-parse/sync';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type AppServices } from '../../main/bootstrap.js';
import { finishSession, listSessions, startSession } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { createParticipant } from '../../main/services/participants.js';
import { addSessionsToStudy, addSessionToStudy, createStudy, getStudy, getStudyDetail, listStudies, removeSessionFromStudy, studySessionIds, updateStudy } from '../../main/services/studies.js';
import { exportStudy, exportStudyAfterSession, STUDY_MARKER } from '../../main/services/study-export.js';
import { openDatabase, schemaVersion, type Db } from '../../main/store/db.js';
import { LATEST_VERSION } from '../../main/store/migrations.js';
import type { StudyDetail, StudyExportResult } from '../../preload/channels/studies.js';
import { validateBids } from '../support/bids.js';
import { cli } from '../support/cli.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION, copyRowsInto, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const APP_PAGE = 'app://predlab/index.html';
const observer = { pse: 0.4, sigma: 0.5, guess: 0.02, lapse: 0.02 };

/** Is pandas importable by the system Python? (the brief's reader of the export) */
const pandas = spawnSync('/usr/bin/python3', ['-c', 'import pandas'], { encoding: 'utf8' }).status === 0;

function tables(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
}

/** Everything under a folder, as relative paths (to show nothing was written or left behind). */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('the studies migration', () => {
  it('adds the studies tables to an existing lab file and keeps its participants, sessions and trials', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lab.sqlite');
    const old = openDatabase(file, { targetVersion: 6 });
    // A session as today's code makes it, copied into the old lab (columns that schema has).
    const today = tempDb().db;
    const s = simulateSession(today, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 2 }, seed: 4, observer });
    copyRowsInto(old, today, ['participants', 'protocols', 'sessions', 'trials']);
    const before = {
      participants: old.prepare('SELECT * FROM participants ORDER BY id').all(),
      sessions: old.prepare('SELECT * FROM sessions ORDER BY id').all(),
      trials: old.prepare('SELECT * FROM trials ORDER BY id').all(),
    };
    expect(tables(old)).not.toContain('studies');
    old.close();

    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect(tables(db)).toEqual(expect.arrayContaining(['studies', 'study_sessions']));
    // Every value kept (later migrations add columns of their own).
    const same = (table: string, rows: unknown[]) => expect(db.prepare(`SELECT ${Object.keys(rows[0] as object).join(', ')} FROM ${table} ORDER BY id`).all()).toEqual(rows);
    same('participants', before.participants);
    same('sessions', before.sessions);
    same('trials', before.trials);
    // The columns later migrations add are empty for sessions from before them.
    expect(db.prepare('SELECT monitor_profile_id, response_keys FROM sessions ORDER BY id').all()).toEqual(before.sessions.map(() => ({ monitor_profile_id: null, response_keys: null })));
    expect(before.trials).toHaveLength(14);
    // and the old data can join a study
    const study = createStudy(db, { name: 'After upgrade' });
    expect(addSessionToStudy(db, study.id, s.id).sessions.map((x) => x.id)).toEqual([s.id]);
    db.close();
  });
});

describe('a study of a person, a simulated observer and a model', () => {
  let dataDir: string;
  let app: AppServices;
  let chosen: string | null;
  let db: Db;
  let person: { sessionId: number; protocolId: number };
  let simulatedId: number;
  let modelId: number;
  let studyId: number;
  let exported: StudyExportResult;
  const env = () => ({ PREDLAB_DATA_DIR: dataDir });
  const trialCount = (sessionId: number) => (db.prepare('SELECT count(*) AS n FROM trials WHERE session_id = ?').get(sessionId) as { n: number }).n;
  const call = async (channel: string, args: unknown = {}) => {
    const r = await app.handleFromPage(APP_PAGE, channel, args);
    if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
    return r.value as any;
  };

  beforeAll(async () => {
    dataDir = tempDir('predlab-study-');
    chosen = null;
    app = bootstrap({ dataDir, appRoot: root, chooseExportDir: async () => chosen });
    await app.ready;
    // A person takes a short flash-lag session through the app's channels.
    // Session information as the Run page's dialog gives it; no repeats of dropped-frame trials.
    const s = await call('sessions:start', {
      participant: { label: 'P-01' },
      sessionInfo: { age: 31, handedness: 'right' },
      paradigmId: 'flash-lag',
      parameters: { trialsPerOffset: 1, run: { repeatDropped: false } },
      seed: 11,
      calibration: CALIBRATION,
    });
    for (let t = await call('sessions:next', { sessionId: s.id }); t; t = await call('sessions:next', { sessionId: s.id }))
      await call('sessions:record', { sessionId: s.id, trialIndex: t.index, response: t.index % 3 ? 'right' : 'left', rtMs: 420 + t.index, frameTiming: { ...FRAME_TIMING, droppedFrames: t.index === 2 ? 1 : 0 } });
    await call('sessions:finish', { sessionId: s.id, status: 'complete' });
    person = { sessionId: s.id, protocolId: s.protocol.id };
    // A simulated observer, and the default model on the person's protocol, through the CLI.
    const sim = predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.6', '--sigma', '0.4', '--seed', '3', '--param', 'trialsPerOffset=1', '--json'], env());
    expect(sim.code, sim.stderr).toBe(0);
    simulatedId = JSON.parse(sim.stdout).sessionId;
    const model = predlab(['session', 'run', '--model', 'default', '--protocol', String(person.protocolId), '--json'], env(), 300_000);
    expect(model.code, model.stderr).toBe(0);
    modelId = JSON.parse(model.stdout).sessionId;
    db = openDatabase(path.join(dataDir, 'predlab.sqlite'));
  }, 400_000);

  afterAll(async () => {
    db?.close();
    await app?.close();
  });

  it('the CLI creates the study; only the sessions named join, the model on the same trials is listed until the user adds it', () => {
    const c = predlab(['study', 'create', '--name', 'Flash-lag pilot', '--description', 'three kinds of participant', '--info', 'age,handedness', '--authors', 'Ada Lovelace; Alan Turing', '--json'], env());
    expect(c.code, c.stderr).toBe(0);
    studyId = JSON.parse(c.stdout).id;
    const add = predlab(['study', 'add', '--study', String(studyId), '--session', `${person.sessionId},${simulatedId}`, '--json'], env());
    expect(add.code, add.stderr).toBe(0);
    const d = JSON.parse(add.stdout) as StudyDetail;
    expect(d.sessions.map((s) => [s.id, s.participant.kind]).sort()).toEqual(
      [
        [person.sessionId, 'human'],
        [simulatedId, 'simulated'],
      ].sort(),
    );
    expect(d.sameTrials.map((s) => s.id)).toEqual([modelId]);
    expect(d.counts).toEqual({ human: 1, simulated: 1, model: 0 });
    const listed = predlab(['study', 'show', '--study', String(studyId)], env());
    expect(listed.stdout).toMatch(/1 person, 1 simulated observer, 0 models \(2 sessions\)/);
    expect(listed.stdout).toContain(`Not in the study, on the same trials as its sessions (add with: predlab study add --study ${studyId} --session ${modelId})`);
    const more = predlab(['study', 'add', '--study', String(studyId), '--session', String(modelId), '--json'], env());
    expect(more.code, more.stderr).toBe(0);
    expect((JSON.parse(more.stdout) as StudyDetail).sameTrials).toEqual([]);
    const show = predlab(['study', 'show', '--study', String(studyId)], env());
    expect(show.stdout).toMatch(/1 person, 1 simulated observer, 1 model \(3 sessions\)/);
    expect(show.stdout).not.toMatch(/Not in the study/);
    expect(show.stdout).toMatch(/never exported/);
  });

  it('the export is one tidy CSV with a row per trial of every session, and the CLI says where', () => {
    const r = predlab(['study', 'export', '--study', String(studyId), '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    exported = JSON.parse(r.stdout);
    const stored = db.prepare('SELECT count(*) AS n FROM trials WHERE session_id IN (?, ?, ?)').get(person.sessionId, simulatedId, modelId) as { n: number };
    expect(exported.rows).toBe(stored.n);
    expect(exported.sessions).toBe(3);
    expect(exported.folder).toBe(path.join(dataDir, 'studies', `study-${studyId}-flash-lag-pilot`));
    const csv = exported.files[0]!;
    const rows = parse(fs.readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(stored.n);
    expect(new Set(rows.map((x) => x.study))).toEqual(new Set(['Flash-lag pilot']));
    const kinds = Object.fromEntries(['human', 'simulated', 'model'].map((k) => [k, rows.filter((x) => x.participant_kind === k).length]));
    expect(kinds).toEqual({ human: trialCount(person.sessionId), simulated: trialCount(simulatedId), model: trialCount(modelId) });
    expect(kinds.model).toBeGreaterThanOrEqual(7);
    // Person and model took the same trials: the same offset at each trial index.
    const offsets = (id: number) => new Map(rows.filter((x) => Number(x.session_id) === id).map((x) => [x.trial_index, x.offset_deg]));
    for (const [index, offset] of offsets(modelId)) expect(offsets(person.sessionId).get(index), `trial ${index}`).toBe(offset);
    const personRows = rows.filter((x) => x.participant_kind === 'human');
    expect(personRows.map((x) => x.rt_ms)).toEqual(personRows.map((x) => String(420 + Number(x.trial_index))));
    expect(personRows.map((x) => x.dropped_frame_flag)).toEqual(personRows.map((x) => String(x.trial_index === '2')));
    expect(personRows[0]!.participant_label).toBe('P-01');
    // Session information: a column per field, filled for the person only.
    expect(personRows.every((x) => x.info_age === '31' && x.info_handedness === 'right')).toBe(true);
    expect(rows.filter((x) => x.participant_kind !== 'human').every((x) => x.info_age === '' && x.info_handedness === '')).toBe(true);
    for (const c of ['study', 'info_age', 'participant_label', 'participant_kind', 'session_id', 'paradigm', 'condition', 'offset_deg', 'response', 'rt_ms', 'dropped_frames', 'dropped_frame_flag'])
      expect(Object.keys(rows[0]!)).toContain(c);
    const dictionary = JSON.parse(fs.readFileSync(exported.files[1]!, 'utf8'));
    expect(Object.keys(dictionary)).toEqual(Object.keys(rows[0]!));
  });

  it.skipIf(!pandas)('the CSV loads in pandas with people, simulated observers and models by kind', () => {
    const script = `import pandas as pd, json, sys
d = pd.read_csv(sys.argv[1])
print(json.dumps({"rows": len(d), "kinds": d.groupby("participant_kind").size().to_dict(), "sessions": sorted(int(x) for x in d.session_id.unique()), "rt_dtype": str(d.rt_ms.dtype)}))`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, exported.files[0]!], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({ rows: exported.rows, kinds: { human: trialCount(person.sessionId), model: trialCount(modelId), simulated: trialCount(simulatedId) }, sessions: [person.sessionId, simulatedId, modelId].sort((a, b) => a - b), rt_dtype: 'float64' });
  });
  if (!pandas) it('(pandas check skipped: /usr/bin/python3 cannot import pandas; apt-get install -y python3-pandas)', () => undefined);

  it('the BIDS dataset has participants.tsv with each kind and a behavioural file per session', () => {
    const bids = path.join(exported.folder, 'bids');
    const description = JSON.parse(fs.readFileSync(path.join(bids, 'dataset_description.json'), 'utf8'));
    expect(description).toMatchObject({ Name: 'Flash-lag pilot', BIDSVersion: '1.9.0', Description: 'three kinds of participant', Authors: ['Ada Lovelace', 'Alan Turing'] });
    const participants = parse(fs.readFileSync(path.join(bids, 'participants.tsv'), 'utf8'), { columns: true, delimiter: '\t' }) as Record<string, string>[];
    const modelLabel = listSessions(db).find((s) => s.id === modelId)!.participant.label;
    expect(modelLabel).toMatch(/^PredNet /);
    expect(participants.map((p) => [p.participant_id, p.kind]).sort()).toEqual(
      [
        ['sub-P01', 'human'],
        ['sub-simulatedobserverpse0p6sigma0p4', 'simulated'],
        [`sub-${modelLabel.replace(/[^A-Za-z0-9]/g, '')}`, 'model'],
      ].sort(),
    );
    expect(participants.find((p) => p.kind === 'human')).toMatchObject({ age: '31', handedness: 'right', sessions: String(person.sessionId) });
    expect(participants.find((p) => p.kind === 'model')).toMatchObject({ age: 'n/a' });
    const sidecar = JSON.parse(fs.readFileSync(path.join(bids, 'participants.json'), 'utf8'));
    expect(Object.keys(sidecar.kind.Levels)).toEqual(['human', 'simulated', 'model']);
    for (const p of participants)
      p.sessions!.split(';').forEach((ses, k) => {
        const beh = path.join(bids, p.participant_id!, 'beh', `${p.participant_id}_task-flashlag_run-${k + 1}_beh.tsv`);
        expect(parse(fs.readFileSync(beh, 'utf8'), { columns: true, delimiter: '\t' })).toHaveLength(trialCount(Number(ses)));
        expect(JSON.parse(fs.readFileSync(beh.replace(/\.tsv$/, '.json'), 'utf8')).PredLabSessionId).toBe(Number(ses));
      });
    // The official validator: no error, no warning (the study names its authors; a README says what the dataset is).
    expect(validateBids(bids)).toEqual({ errors: [], warnings: [] });
    expect(fs.readFileSync(path.join(bids, 'README'), 'utf8')).toMatch(/^Flash-lag pilot\n\nthree kinds of participant\n\n3 sessions of 1 person, 1 simulated observer and 1 model \(participants.tsv says which is which\)\./);
    expect(getStudy(db, studyId).lastExport).toMatchObject({ ok: true, trigger: 'manual', rows: exported.rows, folder: exported.folder });
  });

  it("a session on the study's trials that ends stays out of it (listed to be added); one added and ended rewrites the export", () => {
    // A second run of the model on the person's trials, with another readout delay.
    const model = predlab(['session', 'run', '--model', 'default', '--protocol', String(person.protocolId), '--readout-delay', '1', '--again', '--json'], env(), 300_000);
    expect(model.code, model.stderr).toBe(0);
    const second = JSON.parse(model.stdout).sessionId as number;
    const logged: string[] = [];
    expect(exportStudyAfterSession(db, second, (m) => logged.push(m))).toBeNull();
    expect(getStudyDetail(db, studyId).sessions.map((s) => s.id)).not.toContain(second);
    expect(getStudyDetail(db, studyId).sameTrials.map((s) => s.id)).toEqual([second]);
    // Chosen (as the page's ticked boxes do), it is part of the study, and its end rewrites the export.
    addSessionsToStudy(db, studyId, [second]);
    const status = exportStudyAfterSession(db, second, (m) => logged.push(m));
    expect(logged).toEqual([]);
    expect(status).toMatchObject({ ok: true, trigger: 'auto', rows: exported.rows + trialCount(second) });
    const rows = parse(fs.readFileSync(exported.files[0]!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.filter((x) => Number(x.session_id) === second)).toHaveLength(trialCount(second));
    // A session of no study: nothing happens.
    expect(exportStudyAfterSession(db, simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 99, observer }).id, (m) => logged.push(m))).toBeNull();
    expect(logged).toEqual([]);
  }, 300_000);

  it('a failed automatic export never throws: it is logged, shown in the study, and the previous export is kept', () => {
    const blocker = path.join(tempDir(), 'a-file');
    fs.writeFileSync(blocker, 'not a folder');
    updateStudy(db, studyId, { settings: { ...getStudy(db, studyId).settings, exportDir: path.join(blocker, 'exports') } });
    const logged: string[] = [];
    const status = exportStudyAfterSession(db, person.sessionId, (m) => logged.push(m));
    expect(status).toMatchObject({ ok: false, trigger: 'auto' });
    expect(status!.error).toMatch(/Cannot write the export of study 'Flash-lag pilot'.*a file is in the way\. Nothing was written\./);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`after session ${person.sessionId}`);
    expect(getStudy(db, studyId).lastExport).toEqual(status);
    expect(fs.existsSync(exported.files[0]!)).toBe(true); // the default folder's export is untouched
    const show = predlab(['study', 'list'], env());
    expect(show.stdout).toMatch(/FAILED: Cannot write/);
    updateStudy(db, studyId, { settings: { ...getStudy(db, studyId).settings, exportDir: null } });
  });

  it('the app exports the study on demand into a chosen folder, or its own', async () => {
    chosen = tempDir('predlab-chosen-');
    const r = await call('studies:export', { studyId, choose: true });
    expect(r.folder).toBe(path.join(chosen, `study-${studyId}-flash-lag-pilot`));
    expect(r.sessions).toBe(4);
    expect(fs.existsSync(path.join(r.folder, STUDY_MARKER))).toBe(true);
    chosen = null;
    expect(await app.handleFromPage(APP_PAGE, 'studies:export', { studyId, choose: true })).toMatchObject({ ok: false, error: { message: 'Export cancelled: no folder was chosen.' } });
    const list = await call('studies:list');
    // Two sessions of one checkpoint: one model, four sessions.
    expect(list.find((s: { id: number }) => s.id === studyId)).toMatchObject({ counts: { human: 1, simulated: 1, model: 1 }, sessionTotal: 4 });
  });

  it('deleting a study keeps its sessions', async () => {
    const before = listSessions(db).length;
    const r = predlab(['study', 'delete', '--study', String(studyId), '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ deleted: studyId, sessionsKept: 4 });
    expect(listSessions(db)).toHaveLength(before);
    expect(listStudies(db).map((s) => s.id)).not.toContain(studyId);
    expect(db.prepare('SELECT count(*) AS n FROM study_sessions WHERE study_id = ?').get(studyId)).toEqual({ n: 0 });
  });
});

describe('membership', () => {
  it("only the sessions the user adds join; the same trials' sessions are listed, each once, until added or in another study", () => {
    const { db } = tempDb();
    const person = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 5, observer });
    const other = createParticipant(db, { kind: 'model', label: 'stand-in model' });
    const sameTrials = () => startSession(db, { participantId: other.id, paradigmId: 'flash-lag', parameters: {}, protocolId: person.protocol.id, calibration: {} });
    const early = sameTrials();
    const study = createStudy(db, { name: 'Joins' });
    const d = addSessionToStudy(db, study.id, person.id);
    expect(d.sessions.map((s) => s.id)).toEqual([person.id]);
    expect(d.sameTrials.map((s) => s.id)).toEqual([early.id]);
    // One model, three sessions of it: counted once among the participants.
    const late = sameTrials();
    finishSession(db, late.id, 'aborted');
    expect(exportStudyAfterSession(db, late.id, () => undefined)).toBeNull();
    const third = sameTrials();
    const all = addSessionsToStudy(db, study.id, [early.id, late.id, third.id]);
    expect(all.sessions.map((s) => s.id)).toEqual([person.id, early.id, late.id, third.id]);
    expect(all.counts).toEqual({ human: 0, simulated: 1, model: 1 });
    expect(all.sessionTotal).toBe(4);
    expect(all.sameTrials).toEqual([]);
    removeSessionFromStudy(db, study.id, early.id);
    exportStudy(db, study.id);
    expect(studySessionIds(db, study.id)).toEqual([person.id, late.id, third.id]);
    // Once in another study, it is no longer listed here.
    const second = createStudy(db, { name: 'Elsewhere' });
    expect(getStudyDetail(db, study.id).sameTrials.map((s) => s.id)).toEqual([early.id]);
    addSessionToStudy(db, second.id, early.id);
    expect(getStudyDetail(db, study.id).sameTrials).toEqual([]);
    // All or none: one session of another study refuses the whole list.
    const fourth = sameTrials();
    expect(() => addSessionsToStudy(db, study.id, [fourth.id, early.id])).toThrow(/already belongs to study 'Elsewhere'/);
    expect(studySessionIds(db, study.id)).toEqual([person.id, late.id, third.id]);
  });

  it("while another session of the study runs, the automatic export waits for that session's end", () => {
    const { db } = tempDb();
    const person = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 6, observer });
    const stand = createParticipant(db, { kind: 'model', label: 'stand-in model' });
    const study = createStudy(db, { name: 'Waits' });
    addSessionToStudy(db, study.id, person.id);
    const running = startSession(db, { participantId: stand.id, paradigmId: 'flash-lag', parameters: {}, protocolId: person.protocol.id, calibration: {} });
    const quick = startSession(db, { participantId: stand.id, paradigmId: 'flash-lag', parameters: {}, protocolId: person.protocol.id, calibration: {} });
    addSessionsToStudy(db, study.id, [running.id, quick.id]);
    finishSession(db, quick.id, 'aborted');
    const logged: string[] = [];
    expect(exportStudyAfterSession(db, quick.id, (m) => logged.push(m))).toBeNull();
    expect(getStudy(db, study.id).lastExport).toBeNull();
    expect(fs.existsSync(getStudy(db, study.id).exportFolder)).toBe(false);
    finishSession(db, running.id, 'aborted');
    expect(exportStudyAfterSession(db, running.id, (m) => logged.push(m))).toMatchObject({ ok: true, trigger: 'auto', rows: 7 });
    expect(studySessionIds(db, study.id)).toEqual([person.id, running.id, quick.id]);
    expect(logged).toEqual([]);
  });
});

describe('bad input: a clear error, nothing half-written', () => {
  it('a duplicate name (any case), an empty or overlong name, unknown settings', async () => {
    const { db, file } = tempDb();
    createStudy(db, { name: 'Pilot' });
    expect(() => createStudy(db, { name: ' pilot ' })).toThrow("There is already a study named 'Pilot' (names are compared ignoring case). Choose another name.");
    expect(() => createStudy(db, { name: '  ' })).toThrow('A study needs a name.');
    expect(() => createStudy(db, { name: 'x'.repeat(101) })).toThrow('at most 100 characters');
    expect(() => createStudy(db, { name: 'B', settings: { colour: 'red' } })).toThrow(/Invalid study settings: .*colour/);
    const other = createStudy(db, { name: 'Other' });
    expect(() => updateStudy(db, other.id, { name: 'PILOT' })).toThrow('already a study named');
    expect(listStudies(db).map((s) => s.name)).toEqual(['Pilot', 'Other']);
    db.close();
    const r = await cli('--db', file, 'study', 'create', '--name', 'Pilot', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({ error: { code: 'conflict', message: "There is already a study named 'Pilot'. Choose another name." } });
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it('an unknown session or study, a session already in another study, an id list with one bad id', async () => {
    const { db, file } = tempDb();
    const a = createStudy(db, { name: 'A' });
    const b = createStudy(db, { name: 'B' });
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 1, observer });
    const free = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 2, observer });
    expect(() => addSessionToStudy(db, a.id, 999)).toThrow('No session with id 999.');
    expect(() => addSessionToStudy(db, 999, s.id)).toThrow('No study with id 999.');
    addSessionToStudy(db, a.id, s.id);
    expect(() => addSessionToStudy(db, b.id, s.id)).toThrow(`Session ${s.id} already belongs to study 'A'`);
    db.close();
    const r = await cli('--db', file, 'study', 'add', '--study', String(b.id), '--session', `${free.id},999`);
    expect(r.code).toBe(1);
    expect(r.err).toBe('predlab: No session with id 999.\n');
    const again = openDatabase(file);
    expect(again.prepare('SELECT count(*) AS n FROM study_sessions WHERE study_id = ?').get(b.id)).toEqual({ n: 0 });
    again.close();
    const bad = await cli('--db', file, 'study', 'add', '--study', '1', '--session', '3,x');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--session takes one to 1000 ids like 3 or 3,7; got '3,x'/);
  });

  it('an unwritable folder or one that is not a study export: refused before writing, the previous export kept', () => {
    const { db } = tempDb();
    const study = createStudy(db, { name: 'Writes' });
    expect(() => exportStudy(db, study.id)).toThrow("Study 'Writes' has no sessions yet; add sessions before exporting it.");
    expect(getStudy(db, study.id).lastExport).toBeNull(); // nothing to export is not a failed export
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 2, observer });
    addSessionToStudy(db, study.id, s.id);
    const first = exportStudy(db, study.id);
    const before = tree(first.folder);
    const parent = path.dirname(first.folder);

    const blocker = path.join(tempDir(), 'file');
    fs.writeFileSync(blocker, '');
    expect(() => exportStudy(db, study.id, { folder: path.join(blocker, 'x') })).toThrow(/Cannot write the export of study 'Writes' to .*: a file is in the way\. Nothing was written\./);
    expect(getStudy(db, study.id).lastExport).toMatchObject({ ok: false, trigger: 'manual' });

    const foreign = tempDir('not-ours-');
    fs.writeFileSync(path.join(foreign, 'thesis.docx'), 'mine');
    expect(() => exportStudy(db, study.id, { folder: foreign })).toThrow('is not a PredLab study export; PredLab will not replace it');
    expect(fs.readdirSync(foreign)).toEqual(['thesis.docx']);

    // Two kinds under one BIDS label are found before anything is written: the old export stays
    // whole and no temporary folder is left.
    const human = db.prepare("INSERT INTO participants (kind, label) VALUES ('human', 'simulated observer (pse 0p4, sigma 0p5)')").run();
    const clash = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 3, observer });
    db.prepare('UPDATE sessions SET participant_id = ? WHERE id = ?').run(human.lastInsertRowid, clash.id);
    addSessionToStudy(db, study.id, clash.id);
    expect(() => exportStudy(db, study.id)).toThrow(/share the BIDS label sub-simulatedobserverpse0p4sigma0p5; relabel one of them/);
    expect(tree(first.folder)).toEqual(before);
    expect(fs.readdirSync(parent).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('the IPC channels refuse malformed arguments, naming the field', async () => {
    const dataDir = tempDir('predlab-ipc-');
    const app = bootstrap({ dataDir, appRoot: root, chooseExportDir: async () => null });
    try {
      await app.ready;
      expect(await app.handleFromPage(APP_PAGE, 'studies:create', { name: 'x'.repeat(101) })).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/^Invalid arguments for studies:create: name: /) } });
      expect(await app.handleFromPage(APP_PAGE, 'studies:create', { name: 'A', settings: { sessionInfoFields: Array(21).fill('f') } })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/settings\.sessionInfoFields/) } });
      // A study asks among the Run dialog's fields, by their keys.
      expect(await app.handleFromPage(APP_PAGE, 'studies:create', { name: 'A', settings: { sessionInfoFields: ['age', 'eye'] } })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/settings\.sessionInfoFields\.1: a session-information field is one of the Run dialog's: age, handedness, dominantEye, notes/) } });
      expect(await app.handleFromPage(APP_PAGE, 'studies:add-session', { studyId: 1, sessionId: -1 })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/sessionId/) } });
      expect(await app.handleFromPage(APP_PAGE, 'studies:get', { studyId: 1 })).toMatchObject({ ok: false, error: { code: 'not-found', message: 'No study with id 1.' } });
      const made = await app.handleFromPage(APP_PAGE, 'studies:create', { name: 'A', settings: { sessionInfoFields: ['age'] } });
      expect(made).toMatchObject({ ok: true, value: { name: 'A', counts: { human: 0, simulated: 0, model: 0 }, lastExport: null } });
      // A page never names a folder to write into: the export folder is chosen in the main process's dialog.
      for (const exportDir of ['exports', '/tmp/elsewhere'])
        expect(await app.handleFromPage(APP_PAGE, 'studies:update', { studyId: 1, settings: { exportDir } })).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/settings: Unrecognized key: "exportDir"/) } });
      expect(await app.handleFromPage(APP_PAGE, 'studies:create', { name: 'B', settings: { exportDir: '/tmp/elsewhere' } })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
      expect(await app.handleFromPage(APP_PAGE, 'studies:choose-folder', { studyId: 1 })).toMatchObject({ ok: false, error: { message: 'No folder was chosen; the study keeps its export folder.' } });
      expect(await app.handleFromPage(APP_PAGE, 'studies:get', { studyId: 1 })).toMatchObject({ ok: true, value: { settings: { sessionInfoFields: ['age'] }, exportFolder: path.join(dataDir, 'studies', 'study-1-a') } });
    } finally {
      await app.close();
    }
  });
});
