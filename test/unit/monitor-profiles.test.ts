/**
 * Issue 27 part 4: monitor profiles in the lab database (migration 10), created, edited, listed
 * and chosen through the IPC contract and the CLI; a session keeps a copy of its profile; the
 * photometer fit and the half-split estimate of gamma; exports name the profile and gamma.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fitGamma, gammaFromHalfSplit, inverseGammaLut, pixelFor } from '../../paradigms/gamma.js';
import { createHandlers } from '../../main/ipc/handlers.js';
import { exportSession } from '../../main/services/export.js';
import { listMonitorProfiles } from '../../main/services/monitors.js';
import { getSession, recordTrial, startSession } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { addSessionsToStudy, createStudy } from '../../main/services/studies.js';
import { exportStudy } from '../../main/services/study-export.js';
import { openDatabase } from '../../main/store/db.js';
import { LATEST_VERSION } from '../../main/store/migrations.js';
import { createApi, ApiError } from '../../preload/api.js';
import type { MonitorSnapshot } from '../../preload/contract.js';
import { cli } from '../support/cli.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION, FRAME_TIMING, readLab, tempDb, tempDir } from '../support/db.js';

function setup() {
  const { db, file } = tempDb();
  const { invoke } = createHandlers({ db, chooseExportDir: async () => tempDir() });
  return { db, file, invoke, api: createApi((c, a) => invoke(c, a)) };
}

const PROFILE = { name: 'Lab CRT', calibration: { ...CALIBRATION }, gamma: { method: 'entered' as const, value: 2.2 } };
/** The profiles as another connection to the lab file sees them (what the CLI wrote). */
const listMonitorProfilesOf = (file: string) => readLab(file, listMonitorProfiles);
const count = (db: Database.Database, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('monitor profiles', () => {
  it('an existing lab upgrades: its sessions keep their calibration and open, with gamma assumed', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lab.sqlite');
    // A lab as version 9 wrote it: a session with its calibration and one answer.
    const old = openDatabase(file, { targetVersion: 9 });
    old.prepare("INSERT INTO participants (kind, label) VALUES ('human', 'P1')").run();
    old.prepare('INSERT INTO protocols (paradigm_id, parameters, seed) VALUES (?, ?, 1)').run('flash-lag', JSON.stringify({ offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 }));
    old.prepare("INSERT INTO sessions (participant_id, protocol_id, status, calibration, app_version) VALUES (1, 1, 'running', ?, 'old')").run(JSON.stringify(CALIBRATION));
    old.close();
    const db = openDatabase(file);
    const s = getSession(db, 1);
    recordTrial(db, s.id, { trialIndex: 0, response: 'left', rtMs: 300, frameTiming: FRAME_TIMING });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    const cols = (db.prepare('PRAGMA table_info(sessions)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).toContain('monitor_profile_id');
    expect(count(db, 'monitor_profiles')).toBe(0);
    const again = getSession(db, s.id);
    expect(again.calibration).toEqual(CALIBRATION);
    const out = tempDir();
    const rows = parse(fs.readFileSync(exportSession(db, s.id, 'csv', out).files[0]!), { columns: true }) as Record<string, string>[];
    expect(rows[0]).toMatchObject({ monitor_profile: '', gamma: '1', gamma_method: 'assumed', px_per_deg: '36.9' });
  });

  it('created, listed, edited and chosen through the contract; the first is chosen', async () => {
    const { api } = setup();
    const a = await api['monitors:create'](PROFILE);
    expect(a).toMatchObject({ name: 'Lab CRT', gamma: 2.2, gammaMethod: 'entered', chosen: true, calibration: CALIBRATION });
    const b = await api['monitors:create']({ name: 'Laptop', calibration: { ...CALIBRATION, refreshHz: 120 }, gamma: { method: 'assumed' } });
    expect(b).toMatchObject({ gamma: 1, gammaMethod: 'assumed', chosen: false });
    await api['monitors:choose']({ profileId: b.id });
    const list = await api['monitors:list']({});
    expect(list.map((p) => [p.name, p.chosen])).toEqual([['Lab CRT', false], ['Laptop', true]]);
    const edited = await api['monitors:update']({ profileId: a.id, name: 'Lab CRT 2', gamma: { method: 'half-split', matches: [{ target: 0.5, level: 186 }] } });
    expect(edited.name).toBe('Lab CRT 2');
    expect(edited.gammaMethod).toBe('half-split');
    expect(edited.gamma).toBeCloseTo(Math.log(0.5) / Math.log(186 / 255), 6);
    expect(edited.calibration).toEqual(CALIBRATION);
  });

  it('bad input is refused with a message naming the problem, and nothing is written', async () => {
    const { api, db } = setup();
    await api['monitors:create'](PROFILE);
    const before = db.prepare('SELECT * FROM monitor_profiles').all();
    const refused = async (channel: string, args: unknown, message: RegExp) => {
      const e = await (api as any)[channel](args).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).message).toMatch(message);
    };
    await refused('monitors:create', { ...PROFILE, name: '' }, /name/);
    await refused('monitors:create', { ...PROFILE, name: 'x'.repeat(61) }, /at most 60 characters/);
    await refused('monitors:create', { ...PROFILE, name: 'lab crt' }, /already a monitor profile named 'Lab CRT'/);
    await refused('monitors:create', { ...PROFILE, name: 'Hot', gamma: { method: 'entered', value: 4 } }, /gamma is at most 3.5/);
    await refused('monitors:create', { ...PROFILE, name: 'Flat', gamma: { method: 'entered', value: 0.5 } }, /gamma is at least 1/);
    await refused('monitors:create', { ...PROFILE, name: 'Few', gamma: { method: 'photometer', points: [{ level: 0, luminance: 1 }, { level: 255, luminance: 100 }] } }, /at least 3 readings/);
    await refused('monitors:create', { ...PROFILE, name: 'Many', gamma: { method: 'photometer', points: Array.from({ length: 33 }, (_, i) => ({ level: i, luminance: i })) } }, /at most 32/);
    await refused('monitors:create', { ...PROFILE, name: 'Neg', gamma: { method: 'photometer', points: [{ level: 0, luminance: -1 }, { level: 128, luminance: 20 }, { level: 255, luminance: 100 }] } }, /not negative/);
    await refused('monitors:create', { ...PROFILE, name: 'Bright', gamma: { method: 'photometer', points: [{ level: 0, luminance: 0 }, { level: 128, luminance: 20 }, { level: 255, luminance: 20000 }] } }, /at most 10000/);
    await refused('monitors:create', { ...PROFILE, name: 'Level', gamma: { method: 'photometer', points: [{ level: 0, luminance: 0 }, { level: 128.5, luminance: 20 }, { level: 256, luminance: 100 }] } }, /grey level/);
    await refused('monitors:create', { ...PROFILE, name: 'Falling', gamma: { method: 'photometer', points: [{ level: 0, luminance: 100 }, { level: 128, luminance: 20 }, { level: 255, luminance: 1 }] } }, /cannot be fitted: .*higher at the highest grey level/);
    await refused('monitors:create', { ...PROFILE, name: 'Steep', gamma: { method: 'photometer', points: [0, 64, 128, 192, 255].map((v) => ({ level: v, luminance: 100 * (v / 255) ** 5 })) } }, /fit best at gamma 3.50, the highest a profile holds/);
    await refused('monitors:create', { ...PROFILE, name: 'Odd', gamma: { method: 'half-split', matches: [{ target: 0.5, level: 250 }] } }, /outside 1-3.5/);
    await refused('monitors:create', { ...PROFILE, name: 'Cal', calibration: { ...CALIBRATION, refreshHz: 5 } }, /refreshHz/);
    // A distance that does not give the profile's pixels per degree (57 cm's 36.9 at 75 cm), by either channel.
    await refused('monitors:create', { ...PROFILE, name: 'Far', calibration: { ...CALIBRATION, viewingDistanceCm: 75 } }, /pxPerDeg: 36.9 px\/deg does not follow from the profile.s screen \(1280 px over 34.5 cm\) at 75 cm, which gives 48.57/);
    await refused('monitors:update', { profileId: (await api['monitors:list']({}))[0]!.id, calibration: { ...CALIBRATION, pxPerDeg: 40 } }, /pxPerDeg: 40 px\/deg does not follow/);
    await refused('monitors:update', { profileId: 999, name: 'x' }, /No monitor profile with id 999/);
    await refused('monitors:choose', { profileId: 999 }, /No monitor profile with id 999/);
    expect(db.prepare('SELECT * FROM monitor_profiles').all()).toEqual(before);
    // The table itself refuses what no code path should write.
    expect(() => db.prepare("INSERT INTO monitor_profiles (name, calibration, gamma, gamma_method) VALUES ('raw', '{}', 9, 'entered')").run()).toThrow(/CHECK/);
  });

  it('a session keeps a copy of its profile: editing the profile later does not rewrite it; exports name the profile and gamma', async () => {
    const { api, db } = setup();
    const p = await api['monitors:create'](PROFILE);
    const s = await api['sessions:start']({ participant: { label: 'P1' }, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 }, seed: 2, monitorProfileId: p.id });
    const monitor = s.calibration.monitor as MonitorSnapshot;
    expect(monitor).toMatchObject({ profileId: p.id, name: 'Lab CRT', gamma: 2.2, gammaMethod: 'entered' });
    expect(s.calibration).toMatchObject({ pxPerDeg: CALIBRATION.pxPerDeg, refreshHz: CALIBRATION.refreshHz });
    expect(db.prepare('SELECT monitor_profile_id AS m FROM sessions WHERE id = ?').get(s.id)).toEqual({ m: p.id });
    await api['monitors:update']({ profileId: p.id, name: 'Renamed', gamma: { method: 'entered', value: 1.8 }, calibration: { ...CALIBRATION, refreshHz: 144 } });
    const later = await api['sessions:get']({ sessionId: s.id });
    expect(later.calibration).toEqual(s.calibration);
    await api['sessions:record']({ sessionId: s.id, trialIndex: 0, response: 'left', rtMs: 300, frameTiming: FRAME_TIMING });
    const out = tempDir();
    const csv = exportSession(db, s.id, 'csv', out);
    const rows = parse(fs.readFileSync(csv.files[0]!), { columns: true }) as Record<string, string>[];
    expect(rows[0]).toMatchObject({ monitor_profile: 'Lab CRT', gamma: '2.2', gamma_method: 'entered', refresh_hz: '60' });
    const dictionary = JSON.parse(fs.readFileSync(csv.files[1]!, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(dictionary)).toEqual(expect.arrayContaining(['monitor_profile', 'gamma', 'gamma_method']));
    const bids = exportSession(db, s.id, 'bids', tempDir());
    const sidecar = JSON.parse(fs.readFileSync(bids.files[1]!, 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ MonitorProfile: 'Lab CRT', DisplayGamma: 2.2, DisplayGammaMethod: 'entered' });
  });

  it('the study CSV says which profile and gamma each session had: assumed for an online one, none for a simulated observer', async () => {
    const { api, db } = setup();
    const p = await api['monitors:create'](PROFILE);
    const params = { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 };
    const lab = startSession(db, { participant: { label: 'L1' }, paradigmId: 'flash-lag', parameters: params, seed: 4, monitorProfileId: p.id });
    const online = startSession(db, { participant: { label: 'O1' }, paradigmId: 'flash-lag', parameters: params, protocolId: lab.protocol.id, calibration: { ...CALIBRATION }, source: 'online' });
    for (const s of [lab, online]) recordTrial(db, s.id, { trialIndex: 0, response: 'left', rtMs: 300, frameTiming: FRAME_TIMING });
    const sim = simulateSession(db, { paradigmId: 'flash-lag', parameters: params, seed: 4, observer: { pse: 0, sigma: 1, guess: 0, lapse: 0 } });
    const study = createStudy(db, { name: 'Gamma' });
    addSessionsToStudy(db, study.id, [lab.id, online.id, sim.id]);
    const out = exportStudy(db, study.id, { folder: tempDir() });
    const csv = out.files.find((f) => f.endsWith('_trials.csv'))!;
    const rows = parse(fs.readFileSync(csv), { columns: true }) as Record<string, string>[];
    const bySession = (id: number) => rows.find((r) => r.session_id === String(id))!;
    expect(bySession(lab.id)).toMatchObject({ monitor_profile: 'Lab CRT', gamma: '2.2', gamma_method: 'entered' });
    expect(bySession(online.id)).toMatchObject({ monitor_profile: '', gamma: '1', gamma_method: 'assumed' });
    expect(bySession(sim.id)).toMatchObject({ monitor_profile: '', gamma: '', gamma_method: '' });
  });

  it('a session is started with a calibration or a profile, not both, and not with an unknown profile (nothing written)', async () => {
    const { api, db } = setup();
    const p = await api['monitors:create'](PROFILE);
    const base = { participant: { label: 'P9' }, paradigmId: 'flash-lag', parameters: {}, seed: 1 };
    await expect(api['sessions:start']({ ...base, calibration: CALIBRATION, monitorProfileId: p.id })).rejects.toThrow(/either calibration or monitorProfileId/);
    await expect(api['sessions:start'](base as never)).rejects.toThrow(/either calibration or monitorProfileId/);
    await expect(api['sessions:start']({ ...base, monitorProfileId: 4242 })).rejects.toThrow(/No monitor profile with id 4242/);
    expect([count(db, 'sessions'), count(db, 'participants'), count(db, 'protocols')]).toEqual([0, 0, 0]);
  });

  it('the CLI lists, adds (typed gamma or photometer readings) and chooses profiles', async () => {
    const { file } = tempDb();
    expect((await cli('--db', file, 'monitor', 'list')).out).toMatch(/No monitor profiles yet/);
    const added = await cli('--db', file, 'monitor', 'add', '--name', 'Desk', '--width-px', '1920', '--width-cm', '52', '--distance-cm', '57', '--refresh-hz', '60', '--gamma', '2.2', '--json');
    expect(added.code).toBe(0);
    expect(added.json()).toMatchObject({ name: 'Desk', gamma: 2.2, gammaMethod: 'entered', chosen: true });
    const levels = [0, 64, 128, 192, 255];
    const readings = levels.map((v) => `${v}:${(0.4 + 150 * (v / 255) ** 2.4).toFixed(3)}`).join(',');
    const fitted = await cli('--db', file, 'monitor', 'add', '--name', 'Booth', '--width-px', '1920', '--width-cm', '52', '--distance-cm', '57', '--refresh-hz', '120', '--photometer', readings, '--json');
    expect(fitted.json().gamma).toBeCloseTo(2.4, 2);
    expect((await cli('--db', file, 'monitor', 'choose', 'booth')).code).toBe(0);
    const list = await cli('--db', file, 'monitor', 'list');
    expect(list.out).toMatch(/\* +2 +Booth: .*gamma 2\.40 \(photometer, fit RMSE/);
    const bad = await cli('--db', file, 'monitor', 'add', '--name', 'Hot', '--width-px', '1920', '--width-cm', '52', '--distance-cm', '57', '--refresh-hz', '60', '--gamma', '5');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/gamma is at most 3.5/);
  });
});

/** A session run with the profile and answered once, exported as CSV: its rows (by column). */
function sessionWith(db: Database.Database, profileId: number, label: string) {
  const s = startSession(db, { participant: { label }, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 }, seed: 3, monitorProfileId: profileId });
  recordTrial(db, s.id, { trialIndex: 0, response: 'left', rtMs: 300, frameTiming: FRAME_TIMING });
  return s;
}
const exportedRows = (db: Database.Database, sessionId: number) => parse(fs.readFileSync(exportSession(db, sessionId, 'csv', tempDir()).files[0]!), { columns: true }) as Record<string, string>[];
const displayColumns = (rows: Record<string, string>[]) => rows.map((r) => ({ monitor_profile: r.monitor_profile, gamma: r.gamma, gamma_method: r.gamma_method, px_per_deg: r.px_per_deg, refresh_hz: r.refresh_hz }));

describe('deleting and renaming monitor profiles', () => {
  it('a deleted profile is gone, and the sessions that ran with it export the same monitor and gamma as before', async () => {
    const { api, db } = setup();
    await api['monitors:create']({ name: 'Desk', calibration: { ...CALIBRATION }, gamma: { method: 'assumed' } });
    const wrong = await api['monitors:create']({ ...PROFILE, calibration: { ...CALIBRATION, refreshHz: 120 } });
    const s = sessionWith(db, wrong.id, 'P1');
    const before = exportedRows(db, s.id);
    expect(displayColumns(before)[0]).toEqual({ monitor_profile: 'Lab CRT', gamma: '2.2', gamma_method: 'entered', px_per_deg: '36.9', refresh_hz: '120' });

    expect(await api['monitors:delete']({ profileId: wrong.id })).toMatchObject({ profile: { id: wrong.id, name: 'Lab CRT' }, sessions: 1 });
    expect((await api['monitors:list']({})).map((p) => p.name)).toEqual(['Desk']);
    // The foreign key lets go of the profile (ON DELETE SET NULL); the session's own copy stays.
    expect(db.prepare('SELECT monitor_profile_id AS m FROM sessions WHERE id = ?').get(s.id)).toEqual({ m: null });
    expect(getSession(db, s.id).calibration).toEqual(s.calibration);
    const after = exportedRows(db, s.id);
    expect(displayColumns(after)).toEqual(displayColumns(before));
    expect(after).toEqual(before);
  });

  it('the profile new sessions use is refused while others exist, naming it and how to choose another; the only one may go', async () => {
    const { api, db } = setup();
    const desk = await api['monitors:create']({ name: 'Desk', calibration: { ...CALIBRATION }, gamma: { method: 'assumed' } });
    const crt = await api['monitors:create']({ ...PROFILE, choose: true });
    const before = db.prepare('SELECT * FROM monitor_profiles').all();
    await expect(api['monitors:delete']({ profileId: crt.id })).rejects.toThrow(/^'Lab CRT' is the profile new sessions use: choose another first \(predlab monitor choose <name>, or save or choose another on the Calibrate or Run page\), then delete it\.$/);
    await expect(api['monitors:delete']({ profileId: 999 })).rejects.toThrow(/No monitor profile with id 999/);
    expect(db.prepare('SELECT * FROM monitor_profiles').all()).toEqual(before);
    // Chosen another, it goes; the lab's choice is untouched.
    await api['monitors:choose']({ profileId: desk.id });
    await api['monitors:delete']({ profileId: crt.id });
    expect((await api['monitors:list']({})).map((p) => [p.name, p.chosen])).toEqual([['Desk', true]]);
    // The only profile may go: the lab has none, as a new lab, and its next profile is chosen.
    await api['monitors:delete']({ profileId: desk.id });
    expect(await api['monitors:list']({})).toEqual([]);
    expect(await api['monitors:create']({ ...PROFILE, name: 'Fresh' })).toMatchObject({ chosen: true });
  });

  it('a rename keeps names unique and within the limit; sessions keep the name they ran with', async () => {
    const { api, db } = setup();
    const crt = await api['monitors:create'](PROFILE);
    await api['monitors:create']({ ...PROFILE, name: 'Laptop' });
    const s = sessionWith(db, crt.id, 'P2');
    const before = exportedRows(db, s.id);
    const snapshot = db.prepare('SELECT * FROM monitor_profiles ORDER BY id').all();
    await expect(api['monitors:update']({ profileId: crt.id, name: 'LAPTOP' })).rejects.toThrow(/already a monitor profile named 'Laptop' \(names are compared ignoring case\)/);
    await expect(api['monitors:update']({ profileId: crt.id, name: '  ' })).rejects.toThrow(/a monitor profile needs a name/);
    await expect(api['monitors:update']({ profileId: crt.id, name: 'x'.repeat(61) })).rejects.toThrow(/at most 60 characters/);
    expect(db.prepare('SELECT * FROM monitor_profiles ORDER BY id').all()).toEqual(snapshot);
    expect((await api['monitors:update']({ profileId: crt.id, name: 'Booth CRT' })).name).toBe('Booth CRT');
    expect(displayColumns(exportedRows(db, s.id))).toEqual(displayColumns(before));
  });

  it('the CLI renames and deletes (asking first, or --yes); bad input is one line naming the problem', async () => {
    const { file, db } = tempDb();
    const add = (name: string, ...more: string[]) => cli('--db', file, 'monitor', 'add', '--name', name, '--width-px', '1920', '--width-cm', '52', '--distance-cm', '57', '--refresh-hz', '60', ...more);
    expect((await add('Desk', '--gamma', '2.2')).code).toBe(0);
    expect((await add('Wrong', '--gamma', '3')).code).toBe(0);
    const wrong = listMonitorProfilesOf(file).find((p) => p.name === 'Wrong')!;
    const s = sessionWith(db, wrong.id, 'C1');
    const before = exportedRows(db, s.id);

    const renamed = await cli('--db', file, 'monitor', 'rename', 'wrong', 'Wrong booth');
    expect([renamed.code, renamed.out]).toEqual([0, "Renamed monitor profile 'Wrong' to 'Wrong booth'.\n"]);
    const refusals: [string[], RegExp][] = [
      [['rename', 'Nope', 'X'], /^predlab: No monitor profile 'Nope'\. List them with: predlab monitor list$/],
      [['rename', 'Desk', 'wrong BOOTH'], /^predlab: There is already a monitor profile named 'Wrong booth' \(names are compared ignoring case\)\. Choose another name\.$/],
      [['rename', 'Desk', ''], /^predlab: Invalid monitor profile name: .*a monitor profile needs a name/],
      [['rename', 'Desk', 'x'.repeat(61)], /^predlab: Invalid monitor profile name: .*at most 60 characters/],
      [['delete', 'Nope', '--yes'], /^predlab: No monitor profile 'Nope'/],
      [['delete', 'Desk', '--yes'], /^predlab: 'Desk' is the profile new sessions use: choose another first \(predlab monitor choose <name>/],
      // No terminal to answer: refused rather than guessed.
      [['delete', 'Wrong booth'], /^predlab: Deleting monitor profile 'Wrong booth' \(gamma 3\.00 \(entered\); 1 session\(s\) ran with it and keep their copy\) needs a confirmation: run it in a terminal, or add --yes\.$/],
    ];
    for (const [args, message] of refusals) {
      const r = await cli('--db', file, 'monitor', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err.trim(), args.join(' ')).toMatch(message);
    }
    expect(listMonitorProfilesOf(file).map((p) => p.name)).toEqual(['Desk', 'Wrong booth']);

    const done = await cli('--db', file, 'monitor', 'delete', 'Wrong booth', '--yes', '--json');
    expect(done.json()).toEqual({ deleted: true, id: wrong.id, name: 'Wrong booth', sessions: 1 });
    expect((await cli('--db', file, 'monitor', 'list')).out).not.toMatch(/Wrong/);
    // The session still exports the monitor and gamma it ran with (the name it had then).
    expect(displayColumns(exportedRows(db, s.id))).toEqual(displayColumns(before));
    expect(displayColumns(before)[0]).toMatchObject({ monitor_profile: 'Wrong', gamma: '3', gamma_method: 'entered' });
  });

  it('as a user runs it (a child process, no terminal): a refusal is one line without a stack trace; --yes deletes', () => {
    const { file } = tempDb();
    expect(predlab(['--db', file, 'monitor', 'add', '--name', 'Only', '--width-px', '1920', '--width-cm', '52', '--distance-cm', '57', '--refresh-hz', '60']).code).toBe(0);
    const asked = predlab(['--db', file, 'monitor', 'delete', 'Only']);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/^predlab: Deleting monitor profile 'Only' \(gamma 1\.00 \(assumed\); 0 session\(s\) ran with it and keep their copy\) needs a confirmation: run it in a terminal, or add --yes\.\n$/);
    const renamed = predlab(['--db', file, 'monitor', 'rename', 'Only', 'y'.repeat(61)]);
    expect(renamed.code).toBe(1);
    expect(renamed.stderr.trim().split('\n')).toHaveLength(1);
    expect(renamed.stderr).not.toMatch(/\n\s+at /);
    const done = predlab(['--db', file, 'monitor', 'delete', '1', '--yes']);
    expect([done.code, done.stdout]).toEqual([0, "Deleted monitor profile 'Only' (gamma 1.00 (assumed); 0 session(s) ran with it and keep their copy).\n"]);
    expect(predlab(['--db', file, 'monitor', 'list']).stdout).toMatch(/No monitor profiles yet/);
  }, 60_000);
});

describe('gamma', () => {
  it('the photometer fit recovers a known gamma, Lmin and Lmax from synthetic luminances, with residuals', () => {
    for (const gamma of [1.0, 1.8, 2.2, 2.6, 3.2]) {
      const points = [0, 32, 64, 96, 128, 160, 192, 224, 255].map((level) => ({ level, luminance: 0.5 + (120 - 0.5) * (level / 255) ** gamma }));
      const fit = fitGamma(points);
      expect(fit.gamma).toBeCloseTo(gamma, 3);
      expect(fit.lmin).toBeCloseTo(0.5, 3);
      expect(fit.lmax).toBeCloseTo(120, 2);
      expect(fit.rmse).toBeLessThan(1e-3);
      expect(fit.residuals).toHaveLength(points.length);
    }
    // Noisy readings (a fixed +-1 % pattern): still close, and the residuals show the noise.
    const noisy = [0, 51, 102, 153, 204, 255].map((level, i) => ({ level, luminance: (0.3 + 200 * (level / 255) ** 2.2) * (1 + (i % 2 ? 0.01 : -0.01)) }));
    const fit = fitGamma(noisy);
    expect(Math.abs(fit.gamma - 2.2)).toBeLessThan(0.05);
    expect(fit.rmse).toBeGreaterThan(0);
  });

  it('half-split: the grey matching black/white lines gives gamma = log(0.5)/log(v/255); several matches are averaged', () => {
    expect(gammaFromHalfSplit([{ target: 0.5, level: 186 }])).toBeCloseTo(Math.log(0.5) / Math.log(186 / 255), 9);
    const g = 2.2;
    const at = (t: number) => 255 * t ** (1 / g);
    expect(gammaFromHalfSplit([0.25, 0.5, 0.75].map((target) => ({ target, level: at(target) })))).toBeCloseTo(g, 9);
  });

  it('the inverse-gamma lookup: 0 -> 0, 1 -> 255, 0.5 at gamma 2.2 -> 186, monotone', () => {
    const lut = inverseGammaLut(2.2);
    expect([pixelFor(lut, 0), pixelFor(lut, 1), pixelFor(lut, 0.5), pixelFor(lut, -1), pixelFor(lut, 2)]).toEqual([0, 255, 186, 0, 255]);
    expect([...lut].every((v, i) => i === 0 || v >= lut[i - 1]!)).toBe(true);
    expect(() => inverseGammaLut(0.5)).toThrow(/between 1 and 3.5/);
  });
});
