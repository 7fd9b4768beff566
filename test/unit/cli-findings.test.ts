/** `predlab compare` says in sentences what the Compare page says: the same findings(), in text and in --json. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSessions } from '../../main/services/compare.js';
import { listModels } from '../../main/services/models.js';
import { createParticipant } from '../../main/services/participants.js';
import { finishSession, listSessions, nextTrial, recordTrial, startSession } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { findings } from '../../paradigms/findings.js';
import { cli } from '../support/cli.js';
import { CALIBRATION, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';

const params = { speedDegPerS: 10, offsetsDeg: [-1.5, -0.5, 0.5, 1.5, 2.5], trialsPerOffset: 4, flashDurationMs: 100 };
let file: string;
let personId: number;
let modelSessionId: number;

beforeAll(async () => {
  const t = tempDb();
  file = t.file;
  const p = createParticipant(t.db, { kind: 'human', label: 'P01' });
  const s = startSession(t.db, { participantId: p.id, paradigmId: 'flash-lag', parameters: params, seed: 9, calibration: CALIBRATION });
  for (let x = nextTrial(t.db, s.id); x; x = nextTrial(t.db, s.id)) {
    const st = x.stimulus as unknown as FlashLagStimulus;
    recordTrial(t.db, s.id, { trialIndex: x.index, response: (st.offsetDeg > 0.4) === (st.direction === 1) ? 'right' : 'left', rtMs: 400, frameTiming: FRAME_TIMING });
  }
  personId = finishSession(t.db, s.id, 'complete').id;
  t.db.close();
  // A fresh (untrained) checkpoint made by the CLI: its files record no prediction score.
  const dir = path.join(tempDir(), 'tiny-prednet');
  const init = await cli('--db', file, 'model', 'init', '--height', '32', '--width', '40', '--seed', '3', '--out', dir, '--json');
  expect(init.code, init.err).toBe(0);
  const run = await cli('--db', file, 'session', 'run', '--model', dir, '--protocol', String(s.protocol.id), '--fov', '20', '--fps', '10', '--json');
  expect(run.code, run.err).toBe(0);
  modelSessionId = run.json().sessionId;
}, 120_000);

describe('predlab compare findings', () => {
  it('prints the Compare page sentences, the checkpoint warning first, and gives them in --json', async () => {
    const db = openDatabase(file);
    const c = compareSessions(db, [personId, modelSessionId], { bootstrap: 50 });
    const expected = findings(c, new Map(listSessions(db).map((x) => [x.id, x.participant])), listModels(db));
    db.close();
    expect(expected[0]).toMatchObject({ kind: 'warning', sessionIds: [modelSessionId] });
    expect(expected[0]!.text).toMatch(/tiny-prednet.*was not measured/);
    expect(expected.some((x) => x.kind === 'effect' && x.text.startsWith(`The person (P01, #${personId})`))).toBe(true);
    // Beside the model, copy-last and the oracle on the same trials, in one sentence.
    expect(expected.some((x) => x.kind === 'reference' && x.sessionIds[0] === modelSessionId)).toBe(true);

    const j = await cli('--db', file, 'compare', '--sessions', `${personId},${modelSessionId}`, '--bootstrap', '50', '--json');
    expect(j.code, j.err).toBe(0);
    expect(j.json().findings).toEqual(expected);

    const t = await cli('--db', file, 'compare', '--sessions', `${personId},${modelSessionId}`, '--bootstrap', '50');
    expect(t.code, t.err).toBe(0);
    const section = t.out.split('\nfindings:\n')[1];
    expect(section, t.out).toBeDefined();
    expect(section!.trimEnd().split('\n')).toEqual(expected.map((x) => `  - ${x.text}`));
  }, 120_000);
});
