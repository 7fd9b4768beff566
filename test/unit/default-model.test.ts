/**
 * The checkpoint that ships with the app: a trained small PredNet takes a short flash-lag protocol
 * end to end; its trials are stored, the readout finds the bar and the flash in its predictions,
 * and the comparison table includes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSessions } from '../../main/services/compare.js';
import { defaultModelDir, registerDefaultModel } from '../../main/services/default-model.js';
import { runModelSession } from '../../main/services/model-sessions.js';
import { trialRows } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { initBackend } from '../../native-models/backend.js';
import { readManifest } from '../../native-models/checkpoint.js';
import { tempDb } from '../support/db.js';

const dir = defaultModelDir(path.resolve(import.meta.dirname, '../..'));

beforeAll(async () => {
  await initBackend();
});

describe('the default checkpoint', () => {
  it('is a trained small PredNet whose README records how it was made', () => {
    const m = readManifest(dir);
    expect(m.config).toMatchObject({ height: 64, width: 80, stackSizes: [3, 16, 32, 64] });
    expect(m.source).toMatchObject({ kind: 'default-model', script: 'scripts/train-default-model.ts' });
    // Its validation score and the copy-last-frame baseline are recorded (how it compares is in its README).
    const v = m.source.validation as { model: number; copyLastFrame: number };
    expect(v.model).toBeGreaterThan(0);
    expect(v.copyLastFrame).toBeGreaterThan(0);
    expect(m.training!.bestValLoss).toBeLessThan(m.training!.history[0]!.loss);
    expect(m.training!.finished).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/seed \d+/);
  });

  it('takes a short flash-lag protocol: trials stored, bar and flash found, in the comparison', async () => {
    const { db } = tempDb();
    const model = registerDefaultModel(db, path.resolve(import.meta.dirname, '../..'))!;
    expect(model.label).toMatch(/default/);
    const params = { offsetsDeg: [-2, 0, 2, 4], trialsPerOffset: 3, flashFrames: 1 };
    const person = simulateSession(db, { paradigmId: 'flash-lag', parameters: params, seed: 3, observer: { pse: 0.6, sigma: 0.4, guess: 0.02, lapse: 0.02 } });
    const s = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint: dir, protocolId: person.protocol.id });
    expect(s).toMatchObject({ status: 'complete', answered: 12 });
    const extras = trialRows(db, s.id).map((r) => JSON.parse(r.extra!) as { guessed: boolean; perceivedOffsetDeg: number | null });
    expect(extras.filter((e) => !e.guessed).length).toBeGreaterThanOrEqual(9);
    const c = compareSessions(db, [person.id, s.id], { bootstrap: 50 });
    expect(c.rows[1]).toMatchObject({ sessionId: s.id, kind: 'model' });
    expect(c.rows[1]!.directPseDeg).not.toBeNull();
  }, 120_000);
});
