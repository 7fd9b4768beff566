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
    // A flash of one model frame (100 ms), as in the paper's display.
    const params = ['motion=rotate', 'speedDegPerS=60', 'travelDeg=60', 'flashJitterDeg=10', 'offsetsDeg=[-12,-6,0,6,12]', 'trialsPerOffset=6', 'flashDurationMs=100'].flatMap((p) => ['--param', p]);
    const run = await cli('--db', db, 'session', 'run', '--model', 'default', '--paradigm', 'flash-lag', '--seed', '3', ...params, '--json');
    expect(run.code, run.err).toBe(0);
    const { sessionId, trials } = run.json();
    expect(trials).toBe(30);

    const analysed = await cli('--db', db, 'analyze', '--session', String(sessionId), '--bootstrap', '50', '--json');
    expect(analysed.code, analysed.err).toBe(0);
    const a = analysed.json();
    expect(a.title).toBe('Flash-lag (rotating bar, outer flash, continuous, 60 deg of rotation/s)');
    expect(a.xUnit).toBe('deg of rotation');
    const stats = a.conditions[0].statistics as { key: string; value: number | null; unit: string }[];
    const st = (k: string) => stats.find((s) => s.key === k)!;
    expect(st('pse-deg').unit).toBe('deg of rotation');
    expect(st('pse-visual-deg').unit).toBe('deg');
    // Thirty trials: the fitted PSE may well not be determined; the noise-free direct PSE is read off the perceived offsets.
    for (const k of ['pse-deg', 'pse-visual-deg']) expect((st(k) as { determined?: boolean }).determined === true || typeof (st(k) as { undetermined?: string }).undetermined === 'string').toBe(true);
    expect(Number.isFinite(st('direct-pse-deg').value)).toBe(true);
    expect(st('direct-pse-deg').unit).toBe('deg of rotation');

    // The exported trials: where the readout found bar and flash there is a perceived offset and
    // an answer; where it did not, no answer ('none') and no offset. The perceived offsets rise
    // with the physical ones.
    const out = tempDir();
    const exported = await cli('--db', db, 'export', '--session', String(sessionId), '--format', 'csv', '--out', out, '--json');
    expect(exported.code, exported.err).toBe(0);
    const rows = parse(fs.readFileSync(exported.json().files[0], 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(30);
    for (const r of rows) {
      expect(r.motion).toBe('rotate');
      expect(r.response === 'none').toBe(r.perceived_offset_deg === '');
    }
    const read = rows.filter((r) => r.perceived_offset_deg !== '');
    expect(read.length).toBeGreaterThanOrEqual(20);
    const mean = (sign: number) => {
      const xs = read.filter((r) => Math.sign(Number(r.offset_deg)) === sign).map((r) => Number(r.perceived_offset_deg));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(mean(1)).toBeGreaterThan(mean(-1));

    const text = await cli('--db', db, 'analyze', '--session', String(sessionId), '--bootstrap', '50');
    expect(text.out).toMatch(/Flash-lag \(PSE\): (-?[\d.]+ deg of rotation|not determined \()/);
    expect(text.out).toMatch(/Flash-lag \(direct PSE of the model readout\): (-?[\d.]+ deg of rotation|not determined \()/);
    expect(text.out).toMatch(/along the flash's arc at 4\.75 deg eccentricity: (-?[\d.]+ deg|not determined)/);
  }, 300_000);
});
