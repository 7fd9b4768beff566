/**
 * The session service's side of the Run page's workflow, on a real SQLite file: a session started
 * by participant ID (reused, or made in the same transaction as the session, never left behind),
 * session information kept with the participant, run settings stored with the protocol, trials
 * whose dropped frames fell near the critical event (analysis' own flag) repeated at the end; and the pure parts the
 * page builds on (form, practice, estimate).
 */
import { describe, expect, it } from 'vitest';
import { createHandlers } from '../../main/ipc/handlers.js';
import { listParticipants } from '../../main/services/participants.js';
import { analyseSession } from '../../main/services/analysis.js';
import { openDatabase } from '../../main/store/db.js';
import { finishSession, getSession, nextTrial, recordTrial, startSession, trialRows } from '../../main/services/sessions.js';
import { completeForm } from '../../paradigms/form-fields.js';
import { flashLag } from '../../paradigms/flash-lag/index.js';
import { kanizsa, kanizsaParamsSchema } from '../../paradigms/kanizsa/index.js';
import type { FrameTiming } from '../../paradigms/records.js';
import { DEFAULT_RUN_SETTINGS, estimateSession, practiceStimuli, runSettingsSchema, validateSessionInfo } from '../../paradigms/run-settings.js';
import { CALIBRATION, FRAME_TIMING, tempDb } from '../support/db.js';
import { errorOf, rowCount } from '../support/service-checks.js';

const small = { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 };
/** 60 Hz intervals with one long interval (three refreshes) at `at`. */
function timing(criticalFrame: number, longAt: number | null): FrameTiming {
  const intervalsMs = Array.from({ length: 40 }, (_, i) => (i === longAt ? 50 : 16.667));
  return { ...FRAME_TIMING, frameCount: 41, criticalFrame, droppedFrames: longAt === null ? 0 : 2, intervalsMs };
}

describe('starting a session by participant ID', () => {
  it('creates the person with the session, reuses a known ID, and keeps session information', () => {
    const { db } = tempDb();
    const run = { sessionInfo: [{ key: 'age', label: 'Age', type: 'integer', required: true, min: 1, max: 120 }, { key: 'notes', label: 'Notes', type: 'text' }] };
    const a = startSession(db, { participant: { label: ' P01 ' }, sessionInfo: { age: '31', notes: 'glasses' }, paradigmId: 'flash-lag', parameters: { ...small, run }, seed: 1, calibration: CALIBRATION });
    expect(a.participant).toMatchObject({ kind: 'human', label: 'P01', details: { age: 31, notes: 'glasses', sessions: { [a.id]: { age: 31, notes: 'glasses' } } } });
    // The run settings are stored with the protocol, defaults filled.
    expect(a.protocol.parameters.run).toMatchObject({ practiceTrials: 4, breakEvery: 50, repeatDropped: true, sessionInfo: [{ key: 'age', required: true }, { key: 'notes', required: false }] });
    const b = startSession(db, { participant: { label: 'P01' }, sessionInfo: { age: 32 }, paradigmId: 'flash-lag', parameters: { ...small, run }, seed: 2, calibration: CALIBRATION });
    expect(b.participant.id).toBe(a.participant.id);
    expect(b.participant.details).toMatchObject({ age: 32, notes: 'glasses', sessions: { [a.id]: { age: 31 }, [b.id]: { age: 32 } } });
    expect(listParticipants(db)).toHaveLength(1);
  });

  it('a refused start writes nothing: no participant, protocol or session', () => {
    const { db } = tempDb();
    const run = { sessionInfo: [{ key: 'age', label: 'Age', type: 'integer', required: true, min: 1, max: 120 }] };
    const start = (over: Record<string, unknown>) =>
      errorOf(() => startSession(db, { participant: { label: 'P09' }, paradigmId: 'flash-lag', parameters: { ...small, run }, calibration: CALIBRATION, ...over }));
    expect(start({ sessionInfo: {} }).message).toBe('Session information: Age is required.');
    expect(start({ sessionInfo: { age: 'old' } }).message).toBe("Session information: Age must be a whole number from 1 to 120; got 'old'.");
    expect(start({ sessionInfo: { age: 30, shoe: 42 } }).message).toMatch(/'shoe' is not a session-information field/);
    expect(start({ sessionInfo: { age: 30 }, parameters: { speedDegPerS: -1 } }).message).toMatch(/Invalid Flash-lag parameters: speedDegPerS/);
    expect(start({ sessionInfo: { age: 30 }, parameters: { run: { practiceTrials: 500 } } }).message).toMatch(/Invalid run settings: practiceTrials: practiceTrials may be at most 50/);
    expect(start({ participant: { label: '   ' } }).message).toMatch(/needs a label/);
    expect(start({ participantId: 1 }).message).toMatch(/either participantId .* or participant/);
    // Details over the cap: refused inside the transaction, which rolls back.
    const long = { ...small, run: { sessionInfo: [{ key: 'notes', label: 'Notes', type: 'text', maxLength: 1000 }] } };
    const filler = { filler: 'x'.repeat(16_000) };
    expect(errorOf(() => startSession(db, { participant: { label: 'P10', details: filler }, sessionInfo: { notes: 'y'.repeat(1000) }, paradigmId: 'flash-lag', parameters: long, calibration: CALIBRATION })).message).toMatch(/details would grow to \d+ characters \(at most 16384\)/);
    expect([rowCount(db, 'participants'), rowCount(db, 'protocols'), rowCount(db, 'sessions')]).toEqual([0, 0, 0]);
  });

  it('through the IPC contract: participant by label, and the old participantId still works', async () => {
    const { db } = tempDb();
    const { invoke } = createHandlers({ db } as never);
    const first = (await invoke('sessions:start', { participant: { label: 'P02' }, paradigmId: 'flash-lag', parameters: small, calibration: CALIBRATION })) as { ok: true; value: { participant: { id: number } } };
    expect(first.ok).toBe(true);
    const again = await invoke('sessions:start', { participantId: first.value.participant.id, paradigmId: 'flash-lag', parameters: small, calibration: CALIBRATION });
    expect(again.ok).toBe(true);
    const both = await invoke('sessions:start', { participantId: 1, participant: { label: 'P02' }, paradigmId: 'flash-lag', parameters: small, calibration: CALIBRATION });
    expect(both).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(listParticipants(db)).toHaveLength(1);
  });
});

describe('repeating trials whose frames dropped near the critical event', () => {
  it('repeats each spoiled trial once at the end, with its stimulus; the total grows; off when the protocol says so', () => {
    const { db } = tempDb();
    const s = startSession(db, { participant: { label: 'P03' }, paradigmId: 'flash-lag', parameters: { ...small, run: {} }, seed: 3, calibration: CALIBRATION });
    expect(s.total).toBe(3);
    const answer = (i: number, ft: FrameTiming) => recordTrial(db, s.id, { trialIndex: i, response: 'left', rtMs: 300, frameTiming: ft });
    const t1 = nextTrial(db, s.id)!;
    expect(answer(0, timing(2, null))).toEqual({ answered: 1, total: 3, done: false });
    const t2 = nextTrial(db, s.id)!;
    // Trial 1 drops frames at its flash: one more trial is planned. Trial 2 drops them far from it.
    expect(answer(1, timing(30, 29))).toEqual({ answered: 2, total: 4, done: false });
    expect(answer(2, timing(30, 2))).toEqual({ answered: 3, total: 4, done: false });
    expect(getSession(db, s.id).total).toBe(4);
    const repeat = nextTrial(db, s.id)!;
    expect(repeat).toMatchObject({ index: 3, repeatOf: 1, stimulus: t2.stimulus, condition: t2.condition, total: 4 });
    // A repeat that drops frames again is not repeated again.
    expect(answer(3, timing(30, 30))).toEqual({ answered: 4, total: 4, done: true });
    expect(nextTrial(db, s.id)).toBeNull();
    expect(JSON.parse(trialRows(db, s.id)[3]!.extra!)).toEqual({ repeatOf: 1 });
    expect(finishSession(db, s.id, 'complete')).toMatchObject({ status: 'complete', answered: 4, total: 4 });
    // The analysis leaves out the two spoiled presentations and keeps the good ones, the repeat among them.
    expect(analyseSession(db, s.id, { bootstrap: 0 }).trials).toBe(2);

    const off = startSession(db, { participant: { label: 'P04' }, paradigmId: 'flash-lag', parameters: { ...small, run: { repeatDropped: false } }, seed: 3, calibration: CALIBRATION });
    for (let i = 0; i < 3; i++) recordTrial(db, off.id, { trialIndex: i, response: 'left', rtMs: 300, frameTiming: timing(30, 30) });
    expect(nextTrial(db, off.id)).toBeNull();
    expect(getSession(db, off.id).total).toBe(3);
  });

  it('a resumed session (state rebuilt from the database) plans the same repeats', () => {
    const { db, file } = tempDb();
    const s = startSession(db, { participant: { label: 'P05' }, paradigmId: 'kanizsa', parameters: { alphasDeg: [4], trialsPerLevel: 1, conditions: ['illusory'], design: 'updown', updownTrials: 3, run: {} }, seed: 5, calibration: CALIBRATION });
    const stimuli = [];
    for (let i = 0; i < 3; i++) {
      const t = nextTrial(db, s.id)!;
      stimuli.push(t.stimulus);
      recordTrial(db, s.id, { trialIndex: i, response: 'fat', rtMs: 300, frameTiming: timing(10, i === 0 ? 10 : null) });
    }
    db.close();
    const again = openDatabase(file);
    expect(nextTrial(again, s.id)).toMatchObject({ index: 3, repeatOf: 0, stimulus: stimuli[0], total: 4 });
    again.close();
  });
});

describe('what the Run page builds on', () => {
  it('the form lists every schema parameter: curated first, the rest as advanced fields, design-specific ones shown with their design', () => {
    const form = completeForm(flashLag);
    const keys = form.map((f) => f.key);
    for (const key of Object.keys(flashLag.defaults as object)) expect(keys, key).toContain(key);
    expect(form.find((f) => f.key === 'gapDeg')).toMatchObject({ type: 'number', unit: 'deg', advanced: true, min: 0, max: 20, label: 'Gap' });
    expect(form.find((f) => f.key === 'staircaseStartDeg')).toMatchObject({ showWhen: { key: 'design', values: ['staircase'] } });
    const k = completeForm(kanizsa);
    for (const key of Object.keys(kanizsa.defaults as object)) expect(k.map((f) => f.key), key).toContain(key);
    expect(k.find((f) => f.key === 'conditions')).toMatchObject({ type: 'multi' });
  });

  it('Kanizsa practice uses the easiest rotation, real then illusory contours, with a right answer for feedback', () => {
    const p = kanizsaParamsSchema.parse({ alphasDeg: [1, 2, 6] });
    const practice = practiceStimuli(kanizsa, p, 9, 4);
    expect(practice.map((s) => [s.condition, Math.abs(s.alphaDeg)])).toEqual([['real', 6], ['real', 6], ['illusory', 6], ['illusory', 6]]);
    expect(new Set(practice.map((s) => Math.sign(s.alphaDeg))).size).toBe(2);
    for (const s of practice) expect(kanizsa.correctResponse!(s)).toBe(s.alphaDeg > 0 ? 'fat' : 'thin');
    // The staircase design practises at its start level.
    expect(practiceStimuli(kanizsa, kanizsaParamsSchema.parse({ design: 'updown', updownStartDeg: 5 }), 1, 2).map((s) => Math.abs(s.alphaDeg))).toEqual([5, 5]);
  });

  it('estimates trials and duration before starting', () => {
    const params = { ...flashLag.defaults, offsetsDeg: [-1, 0, 1], trialsPerOffset: 10 };
    const e = estimateSession(flashLag, params, { ...DEFAULT_RUN_SETTINGS, practiceTrials: 0, breakEvery: 10 }, 60);
    // 16 deg at 10 deg/s: 1.6 s of motion per trial.
    expect(e).toMatchObject({ trials: 30, practice: 0, breaks: 2 });
    expect(e.stimulusS).toBeGreaterThan(30 * 1.6);
    expect(e.stimulusS).toBeLessThan(30 * 2.2);
    expect(e.totalS).toBeCloseTo(e.stimulusS + 30 * (0.5 + 1) + 2 * 30, 6);
  });

  it('session information: required, ranges and choices, each problem in a sentence', () => {
    const fields = runSettingsSchema.parse({}).sessionInfo;
    expect(validateSessionInfo(fields, { age: ' 40 ', handedness: 'left', notes: '' })).toEqual({ values: { age: 40, handedness: 'left' }, problems: [] });
    expect(validateSessionInfo(fields, { age: 0, dominantEye: 'middle' }).problems).toEqual(['Age must be a whole number from 1 to 120; got \'0\'.', 'Dominant eye must be one of right, left, not tested; got \'middle\'.']);
    expect(validateSessionInfo(fields, { notes: 'n'.repeat(1001) }).problems).toEqual(['Notes may be at most 1000 characters (1001 given).']);
  });
});
