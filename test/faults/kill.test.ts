/**
 * Kill campaign (issue 8): SIGKILLs at seeded random points of a person's session (one session
 * resumed across every kill) and of model sessions (a checkpoint made by `predlab model init`).
 * After each kill: PRAGMA integrity_check is ok, every acknowledged answer is stored as given,
 * and the session resumes where it stopped. The resumed person session ends with exactly the
 * trials of an uninterrupted one (its staircases rebuilt from the stored answers).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../paradigms/rng.js';
import { createParticipant } from '../../main/services/participants.js';
import { finishSession, listSessions, nextTrial, recordTrial, startSession, trialRows } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION, FRAME_TIMING, tempDir } from '../support/db.js';
import { answerFor, CAMPAIGN_SEED, MODEL_PROTOCOL, PERSON_LABEL, PERSON_PROTOCOL } from './kill-plan.js';

const CHILD = path.resolve(import.meta.dirname, 'kill-child.ts');
const PERSON_KILLS = 8;
const MODEL_KILLS = 3;

/** Where to kill: `after` reports of `event` ('start': loaded, about to open the database; 'committed'), then `delayMs`. */
interface KillPoint {
  event: 'start' | 'committed';
  after: number;
  delayMs: number;
}

interface ChildRun {
  /** Trial indices the child acknowledged before it was killed. */
  acknowledged: number[];
  killed: boolean;
  stderr: string;
}

/** Runs kill-child.ts and SIGKILLs it at `point` (never, if null). */
function runChild(args: string[], point: KillPoint | null): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged: number[] = [];
  let stderr = '';
  let seen = 0;
  let armed = false;
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const m = /^committed (\d+)$/.exec(line);
        if (m) acknowledged.push(Number(m[1]));
        if (point && !armed && (line === point.event || line.startsWith(`${point.event} `)) && ++seen >= point.after) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), point.delayMs);
        }
      }
    });
    child.on('error', reject);
    // Lines read after the kill was sent still count: the child wrote them after a commit.
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`kill-child exited with ${code}: ${stderr}`));
      else resolve({ acknowledged, killed: signal === 'SIGKILL', stderr });
    });
  });
}

/**
 * PRAGMA integrity_check on the file as the kill left it, before PredLab opens it again. A
 * read-write connection: a kill during creation can leave a hot journal that SQLite rolls back
 * on open (a read-only connection cannot, and fails with SQLITE_READONLY).
 */
function integrity(file: string): string {
  if (!fs.existsSync(file)) return 'ok';
  const raw = new Database(file);
  try {
    return (raw.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    raw.close();
  }
}

function pickPoint(rng: ReturnType<typeof createRng>, maxAfter: number, first: boolean): KillPoint {
  // The first kill and a quarter of the others land while the database is being opened (created, migrated, backed up).
  return first || rng.next() < 0.25 ? { event: 'start', after: 1, delayMs: rng.int(15) } : { event: 'committed', after: 1 + rng.int(maxAfter), delayMs: rng.int(12) };
}

const summary = (s: string, runs: { point: KillPoint; acked: number; stored: number }[]) =>
  `${s}: ${runs.map((r) => `${r.point.event}#${r.point.after}+${r.point.delayMs}ms -> acked ${r.acked}, stored ${r.stored}`).join(' | ')}`;

describe(`kill campaign (seed ${CAMPAIGN_SEED}; PREDLAB_FAULT_SEED replays another)`, () => {
  it(`${PERSON_KILLS} SIGKILLs of a person's session: nothing acknowledged lost, integrity ok, resumed to the same trials as without kills`, async () => {
    const rng = createRng(CAMPAIGN_SEED);
    const file = path.join(tempDir('predlab-kill-'), 'lab.sqlite');
    const log: { point: KillPoint; acked: number; stored: number }[] = [];
    const acknowledged = new Set<number>();
    for (let k = 0; k < PERSON_KILLS; k++) {
      const point = pickPoint(rng, 8, k === 0);
      const run = await runChild([file, 'person', String(CAMPAIGN_SEED + k)], point);
      expect(run.killed, `run ${k} finished before its kill`).toBe(true);
      run.acknowledged.forEach((i) => acknowledged.add(i));
      expect(integrity(file), `integrity after kill ${k}`).toBe('ok');
      // PredLab opens what the kill left (finishing a migration a kill interrupted, if any).
      const db = openDatabase(file);
      try {
        const sessions = listSessions(db).filter((s) => s.participant.label === PERSON_LABEL);
        expect(sessions.length, 'one session, resumed by each run').toBeLessThanOrEqual(1);
        const rows = sessions.length ? trialRows(db, sessions[0]!.id) : [];
        log.push({ point, acked: acknowledged.size, stored: rows.length });
        expect(rows.map((r) => r.trial_index)).toEqual([...rows.keys()]);
        for (const i of acknowledged) expect(rows[i], `acknowledged trial ${i} after kill ${k}`).toBeDefined();
        for (const r of rows) expect({ response: r.response, rtMs: r.rt_ms }).toEqual(answerFor(r.trial_index));
        if (sessions.length) {
          expect(sessions[0]!.status).toBe('running');
          expect(nextTrial(db, sessions[0]!.id)?.index).toBe(rows.length);
        }
      } finally {
        db.close();
      }
    }
    console.log(summary('person kills', log));
    expect(acknowledged.size, 'the kills left answers to check').toBeGreaterThan(PERSON_KILLS);

    // Resumed without a kill, the session runs to its end ...
    const last = await runChild([file, 'person', String(CAMPAIGN_SEED + PERSON_KILLS)], null);
    expect(last.killed).toBe(false);
    const db = openDatabase(file);
    const reference = openDatabase(path.join(tempDir('predlab-kill-ref-'), 'lab.sqlite'));
    try {
      const [s] = listSessions(db).filter((x) => x.participant.label === PERSON_LABEL);
      expect(s!.answered).toBe(s!.total);
      finishSession(db, s!.id, 'complete');
      // ... with the same trials as a session never interrupted (same protocol and answers).
      const p = createParticipant(reference, { kind: 'human', label: PERSON_LABEL });
      const r = startSession(reference, { participantId: p.id, ...PERSON_PROTOCOL, calibration: CALIBRATION });
      for (let t = nextTrial(reference, r.id); t; t = nextTrial(reference, r.id)) recordTrial(reference, r.id, { trialIndex: t.index, ...answerFor(t.index), frameTiming: FRAME_TIMING });
      const pick = (rows: ReturnType<typeof trialRows>) => rows.map((x) => ({ i: x.trial_index, condition: x.condition, stimulus: x.stimulus, response: x.response }));
      expect(pick(trialRows(db, s!.id))).toEqual(pick(trialRows(reference, r.id)));
    } finally {
      db.close();
      reference.close();
    }
  });

  it(`${MODEL_KILLS} SIGKILLs of model sessions (checkpoint from \`predlab model init\`): acknowledged trials kept as an uninterrupted run gives them, integrity ok, resumable`, async () => {
    const rng = createRng(CAMPAIGN_SEED + 1);
    const dir = tempDir('predlab-kill-model-');
    const file = path.join(dir, 'lab.sqlite');
    const checkpoint = path.join(dir, 'tiny');
    const init = predlab(['--db', file, 'model', 'init', '--preset', 'small', '--height', '16', '--width', '16', '--out', checkpoint, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const log: { point: KillPoint; acked: number; stored: number }[] = [];
    const killed: { id: number; acknowledged: number[] }[] = [];
    for (let k = 0; k < MODEL_KILLS; k++) {
      const point = pickPoint(rng, 6, false);
      const run = await runChild([file, 'model', String(k), checkpoint], point);
      expect(run.killed, `model run ${k} finished before its kill`).toBe(true);
      expect(integrity(file), `integrity after model kill ${k}`).toBe('ok');
      const db = openDatabase(file);
      try {
        const known = new Set(killed.map((x) => x.id));
        const fresh = listSessions(db).filter((s) => s.participant.kind === 'model' && !known.has(s.id));
        // A kill before the session was created leaves none, and no participant without one.
        expect(fresh.length).toBeLessThanOrEqual(1);
        const orphans = db.prepare("SELECT COUNT(*) AS n FROM participants p WHERE p.kind = 'model' AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.participant_id = p.id)").get() as { n: number };
        expect(orphans.n, `model participants without a session after kill ${k}`).toBe(0);
        if (!fresh.length) {
          expect(run.acknowledged).toEqual([]);
          log.push({ point, acked: 0, stored: 0 });
          continue;
        }
        const s = fresh[0]!;
        const rows = trialRows(db, s.id);
        log.push({ point, acked: run.acknowledged.length, stored: rows.length });
        expect(s.status).toBe('running');
        expect(rows.map((r) => r.trial_index)).toEqual([...rows.keys()]);
        expect(rows.length).toBeGreaterThanOrEqual(run.acknowledged.length);
        expect(nextTrial(db, s.id)?.index).toBe(rows.length);
        killed.push({ id: s.id, acknowledged: run.acknowledged });
      } finally {
        db.close();
      }
    }
    console.log(summary('model kills', log));
    // An uninterrupted run of the same protocol: every killed session holds a prefix of its trials.
    const full = await runChild([file, 'model', '99', checkpoint], null);
    expect(full.killed).toBe(false);
    const db = openDatabase(file);
    try {
      const known = new Set(killed.map((x) => x.id));
      const [ref] = listSessions(db, { status: 'complete' }).filter((s) => s.participant.kind === 'model' && !known.has(s.id));
      const pick = (rows: ReturnType<typeof trialRows>) => rows.map((x) => ({ i: x.trial_index, condition: x.condition, stimulus: x.stimulus, response: x.response }));
      const reference = pick(trialRows(db, ref!.id));
      expect(reference).toHaveLength(ref!.total);
      for (const k of killed) {
        const rows = pick(trialRows(db, k.id));
        expect(rows).toEqual(reference.slice(0, rows.length));
      }
      // Resumable: the user closes an interrupted model session from the CLI, keeping its trials.
      if (killed.length) {
        const k = killed.at(-1)!;
        const stored = trialRows(db, k.id).length;
        const close = predlab(['--db', file, 'session', 'close', '--session', String(k.id), '--json']);
        expect(close.code, close.stderr).toBe(0);
        expect(JSON.parse(close.stdout)).toMatchObject({ sessionId: k.id, status: 'aborted', answered: stored });
      }
    } finally {
      db.close();
    }
  });
});
