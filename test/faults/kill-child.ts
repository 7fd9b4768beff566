/**
 * One participant's session, killed (SIGKILL) by test/faults/kill.test.ts at a random point.
 * Like test/support/crash-child.ts, but it resumes the participant's running session when there
 * is one, so one session survives a whole series of kills, and it serves a model participant too.
 *   person: kill-child.ts <db> person <seed>          answers by rule (answerFor) through the services
 *   model:  kill-child.ts <db> model <seed> <ckpt>    runModelSession (what `predlab session run` calls)
 * Each answer is reported on stdout ("committed <index>") only after the service returned, i.e.
 * after the commit: those are the acknowledged answers the parent checks after the kill.
 */
import { createParticipant, listParticipants } from '../../main/services/participants.js';
import { runModelSession } from '../../main/services/model-sessions.js';
import { listSessions, nextTrial, recordTrial, startSession } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import { CALIBRATION, FRAME_TIMING } from '../support/db.js';
import { answerFor, MODEL_PROTOCOL, PERSON_LABEL, PERSON_PROTOCOL, paceMs } from './kill-plan.js';

const [file, kind, seedArg, checkpoint] = process.argv.slice(2);
const seed = Number(seedArg);
const say = (line: string) => process.stdout.write(`${line}\n`);

say('start'); // loaded; the database is opened (created, migrated) next
if (kind === 'person') {
  const db = openDatabase(file!);
  say('open');
  const running = listSessions(db, { status: 'running' }).find((s) => s.participant.label === PERSON_LABEL);
  const participant = running?.participant ?? listParticipants(db).find((p) => p.label === PERSON_LABEL) ?? createParticipant(db, { kind: 'human', label: PERSON_LABEL });
  const session = running ?? startSession(db, { participantId: participant.id, ...PERSON_PROTOCOL, calibration: CALIBRATION });
  say(`session ${session.id}`);
  for (let t = nextTrial(db, session.id), i = 0; t; t = nextTrial(db, session.id), i++) {
    const a = answerFor(t.index);
    recordTrial(db, session.id, { trialIndex: t.index, response: a.response, rtMs: a.rtMs, frameTiming: FRAME_TIMING });
    say(`committed ${t.index}`);
    // A person takes time between answers; a pace of 0 lets kills land inside the writes.
    const ms = paceMs(seed, i);
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
  say('done');
} else if (kind === 'model') {
  const db = openDatabase(file!);
  say('open');
  let reported = 0;
  await runModelSession(db, {
    paradigmId: MODEL_PROTOCOL.paradigmId,
    checkpoint: checkpoint!,
    parameters: MODEL_PROTOCOL.parameters,
    seed: MODEL_PROTOCOL.seed,
    // onProgress runs after the trials up to `done` were recorded.
    onProgress: (done) => {
      for (; reported < done; reported++) say(`committed ${reported}`);
    },
  });
  say('done');
} else {
  throw new Error(`usage: kill-child.ts <db> person|model <seed> [checkpoint]; got ${kind}`);
}
