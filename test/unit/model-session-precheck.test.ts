/**
 * A model session whose readout cannot read the trials (a readout delay past the end of a
 * flash-terminated trial) is refused before anything is written: no participant, protocol or
 * session, no progress line; the message says what to change. Readable settings still run.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/db.js';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';

let root: string;
let checkpoint: string;
beforeAll(async () => {
  root = tempDir();
  checkpoint = path.join(root, 'tiny');
  const r = await cli('--db', path.join(root, 'init.sqlite'), 'model', 'init', '--height', '32', '--width', '40', '--seed', '3', '--out', checkpoint, '--json');
  expect(r.code, r.err).toBe(0);
}, 60_000);

const counts = (file: string) => {
  const db = openDatabase(file);
  const n = (t: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  const c = { participants: n('participants'), protocols: n('protocols'), sessions: n('sessions'), trials: n('trials'), models: n('models') };
  db.close();
  return c;
};

const run = (db: string, ...extra: string[]) =>
  cli('--db', db, 'session', 'run', '--model', checkpoint, '--paradigm', 'flash-lag', '--seed', '1', '--fps', '10', '--param', 'variant=flash-terminated', '--param', 'trialsPerOffset=1', ...extra);

describe('model session precheck', () => {
  it('refuses a readout delay past the end of the trial before a participant or session exists', async () => {
    const db = path.join(root, 'refused.sqlite');
    const r = await run(db, '--param', 'blankAfterFlashMs=0', '--readout-delay', '3');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^predlab: Readout delay 3 frame\(s\) reads model frame \d+, but this trial has \d+ frames at 10 frames\/s .*set blankAfterFlashMs to at least \d+ ms \(now 0\) or use a shorter readout delay\.\n$/);
    expect(r.err).not.toMatch(/model trials/i);
    expect(r.out).toBe('');
    expect(counts(db)).toEqual({ participants: 0, protocols: 0, sessions: 0, trials: 0, models: 0 });
  }, 120_000);

  it('the same trials with a delay the trial allows run to the end', async () => {
    const db = path.join(root, 'ok.sqlite');
    const r = await run(db, '--param', 'blankAfterFlashMs=300', '--readout-delay', '2', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^model trials: starting\n/);
    const s = r.json();
    expect(s.status).toBe('complete');
    // The model, and copy-last and the oracle beside it on the same trials.
    expect(counts(db)).toMatchObject({ participants: 3, protocols: 1, sessions: 3, trials: 3 * s.trials, models: 1 });
    expect(Object.keys(s.references)).toEqual(['copy-last', 'oracle']);
  }, 180_000);
});
