import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli/index.js';
import { openDatabase } from '../../main/store/db.js';
import { tempDir } from '../support/db.js';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
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
    expect(analysis.pseDeg).toBeGreaterThan(0.5);
    expect(analysis.pseDeg).toBeLessThan(1.1);
    expect(analysis.pseMs).toBeCloseTo(analysis.pseDeg * 100, 6); // speed 10 deg/s

    const text = await cli('--db', db, 'analyze', '--session', '1', '--bootstrap', '50');
    expect(text.out).toMatch(/Flash-lag \(PSE\): [\d.]+ deg/);
    expect(text.out).toMatch(/ms/);

    const out = path.join(dir, 'export');
    const e = await cli('--db', db, 'export', '--session', '1', '--format', 'csv', '--out', out, '--json');
    expect(e.code, e.err).toBe(0);
    const files = JSON.parse(e.out).files as string[];
    expect(fs.readFileSync(files[0]!, 'utf8').trim().split('\n')).toHaveLength(211);

    const list = await cli('--db', db, 'session', 'list', '--json');
    expect(JSON.parse(list.out)).toHaveLength(1);
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
