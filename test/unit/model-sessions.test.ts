/** Models as participants: same trials as a person, same tables, same analysis; the comparison table. */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli/index.js';
import type { ModelJob } from '../../paradigms/records.js';
import { analyseSession } from '../../main/services/analysis.js';
import { compareSessions } from '../../main/services/compare.js';
import { exportSession } from '../../main/services/export.js';
import { runModelSession } from '../../main/services/model-sessions.js';
import { createParticipant } from '../../main/services/participants.js';
import { finishSession, getSession, nextTrial, recordTrial, startSession, trialRows } from '../../main/services/sessions.js';
import { initBackend } from '../../native-models/backend.js';
import { saveCheckpoint } from '../../native-models/checkpoint.js';
import { velocityExtrapolator } from '../../native-models/observer/predictors.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { CALIBRATION, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';
import { cli } from '../support/cli.js';
import { parseEvents } from '../support/events.js';

const params = { speedDegPerS: 10, offsetsDeg: [-1.5, -0.5, 0.5, 1.5, 2.5], trialsPerOffset: 4, flashDurationMs: 100 };
let checkpoint: string;

beforeAll(async () => {
  await initBackend();
  checkpoint = path.join(tempDir(), 'tiny');
  const net = PredNet.create(predNetConfigSchema.parse({ height: 32, width: 40, stackSizes: [3, 8], rStackSizes: [3, 8], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] }), 2);
  await saveCheckpoint(checkpoint, net, { source: { kind: 'init' } });
  net.dispose();
});

/** A person who sees the flash ahead when it leads by more than 0.4 deg. */
/** Sessions in the lab file, read as another process would. */
function countSessions(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function personSession(db: ReturnType<typeof tempDb>['db']) {
  const p = createParticipant(db, { kind: 'human', label: 'P01' });
  const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: params, seed: 9, calibration: CALIBRATION });
  for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id)) {
    const st = t.stimulus as unknown as FlashLagStimulus;
    recordTrial(db, s.id, { trialIndex: t.index, response: (st.offsetDeg > 0.4) === (st.direction === 1) ? 'right' : 'left', rtMs: 400, frameTiming: FRAME_TIMING });
  }
  return finishSession(db, s.id, 'complete');
}

describe('model sessions', () => {
  it('a PredNet checkpoint takes the very protocol a person took; trials land in the same table', async () => {
    const { db, dir } = tempDb();
    const person = personSession(db);
    const model = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint, protocolId: person.protocol.id, observer: { fovDeg: 20, frameRateHz: 10 } });
    expect(model).toMatchObject({ status: 'complete', answered: 20, source: 'model', participant: { kind: 'model' }, protocol: { id: person.protocol.id, seed: 9 } });
    expect(model.participant.details).toMatchObject({ type: 'prednet', checkpoint, backend: 'wasm', observer: { fovDeg: 20, frameRateHz: 10 } });
    const humanRows = trialRows(db, person.id);
    const modelRows = trialRows(db, model.id);
    expect(modelRows.map((r) => r.stimulus)).toEqual(humanRows.map((r) => r.stimulus));
    for (const r of modelRows) {
      // An untrained network's prediction often shows no bar or no flash: then no answer, never a coin flip.
      const extra = JSON.parse(r.extra!);
      expect(['left', 'right', 'none']).toContain(r.response);
      expect(r.response === 'none').toBe(extra.perceivedOffsetDeg === null);
      expect(extra.guessed).toBe(false);
      expect(extra).toHaveProperty('readoutFrame');
      expect(r.frame_interval_mean_ms).toBe(100);
    }
    // Integrate mode and the grid-step decision noise, recorded with the participant.
    expect(model.participant.details).toMatchObject({ observer: { temporalMode: 'integrate', exposure: 1 }, decisionNoise: { value: 1, source: "one step of the protocol's stimulus grid" } });
    // The exports work unchanged and say which rows are the model's.
    const e = exportSession(db, model.id, 'csv', path.join(dir, 'export'));
    expect(e.rows).toBe(20);
    const header = fs.readFileSync(e.files[0]!, 'utf8').split('\n')[0]!;
    expect(header).toContain('perceived_offset_deg');
    expect(header).toContain('participant_kind');
  }, 60_000);

  it('with a velocity-extrapolating observer the comparison shows the expected PSEs and the difference', async () => {
    const { db } = tempDb();
    const person = personSession(db);
    const model = await runModelSession(db, { paradigmId: 'flash-lag', protocolId: person.protocol.id, predictor: { predictor: velocityExtrapolator, width: 80, height: 64, channels: 3, label: 'velocity extrapolator' }, observer: { decisionNoiseDeg: 0.3, temporalMode: 'sample' } });
    // Sampled frames and a one-frame (100 ms) flash: the extrapolator lags by exactly one frame of motion (1 deg). (Integrating, half the flash's motion adds: one-clock.test.ts.)
    const c = compareSessions(db, [person.id, model.id], { bootstrap: 100 });
    const [h, m] = c.rows;
    expect(h).toMatchObject({ kind: 'human', label: 'P01', paradigmId: 'flash-lag', group: 'continuous, 10 deg/s', condition: 'continuous' });
    expect(m).toMatchObject({ kind: 'model', label: 'velocity extrapolator', group: 'continuous, 10 deg/s' });
    const value = (r: typeof h, key: string) => r!.statistics.find((s) => s.key === key)?.value ?? null;
    expect(value(m, 'direct-pse-deg')!).toBeGreaterThan(0.8);
    expect(value(m, 'direct-pse-deg')!).toBeLessThan(1.2);
    // PSE in deg and in ms are compared; the direct PSE only the model has.
    expect(c.differences.map((d) => d.statistic)).toEqual(['pse-deg', 'pse-ms']);
    const [d, dMs] = c.differences;
    expect(d).toMatchObject({ humanSessionId: person.id, modelSessionId: model.id, sameProtocol: true, unit: 'deg' });
    expect(d!.diff).toBeCloseTo(value(h, 'pse-deg')! - value(m, 'pse-deg')!, 9);
    expect(dMs!.diff).toBeCloseTo(d!.diff * 100, 6);
    expect(d!.diffCi[0]).toBeLessThanOrEqual(d!.diff);
    expect(d!.diffCi[1]).toBeGreaterThanOrEqual(d!.diff);
  }, 60_000);

  it('an adaptive (staircase) protocol is answered trial by trial and converges near the model\'s PSE', async () => {
    const { db } = tempDb();
    const s = await runModelSession(db, {
      paradigmId: 'flash-lag',
      parameters: { design: 'staircase', staircaseStartDeg: 3, staircaseStepDeg: 0.25, staircaseTrials: 40, flashDurationMs: 100 },
      seed: 4,
      predictor: { predictor: velocityExtrapolator, width: 80, height: 64, channels: 3, label: 'velocity extrapolator' },
      observer: { decisionNoiseDeg: 0.05, temporalMode: 'sample' },
    });
    expect(s).toMatchObject({ status: 'complete', answered: 40 });
    const offsets = trialRows(db, s.id).map((r) => (JSON.parse(r.stimulus) as FlashLagStimulus).offsetDeg);
    const late = offsets.slice(-10);
    const mean = late.reduce((a, b) => a + b, 0) / late.length;
    expect(mean).toBeGreaterThan(0.6);
    expect(mean).toBeLessThan(1.4);
  }, 60_000);

  it('a QUEST protocol is answered trial by trial: its trials home in on the model\'s PSE and its estimate holds it', async () => {
    const { db } = tempDb();
    const s = await runModelSession(db, {
      paradigmId: 'flash-lag',
      parameters: { design: 'quest', questTrials: 40, questSigmaDeg: 0.3, flashDurationMs: 100 },
      seed: 4,
      predictor: { predictor: velocityExtrapolator, width: 80, height: 64, channels: 3, label: 'velocity extrapolator' },
      observer: { decisionNoiseDeg: 0.05, temporalMode: 'sample' },
    });
    expect(s).toMatchObject({ status: 'complete', answered: 40 });
    // Sampled frames and a one-frame flash: the extrapolator's PSE is one frame of motion (1 deg).
    const offsets = trialRows(db, s.id).map((r) => (JSON.parse(r.stimulus) as FlashLagStimulus).offsetDeg);
    expect(offsets[0]).toBe(0);
    const late = offsets.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(late).toBeGreaterThan(0.6);
    expect(late).toBeLessThan(1.4);
    const q = analyseSession(db, s.id, { bootstrap: 50 }).conditions[0]!.statistics.find((x) => x.key === 'quest-pse')!;
    expect(q.value!).toBeGreaterThan(0.6);
    expect(q.value!).toBeLessThan(1.4);
  }, 60_000);

  it('the CLI runs a model on a protocol and prints the comparison', async () => {
    const { file, db } = tempDb();
    const person = personSession(db);
    db.close();
    let out = '';
    let err = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
    expect(await runCli(['--db', file, 'session', 'run', '--model', checkpoint, '--protocol', String(person.protocol.id), '--json'], io), err).toBe(0);
    const { sessionId } = JSON.parse(out);
    out = '';
    expect(await runCli(['--db', file, 'compare', '--sessions', `${person.id},${sessionId}`, '--bootstrap', '50', '--json'], io), err).toBe(0);
    const c = JSON.parse(out);
    // copy-last and the oracle took the same trials beside the model: they join the comparison.
    expect(c.rows.map((r: { kind: string; reference?: string }) => r.reference ?? r.kind)).toEqual(['human', 'model', 'copy-last', 'oracle']);
    expect(c.findings.some((f: { kind: string; text: string }) => f.kind === 'reference' && f.text.startsWith(`Beside the model (PredNet tiny, #${sessionId}) on the same trials: copy-last (#`))).toBe(true);
    out = '';
    expect(await runCli(['--db', file, 'compare', '--sessions', `${person.id},${sessionId}`, '--bootstrap', '50'], io)).toBe(0);
    // This person's answers switch at one offset: their PSE is only known to lie between two levels.
    expect(out).toMatch(/Flash-lag \(PSE\): (not determined \(the answers switch completely between -0.5 and 0.5|[-\d.]+ deg)/);
    expect(out).toMatch(/copy-last \(reference for #\d+\)/);
    expect(out).toMatch(/\n  - Beside the model/);
    err = '';
    expect(await runCli(['--db', file, 'session', 'run', '--model', path.join(tempDir(), 'nothing'), '--seed', '1'], io)).toBe(1);
    expect(err).toMatch(/No checkpoint at/);
    expect(await runCli(['--db', file, 'compare', '--sessions', '1,x'], io)).not.toBe(0);
  }, 60_000);

  it('refuses a protocol of another paradigm, unknown protocols and bad observer settings', async () => {
    const { db } = tempDb();
    await expect(runModelSession(db, { paradigmId: 'flash-lag', checkpoint, protocolId: 99 })).rejects.toThrow(/No protocol with id 99/);
    await expect(runModelSession(db, { paradigmId: 'flash-lag', checkpoint, observer: { fovDeg: -1 } })).rejects.toThrow(/fovDeg/);
    expect(() => getSession(db, 1)).toThrow(/No session/);
  });
});

describe("a checkpoint's extrapStartTime", () => {
  it('model sessions and the inspector feed the model its own predictions from that step on', async () => {
    const { inspectModelTrial } = await import('../../main/services/inspect.js');
    const { loadCheckpoint } = await import('../../native-models/checkpoint.js');
    // The same weights saved as an extrapolation model (from step 3).
    const extrap = path.join(tempDir(), 'tiny-extrap');
    const loaded = loadCheckpoint(checkpoint);
    await saveCheckpoint(extrap, loaded.net, { source: { kind: 'init' }, extrapStartTime: 3 });
    loaded.net.dispose();
    const { db } = tempDb();
    const person = personSession(db);
    const observer = { fovDeg: 20, frameRateHz: 10 };
    const plain = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint, protocolId: person.protocol.id, observer });
    const fed = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint: extrap, protocolId: person.protocol.id, observer });
    expect(fed.participant.details).toMatchObject({ extrapStartTime: 3 });
    const a = await inspectModelTrial(db, plain.id, 0);
    const b = await inspectModelTrial(db, fed.id, 0);
    expect(a.frames).toBeGreaterThan(4);
    const frame = a.width * a.height;
    const pa = Buffer.from(a.prediction, 'base64');
    const pb = Buffer.from(b.prediction, 'base64');
    // Identical up to step 3 (inclusive: prediction 3 is made from frames 0-2), different after.
    expect(pb.subarray(0, 4 * frame).equals(pa.subarray(0, 4 * frame))).toBe(true);
    expect(pb.subarray(4 * frame).equals(pa.subarray(4 * frame))).toBe(false);
  }, 120_000);

  it('a session records which weights answered; once its folder holds other weights, the inspector refuses rather than show another network', async () => {
    const { inspectModelTrial } = await import('../../main/services/inspect.js');
    const { weightsFingerprint, readManifest } = await import('../../native-models/checkpoint.js');
    const dir = path.join(tempDir(), 'replaced');
    const config = predNetConfigSchema.parse({ height: 32, width: 40, stackSizes: [3, 4], rStackSizes: [3, 4], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] });
    const first = PredNet.create(config, 5);
    await saveCheckpoint(dir, first, { source: { kind: 'init' } });
    first.dispose();
    const { db } = tempDb();
    const person = personSession(db);
    const s = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint: dir, protocolId: person.protocol.id, observer: { fovDeg: 20, frameRateHz: 10 }, references: false });
    expect(s.participant.details).toMatchObject({ weights: weightsFingerprint(readManifest(dir)) });
    expect((await inspectModelTrial(db, s.id, 0)).frames).toBeGreaterThan(4);
    // The folder is replaced by another network (as a new default model replaces the old one).
    const second = PredNet.create(config, 6);
    await saveCheckpoint(dir, second, { source: { kind: 'init' } });
    second.dispose();
    await expect(inspectModelTrial(db, s.id, 0)).rejects.toThrow(/now holds other weights than the ones that took session \d+ \(the checkpoint was replaced since\)/);
  }, 120_000);
});

describe('the inference engine', () => {
  /** Numbers in two JSON values within tol of each other, everything else equal. */
  function expectClose(a: unknown, b: unknown, tol: number, at = ''): void {
    if (typeof a === 'number' && typeof b === 'number') expect(Math.abs(a - b), at).toBeLessThanOrEqual(tol);
    else if (a && b && typeof a === 'object' && typeof b === 'object') {
      expect(Object.keys(a), at).toEqual(Object.keys(b));
      for (const k of Object.keys(a)) expectClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${at}.${k}`);
    } else expect(a, at).toEqual(b);
  }

  it('a model session gives the same answers whichever engine ran it, and records which one did', async () => {
    const { inspectModelTrial } = await import('../../main/services/inspect.js');
    const { loadCheckpoint } = await import('../../native-models/checkpoint.js');
    // An extrapolation checkpoint, so both engines must also honour its extrapStartTime.
    const extrap = path.join(tempDir(), 'tiny-extrap-engines');
    const loaded = loadCheckpoint(checkpoint);
    await saveCheckpoint(extrap, loaded.net, { source: { kind: 'init' }, extrapStartTime: 3 });
    loaded.net.dispose();
    const { db } = tempDb();
    const person = personSession(db);
    const observer = { fovDeg: 20, frameRateHz: 10 };
    const saved = process.env.PREDLAB_INFERENCE;
    const runs = [];
    try {
      for (const engine of ['onnxruntime', 'tfjs']) {
        process.env.PREDLAB_INFERENCE = engine;
        // The second engine's run is asked for (the same weights and settings would be reused).
        const session = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint: extrap, protocolId: person.protocol.id, observer, again: runs.length > 0 });
        runs.push({ engine, session, rows: trialRows(db, session.id), inspected: await inspectModelTrial(db, session.id, 0) });
      }
    } finally {
      if (saved === undefined) delete process.env.PREDLAB_INFERENCE;
      else process.env.PREDLAB_INFERENCE = saved;
    }
    const [onnx, tfjs] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(onnx.session.participant.details).toMatchObject({ inference: 'onnxruntime', inferenceDetail: expect.stringMatching(/^onnxruntime-node \d/), extrapStartTime: 3 });
    expect(tfjs.session.participant.details).toMatchObject({ inference: 'tfjs', inferenceDetail: 'tfjs (wasm)', extrapStartTime: 3 });
    expect(onnx.rows.length).toBe(20);
    expect(onnx.rows.map((r) => r.response)).toEqual(tfjs.rows.map((r) => r.response));
    for (const [i, r] of onnx.rows.entries()) expectClose(JSON.parse(r.extra!), JSON.parse(tfjs.rows[i]!.extra!), 1e-4, `trial ${i}`);
    // What the inspector shows (8-bit) is the same, up to a rounding step.
    const [pa, pb] = [Buffer.from(onnx.inspected.prediction, 'base64'), Buffer.from(tfjs.inspected.prediction, 'base64')];
    expect(pa.length).toBe(pb.length);
    expect(Math.max(...pa.map((v, i) => Math.abs(v - pb[i]!)))).toBeLessThanOrEqual(1);
  }, 120_000);
});

describe('predlab session run, as a script sees it', () => {
  it('reports progress on stderr under --json or a pipe, names the sessions to compare, and calls broken JSON broken', async () => {
    const { file, db } = tempDb();
    const person = personSession(db);
    db.close();
    let out = '';
    let err = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
    expect(await runCli(['--db', file, 'session', 'run', '--model', checkpoint, '--protocol', String(person.protocol.id), '--json'], io), err).toBe(0);
    const r = JSON.parse(out); // stdout stays pure JSON
    expect(r.compareWith).toEqual([person.id]);
    expect(err).toMatch(/^model trials: starting\n/);
    expect(err).toMatch(/model trials: 20\/20\n/);
    out = '';
    // The same checkpoint, settings and trials again: the earlier session, nothing run or added.
    const sessionsBefore = countSessions(file);
    expect(await runCli(['--db', file, 'session', 'run', '--model', checkpoint, '--protocol', String(person.protocol.id)], io), err).toBe(0);
    expect(out).toMatch(new RegExp(`^Model session ${r.sessionId} already holds these answers: .* nothing was run \\(--again runs a new session\\)`));
    expect(countSessions(file)).toBe(sessionsBefore);
    out = '';
    // Other observer settings are another run.
    expect(await runCli(['--db', file, 'session', 'run', '--model', checkpoint, '--protocol', String(person.protocol.id), '--noise', '0.5', '--no-references', '--json'], io), err).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ reused: false, sessionId: r.sessionId + 3 });
    out = '';
    expect(await runCli(['--db', file, 'session', 'run', '--model', checkpoint, '--protocol', String(person.protocol.id), '--again', '--no-references'], io), err).toBe(0);
    // The model's reference sessions came right after the first.
    expect(r.references).toEqual({ 'copy-last': r.sessionId + 1, oracle: r.sessionId + 2 });
    expect(out).toMatch(new RegExp(`Compare with: predlab compare --sessions ${person.id},${r.sessionId + 4}\\n$`));
    out = '';
    expect(await runCli(['--db', file, 'session', 'run', '--model', checkpoint, '--seed', '4', '--param', 'trialsPerOffset=1'], io), err).toBe(0);
    expect(out).toMatch(/No person has taken protocol \d+ yet/);
    expect(out).not.toMatch(/<person's id>/);
    err = '';
    expect(await runCli(['--db', file, 'session', 'run', '--model', checkpoint, '--param', 'offsetsDeg=[1,2'], io)).not.toBe(0);
    expect(err).toMatch(/--param offsetsDeg: '\[1,2' is not valid JSON/);
    expect(err).not.toMatch(/expected array/);
  }, 120_000);

  it("--events prints the page's 'model-sessions' events instead of progress text", async () => {
    const { file, db } = tempDb();
    const person = personSession(db);
    db.close();
    const { code, out, err } = await cli('--db', file, '--events', 'session', 'run', '--model', checkpoint, '--protocol', String(person.protocol.id), '--no-references', '--json');
    expect(code, err).toBe(0);
    const jobs = parseEvents(err).map((e) => (expect(e.topic).toBe('model-sessions'), (e.value as ModelJob[])[0]!));
    // A quick run may coalesce into fewer events (each carries the newest state); progress never goes back.
    for (const j of jobs) expect(j).toMatchObject({ id: 1, label: checkpoint, protocolId: person.protocol.id });
    expect(jobs.map((j) => j.done)).toEqual(jobs.map((j) => j.done).sort((a, b) => a - b));
    expect(jobs.at(-1)).toEqual({ id: 1, label: checkpoint, protocolId: person.protocol.id, state: 'done', done: 20, total: 20, sessionId: JSON.parse(out).sessionId, error: null });
    expect(err).not.toMatch(/model trials/);
  }, 120_000);
});
