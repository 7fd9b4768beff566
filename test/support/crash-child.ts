/** A Node side that runs a session and is killed by the test mid-way (see crash.test.ts). */
import { createParticipant } from '../../main/services/participants.js';
import { nextTrial, recordTrial, startSession } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import { CALIBRATION, FRAME_TIMING } from './db.js';

const db = openDatabase(process.argv[2]!);
const p = createParticipant(db, { kind: 'human', label: 'crash' });
const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { trialsPerOffset: 4 }, seed: 21, calibration: CALIBRATION });
process.stdout.write(`session ${s.id}\n`);
for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id)) {
  recordTrial(db, s.id, { trialIndex: t.index, response: t.index % 3 ? 'left' : 'right', rtMs: 100 + t.index, frameTiming: FRAME_TIMING });
  process.stdout.write(`committed ${t.index}\n`);
  // Wait for the parent (which kills us) between answers, as a person would take time.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
}
