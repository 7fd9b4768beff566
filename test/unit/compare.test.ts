import { describe, expect, it } from 'vitest';
import { compareSessions } from '../../main/services/compare.js';
import { createParticipant } from '../../main/services/participants.js';
import { finishSession, nextTrial, nominalFrameTiming, recordTrial, startSession } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { flashLag } from '../../paradigms/flash-lag/index.js';
import { createRng } from '../../paradigms/rng.js';
import { CALIBRATION, tempDb } from '../support/db.js';

type Db = ReturnType<typeof tempDb>['db'];
const params = { offsetsDeg: [-1.5, -1, -0.5, 0, 0.5, 1, 1.5], trialsPerOffset: 12 };

/** A session whose answers come from `answer` (trial index, stimulus) -> response. */
function takeSession(db: Db, kind: 'human' | 'model', label: string, protocol: { protocolId?: number; seed?: number }, answer: (i: number, stimulus: any) => string): { id: number; protocolId: number } {
  const p = createParticipant(db, { kind, label });
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
    expect(c.differences.find((d) => d.statistic === 'pse-deg')).toMatchObject({ sameProtocol: false, ciMethod: 'independent', sharedTrials: 0 });
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
    }
  });
});
