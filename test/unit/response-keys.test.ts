/**
 * Response keys per protocol, counterbalanced across participants on request, stored with each
 * session: the assignment, its checks, the instructions and prompt that follow it, the real lab
 * file, and the export.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { exportSession } from '../../main/services/export.js';
import { finishSession, getSession, nextTrial, nominalFrameTiming, recordTrial, startSession } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { kanizsa } from '../../paradigms/kanizsa/index.js';
import { flashLag } from '../../paradigms/flash-lag/index.js';
import { defaultKeys, keyProblems, keysFor, promptFor } from '../../paradigms/response-keys.js';
import { instructionsOf, runSettingsOf } from '../../paradigms/run-settings.js';
import { CALIBRATION, tempDb, tempDir } from '../support/db.js';

const run = (extra: Record<string, unknown>) => ({ run: { practiceTrials: 0, ...extra } });

describe('response keys', () => {
  it('rotate among the answers when counterbalanced, and are checked before use', () => {
    expect(keysFor(kanizsa, undefined, false, 1)).toEqual({ fat: 'f', thin: 't' });
    expect(keysFor(kanizsa, undefined, true, 0)).toEqual({ fat: 'f', thin: 't' });
    expect(keysFor(kanizsa, undefined, true, 1)).toEqual({ fat: 't', thin: 'f' });
    expect(keysFor(kanizsa, undefined, true, 2)).toEqual({ fat: 'f', thin: 't' });
    expect(keysFor(flashLag, { left: 'a', right: 'l' }, true, 3)).toEqual({ left: 'l', right: 'a' });
    expect(keyProblems(kanizsa, { fat: 'f', thin: 'F' })).toEqual(['Each answer needs its own key; f, F repeat one.']);
    expect(keyProblems(kanizsa, { fat: 'Escape', thin: 't' })[0]).toMatch(/^Escape is kept for the run itself/);
    // Modifiers, dead keys and function keys are no answers; a letter is one key in either case.
    expect(keyProblems(kanizsa, { fat: 'Control', thin: 't' })).toEqual(['Control cannot be an answer key: choose a letter, a digit, a sign or an arrow.']);
    expect(keysFor(kanizsa, { fat: 'F', thin: 'T' }, true, 1)).toEqual({ fat: 't', thin: 'f' });
    expect(keyProblems(kanizsa, { fat: 'f', bogus: 'x' })).toEqual(["'bogus' is not an answer of Kanizsa illusory contours (its answers: fat, thin).", "Give a key for the answer 'thin'."].map((t) => t.replace('Kanizsa illusory contours', kanizsa.name)));
  });

  it('instructions and the prompt name the keys of the session', () => {
    const swapped = { fat: 't', thin: 'f' };
    const r = runSettingsOf({});
    expect(instructionsOf(r, kanizsa, undefined)).toContain('Press F if the shape looked fat, T if it looked thin.');
    expect(instructionsOf(r, kanizsa, undefined, swapped)).toContain('Press T if the shape looked fat, F if it looked thin.');
    expect(promptFor(kanizsa, swapped)).toBe('T = fat · F = thin');
    expect(promptFor(flashLag, null)).toBe('← flash left · flash right →');
    expect(instructionsOf(r, flashLag, undefined)).toContain('Press the LEFT arrow if the flash was to the left of the moving bar, the RIGHT arrow if it was to the right.');
    // A protocol's own text may name keys the same way.
    expect(instructionsOf(runSettingsOf({ run: { instructions: 'Fat: {fat}. Thin: {thin}. {nothing} stays.' } }), kanizsa, undefined, swapped)).toBe('Fat: T. Thin: F. {nothing} stays.');
  });

  it('a counterbalanced protocol gives every other person the swapped keys, a returning person theirs, a model none; stored in the lab file and exported', () => {
    const { db } = tempDb();
    const params = { trialsPerLevel: 1, conditions: ['illusory'], ...run({ counterbalanceKeys: true }) };
    const start = (label: string) => startSession(db, { participant: { label }, paradigmId: 'kanizsa', parameters: params, calibration: CALIBRATION });
    const p1 = start('P01');
    const p2 = start('P02');
    const p1again = start('P01');
    const p3 = start('P03');
    expect([p1, p2, p1again, p3].map((s) => s.responseKeys)).toEqual([
      { fat: 'f', thin: 't' },
      { fat: 't', thin: 'f' },
      { fat: 'f', thin: 't' },
      { fat: 'f', thin: 't' },
    ]);
    // An online participant's rotation was drawn in their browser: not counted among the lab's people.
    startSession(db, { participant: { label: 'W01' }, paradigmId: 'kanizsa', parameters: params, calibration: CALIBRATION, source: 'online', responseKeys: { fat: 't', thin: 'f' } });
    expect(start('P05').responseKeys).toEqual({ fat: 't', thin: 'f' });
    // Not counterbalanced: the paradigm's keys for everyone; a simulated observer answers by value.
    expect(startSession(db, { participant: { label: 'P04' }, paradigmId: 'kanizsa', parameters: { trialsPerLevel: 1 }, calibration: CALIBRATION }).responseKeys).toEqual(defaultKeys(kanizsa));
    expect(simulateSession(db, { paradigmId: 'kanizsa', parameters: { trialsPerLevel: 1 }, seed: 1, observer: { pse: 0, sigma: 2, guess: 0, lapse: 0 } }).responseKeys).toBeNull();
    // Answers are stored as values; the export says which key gave each.
    for (let t = nextTrial(db, p2.id); t; t = nextTrial(db, p2.id)) recordTrial(db, p2.id, { trialIndex: t.index, response: 'fat', rtMs: 500, frameTiming: nominalFrameTiming(60, 30, 10) });
    finishSession(db, p2.id, 'complete');
    const out = tempDir();
    const e = exportSession(db, p2.id, 'csv', out);
    const rows = parse(fs.readFileSync(e.files.find((f) => f.endsWith('.csv'))!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.response === 'fat' && r.response_key === 't')).toBe(true);
    expect(getSession(db, p2.id).responseKeys).toEqual({ fat: 't', thin: 'f' });
    expect(path.isAbsolute(out)).toBe(true);
  });

  it("a protocol's own keys are checked when it is made: refused with the reason, nothing written", () => {
    const { db } = tempDb();
    const count = () => (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
    expect(() => startSession(db, { participant: { label: 'P01' }, paradigmId: 'kanizsa', parameters: run({ keys: { fat: 'p', thin: 't' } }), calibration: CALIBRATION })).toThrow(/Invalid response keys: P is kept for the run itself/);
    expect(count()).toBe(0);
    const own = startSession(db, { participant: { label: 'P01' }, paradigmId: 'kanizsa', parameters: run({ keys: { fat: 'ArrowLeft', thin: 'ArrowRight' } }), calibration: CALIBRATION });
    expect(own.responseKeys).toEqual({ fat: 'ArrowLeft', thin: 'ArrowRight' });
  });
});
