import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createParticipant } from '../../main/services/participants.js';
import { nextTrial, recordTrial, startSession } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import { CALIBRATION, FRAME_TIMING, tempDir } from '../support/db.js';
import { cli } from '../support/cli.js';

/** SE of a cumulative-Gaussian PSE from the Fisher information of a constant-stimuli design. */
function pseStandardError(levels: number[], nPerLevel: number, pse: number, sigma: number, guessLapse: number): number {
  let info = 0;
  for (const x of levels) {
    const z = (x - pse) / sigma;
    const phi = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    const cdf = 0.5 * (1 + erf(z / Math.SQRT2));
    const p = guessLapse + (1 - 2 * guessLapse) * cdf;
    const dp = ((1 - 2 * guessLapse) * phi) / sigma;
    info += (nPerLevel * dp * dp) / (p * (1 - p));
  }
  return 1 / Math.sqrt(info);
}
/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

describe('predlab CLI', () => {
  it('lists paradigms', async () => {
    const r = await cli('paradigms', '--json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out);
    expect(list[0]).toMatchObject({ id: 'flash-lag', responses: ['left', 'right'] });
    expect(list[0].defaults.speedDegPerS).toBe(10);
  });

  it('simulates, analyses and exports a session on one database', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'lab.sqlite');
    const sim = await cli('--db', db, 'session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.8', '--sigma', '0.3', '--seed', '4', '--param', 'trialsPerOffset=30', '--param', 'offsetsDeg=[-1,-0.5,0,0.5,1,1.5,2]', '--json');
    expect(sim.code, sim.err).toBe(0);
    const { sessionId } = JSON.parse(sim.out);
    expect(sessionId).toBe(1);

    const a = await cli('--db', db, 'analyze', '--session', String(sessionId), '--bootstrap', '200', '--json');
    expect(a.code, a.err).toBe(0);
    const analysis = JSON.parse(a.out);
    expect(analysis.trials).toBe(210);
    const stat = (key: string) => analysis.conditions[0].statistics.find((x: { key: string }) => x.key === key);
    // The simulated observer's PSE (0.8 deg) within 3 standard errors; the SE from the Fisher
    // information of this design (7 offsets x 30 trials, sigma 0.3, guess = lapse = 0.02) is 0.058 deg.
    expect(Math.abs(stat('pse-deg').value - 0.8)).toBeLessThan(3 * pseStandardError([-1, -0.5, 0, 0.5, 1, 1.5, 2], 30, 0.8, 0.3, 0.02));
    expect(stat('pse-ms').value).toBeCloseTo(stat('pse-deg').value * 100, 6); // speed 10 deg/s

    const text = await cli('--db', db, 'analyze', '--session', '1', '--bootstrap', '50');
    expect(text.out).toMatch(/Flash-lag \(PSE\): [\d.]+ deg/);
    expect(text.out).toMatch(/ms/);

    const out = path.join(dir, 'export');
    const e = await cli('--db', db, 'export', '--session', '1', '--format', 'csv', '--out', out, '--json');
    expect(e.code, e.err).toBe(0);
    const files = JSON.parse(e.out).files as string[];
    expect(fs.readFileSync(files[0]!, 'utf8').trim().split('\n')).toHaveLength(211);

    const bids = await cli('--db', db, 'export', '--session', '1', '--format', 'bids', '--out', out, '--json');
    expect(bids.code, bids.err).toBe(0);
    const tsv = (JSON.parse(bids.out).files as string[])[0]!;
    expect(path.relative(out, tsv)).toMatch(/^sub-([A-Za-z0-9]+)\/beh\/sub-\1_task-flashlag_run-1_beh\.tsv$/);
    expect(fs.existsSync(path.join(out, 'dataset_description.json'))).toBe(true);
    expect(fs.readFileSync(tsv, 'utf8').trim().split('\n')).toHaveLength(211);

    const list = await cli('--db', db, 'session', 'list', '--json');
    expect(JSON.parse(list.out)).toHaveLength(1);
  });

  it('closes an interrupted session, keeping its answers', async () => {
    const file = path.join(tempDir(), 'lab.sqlite');
    const db = openDatabase(file);
    const p = createParticipant(db, { kind: 'human', label: 'P01' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 1, calibration: CALIBRATION });
    for (let i = 0; i < 2; i++) recordTrial(db, s.id, { trialIndex: nextTrial(db, s.id)!.index, response: 'left', rtMs: 400, frameTiming: FRAME_TIMING });
    db.close();
    const r = await cli('--db', file, 'session', 'close', '--session', String(s.id), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ sessionId: s.id, status: 'aborted', answered: 2 });
    const again = await cli('--db', file, 'session', 'close', '--session', String(s.id));
    expect(again.code).toBe(1);
    expect(again.err).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('a mistyped --db for a command that only reads creates nothing', async () => {
    const dir = tempDir();
    for (const argv of [['analyze', '--session', '1'], ['session', 'list'], ['export', '--session', '1', '--format', 'csv', '--out', path.join(dir, 'out')]]) {
      const r = await cli('--db', path.join(dir, 'typo', 'lab.sqlite'), ...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(/There is no database at .*nothing was created/);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('says which backend PredNet runs on', async () => {
    const r = await cli('backend', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ choice: 'wasm', patchedKernels: expect.arrayContaining(['Conv2DBackpropFilter']) });
    const text = await cli('backend');
    expect(text.out).toMatch(/wasm/);
    // Training's engine, and why the optional TensorFlow bindings are absent here.
    expect(JSON.parse(r.out).training).toMatchObject({ name: 'onnxruntime', detail: expect.stringMatching(/^onnxruntime-node \d/) });
    expect(text.out).toMatch(/^training: onnxruntime-node \d+\.\d+\.\d+ \(cpu, \d+ threads?/m);
    expect(text.out).toMatch(/^ {2}skipped tensorflow: @tensorflow\/tfjs-node is not installed \(an optional dependency: npm leaves it out where its install script cannot fetch libtensorflow/m);
    process.env.PREDLAB_TRAINING = 'tfjs';
    try {
      expect((await cli('backend')).out).toMatch(/^training: tfjs \(wasm\); ONNX Runtime not used: PREDLAB_TRAINING=tfjs$/m);
    } finally {
      delete process.env.PREDLAB_TRAINING;
    }
  });

  it('reports bad input clearly and changes nothing', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'lab.sqlite');
    const neg = await cli('--db', db, 'session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0', '--sigma', '1', '--param', 'speedDegPerS=-2', '--json');
    expect(neg.code).toBe(1);
    expect(neg.err).toMatch(/speedDegPerS/);
    expect(JSON.parse(neg.out).error.code).toBe('invalid-argument');
    const empty = await cli('--db', db, 'session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0', '--sigma', '1', '--param', 'offsetsDeg=[]');
    expect(empty.err).toMatch(/offsetsDeg must list at least one offset/);
    const missing = await cli('--db', db, 'analyze', '--session', '77');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/No session with id 77/);
    const notNumber = await cli('--db', db, 'analyze', '--session', 'abc');
    expect(notNumber.code).toBe(2);
    expect(notNumber.err).toMatch(/--session must be a number/);
    const handle = openDatabase(db);
    expect((handle.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n).toBe(0);
    handle.close();

    const junk = path.join(dir, 'junk.sqlite');
    fs.writeFileSync(junk, 'not a database at all, just text');
    const bad = await cli('--db', junk, 'session', 'list');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/is not a SQLite database/);
    expect(fs.readFileSync(junk, 'utf8')).toBe('not a database at all, just text');
  });

  it('runs as the installed `predlab` command', () => {
    const db = path.join(tempDir(), 'lab.sqlite');
    const bin = path.resolve('bin/predlab.js');
    const r = spawnSync(process.execPath, [bin, '--db', db, 'session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.5', '--slope', '0.8', '--param', 'trialsPerOffset=2', '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ sessionId: 1, trials: 14, status: 'complete' });
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/session/);
    expect(help.stdout).toMatch(/export/);
  });
});

describe('predlab analyze, when the data determine nothing', () => {
  it('says the fitted curve is not determined instead of printing where the optimiser stopped', async () => {
    const db = path.join(tempDir(), 'lab.sqlite');
    // An observer far past the tested offsets: every answer the same.
    expect((await cli('--db', db, 'session', 'simulate', '--paradigm', 'flash-lag', '--pse', '10', '--sigma', '0.1', '--seed', '2', '--param', 'trialsPerOffset=3')).code).toBe(0);
    const r = await cli('--db', db, 'analyze', '--session', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ {2}Fitted curve \(sigma, guess, lapse, deviance\): not determined \(every answer was the same, so there is no curve to fit\)$/m);
    expect(r.out).not.toMatch(/sigma \d|guess \d|deviance \d/);
  });
});
