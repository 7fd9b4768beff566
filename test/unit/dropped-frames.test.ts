/** Dropped frames near the critical event: flagged, left out of the fit by default, included when asked. */
import { parse } from 'csv-parse/sync';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli/index.js';
import { analyseSession, EXCLUDED_STATISTIC } from '../../main/services/analysis.js';
import { compareSessions } from '../../main/services/compare.js';
import { dropNearCritical } from '../../main/services/dropped-frames.js';
import { createParticipant } from '../../main/services/participants.js';
import { finishSession, nextTrial, recordTrial, startSession } from '../../main/services/sessions.js';
import { answerFor } from '../../paradigms/flash-lag/design.js';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/params.js';
import { RUN_KEY } from '../../paradigms/run-settings.js';
import { CALIBRATION, tempDb } from '../support/db.js';

const FRAME = 1000 / 60;

/** 60 frames at 60 Hz, the critical frame 30; one interval doubled at `dropAt` (null: none). */
function timing(dropAt: number | null) {
  const intervalsMs = Array.from({ length: 59 }, (_, i) => (i === dropAt ? 2 * FRAME : FRAME));
  const mean = intervalsMs.reduce((a, b) => a + b, 0) / intervalsMs.length;
  return { frameCount: 60, intervalMeanMs: mean, intervalSdMs: 1, intervalMaxMs: Math.max(...intervalsMs), droppedFrames: dropAt === null ? 0 : 1, criticalFrame: 30, intervalsMs };
}

const row = (dropAt: number | null, critical: number | null = 30) => {
  const t = timing(dropAt);
  return { trial_index: 0, dropped_frames: t.droppedFrames, critical_frame: critical, frame_intervals: JSON.stringify(t.intervalsMs) };
};

describe('dropNearCritical', () => {
  it('flags a missed refresh within 2 frames of the critical frame, not one further away', () => {
    // Interval i lies between frames i and i + 1: 27 ends at frame 28 (2 before 30), 32 starts at frame 32.
    for (const i of [27, 28, 29, 30, 31, 32]) expect(dropNearCritical(row(i), 60), `interval ${i}`).not.toBeNull();
    for (const i of [0, 26, 33, 58]) expect(dropNearCritical(row(i), 60), `interval ${i}`).toBeNull();
    expect(dropNearCritical(row(null), 60)).toBeNull();
  });
  it('without a critical frame any missed refresh counts; a count without intervals cannot be placed and counts', () => {
    expect(dropNearCritical(row(3, null), 60)?.reason).toMatch(/frame 4/);
    expect(dropNearCritical({ trial_index: 5, dropped_frames: 2, critical_frame: 30, frame_intervals: '[]' }, 60)?.reason).toMatch(/not located/);
    // The nominal interval comes from the intervals themselves when the session has no refresh rate.
    expect(dropNearCritical(row(30), null)).not.toBeNull();
  });
});

describe('analysis with dropped frames', () => {
  it('leaves flagged trials out of the fit by default, includes them when the setting is off', async () => {
    const { db, file } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P01' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1.5, -1, -0.5, 0, 0.5, 1, 1.5], trialsPerOffset: 10, [RUN_KEY]: { repeatDropped: false } }, seed: 3, calibration: CALIBRATION });
    // Spoiled trials are not repeated here (the session's option), so the 70 planned are all there is.
    const flagged: number[] = [];
    for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id)) {
      const stim = t.stimulus as unknown as FlashLagStimulus;
      // Every trial at a negative offset with an odd index drops a frame at the flash and is
      // answered "ahead": those answers alone move the PSE. Others drop far from it, or not at all.
      const bad = stim.offsetDeg < 0 && t.index % 2 === 1;
      if (bad) flagged.push(t.index);
      const ahead = bad ? true : stim.offsetDeg > 0.25;
      recordTrial(db, s.id, { trialIndex: t.index, response: answerFor(stim, ahead), rtMs: null, frameTiming: timing(bad ? 29 : t.index % 3 === 0 ? 5 : null) });
    }
    finishSession(db, s.id, 'complete');
    const by = analyseSession(db, s.id, { bootstrap: 0 });
    const all = analyseSession(db, s.id, { bootstrap: 0, excludeDroppedFrames: false });
    expect(flagged.length).toBeGreaterThan(10);
    expect(by.trials).toBe(70 - flagged.length);
    expect(all.trials).toBe(70);
    expect(by.statistics.find((x) => x.key === EXCLUDED_STATISTIC)?.value).toBe(flagged.length);
    expect(all.statistics.find((x) => x.key === EXCLUDED_STATISTIC)?.value).toBe(0);
    expect(by.messages.join(' ')).toMatch(new RegExp(`${flagged.length} trial\\(s\\) left out`));
    expect(all.messages.join(' ')).toMatch(/are included/);
    const pse = (a: typeof by) => a.conditions[0]!.statistics.find((x) => x.key === 'pse-deg')!.value!;
    // Without the flagged trials the PSE is where the clean answers switch (0 to 0.5 deg); with them it moves left.
    expect(pse(by)).toBeGreaterThan(0);
    expect(pse(by)).toBeLessThan(0.5);
    expect(pse(all)).toBeLessThan(pse(by) - 0.3);
    // Compare follows the same setting.
    const c = compareSessions(db, [s.id], { bootstrap: 0 });
    expect(c.analyses[0]!.trials).toBe(70 - flagged.length);
    expect(compareSessions(db, [s.id], { bootstrap: 0, excludeDroppedFrames: false }).analyses[0]!.trials).toBe(70);
    // The command line: the note says how to include them here (not the app's setting), and the flag does.
    for (const [args, trials, note] of [
      [['analyze', '--session', String(s.id)], 70 - flagged.length, /left out of the fit for a dropped frame within \d frames of the critical event: [^\n]*\.\nNote: To keep them in the fit, add --include-dropped\.$/m],
      [['compare', '--sessions', String(s.id)], 70 - flagged.length, /^ {2}To keep them in the fit, add --include-dropped\.$/m],
      [['analyze', '--session', String(s.id), '--include-dropped'], 70, /are included \(the setting to leave them out is off\)/],
      [['compare', '--sessions', String(s.id), '--include-dropped'], 70, /are included/],
    ] as const) {
      let out = '';
      const io = { out: (x: string) => (out += x), err: (x: string) => (out += x) };
      expect(await runCli(['--db', file, ...args, '--bootstrap', '0', '--json'], io), out).toBe(0);
      const r = JSON.parse(out);
      expect(r.trials ?? r.rows[0].trials, args.join(' ')).toBe(trials);
      out = '';
      await runCli(['--db', file, ...args, '--bootstrap', '0'], io);
      expect(out, args.join(' ')).toMatch(note);
      expect(out, args.join(' ')).not.toMatch(/untick|in the app/); // the page's setting is the page's to name
    }
    // The exports say which trials the fit used and why not (CSV here; BIDS and the study CSV
    // share the table), so the fit can be redone from the file; pandas reads the flags as booleans.
    const out = path.join(path.dirname(file), 'export');
    expect(await runCli(['--db', file, 'export', '--session', String(s.id), '--format', 'csv', '--out', out], { out: () => undefined, err: () => undefined })).toBe(0);
    const csv = fs.readdirSync(out).find((f) => f.endsWith('.csv'))!;
    const rows = parse(fs.readFileSync(path.join(out, csv), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(70);
    expect(rows.filter((r) => r.in_fit === 'false').map((r) => Number(r.trial_index))).toEqual(flagged);
    for (const r of rows) expect(r.left_out_because).toBe(r.in_fit === 'true' ? '' : 'dropped frame near the critical event');
    expect(rows.every((r) => r.repeat_of === '')).toBe(true);
    const dictionary = JSON.parse(fs.readFileSync(path.join(out, csv.replace(/\.csv$/, '.columns.json')), 'utf8')) as Record<string, { Description: string }>;
    expect(dictionary.in_fit!.Description).toMatch(/the PSE and its CI are recomputed from these rows/);
    const py = spawnSync('/usr/bin/python3', ['-c', `import pandas as pd; d = pd.read_csv(${JSON.stringify(path.join(out, csv))}); print(d.in_fit.dtype, int(d.in_fit.sum()))`], { encoding: 'utf8' });
    expect(py.stdout.trim(), py.stderr).toBe(`bool ${70 - flagged.length}`);
  });
});
