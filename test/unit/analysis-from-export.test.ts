/**
 * An analysis recomputed from a session's CSV export alone (`predlab analyze --from-export`):
 * the same numbers as the app's, to the last digit, for a person with dropped frames and repeats
 * on a staircase, a model with trials its readout could not read, and a Kanizsa model whose
 * contour-index time course travels in the file; an edited file is refused, naming row and column.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyseSession, EXCLUDED_STATISTIC } from '../../main/services/analysis.js';
import { analyseExport } from '../../main/services/analysis-from-export.js';
import { defaultModelDir } from '../../main/services/default-model.js';
import { exportSession } from '../../main/services/export.js';
import { runModelSession } from '../../main/services/model-sessions.js';
import { createParticipant } from '../../main/services/participants.js';
import { nextTrial, recordTrial, startSession } from '../../main/services/sessions.js';
import { initBackend } from '../../native-models/backend.js';
import type { SessionAnalysis } from '../../paradigms/records.js';
import { cli } from '../support/cli.js';
import { CALIBRATION, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';

const FRAME = 1000 / 60;
/** A trial's frame timing with one frame dropped at `dropAt` (null: none). */
function timing(dropAt: number | null) {
  const intervalsMs = Array.from({ length: 59 }, (_, i) => (i === dropAt ? 2 * FRAME : FRAME));
  return { ...FRAME_TIMING, intervalsMs, intervalMeanMs: intervalsMs.reduce((a, b) => a + b, 0) / 59, intervalMaxMs: Math.max(...intervalsMs), droppedFrames: dropAt === null ? 0 : 1 };
}

/** Every number the analysis reports: levels, statistics with their intervals, fits. */
const numbers = (a: SessionAnalysis) => ({
  trials: a.trials,
  conditions: a.conditions.map((c) => ({ key: c.key, levels: c.levels, statistics: c.statistics, fit: c.fit })),
  statistics: a.statistics,
});

function exported(db: Parameters<typeof exportSession>[0], id: number): string {
  const r = exportSession(db, id, 'csv', tempDir('predlab-from-export-'));
  expect(r.files.map((f) => path.basename(f))).toEqual([expect.stringMatching(/_trials\.csv$/), expect.stringMatching(/_trials\.columns\.json$/), expect.stringMatching(/_trials\.protocol\.json$/)]);
  return r.files[0]!;
}

beforeAll(async () => {
  await initBackend();
});

describe('analysis from an export', () => {
  it.each([
    ['staircase', { design: 'staircase', staircaseTrials: 30 }],
    ['QUEST', { design: 'quest', questTrials: 30 }],
  ])("a person's %s session with dropped frames near the flash and their repeats: the app's numbers, from the file alone", async (design, parameters) => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P01' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters, seed: 6, calibration: CALIBRATION });
    let k = 0;
    for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id), k++) {
      const offset = (t.stimulus as { offsetDeg: number }).offsetDeg;
      // An observer with a lag near 0.5 deg; every 7th trial drops a frame right at the flash.
      recordTrial(db, s.id, { trialIndex: t.index, response: (offset > 0.5) === ((t.stimulus as { direction: number }).direction === 1) ? 'right' : 'left', rtMs: 500 + k, frameTiming: timing(k % 7 === 3 ? 29 : null) });
    }
    const app = analyseSession(db, s.id);
    const csv = exported(db, s.id);
    const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').length - 1;
    expect(rows).toBeGreaterThan(30); // the repeats of spoiled trials came after the protocol's 30
    expect(fs.readFileSync(csv, 'utf8')).toMatch(/dropped frame near the critical event/);
    const back = analyseExport(csv);
    expect(numbers(back)).toEqual(numbers(app));
    expect(back.statistics.find((x) => x.key === EXCLUDED_STATISTIC)!.value).toBeGreaterThan(0);
    expect(back.fromExport).toMatchObject({ rows, inFit: app.trials });
    // A QUEST session's own estimate is recomputed from the file too.
    const quest = (a: typeof app) => a.conditions[0]!.statistics.find((x) => x.key === 'quest-pse');
    if (design === 'QUEST') expect(quest(back)).toEqual(quest(app));
    expect(quest(app) === undefined).toBe(design !== 'QUEST');

    // Through the CLI: the same statistics lines as `analyze --session`.
    const fromFile = await cli('analyze', '--from-export', csv);
    expect(fromFile.code, fromFile.err).toBe(0);
    const statLines = (t: string) => t.split('\n').filter((l) => l.startsWith('  ')); // levels, statistics, fit (not the notes)
    const fromLab = await cli('--db', db.name, 'analyze', '--session', String(s.id));
    expect(statLines(fromFile.out).length).toBeGreaterThan(2);
    expect(statLines(fromFile.out)).toEqual(statLines(fromLab.out));
    expect(fromFile.out).toMatch(/^Recomputed from .*\.csv and .*_trials\.protocol\.json: \d+ rows, \d+ in the fit \(in_fit\); every row's stimulus checked against the protocol's trials, and its in_fit against its answer and flags\./);
  });

  it('a model session with unread trials (left out) and a Kanizsa model whose contour index rides in the file', async () => {
    const { db } = tempDb();
    const flash = await runModelSession(db, { paradigmId: 'flash-lag', reference: { kind: 'copy-last', width: 80, height: 64, channels: 3 }, parameters: { trialsPerOffset: 2 }, seed: 3 });
    const app = analyseSession(db, flash.id);
    expect(app.statistics.find((x) => x.key === 'no-readout')!.value).toBeGreaterThan(0);
    expect(numbers(analyseExport(exported(db, flash.id)))).toEqual(numbers(app));

    const kanizsa = await runModelSession(db, { paradigmId: 'kanizsa', checkpoint: defaultModelDir(path.resolve(import.meta.dirname, '../..')), references: false, parameters: { alphasDeg: [2, 8], trialsPerLevel: 1, conditions: ['illusory', 'real'] }, seed: 2 });
    const csv = exported(db, kanizsa.id);
    expect(fs.readFileSync(csv, 'utf8').split('\n')[1]).toMatch(/,-?\d+(\.\d+)?(;-?\d+(\.\d+)?(e-?\d+)?){3,},/); // the contour index series
    const kApp = analyseSession(db, kanizsa.id, { references: false });
    expect(numbers(analyseExport(csv))).toEqual(numbers(kApp));
  }, 120_000);

  it('an edited file, a missing protocol file or another session is refused, naming what is wrong', async () => {
    const { db } = tempDb();
    const p = createParticipant(db, { kind: 'human', label: 'P02' });
    const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { trialsPerOffset: 1 }, seed: 4, calibration: CALIBRATION });
    for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id)) recordTrial(db, s.id, { trialIndex: t.index, response: 'left', rtMs: 400, frameTiming: timing(null) });
    const csv = exported(db, s.id);
    const text = fs.readFileSync(csv, 'utf8');
    const lines = text.split('\n');
    const header = lines[0]!.split(',');
    const cells = lines[2]!.split(',');
    cells[header.indexOf('offset_deg')] = '0.25';
    fs.writeFileSync(csv, [lines[0], lines[1], cells.join(','), ...lines.slice(3)].join('\n'));
    expect(() => analyseExport(csv)).toThrow(/row 3 \(trial_index 1\), offset_deg: '0\.25', but the protocol's trial with this answer gives '-?\d/);
    // A row moved into the fit, or out of it, without a cause; an answer no key gives.
    const edit = (column: string, value: string) => {
      const c = lines[2]!.split(',');
      c[header.indexOf(column)] = value;
      fs.writeFileSync(csv, [lines[0], lines[1], c.join(','), ...lines.slice(3)].join('\n'));
    };
    edit('in_fit', 'false');
    expect(() => analyseExport(csv)).toThrow(/row 3 \(trial_index 1\), in_fit: false, but nothing leaves it out/);
    edit('left_out_because', 'no model readout');
    expect(() => analyseExport(csv)).toThrow(/left_out_because: 'no model readout', but nothing in this row leaves it out of the fit/);
    edit('response', 'Left');
    expect(() => analyseExport(csv)).toThrow(/response: 'Left' is not an answer of this paradigm \(left, right\)/);
    edit('repeat_of', '0');
    expect(() => analyseExport(csv)).toThrow(/repeat_of: '0', but trial 1 is one of the protocol's own trials/);
    fs.writeFileSync(csv, text);
    expect(() => analyseExport(csv)).not.toThrow();
    fs.rmSync(csv.replace(/\.csv$/, '.protocol.json'));
    const missing = await cli('analyze', '--from-export', csv);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^predlab: .*_trials\.protocol\.json is missing: the protocol file written beside the CSV/);
    const both = await cli('analyze', '--from-export', csv, '--session', '1');
    expect(both.err).toMatch(/one of them/);
  });
});
