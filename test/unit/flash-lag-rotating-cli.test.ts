/**
 * The rotating bar for the model, as a user runs it: `predlab session run --model default
 * --param motion=rotate ...` with the shipped checkpoint, then `predlab analyze`: a finite PSE
 * in degrees of rotation, and perceived offsets that follow the physical ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';

describe('predlab session run with the rotating bar', () => {
  it('runs the default checkpoint on a small rotating protocol and analyses it in degrees of rotation', async () => {
    const db = path.join(tempDir(), 'lab.sqlite');
    const params = ['motion=rotate', 'speedDegPerS=60', 'travelDeg=60', 'flashJitterDeg=10', 'offsetsDeg=[-12,-6,0,6,12]', 'trialsPerOffset=2'].flatMap((p) => ['--param', p]);
    const run = await cli('--db', db, 'session', 'run', '--model', 'default', '--paradigm', 'flash-lag', '--seed', '3', ...params, '--json');
    expect(run.code, run.err).toBe(0);
    const { sessionId, trials } = run.json();
    expect(trials).toBe(10);

    const analysed = await cli('--db', db, 'analyze', '--session', String(sessionId), '--bootstrap', '50', '--json');
    expect(analysed.code, analysed.err).toBe(0);
    const a = analysed.json();
    expect(a.title).toBe('Flash-lag (rotating bar, outer flash, continuous, 60 deg of rotation/s)');
    expect(a.xUnit).toBe('deg of rotation');
    const stats = a.conditions[0].statistics as { key: string; value: number | null; unit: string }[];
    const st = (k: string) => stats.find((s) => s.key === k)!;
    expect(st('pse-deg').unit).toBe('deg of rotation');
    expect(Number.isFinite(st('pse-deg').value)).toBe(true);
    expect(Number.isFinite(st('pse-visual-deg').value)).toBe(true);
    expect(Number.isFinite(st('direct-pse-deg').value)).toBe(true);

    // The exported trials: the readout found bar and flash in every predicted frame, and the
    // model's perceived offsets rise with the physical ones.
    const out = tempDir();
    const exported = await cli('--db', db, 'export', '--session', String(sessionId), '--format', 'csv', '--out', out, '--json');
    expect(exported.code, exported.err).toBe(0);
    const rows = parse(fs.readFileSync(exported.json().files[0], 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.motion === 'rotate' && r.perceived_offset_deg !== '' && Number.isFinite(Number(r.perceived_offset_deg)))).toBe(true);
    const mean = (o: number) => rows.filter((r) => Number(r.offset_deg) === o).reduce((s, r) => s + Number(r.perceived_offset_deg), 0) / 2;
    expect(mean(12)).toBeGreaterThan(mean(-12));

    const text = await cli('--db', db, 'analyze', '--session', String(sessionId), '--bootstrap', '50');
    expect(text.out).toMatch(/Flash-lag \(PSE\): -?[\d.]+ deg of rotation/);
    expect(text.out).toMatch(/along the flash's arc at 4\.75 deg eccentricity: -?[\d.]+ deg/);
  }, 300_000);
});
