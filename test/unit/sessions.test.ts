import { describe, expect, it } from 'vitest';
import { PredlabError } from '../../main/errors.js';
import { createParticipant } from '../../main/services/participants.js';
import { finishSession, getSession, listSessions, nextTrial, recordTrial, startSession, trialRows } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import { CALIBRATION, copyRowsInto, FRAME_TIMING, tempDb } from '../support/db.js';
import { flashLag, flashLagParamsSchema, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { permutedIndex } from '../../paradigms/permutation.js';
import { planFromHistory, type AnsweredTrial } from '../../paradigms/types.js';

const small = { offsetsDeg: [-1, 0, 1], trialsPerOffset: 2 };
const count = (db: ReturnType<typeof tempDb>['db'], table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function errorOf(f: () => unknown): PredlabError {
  try {
    f();
  } catch (e) {
    if (e instanceof PredlabError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('sessions', () => {
  it('plans trials from the seed, commits each answer, and completes', () => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P01' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: small, seed: 11, calibration: CALIBRATION });
    expect(s).toMatchObject({ status: 'running', answered: 0, total: 6, protocol: { seed: 11, paradigmId: 'flash-lag' } });
    expect(s.protocol.parameters).toMatchObject({ speedDegPerS: 10, offsetsDeg: [-1, 0, 1] });
    for (let i = 0; i < 6; i++) {
      const t = nextTrial(db, s.id)!;
      expect(t.index).toBe(i);
      const r = recordTrial(db, s.id, { trialIndex: i, response: i % 2 ? 'left' : 'right', rtMs: 400 + i, frameTiming: FRAME_TIMING });
      expect(r).toEqual({ answered: i + 1, total: 6, done: i === 5 });
      expect(count(db, 'trials')).toBe(i + 1); // committed at once
    }
    expect(nextTrial(db, s.id)).toBeNull();
    const done = finishSession(db, s.id, 'complete');
    expect(done.status).toBe('complete');
    expect(done.endedAt).not.toBeNull();
    const rows = trialRows(db, s.id);
    expect(rows.map((r) => r.rt_ms)).toEqual([400, 401, 402, 403, 404, 405]);
    expect(JSON.parse(rows[0]!.stimulus)).toHaveProperty('offsetDeg');
    expect(rows[0]!.frame_count).toBe(60);
  });

  it('gives the same trials to every session of the same seed (a person and a model take the same protocol)', () => {
    const { db } = tempDb();
    const a = createParticipant(db, { kind: 'human', label: 'A' });
    const b = createParticipant(db, { kind: 'model', label: 'B' });
    const sa = startSession(db, { participantId: a.id, paradigmId: 'flash-lag', parameters: small, seed: 5, calibration: CALIBRATION });
    const sb = startSession(db, { participantId: b.id, paradigmId: 'flash-lag', parameters: small, seed: 5, calibration: CALIBRATION });
    expect(nextTrial(db, sa.id)!.stimulus).toEqual(nextTrial(db, sb.id)!.stimulus);
  });

  it('refuses out-of-order, unknown and foreign answers without writing anything', () => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P02' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: small, seed: 1, calibration: CALIBRATION });
    expect(errorOf(() => recordTrial(db, s.id, { trialIndex: 1, response: 'left', rtMs: 1, frameTiming: FRAME_TIMING })).message).toMatch(/expects an answer to trial 0/);
    expect(errorOf(() => recordTrial(db, s.id, { trialIndex: 0, response: 'up', rtMs: 1, frameTiming: FRAME_TIMING })).message).toMatch(/'up' is not an answer/);
    recordTrial(db, s.id, { trialIndex: 0, response: 'left', rtMs: 1, frameTiming: FRAME_TIMING });
    expect(errorOf(() => recordTrial(db, s.id, { trialIndex: 0, response: 'left', rtMs: 1, frameTiming: FRAME_TIMING })).code).toBe('conflict');
    expect(count(db, 'trials')).toBe(1);
    expect(errorOf(() => finishSession(db, s.id, 'complete')).message).toMatch(/1 of 6 trials answered/);
  });

  it('unknown ids and invalid parameters give clear errors and change nothing', () => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P03' });
    const before = [count(db, 'protocols'), count(db, 'sessions')];
    const neg = errorOf(() => startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { speedDegPerS: -3 }, calibration: CALIBRATION }));
    expect(neg.code).toBe('invalid-argument');
    expect(neg.message).toMatch(/speedDegPerS/);
    expect(errorOf(() => startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { offsetsDeg: [] }, calibration: CALIBRATION })).message).toMatch(/offsetsDeg: offsetsDeg must list at least one offset/);
    expect(errorOf(() => startSession(db, { participantId: p.id, paradigmId: 'motion-aftereffect', parameters: {}, calibration: CALIBRATION })).message).toMatch(/Unknown paradigm 'motion-aftereffect'/);
    expect(errorOf(() => startSession(db, { participantId: 999, paradigmId: 'flash-lag', parameters: {}, calibration: CALIBRATION })).code).toBe('not-found');
    expect([count(db, 'protocols'), count(db, 'sessions')]).toEqual(before);
    expect(errorOf(() => getSession(db, 42)).message).toBe('No session with id 42.');
    expect(errorOf(() => nextTrial(db, 42)).code).toBe('not-found');
  });

  it('a session left running reopens as incomplete with its answers, resumes where it stopped, and can be closed', () => {
    const { db, file } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P04' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: small, seed: 3, calibration: CALIBRATION });
    const planned = [0, 1, 2].map((i) => {
      const t = nextTrial(db, s.id)!;
      recordTrial(db, s.id, { trialIndex: i, response: 'right', rtMs: 1, frameTiming: FRAME_TIMING });
      return t;
    });
    db.close();
    const db2 = openDatabase(file);
    const incomplete = listSessions(db2, { status: 'running' });
    expect(incomplete.map((x) => [x.id, x.answered, x.total])).toEqual([[s.id, 3, 6]]);
    const t3 = nextTrial(db2, s.id)!;
    expect(t3.index).toBe(3);
    expect(planned.map((t) => t.index)).toEqual([0, 1, 2]);
    const closed = finishSession(db2, s.id, 'aborted');
    expect(closed).toMatchObject({ status: 'aborted', answered: 3 });
    expect(errorOf(() => nextTrial(db2, s.id)).message).toMatch(/is aborted; it takes no more trials/);
  });

  it.each([
    ['staircases', { design: 'staircase', staircaseTrials: 30, staircaseStepDeg: 0.5 }],
    ['QUEST', { design: 'quest', questTrials: 30 }],
  ])('keeps an adaptive design\'s state incrementally (%s): the same trials as replaying every answer, across connections', (_name, params) => {
    const { db, file } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P05' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: params, seed: 8, calibration: CALIBRATION });
    const full = flashLagParamsSchema.parse(params);
    const history: AnsweredTrial<FlashLagStimulus>[] = [];
    let other: ReturnType<typeof openDatabase> | null = null;
    for (let i = 0; i < 30; i++) {
      // Halfway, a second connection answers a few trials: the first must notice and rebuild.
      const conn = i >= 12 && i < 16 ? (other ??= openDatabase(file)) : db;
      const t = nextTrial(conn, s.id)!;
      const replayed = planFromHistory(flashLag, full, 8, i, history)!;
      expect(t.stimulus).toEqual(replayed.stimulus);
      const response = i % 3 === 0 ? 'left' : 'right';
      recordTrial(conn, s.id, { trialIndex: i, response, rtMs: 1, frameTiming: FRAME_TIMING });
      history.push({ index: i, stimulus: replayed.stimulus, response });
    }
    expect(nextTrial(db, s.id)).toBeNull();
    expect(finishSession(db, s.id, 'complete').status).toBe('complete');
    other?.close();
  });

  it('refuses protocols that would plan unbounded work, naming the limit', () => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P06' });
    const start = (parameters: Record<string, unknown>) => errorOf(() => startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters, calibration: CALIBRATION })).message;
    expect(start({ offsetsDeg: Array.from({ length: 20000 }, (_, i) => i / 1000) })).toMatch(/at most 101 offsets/);
    expect(start({ trialsPerOffset: 5000 })).toMatch(/at most 1000/);
    expect(start({ offsetsDeg: Array.from({ length: 101 }, (_, i) => i / 10), trialsPerOffset: 1000 })).toMatch(/101000 trials; a protocol may plan at most 10000/);
    expect(start({ design: 'staircase', staircaseTrials: 10001 })).toMatch(/at most 10000/);
    expect(count(db, 'protocols')).toBe(0);
  });

  it("knows only registered paradigms: Object's own names are unknown too", () => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P07' });
    for (const id of ['toString', '__proto__', 'constructor', 'hasOwnProperty'])
      expect(errorOf(() => startSession(db, { participantId: p.id, paradigmId: id, parameters: {}, calibration: CALIBRATION })).message).toMatch(new RegExp(`Unknown paradigm '${id}'`));
  });
});

describe('lazy shuffles', () => {
  it('permutedIndex is a seeded bijection of 0..n-1', () => {
    for (const n of [1, 2, 7, 64, 1000, 10000]) {
      const seen = new Set(Array.from({ length: n }, (_, i) => permutedIndex(i, n, 42)));
      expect(seen.size).toBe(n);
      expect(Math.min(...seen)).toBe(0);
      expect(Math.max(...seen)).toBe(n - 1);
    }
    const a = Array.from({ length: 50 }, (_, i) => permutedIndex(i, 50, 1));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => permutedIndex(i, 50, 2)));
    expect(a).not.toEqual([...Array(50).keys()]);
  });
});

describe('participants and their kinds', () => {
  it('typing an existing person ID reuses that person (one participant per label)', () => {
    const { db } = tempDb();
    const a = createParticipant(db, { kind: 'human', label: 'P01' });
    const b = createParticipant(db, { kind: 'human', label: ' P01 ' });
    expect(b.id).toBe(a.id);
    expect(createParticipant(db, { kind: 'human', label: 'P02' }).id).not.toBe(a.id);
    expect(count(db, 'participants')).toBe(2);
  });

  it("simulated observers are their own kind, 'simulated', not 'model'", async () => {
    const { simulateSession } = await import('../../main/services/simulate.js');
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: small, seed: 3, observer: { pse: 0, sigma: 0.5, guess: 0, lapse: 0 } });
    expect(s.participant.kind).toBe('simulated');
  });

  it("migration 6 turns stored simulated observers into kind 'simulated' and keeps every session's participant", () => {
    const dir = tempDb().dir;
    const file = `${dir}/v5.sqlite`;
    const old = openDatabase(file, { targetVersion: 5 });
    const ins = old.prepare('INSERT INTO participants (kind, label, details) VALUES (?, ?, ?)');
    const human = Number(ins.run('human', 'P01', '{}').lastInsertRowid);
    const sim = Number(ins.run('model', 'simulated observer (pse 0, sigma 1)', JSON.stringify({ type: 'simulated-observer', pse: 0, sigma: 1 })).lastInsertRowid);
    const net = Number(ins.run('model', 'PredNet default', JSON.stringify({ type: 'prednet' })).lastInsertRowid);
    // The sessions as today's code makes them (on a current lab), copied into the old one.
    const today = tempDb().db;
    const made = today.prepare('INSERT INTO participants (kind, label, details) VALUES (?, ?, ?)');
    for (const p of [human, sim, net]) {
      made.run('human', `stand-in for ${p}`, '{}');
      startSession(today, { participantId: p, paradigmId: 'flash-lag', parameters: small, seed: 1, calibration: CALIBRATION });
    }
    copyRowsInto(old, today, ['protocols', 'sessions']);
    old.close();
    const db = openDatabase(file);
    const kinds = db.prepare('SELECT id, kind FROM participants ORDER BY id').all();
    expect(kinds).toEqual([{ id: human, kind: 'human' }, { id: sim, kind: 'simulated' }, { id: net, kind: 'model' }]);
    expect(listSessions(db).map((s) => [s.participant.id, s.participant.kind])).toEqual([[human, 'human'], [sim, 'simulated'], [net, 'model']]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // The constraint still holds: foreign keys and the kind check.
    expect(() => db.prepare("INSERT INTO participants (kind, label) VALUES ('robot', 'x')").run()).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO sessions (participant_id, protocol_id, status, app_version) VALUES (999, 1, 'running', 'x')").run()).toThrow(/FOREIGN KEY/);
  });
});
