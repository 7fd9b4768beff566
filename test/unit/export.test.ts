import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bidsLabel, exportSession, neutraliseFormula } from '../../main/services/export.js';
import { createParticipant } from '../../main/services/participants.js';
import { nextTrial, recordTrial, startSession, trialRows } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { CALIBRATION, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';
import { validateBids } from '../support/bids.js';

const observer = { pse: 0.5, sigma: 0.4, guess: 0.02, lapse: 0.02 };

describe('export', () => {
  it('writes a tidy CSV whose rows match the stored trials, and documents every column', () => {
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 4 }, seed: 8, observer });
    const out = tempDir();
    const r = exportSession(db, s.id, 'csv', out);
    expect(r.rows).toBe(28);
    const csv = fs.readFileSync(r.files[0]!, 'utf8');
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    const stored = trialRows(db, s.id);
    expect(rows).toHaveLength(stored.length);
    rows.forEach((row, i) => {
      const t = stored[i]!;
      const stim = JSON.parse(t.stimulus);
      expect(Number(row.trial_index)).toBe(t.trial_index);
      expect(row.response).toBe(t.response);
      expect(Number(row.offset_deg)).toBe(stim.offsetDeg);
      expect(Number(row.direction)).toBe(stim.direction);
      expect(row.flash_ahead).toBe(String((t.response === 'right') === (stim.direction === 1)));
      expect(row.participant_kind).toBe('simulated');
      expect(row.session_id).toBe(String(s.id));
    });
    const dictionary = JSON.parse(fs.readFileSync(r.files[1]!, 'utf8'));
    expect(Object.keys(dictionary)).toEqual(Object.keys(rows[0]!));
    for (const d of Object.values(dictionary) as { Description: string }[]) expect(d.Description.length).toBeGreaterThan(5);
  });

  it('writes measurements at their precision (the browser clock gives 0.1 ms), not floating-point tails', () => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P01' });
    const calibration = { ...CALIBRATION, refreshHz: 59.88023952095874, pxPerDeg: 36.912345 };
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 4, calibration });
    const t = nextTrial(db, s.id)!;
    recordTrial(db, s.id, { trialIndex: t.index, response: 'left', rtMs: 941.3999999999942, frameTiming: { ...FRAME_TIMING, intervalMeanMs: 16.700000000000003, intervalSdMs: 0.12345, intervalMaxMs: 17.0499999 } });
    const r = exportSession(db, s.id, 'csv', tempDir());
    const row = (parse(fs.readFileSync(r.files[0]!, 'utf8'), { columns: true }) as Record<string, string>[])[0]!;
    expect({ rt: row.rt_ms, hz: row.refresh_hz, ppd: row.px_per_deg, mean: row.frame_interval_mean_ms, sd: row.frame_interval_sd_ms, max: row.frame_interval_max_ms }).toEqual({ rt: '941.4', hz: '59.88', ppd: '36.91', mean: '16.7', sd: '0.12', max: '17' });
    expect(row.in_fit).toBe('true');
  });

  it('writes a BIDS behavioural TSV with a JSON sidecar describing every column, times in seconds; the official validator finds no error', () => {
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 2 }, seed: 2, observer });
    db.prepare("UPDATE participants SET label = 'P-07 (pilot)'").run();
    // A person's trial too: its duration and response time in seconds, at the clock's precision.
    const p = createParticipant(db, { kind: 'human', label: 'P08' });
    const h = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 4, calibration: CALIBRATION });
    recordTrial(db, h.id, { trialIndex: nextTrial(db, h.id)!.index, response: 'left', rtMs: 941.3999999999942, frameTiming: { ...FRAME_TIMING, frameCount: 30, intervalMeanMs: 16.700000000000003 } });
    const out = tempDir();
    const r = exportSession(db, s.id, 'bids', out);
    const tsvFile = r.files[0]!;
    // Each session is a run of its subject: the first is run-1; exported again it keeps it, and
    // another session of the same subject into the same folder is run-2 (nothing overwritten).
    // A simulated observer's label spells its sign and point (P-07 -> Pm07).
    expect(path.relative(out, tsvFile)).toBe(path.join('sub-Pm07pilot', 'beh', 'sub-Pm07pilot_task-flashlag_run-1_beh.tsv'));
    expect(exportSession(db, s.id, 'bids', out).files[0]).toBe(tsvFile);
    const again = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 3, observer: { ...observer, sigma: 0.2826281842851514 } });
    // Its label (and so its BIDS subject, had it kept it) carries the numbers to 3 digits, no floating-point tail.
    expect(again.participant.label).toMatch(/^simulated observer \(pse [-\d.]+, sigma 0\.283\)$/);
    // Sign and point are spelled in a simulated observer's subject label: pse -0.5 and 0.5, 1.5 and 15 stay apart.
    expect(['-0.5', '0.5', '1.5', '15'].map((x) => bidsLabel(`simulated observer (pse ${x}, sigma 1)`, 'simulated'))).toEqual(['simulatedobserverpsem0p5sigma1', 'simulatedobserverpse0p5sigma1', 'simulatedobserverpse1p5sigma1', 'simulatedobserverpse15sigma1']);
    db.prepare("UPDATE participants SET label = 'P-07 (pilot)' WHERE id = ?").run(again.participant.id);
    const other = tempDir();
    exportSession(db, s.id, 'bids', other);
    expect(path.basename(exportSession(db, again.id, 'bids', other).files[0]!)).toBe('sub-Pm07pilot_task-flashlag_run-2_beh.tsv');
    expect(JSON.parse(fs.readFileSync(path.join(other, 'sub-Pm07pilot', 'beh', 'sub-Pm07pilot_task-flashlag_run-2_beh.json'), 'utf8')).PredLabSessionId).toBe(again.id);
    const rows = parse(fs.readFileSync(tsvFile, 'utf8'), { columns: true, delimiter: '\t' }) as Record<string, string>[];
    expect(rows).toHaveLength(14);
    expect(Object.keys(rows[0]!)[0]).toBe('duration');
    expect(rows[0]!.rt_ms).toBeUndefined();
    // A simulated observer answers without a reaction time; its display is the nominal one.
    expect(rows[0]!.response_time).toBe('n/a');
    expect(Number(rows[0]!.duration)).toBeCloseTo((Number(rows[0]!.frame_count) * Number(rows[0]!.frame_interval_mean_ms)) / 1000, 3);
    const human = exportSession(db, h.id, 'bids', out);
    const hr = (parse(fs.readFileSync(human.files[0]!, 'utf8'), { columns: true, delimiter: '\t' }) as Record<string, string>[])[0]!;
    expect({ rt: hr.response_time, duration: hr.duration }).toEqual({ rt: '0.9414', duration: '0.501' });
    const { errors, warnings } = validateBids(out);
    expect(errors).toEqual([]);
    // A session of no study has no authors to name: the one warning, said in the README.
    expect(warnings.map((w) => w.key)).toEqual(['NO_AUTHORS']);
    const sidecar = JSON.parse(fs.readFileSync(r.files[1]!, 'utf8'));
    for (const c of Object.keys(rows[0]!)) expect(sidecar[c]?.Description, c).toBeTruthy();
    expect(sidecar.offset_deg.Units).toBe('deg');
    expect(sidecar.response_time.Units).toBe('s');
    expect(sidecar.duration.Units).toBe('s');
    expect(sidecar.TaskName).toBe('Flash-lag');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'dataset_description.json'), 'utf8')).BIDSVersion).toBeTruthy();
  });

  it('a folder that cannot be written gives a clear error and leaves no partial file', () => {
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 2, observer });
    const blocker = path.join(tempDir(), 'a-file');
    fs.writeFileSync(blocker, 'x');
    expect(() => exportSession(db, s.id, 'csv', path.join(blocker, 'out'))).toThrow(/Could not create the folder/);
    expect(() => exportSession(db, 9999, 'csv', tempDir())).toThrow(/No session with id 9999/);
  });

  it('a full disk leaves no half-written export', () => {
    const full = '/dev/full';
    if (!fs.existsSync(full)) return;
    const { db } = tempDb();
    const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 2, observer });
    // Writing into a folder whose file is a link to /dev/full fails with ENOSPC.
    const out = tempDir();
    const base = path.join(out, `predlab_session-${s.id}_flash-lag_trials.csv.partial-${process.pid}`);
    fs.symlinkSync(full, base);
    expect(() => exportSession(db, s.id, 'csv', out)).toThrow(/the disk is full/);
    expect(fs.existsSync(path.join(out, `predlab_session-${s.id}_flash-lag_trials.csv`))).toBe(false);
  });

  it('text a spreadsheet would run as a formula is exported inert; numbers stay numbers', () => {
    for (const label of ['=HYPERLINK("http://evil.example","click")', '+SUM(A1)', '-2+3', '@cmd']) {
      const { db } = tempDb();
      const s = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 2, observer });
      db.prepare('UPDATE participants SET label = ?').run(label);
      const out = tempDir();
      for (const format of ['csv', 'bids'] as const) {
        const r = exportSession(db, s.id, format, out);
        const rows = parse(fs.readFileSync(r.files[0]!, 'utf8'), { columns: true, delimiter: format === 'csv' ? ',' : '\t' }) as Record<string, string>[];
        expect(rows[0]!.participant_label, format).toBe(`'${label}`);
        // Negative offsets are numbers, not formulas.
        expect(rows.some((row) => row.offset_deg!.startsWith('-') && Number.isFinite(Number(row.offset_deg)))).toBe(true);
      }
    }
    expect(neutraliseFormula('\tx')).toBe("'\tx");
    expect(neutraliseFormula('\r=1')).toBe("'\r=1");
    expect(neutraliseFormula('P01')).toBe('P01');
    expect(neutraliseFormula(-1)).toBe(-1);
  });
});
