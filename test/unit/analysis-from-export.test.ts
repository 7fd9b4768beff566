/**
 * An analysis recomputed from a session's CSV export alone (`predlab analyze --from-export`):
 * the same numbers as the app's, to the last digit, for a person with dropped frames and repeats
 * on a staircase, a model with trials its readout could not read, and a Kanizsa model whose
 * contour-index time course travels in the file; an edited file is refused, naming row and column.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyseSession, EXCLUDED_STATISTIC } from '../../main/services/analysis.js';
import { analyseExport } from '../../main/services/analysis-from-export.js';
import { readExport } from '../../main/services/export-readback.js';
import { addSessionsToStudy, createStudy } from '../../main/services/studies.js';
import { exportStudy } from '../../main/services/study-export.js';
import { simulateSession } from '../../main/services/simulate.js';
import { INCLUDE_DROPPED_HINT } from '../../main/cli/format.js';
import { defaultModelDir } from '../../main/services/default-model.js';
import { exportSession } from '../../main/services/export.js';
import { runModelSession } from '../../main/services/model-sessions.js';
import { createParticipant } from '../../main/services/participants.js';
import { nextTrial, recordTrial, startSession } from '../../main/services/sessions.js';
import type { Db } from '../../main/store/db.js';
import { initBackend } from '../../native-models/backend.js';
import type { SessionAnalysis } from '../../paradigms/records.js';
import { validateBids } from '../support/bids.js';
import { cli } from '../support/cli.js';
import { CALIBRATION, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';

const FRAME = 1000 / 60;
/** A trial's frame timing with one frame dropped at `dropAt` (null: none). */
function timing(dropAt: number | null) {
  const intervalsMs = Array.from({ length: 59 }, (_, i) => (i === dropAt ? 2 * FRAME : FRAME));
  return { ...FRAME_TIMING, intervalsMs, intervalMeanMs: intervalsMs.reduce((a, b) => a + b, 0) / 59, intervalMaxMs: Math.max(...intervalsMs), droppedFrames: dropAt === null ? 0 : 1 };
}

/** A person's flash-lag session: a lag near 0.5 deg; every 7th trial drops a frame right at the flash (repeated at the end). */
function personSession(db: Db, label: string, parameters: Record<string, unknown>) {
  const p = createParticipant(db, { kind: 'human', label });
  const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters, seed: 6, calibration: CALIBRATION });
  let k = 0;
  for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id), k++) {
    const offset = (t.stimulus as { offsetDeg: number }).offsetDeg;
    recordTrial(db, s.id, { trialIndex: t.index, response: (offset > 0.5) === ((t.stimulus as { direction: number }).direction === 1) ? 'right' : 'left', rtMs: 500 + k + 0.3, frameTiming: timing(k % 7 === 3 ? 29 : null) });
  }
  return s;
}

/** Every number the analysis reports: levels, statistics with their intervals, fits. */
const numbers = (a: SessionAnalysis) => ({
  trials: a.trials,
  conditions: a.conditions.map((c) => ({ key: c.key, levels: c.levels, statistics: c.statistics, fit: c.fit })),
  statistics: a.statistics,
});

function exported(db: Db, id: number): string {
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
    const s = personSession(db, 'P01', parameters);
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
    expect(() => analyseExport(csv, { sessionId: s.id })).not.toThrow();
    expect(() => analyseExport(csv, { sessionId: s.id + 1 })).toThrow(`holds session ${s.id}, not session ${s.id + 1}.`);
    fs.rmSync(csv.replace(/\.csv$/, '.protocol.json'));
    const missing = await cli('analyze', '--from-export', csv);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^predlab: .*_trials\.protocol\.json is missing: the protocol file written beside the CSV/);
    const neither = await cli('analyze');
    expect(neither.err).toMatch(/Give --session <id> \(a session of the lab\) or --from-export <file>/);
  });
});

describe('analysis from a study export: its CSV (one session picked) and its BIDS run files', () => {
  /** A study of a person (staircase, dropped frames and their repeats), a simulated observer and a model whose random guesses are kept, exported as the app exports it. */
  let lab: { db: Db; file: string };
  let ids: { person: number; simulated: number; model: number };
  let study: { csv: string; folder: string; files: string[] };
  /** The BIDS run file of a session (its sidecar names it). */
  const runFile = (id: number) => study.files.find((f) => f.endsWith('_beh.tsv') && JSON.parse(fs.readFileSync(f.replace(/\.tsv$/, '.json'), 'utf8')).PredLabSessionId === id)!;

  beforeAll(async () => {
    lab = tempDb();
    const { db } = lab;
    const person = personSession(db, 'P01', { design: 'staircase', staircaseTrials: 30 });
    const simulated = simulateSession(db, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 2 }, seed: 4, observer: { pse: 0.4, sigma: 0.5, guess: 0.02, lapse: 0.02 } });
    const model = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint: defaultModelDir(path.resolve(import.meta.dirname, '../..')), references: false, observer: { noReadout: 'guess' }, parameters: { trialsPerOffset: 1 }, seed: 3 });
    ids = { person: person.id, simulated: simulated.id, model: model.id };
    const created = createStudy(db, { name: 'Read back', settings: { authors: ['Ada Lovelace', 'Alan Turing'] } });
    addSessionsToStudy(db, created.id, Object.values(ids));
    const r = exportStudy(db, created.id, { folder: path.join(tempDir('predlab-from-study-'), 'read-back') });
    study = { csv: r.files.find((f) => f.endsWith('_trials.csv'))!, folder: r.folder, files: r.files };
  }, 120_000);

  it.each(['person', 'simulated'] as const)("the %s's session: the study CSV (--session) and its BIDS run file print the lab's analysis, character for character but where a left-out trial's frame was dropped", async (who) => {
    const id = ids[who];
    const fromLab = await cli('--db', lab.file, 'analyze', '--session', String(id));
    expect(fromLab.code, fromLab.err).toBe(0);
    // The lab's text, less its hint on keeping dropped frames (an export's in_fit decided that).
    // One phrase differs: the lab says where in each left-out trial a frame was dropped (from the
    // frame intervals it stores); an export carries the count and critical frame, not the intervals.
    const where = (t: string) => t.replace(/ \((a dropped frame at frame \d+, critical frame \d+|see its dropped_frames)\)/g, ' (…)');
    const labText = where(fromLab.out.split('\n').filter((l) => l !== `Note: ${INCLUDE_DROPPED_HINT}`).join('\n'));
    expect(fromLab.out).toMatch(/^  Flash-lag \(PSE\)/m);
    expect(labText.includes('(…)')).toBe(who === 'person');
    const fromStudy = await cli('analyze', '--from-export', study.csv, '--session', String(id));
    expect(fromStudy.code, fromStudy.err).toBe(0);
    expect(fromStudy.out.split('\n')[0]).toMatch(new RegExp(`^Recomputed from .*_trials\\.csv \\(session ${id}, a study CSV\\) and sub-\\w+_task-flashlag_run-1_beh\\.json: \\d+ rows, \\d+ in the fit`));
    expect(where(fromStudy.out.split('\n').slice(1).join('\n'))).toBe(labText);
    const fromBids = await cli('analyze', '--from-export', runFile(id));
    expect(fromBids.code, fromBids.err).toBe(0);
    expect(fromBids.out.split('\n')[0]).toMatch(/^Recomputed from .*_beh\.tsv \(session \d+, a BIDS run file\) and .*_beh\.json: /);
    expect(where(fromBids.out.split('\n').slice(1).join('\n'))).toBe(labText);
  });

  it("each session's rows read back from the study CSV and the BIDS run file are its session CSV's, cell for cell (response_time in s back to rt_ms), and the numbers are the app's", () => {
    for (const id of Object.values(ids)) {
      const own = readExport(exported(lab.db, id));
      const columns = Object.keys(own.rows[0]!);
      const only = (rows: Record<string, string>[]) => rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
      const fromStudy = readExport(study.csv, id);
      const fromBids = readExport(runFile(id));
      expect(only(fromStudy.rows)).toEqual(own.rows);
      expect(only(fromBids.rows)).toEqual(own.rows);
      expect({ ...fromStudy.protocol, predlabVersion: own.protocol.predlabVersion }).toEqual(own.protocol);
      expect(fromBids.protocol).toEqual(fromStudy.protocol);
      if (id === ids.person) expect(own.rows[0]!.rt_ms).toBe('500.3');
      const app = analyseSession(lab.db, id, { references: false });
      expect(numbers(analyseExport(study.csv, { sessionId: id }))).toEqual(numbers(app));
      expect(numbers(analyseExport(runFile(id)))).toEqual(numbers(app));
    }
    // The sidecar's PredLabGuessesKept keeps the official validator quiet.
    expect(validateBids(path.join(study.folder, 'bids'))).toEqual({ errors: [], warnings: [] });
    // The model's random guesses, kept in its fit as its observer settings asked, travel in both (its sidecar says so).
    expect(analyseExport(runFile(ids.model)).statistics.find((x) => x.key === 'guessed')).toMatchObject({ value: expect.any(Number), label: expect.stringMatching(/\(kept: the observer settings asked for guesses\)$/) });
    expect(analyseExport(runFile(ids.model)).statistics.find((x) => x.key === 'guessed')!.value).toBeGreaterThan(0);
  });

  it("an older sidecar without PredLabGuessesKept: the model's guessed rows in the fit say its guesses were kept", () => {
    const dir = tempDir('predlab-old-bids-');
    const tsv = path.join(dir, path.basename(runFile(ids.model)));
    fs.copyFileSync(runFile(ids.model), tsv);
    const { PredLabGuessesKept: kept, ...older } = JSON.parse(fs.readFileSync(runFile(ids.model).replace(/\.tsv$/, '.json'), 'utf8'));
    expect(kept).toBe(true);
    fs.writeFileSync(tsv.replace(/\.tsv$/, '.json'), JSON.stringify(older));
    expect(numbers(analyseExport(tsv))).toEqual(numbers(analyseSession(lab.db, ids.model, { references: false })));
  });

  it('a study CSV without --session, a session it lacks, a lone study CSV, a run file without its sidecar, a file that is neither, an edited row: one line naming the problem', async () => {
    const oneLine = async (...argv: string[]) => {
      const r = await cli('analyze', ...argv);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
      return r.err.trim();
    };
    const all = Object.values(ids).join(', ');
    expect(await oneLine('--from-export', study.csv)).toBe(`predlab: ${study.csv} is a study CSV holding 3 sessions (${all}); name one with --session <id>.`);
    expect(await oneLine('--from-export', study.csv, '--session', '99')).toBe(`predlab: ${study.csv} holds no session 99; its sessions are ${all}.`);
    expect(await oneLine('--from-export', runFile(ids.person), '--session', String(ids.model))).toMatch(`holds session ${ids.person}, not session ${ids.model}.`);

    // The study CSV alone: the parameters are in the BIDS sidecars the study export writes beside it.
    const alone = path.join(tempDir('predlab-alone-'), path.basename(study.csv));
    fs.copyFileSync(study.csv, alone);
    expect(await oneLine('--from-export', alone, '--session', String(ids.person))).toMatch(/bids\/sub-P01\/beh is missing: the study CSV names each session's paradigm and seed but not its parameters; the study export writes them in the session's BIDS sidecar \(bids\/sub-<label>\/beh\/\*_beh\.json, ParadigmParameters\) beside the CSV\.$/);
    // A run file without its sidecar.
    const lone = path.join(tempDir('predlab-lone-'), path.basename(runFile(ids.person)));
    fs.copyFileSync(runFile(ids.person), lone);
    expect(await oneLine('--from-export', lone)).toMatch(/_beh\.json is missing: the JSON sidecar PredLab's BIDS export writes beside each run's TSV holds the session's parameters \(ParadigmParameters\)\.$/);
    // Neither: the dataset's participants.tsv, the column dictionary.
    expect(await oneLine('--from-export', path.join(study.folder, 'bids', 'participants.tsv'))).toMatch(/participants\.tsv is neither a session CSV, a study CSV nor a BIDS run file of PredLab: it has no session_id, paradigm, trial_index column\.$/);
    expect(await oneLine('--from-export', study.folder)).toMatch(/is not a file: give the export's \.csv or _beh\.tsv\.$/);
    expect(await oneLine('--from-export', study.csv.replace(/\.csv$/, '.columns.json'))).toMatch(/is neither a session CSV, a study CSV \(\.csv\) nor a BIDS run file \(_beh\.tsv\) of PredLab\.$/);

    // An edited row is named by its row in the study file, not within the session.
    const table = parse(fs.readFileSync(study.csv)) as string[][];
    const col = (c: string) => table[0]!.indexOf(c);
    const at = table.findIndex((r, i) => i > 0 && r[col('session_id')] === String(ids.simulated) && r[col('trial_index')] === '1');
    expect(at).toBeGreaterThan(1);
    table[at]![col('offset_deg')] = '0.25';
    const edited = path.join(study.folder, 'edited.csv');
    fs.writeFileSync(edited, stringify(table));
    expect(await oneLine('--from-export', edited, '--session', String(ids.simulated))).toMatch(new RegExp(`edited\\.csv, row ${at + 1} \\(trial_index 1\\), offset_deg: '0\\.25', but the protocol's trial with this answer gives`));
  });
});
