import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSessions } from '../../main/services/compare.js';
import { defaultModelDir } from '../../main/services/default-model.js';
import { listModels, registerCheckpoint } from '../../main/services/models.js';
import { CHECKPOINT_FILE } from '../../native-models/checkpoint.js';
import { checkpointWarning, findings, modelSetName, modelSets, predictionCheck, setSentence } from '../../paradigms/findings.js';
import { createParticipant } from '../../main/services/participants.js';
import { finishSession, getSession, nextTrial, nominalFrameTiming, recordTrial, startSession } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { flashLag } from '../../paradigms/flash-lag/index.js';
import { createRng } from '../../paradigms/rng.js';
import { CALIBRATION, tempDb } from '../support/db.js';

type Db = ReturnType<typeof tempDb>['db'];
const DEFAULT_MODEL_DIR = defaultModelDir(path.resolve(import.meta.dirname, '../..'));
const params = { offsetsDeg: [-1.5, -1, -0.5, 0, 0.5, 1, 1.5], trialsPerOffset: 12 };

/** A session whose answers come from `answer` (trial index, stimulus) -> response. */
function takeSession(db: Db, kind: 'human' | 'model', label: string, protocol: { protocolId?: number; seed?: number }, answer: (i: number, stimulus: any) => string, details?: Record<string, unknown>): { id: number; protocolId: number } {
  const p = createParticipant(db, { kind, label, ...(details ? { details } : {}) });
  const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: params, calibration: CALIBRATION, ...protocol });
  for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id))
    recordTrial(db, s.id, { trialIndex: t.index, response: answer(t.index, t.stimulus), rtMs: null, frameTiming: nominalFrameTiming(60, 60, 30) });
  finishSession(db, s.id, 'complete');
  return { id: s.id, protocolId: s.protocol.id };
}

describe('compare: person - model', () => {
  it('same trials: the difference CI is a paired bootstrap, narrower than treating the sessions as independent', () => {
    const { db } = tempDb();
    // Both answer each trial from the same uniform draw (common trial-by-trial noise), the model
    // with its PSE 0.3 deg further: their answers are strongly correlated across shared trials.
    const rng = createRng(5);
    const draws: number[] = [];
    const same = (i: number) => ({ next: () => (draws[i] ??= rng.next()) });
    const person = takeSession(db, 'human', 'P01', { seed: 9 }, (i, s) => flashLag.simulateResponse(s, { pse: 0.2, sigma: 0.8, guess: 0, lapse: 0 }, same(i)));
    const model = takeSession(db, 'model', 'PredNet', { protocolId: person.protocolId }, (i, s) => flashLag.simulateResponse(s, { pse: 0.5, sigma: 0.8, guess: 0, lapse: 0 }, same(i)));
    const c = compareSessions(db, [person.id, model.id], { bootstrap: 80 });
    const d = c.differences.find((x) => x.statistic === 'pse-deg')!;
    expect(d).toMatchObject({ sameProtocol: true, ciMethod: 'paired', sharedTrials: 84 });
    const hs = c.rows.find((r) => r.sessionId === person.id)!.statistics.find((s) => s.key === 'pse-deg')!;
    const ms = c.rows.find((r) => r.sessionId === model.id)!.statistics.find((s) => s.key === 'pse-deg')!;
    const independentWidth = 2 * Math.hypot((hs.ci![1] - hs.ci![0]) / 2, (ms.ci![1] - ms.ci![0]) / 2);
    const pairedWidth = d.diffCi[1] - d.diffCi[0];
    expect(d.diffCi[0]).toBeLessThanOrEqual(d.diff);
    expect(d.diffCi[1]).toBeGreaterThanOrEqual(d.diff);
    // Common noise cancels in the paired difference (0.62 vs 1.08 deg here); as independent it would not.
    expect(pairedWidth).toBeLessThan(0.7 * independentWidth);
  });

  it('different trials: independent CIs; simulated observers are never paired with a person', () => {
    const { db } = tempDb();
    const rng = createRng(6);
    const observer = { pse: 0, sigma: 0.6, guess: 0.02, lapse: 0.02 };
    const person = takeSession(db, 'human', 'P02', { seed: 1 }, (_, s) => flashLag.simulateResponse(s, observer, rng));
    const model = takeSession(db, 'model', 'PredNet', { seed: 2 }, (_, s) => flashLag.simulateResponse(s, { ...observer, pse: 0.5 }, rng));
    const sim = simulateSession(db, { paradigmId: 'flash-lag', parameters: params, seed: 1, observer });
    expect(sim.participant.kind).toBe('simulated');
    const c = compareSessions(db, [person.id, model.id, sim.id], { bootstrap: 40 });
    expect(c.rows.map((r) => r.kind)).toEqual(['human', 'model', 'simulated']);
    expect(c.differences.every((d) => d.modelSessionId === model.id)).toBe(true);
    expect(c.differences.find((d) => d.statistic === 'pse-deg')).toMatchObject({ sameProtocol: false, ciMethod: 'independent', independentBecause: 'different trials', sharedTrials: 0 });
  });
});

describe('compare: adaptive designs', () => {
  it('a staircase on one protocol gives person and model different stimuli: those trials are not paired', async () => {
    const { db } = tempDb();
    const staircase = { design: 'staircase', staircaseTrials: 40, staircaseStepDeg: 0.25 };
    const take = (kind: 'human' | 'model', pse: number, protocol: { protocolId?: number; seed?: number }) => {
      const rng = createRng(kind === 'human' ? 1 : 2);
      const p = createParticipant(db, { kind, label: kind });
      const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: staircase, calibration: CALIBRATION, ...protocol });
      for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id))
        recordTrial(db, s.id, { trialIndex: t.index, response: flashLag.simulateResponse(t.stimulus as never, { pse, sigma: 0.3, guess: 0, lapse: 0 }, rng), rtMs: null, frameTiming: nominalFrameTiming(60, 60, 30) });
      finishSession(db, s.id, 'complete');
      return s;
    };
    const person = take('human', -1, { seed: 4 });
    const model = take('model', 1.5, { protocolId: person.protocol.id });
    const c = compareSessions(db, [person.id, model.id], { bootstrap: 40 });
    expect(c.differences.length).toBeGreaterThan(0);
    for (const d of c.differences) {
      expect(d.sameProtocol).toBe(true);
      expect(d.ciMethod).toBe('independent');
      expect(d.sharedTrials).toBeLessThan(20);
      // "Same trials" never stands beside "independent" without its reason, in any medium.
      expect(d.independentBecause).toBe(`only ${d.sharedTrials} of 40 trials are the same in both`);
    }
    const d = c.differences.find((x) => x.statistic === 'pse-deg')!;
    const sentence = findings(c, new Map([person, model].map((s) => [s.id, s.participant])), []).map((x) => x.text).find((t) => t.includes('person human'))!;
    expect(sentence).toContain(`as for independent sessions (only ${d.sharedTrials} of 40 trials are the same in both)`);
    const { formatComparison } = await import('../../main/cli/model-session-commands.js');
    expect(formatComparison(c)).toContain(`session ${person.id} - session ${model.id}, continuous: Flash-lag (PSE) `);
    expect(formatComparison(c)).toMatch(/\(as for independent sessions \(only \d+ of 40 trials are the same in both\)\)/);
    expect(formatComparison(c)).not.toMatch(/same trials/);
  });
});

describe('compare: what it found, in sentences', () => {
  const participantsOf = (db: Db, ids: number[]) => new Map(ids.map((id) => [id, getSession(db, id).participant]));

  it('says whether each shows the effect and how person and model differ, in one sentence each', () => {
    const { db } = tempDb();
    const rng = createRng(11);
    const person = takeSession(db, 'human', 'P01', { seed: 3 }, (_, s) => flashLag.simulateResponse(s, { pse: 0.8, sigma: 0.4, guess: 0, lapse: 0 }, rng));
    const model = takeSession(db, 'model', 'PredNet x', { protocolId: person.protocolId }, (_, s) => flashLag.simulateResponse(s, { pse: 0, sigma: 0.4, guess: 0, lapse: 0 }, rng));
    const c = compareSessions(db, [person.id, model.id], { bootstrap: 60 });
    const f = findings(c, participantsOf(db, [person.id, model.id]), []);
    const text = f.map((x) => x.text).join('\n');
    const pse = (id: number) => c.rows.find((r) => r.sessionId === id)!.statistics.find((s) => s.key === 'pse-deg')!;
    // The sentences follow the intervals: the person's excludes 0, the model's includes it.
    expect(pse(person.id).ci![0]).toBeGreaterThan(0);
    expect(pse(model.id).ci![0]).toBeLessThan(0);
    expect(pse(model.id).ci![1]).toBeGreaterThan(0);
    expect(text).toContain(`The person (P01, #${person.id}) shows a flash-lag: +${pse(person.id).value!.toFixed(2)} deg [${pse(person.id).ci![0].toFixed(2)}, ${pse(person.id).ci![1].toFixed(2)}].`);
    expect(text).toMatch(new RegExp(`The model \\(PredNet x, #${model.id}\\) does not show a flash-lag: .* an interval that includes 0\\.`));
    const d = c.differences.find((x) => x.statistic === 'pse-deg')!;
    expect(d.diffCi[0]).toBeGreaterThan(0);
    expect(text).toContain(`The person's flash-lag is larger than the model's by ${d.diff.toFixed(2)} deg (difference [${d.diffCi[0].toFixed(2)}, ${d.diffCi[1].toFixed(2)}], paired bootstrap over 84 shared trials`);
    // One sentence per session's headline and one per person - model pair; no warning without a checkpoint.
    expect(f.map((x) => x.kind)).toEqual(['effect', 'effect', 'difference']);
  });

  it('warns when the checkpoint predicts worse than copying the last frame on its own validation data, or was never measured', () => {
    const { db, dir } = tempDb();
    // A real checkpoint folder (the shipped default) whose manifest records the first default's numbers (720 steps: 1.11x copy-last).
    const worse = path.join(dir, 'undertrained');
    fs.mkdirSync(worse);
    const manifest = JSON.parse(fs.readFileSync(path.join(DEFAULT_MODEL_DIR, CHECKPOINT_FILE), 'utf8'));
    manifest.source = { ...manifest.source, validation: { model: 0.0108, copyLastFrame: 0.0098, sequences: 48 } };
    delete manifest.source.heldOut;
    fs.writeFileSync(path.join(worse, CHECKPOINT_FILE), JSON.stringify(manifest));
    fs.copyFileSync(path.join(DEFAULT_MODEL_DIR, 'weights.bin'), path.join(worse, 'weights.bin'));
    const bad = registerCheckpoint(db, worse, 'undertrained');
    const shipped = registerCheckpoint(db, DEFAULT_MODEL_DIR, 'default');
    const rng = createRng(2);
    const person = takeSession(db, 'human', 'P02', { seed: 4 }, (_, s) => flashLag.simulateResponse(s, { pse: 0.5, sigma: 0.5, guess: 0, lapse: 0 }, rng));
    const model = takeSession(db, 'model', 'PredNet undertrained', { protocolId: person.protocolId }, (_, s) => flashLag.simulateResponse(s, { pse: 0, sigma: 0.5, guess: 0, lapse: 0 }, rng), { modelId: bad.id });
    const c = compareSessions(db, [person.id, model.id], { bootstrap: 0 });
    const [w] = findings(c, participantsOf(db, [person.id, model.id]), listModels(db));
    expect(w).toMatchObject({ kind: 'warning', sessionIds: [model.id] });
    expect(w!.text).toContain(`Checkpoint undertrained (#${model.id}) predicts worse than copying the last frame on its own validation data (mean |E0| 0.0108 vs 0.00980, 1.10×)`);
    expect(w!.text).toMatch(/a null result from it means little/);
    // The shipped checkpoint: whatever its manifest records decides, not a number in this test.
    const check = predictionCheck(shipped);
    const v = shipped.source.validation as { model: number; copyLastFrame: number };
    expect(check.status).toBe(v.model > v.copyLastFrame ? 'worse' : 'better');
    // A checkpoint that records nothing: "not measured".
    expect(checkpointWarning({ label: 'fresh', source: { kind: 'init' }, training: null }, [9])!.text).toMatch(/Checkpoint fresh \(#9\): how well it predicts was not measured/);
  });

  it('several checkpoints of one recipe on the same protocol: each instance, mean and range', () => {
    const { db } = tempDb();
    const rng = createRng(21);
    const person = takeSession(db, 'human', 'P03', { seed: 5 }, (_, s) => flashLag.simulateResponse(s, { pse: 0.4, sigma: 0.4, guess: 0, lapse: 0 }, rng));
    const ids = [-0.3, 0.2, 0.9].map((pse, k) =>
      takeSession(db, 'model', `PredNet prednet-seed${k + 1}`, { protocolId: person.protocolId }, (_, s) => flashLag.simulateResponse(s, { pse, sigma: 0.4, guess: 0, lapse: 0 }, rng)).id,
    );
    const other = takeSession(db, 'model', 'PredNet other', { protocolId: person.protocolId }, (_, s) => flashLag.simulateResponse(s, { pse: 0, sigma: 0.4, guess: 0, lapse: 0 }, rng)).id;
    const c = compareSessions(db, [person.id, ...ids, other], { bootstrap: 40 });
    const participants = participantsOf(db, [person.id, ...ids, other]);
    const sets = modelSets(c, participants, []);
    expect(sets).toHaveLength(1);
    const s = sets[0]!;
    expect(s).toMatchObject({ name: 'PredNet prednet', protocolId: person.protocolId, statistic: 'pse-deg' });
    expect(s.instances.map((i) => i.sessionId)).toEqual(ids);
    const values = ids.map((id) => c.rows.find((r) => r.sessionId === id)!.statistics.find((x) => x.key === 'pse-deg')!.value!);
    expect(s.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / 3, 12);
    expect([s.min, s.max]).toEqual([Math.min(...values), Math.max(...values)]);
    // Fitted PSEs land near the observers' (-0.3, 0.2, 0.9): the range spans most of that.
    expect(s.max! - s.min!).toBeGreaterThan(0.6);
    expect(setSentence(s)).toMatch(/^Model set PredNet prednet \(3 checkpoints, protocol \d+, continuous\): flash-lag PredNet prednet-seed1 −?[\d.]+ deg, .*mean [+−]?[\d.]+ deg, range −?[\d.]+ to [\d.]+ deg; \d of 3 show a flash-lag/);
    // Grouped by protocol instead, the fourth model joins the set.
    expect(modelSets(c, participants, [], 'protocol')[0]!.instances).toHaveLength(4);
    const all = findings(c, participants, []);
    expect(all.filter((f) => f.kind === "set")).toHaveLength(1);
  });

  it('a set counts distinct checkpoints: a second run of the same weights is named as a repeat, not an instance', () => {
    const { db } = tempDb();
    const rng = createRng(22);
    const person = takeSession(db, 'human', 'P04', { seed: 6 }, (_, s) => flashLag.simulateResponse(s, { pse: 0.4, sigma: 0.4, guess: 0, lapse: 0 }, rng));
    const run = (label: string, weights: string) =>
      takeSession(db, 'model', label, { protocolId: person.protocolId }, (_, s) => flashLag.simulateResponse(s, { pse: 0.3, sigma: 0.4, guess: 0, lapse: 0 }, rng), { weights }).id;
    // One checkpoint run twice (even under labels that look like two instances).
    const [a, b] = [run('PredNet prednet-seed1', 'w1'), run('PredNet prednet-seed2', 'w1')];
    const twice = compareSessions(db, [person.id, a, b], { bootstrap: 0 });
    expect(modelSets(twice, participantsOf(db, [person.id, a, b]), [])).toEqual([]);
    expect(findings(twice, participantsOf(db, [person.id, a, b]), []).filter((f) => f.kind === 'set')).toEqual([]);
    // With a second checkpoint: a set of two, the repeat named.
    const other = run('PredNet prednet-seed3', 'w2');
    const c = compareSessions(db, [person.id, a, b, other], { bootstrap: 0 });
    const [set] = modelSets(c, participantsOf(db, [person.id, a, b, other]), []);
    expect(set!.instances.map((i) => i.sessionId)).toEqual([a, other]);
    expect(set!.repeats).toEqual([{ sessionId: b, of: a }]);
    expect(setSentence(set!)).toMatch(new RegExp(`^Model set PredNet prednet \\(2 checkpoints, .* Left out as repeats of a checkpoint already counted: session ${b} \\(same checkpoint as session ${a}\\)\\.$`));
  });
});

describe('compare: sentences for a statistic that is not an effect absent at 0', () => {
  it('a threshold per condition is reported with its condition and interval, never as "shows"', () => {
    const { db } = tempDb();
    const sim = simulateSession(db, { paradigmId: 'kanizsa', parameters: { design: 'constant', trialsPerLevel: 6 }, seed: 2, observer: { pse: 0, sigma: 1, guess: 0.02, lapse: 0.02 } });
    const c = compareSessions(db, [sim.id], { bootstrap: 20 });
    const f = findings(c, new Map([[sim.id, sim.participant]]), []);
    expect(c.rows.length).toBeGreaterThan(1);
    expect(f).toHaveLength(c.rows.length);
    for (const [i, r] of c.rows.entries()) {
      const t = r.statistics.find((s) => s.comparable)!;
      expect(t.key).toBe('threshold');
      expect(f[i]!.text.startsWith(`The ${sim.participant.label} (#${sim.id})`)).toBe(true);
      expect(f[i]!.text).toContain(` in ${r.conditionLabel}`);
      expect(f[i]!.text).not.toMatch(/shows|does not show/);
    }
  });
});

describe('model set names', () => {
  it('drop a trailing seed or run number, nothing else', () => {
    expect(modelSetName('prednet-seed3')).toBe('prednet');
    expect(modelSetName('small_run12')).toBe('small');
    expect(modelSetName('kitti 2')).toBe('kitti');
    expect(modelSetName('default (small, natural video) instance 3')).toBe('default (small, natural video)');
    expect(modelSetName('tiny-prednet')).toBe('tiny-prednet');
    expect(modelSetName('42')).toBe('42');
  });
});
