/** Known answers of the contour and flash-lag experiments, on hand-made Responders. */
import type { ReplicateJob } from '../../preload/channels/replicate.js';
import { parse } from 'csv-parse/sync';
import { unzlibSync } from 'fflate';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contourDesign } from '../../paradigms/battery-contour-stimuli.js';
import { finishSession, nextTrial, paradigmOf, recordTrial, startSession } from '../../main/services/sessions.js';
import { labValues, runReplicate } from '../../main/services/replicate.js';
import { simulateSession } from '../../main/services/simulate.js';
import type { Db } from '../../main/store/db.js';
import { flashLagExperiment, withPeople, type PeopleLag } from '../../paradigms/flash-lag/battery-experiment.js';
import { createRng } from '../../paradigms/rng.js';
import { EXPERIMENTS } from '../../native-models/battery/index.js';
import { PLOT_FILES, spreadOf, verdictLine } from '../../native-models/battery/report-files.js';
import { h5wasm } from '../../native-models/keras-import.js';
import { illusoryContours, latencyClass } from '../../native-models/battery/illusory-contours.js';
import { referenceResponder } from '../../native-models/battery/references.js';
import { batteryView, fmt } from '../../paradigms/battery-stats.js';
import type { ExperimentResult, References, Responder } from '../../paradigms/battery-types.js';
import { contourResponder, copyLastFrame, persistingExtrapolator, velocityExtrapolator } from '../support/battery-responders-report.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION, FRAME_TIMING, tempDb, tempDir } from '../support/db.js';
import { parseEvents } from '../support/events.js';

const rowsOf = (r: ExperimentResult, variant: string, display = 'translate', delay = 1, who = 'model') => r.table.rows.filter((row) => row[0] === who && row[1] === display && row[2] === variant && row[3] === delay);
const LAG_DEG = 5;
const LAG_MS = 6;
const N_READ = 9;
const NO_READING = 10;

/** copy-last and the oracle beside a hand-made responder (it has no untrained network). */
const besides = (h = 32, w = 40): References => ({
  untrained: null,
  copyLast: referenceResponder('copy-last', { height: h, width: w, channels: 1 }),
  oracle: referenceResponder('oracle', { height: h, width: w, channels: 1 }),
  missing: { untrained: 'a hand-made responder has no untrained network' },
});

describe('flash-lag experiment (a one-frame flash)', () => {
  const frameMs = 1000 / batteryView(velocityExtrapolator()).frameRateHz;

  it("a responder that extrapolates motion and keeps the flash shows people's pattern at readout delay 2: yes, naming the delay", async () => {
    const r = await flashLagExperiment.run({ responder: persistingExtrapolator(), seed: 1, quick: true, cacheDir: null, references: besides() });
    for (const variant of ['continuous', 'flash-initiated']) {
      const rows = rowsOf(r, variant, 'translate', 2);
      expect(rows.length).toBe(3);
      // Two frames of motion past the kept flash, at every speed; in deg it grows with speed.
      for (const row of rows) expect(row[LAG_MS] as number).toBeCloseTo(2 * frameMs, -1);
      const deg = rows.map((row) => row[LAG_DEG] as number);
      expect(deg[2]! / deg[0]!).toBeCloseTo(4, 0);
    }
    for (const row of rowsOf(r, 'flash-terminated', 'translate', 2)) expect(Math.abs(row[LAG_MS] as number)).toBeLessThan(15);
    expect(r.verdict.effect).toBe(true);
    expect(r.verdict.text).toMatch(/^flash-lag: yes, people's pattern at readout delay 2\. delay 1: no \(.*flash-initiated not above copy-last.*\)\. delay 2: yes \(continuous \d+/);
    expect(r.verdict.statistic!.name).toBe('continuous flash-lag at readout delay 2');
    const d2 = r.verdict.comparisons!.filter((c) => c.name.includes('delay 2'));
    expect(d2.map((c) => c.holds)).toEqual([true, true, true, true]);
    // copy-last reads a lag of 0 at delay 1 and no flash at delay 2; the oracle (the true next frame) never shows the one-frame flash.
    for (const row of rowsOf(r, 'continuous', 'translate', 1, 'copy-last')) expect(row[LAG_MS]).toBeCloseTo(0, 6);
    for (const row of rowsOf(r, 'continuous', 'translate', 2, 'copy-last')) expect([row[N_READ], row[NO_READING]]).toEqual([0, 2]);
    for (const delay of [1, 2]) for (const row of rowsOf(r, 'flash-initiated', 'rotate', delay, 'oracle')) expect([row[N_READ], row[NO_READING]]).toEqual([0, 2]);
    expect(r.verdict.beside!.map((b) => b.who)).toEqual(['copy-last', 'oracle']);
    expect(r.notes.join(' ')).toMatch(/absent: untrained: a hand-made responder has no untrained network/);
    expect(r.arrays!.map((a) => a.name)).toEqual(['flash-lag/trials', 'copy-last/flash-lag/trials', 'oracle/flash-lag/trials', 'flash-lag/readout_frames']);
    expect(r.series.filter((s) => s.name === 'model: continuous').map((s) => s.group)).toEqual(['translating bar, readout delay 1', 'translating bar, readout delay 2', 'rotating bar, readout delay 1', 'rotating bar, readout delay 2']);
  });

  it('a pure velocity extrapolator lags by a frame in continuous and flash-terminated alike and loses the flash a frame later: not people\'s pattern', async () => {
    const r = await flashLagExperiment.run({ responder: velocityExtrapolator(), seed: 1, quick: true, cacheDir: null, references: besides() });
    for (const variant of ['continuous', 'flash-terminated']) for (const row of rowsOf(r, variant)) expect(row[LAG_MS] as number).toBeCloseTo(frameMs, -1);
    for (const row of rowsOf(r, 'flash-initiated')) expect(Math.abs(row[LAG_MS] as number)).toBeLessThan(15);
    // At delay 2 its prediction shows no flash: counted, not guessed.
    for (const row of rowsOf(r, 'continuous', 'translate', 2)) expect([row[N_READ], row[NO_READING]]).toEqual([0, 2]);
    expect(r.verdict.effect).not.toBe(true);
    expect(r.verdict.text).toMatch(/delay 1: no \(.*flash-initiated not above copy-last, flash-terminated not about 0, flash-terminated not below continuous\)/);
  });

  it('copy-last and the oracle show no flash-lag effect, run as the model or beside it', async () => {
    const copy = await flashLagExperiment.run({ responder: copyLastFrame(), seed: 1, quick: true, cacheDir: null, references: besides() });
    for (const display of ['translate', 'rotate'])
      for (const variant of ['continuous', 'flash-initiated', 'flash-terminated']) {
        expect(rowsOf(copy, variant, display).length).toBe(3);
        for (const row of rowsOf(copy, variant, display)) expect(Math.abs(row[LAG_MS] as number)).toBeLessThan(15);
      }
    expect(copy.verdict.effect).not.toBe(true);
    for (const kind of ['copy-last', 'oracle'] as const) {
      const r = await flashLagExperiment.run({ responder: referenceResponder(kind, { height: 32, width: 40, channels: 1 }), seed: 1, quick: true, cacheDir: null, references: besides() });
      expect(r.verdict.effect, r.verdict.text).not.toBe(true);
    }
  });
});

describe('illusory-contour experiment', () => {
  const responder = velocityExtrapolator();
  const view = batteryView(responder);
  const design = contourDesign(view, true);
  // Beside each, the same edge detector with no illusory response: what the architecture does untrained.
  const ctx = (delay: number | null, untrained: boolean | Responder = true) => ({
    responder: contourResponder(view, design, delay),
    seed: 3,
    quick: true,
    cacheDir: null,
    references: { untrained: untrained === true ? contourResponder(view, design, null) : untrained || null, copyLast: null, oracle: null, missing: untrained ? {} : { untrained: 'none given' } },
  });
  const latency = (r: ExperimentResult) => r.verdict.comparisons!.find((c) => c.name === 'E1 illusory minus real rise')!;

  it('a responder whose illusory response comes 2 steps late: yes, beyond the untrained one, 200 ms later', async () => {
    const r = await illusoryContours.run(ctx(2));
    expect(r.verdict.effect).toBe(true);
    expect(r.verdict.statistic!.value).toBeGreaterThan(0.1);
    expect(r.verdict.comparisons!.slice(0, 2).map((c) => c.holds)).toEqual([true, true]);
    expect(latency(r).value).toBe(200);
    expect(latency(r).ci).toEqual([200, 200]);
    expect(r.verdict.text).toMatch(/the illusory response rises later than the real one: 200 ms \[200, 200\] \(\d+ channels; one model frame = 100 ms\)/);
    // the mean illusory trace is flat before onset + 2 and up from there; the real one is up at onset
    const ill = r.series.find((s) => s.name === 'illusory')!;
    const real = r.series.find((s) => s.name === 'real')!;
    const at = (s: typeof ill, step: number) => s.y[s.x.indexOf(step)]!;
    expect(at(real, 0)).toBeGreaterThan(0.5);
    expect(at(ill, 1)).toBeCloseTo(0, 6);
    expect(at(ill, 2)).toBeGreaterThan(0.5);
    expect(r.series.find((s) => s.name === 'untrained: illusory')).toBeDefined();
  });

  it('with no illusory response the verdict is no, and a responder beside itself cannot pass', async () => {
    const none = await illusoryContours.run(ctx(null));
    expect(none.verdict.effect).toBe(false);
    expect(none.verdict.text).toMatch(/^illusory contours in E1: no;/);
    const same = await illusoryContours.run(ctx(2, contourResponder(view, design, 2)));
    expect(same.verdict.effect).toBe(false);
    expect(same.verdict.comparisons![1]!.holds).toBe(false);
  });

  it('a latency under one model frame is not resolvable at this frame rate (neither yes nor no on latency)', async () => {
    const r = await illusoryContours.run(ctx(0));
    expect(latency(r).value).toBe(0);
    expect(r.verdict.effect).toBe(true);
    expect(r.verdict.text).toMatch(/latency not resolvable at this frame rate: illusory minus real rise 0 ms/);
    expect(latencyClass(0.6, [0.2, 1])).toBe('not resolvable');
    expect(latencyClass(-2, [-3, -1])).toBe('earlier');
    expect(latencyClass(1.5, [-0.5, 3])).toBe('undetermined');
  });

  it('without an untrained network to compare with, undetermined', async () => {
    const r = await illusoryContours.run(ctx(2, false));
    expect(r.verdict.effect).toBeNull();
  });
});

describe('predlab replicate', () => {
  const dir = tempDir('predlab-replicate-');
  const env = { PREDLAB_DATA_DIR: path.join(dir, 'data') };
  const checkpoint = path.join(dir, 'tiny');
  const out = path.join(dir, 'out');
  let report: { experiments: { id: string; verdict: string; effect: boolean | null; files: Record<string, string>; checkpoints: { effect: boolean | null; text: string }[] }[] };

  it('on a small random checkpoint made with the CLI, --quick writes every file and reports no effect (it is untrained)', async () => {
    const init = predlab(['model', 'init', '--height', '32', '--width', '40', '--seed', '5', '--out', checkpoint, '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const r = predlab(['--db', path.join(dir, 'no-lab.db'), 'replicate', '--checkpoint', checkpoint, '--out', out, '--quick', '--json'], env, 600_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^replicate: 0% tiny: /m);
    expect(r.stderr).toMatch(/^replicate: 100% done$/m);
    report = JSON.parse(r.stdout);
    expect(report.experiments.map((e) => e.id)).toEqual(EXPERIMENTS.map((e) => e.id));
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/\| \[Flash-lag\]\(flash-lag\/plot\.png\) \|/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).checkpoints).toEqual([{ label: 'tiny', path: checkpoint }]);
    expect(fs.readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
    for (const e of report.experiments) expect(fs.readdirSync(path.join(out, e.id)).sort()).toEqual([...PLOT_FILES].sort());
    // An untrained network (seed 5) beside another (seed 1): no experiment may say it shows the effect.
    for (const e of report.experiments) expect(e.checkpoints[0]!.effect, e.checkpoints[0]!.text).not.toBe(true);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^Beside tiny, on the same stimuli: untrained PredNet \(seed 1\), copy-last, oracle\.$/m);
    expect(md).toMatch(/^ {2}- Tests:$/m);
    console.log(report.experiments.map((e) => e.verdict).join('\n'));
  }, 600_000);

  it('--checkpoint copy-last runs the battery on the reference itself: unit experiments do not apply, no effect anywhere; --events prints the page\'s events', () => {
    const refOut = path.join(dir, 'out-copy-last');
    const r = predlab(['--db', path.join(dir, 'no-lab.db'), '--events', 'replicate', '--checkpoint', 'copy-last', '--size', '32x40', '--out', refOut, '--quick', '--json'], env, 600_000);
    expect(r.code, r.stderr).toBe(0);
    // Instead of progress text: the Paper battery page's 'replicate' events, each valid by the contract.
    const events = parseEvents(r.stderr);
    expect(events.length).toBeGreaterThan(2);
    expect(events.every((e) => e.topic === 'replicate')).toBe(true);
    const jobs = events.map((e) => (e.value as ReplicateJob[])[0]!);
    expect(jobs[0]).toMatchObject({ label: 'copy-last', state: 'running', quick: true, out: refOut, finishedAt: null });
    expect(jobs.at(-1)).toMatchObject({ state: 'done', fraction: 1, error: null, finishedAt: expect.any(String) });
    const fractions = jobs.map((j) => j.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b)); // progress never goes back
    const rep = JSON.parse(r.stdout) as typeof report;
    for (const e of rep.experiments) expect(e.checkpoints[0]!.effect, e.checkpoints[0]!.text).not.toBe(true);
    for (const id of ['length-suppression', 'on-off', 'sequence-learning', 'illusory-contours']) expect(rep.experiments.find((e) => e.id === id)!.verdict).toMatch(/: not applicable: copy-last has no units$/);
    expect(fs.readFileSync(path.join(refOut, 'report.md'), 'utf8')).toMatch(/^Beside copy-last, on the same stimuli: copy-last, oracle \(absent: untrained: copy-last has no architecture, so no untrained network of it\)\.$/m);
    const bad = predlab(['--db', path.join(dir, 'no-lab.db'), 'replicate', '--checkpoint', checkpoint, '--size', '32x40', '--out', refOut], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--size sets the frame size of a reference observer/);
  }, 600_000);

  it('the plots, CSV and verdicts read back', () => {
    for (const e of report.experiments) {
      const svg = fs.readFileSync(path.join(out, e.files.svg!), 'utf8');
      expect(svg).toMatch(/^<svg /);
      expect(svg).toContain('</svg>');
      const png = fs.readFileSync(path.join(out, e.files.png!));
      expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
      const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      expect(w).toBeGreaterThan(400);
      expect(h).toBeGreaterThan(300);
      // The pixels are a picture, not a blank: many distinct values once inflated.
      let idat = Buffer.alloc(0);
      for (let o = 8; o < png.length; ) {
        const len = png.readUInt32BE(o);
        if (png.toString('latin1', o + 4, o + 8) === 'IDAT') idat = Buffer.concat([idat, png.subarray(o + 8, o + 8 + len)]);
        o += 12 + len;
      }
      expect(new Set(unzlibSync(idat)).size).toBeGreaterThan(20);
      const verdict = JSON.parse(fs.readFileSync(path.join(out, e.files.verdict!), 'utf8'));
      expect(verdict.verdict).toBe(e.verdict);
      expect(verdict.checkpoints[0].label).toBe('tiny');
      const rows = parse(fs.readFileSync(path.join(out, e.files.csv!), 'utf8'), { columns: true }) as Record<string, string>[];
      if (e.id === 'illusory-contours' || e.id === 'flash-lag') expect(verdict.checkpoints[0].notes.length).toBeGreaterThan(2);
      for (const row of rows) expect(row.checkpoint).toBe('tiny');
    }
    const contours = parse(fs.readFileSync(path.join(out, 'illusory-contours', 'data.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(new Set(contours.map((r) => r.condition))).toEqual(new Set(['illusory', 'real', 'control']));
  });

  it('units.h5 reads back with h5wasm (and h5py where installed)', async () => {
    const h5 = await h5wasm();
    const f = new h5.File(path.join(out, 'illusory-contours', 'units.h5'), 'r');
    try {
      const responses = f.get('tiny/E1/responses') as import('h5wasm/node').Dataset;
      expect(responses.shape![0]).toBe(3);
      expect(responses.shape![2]).toBe(11);
      const units = f.get('tiny/E1/units') as import('h5wasm/node').Dataset;
      // channel, row, col, contrast, real rise, illusory rise, illusory response
      expect(units.shape).toEqual([responses.shape![1], 7]);
      expect((f.get('tiny/untrained/E1/responses') as import('h5wasm/node').Dataset).shape![0]).toBe(3);
      expect((f.get('tiny') as import('h5wasm/node').Group).attrs.checkpoint!.value).toBe(checkpoint);
    } finally {
      f.close();
    }
    const g = new h5.File(path.join(out, 'flash-lag', 'units.h5'), 'r');
    try {
      const trials = g.get('tiny/flash-lag/trials') as import('h5wasm/node').Dataset;
      // One row per sequence and readout delay (1 and 2), for the model and each null observer.
      expect(trials.shape).toEqual([72, 8]);
      for (const who of ['copy-last', 'oracle', 'untrained']) expect((g.get(`tiny/${who}/flash-lag/trials`) as import('h5wasm/node').Dataset).shape).toEqual([72, 8]);
      expect((g.get('tiny/flash-lag/readout_frames') as import('h5wasm/node').Dataset).shape).toEqual([72, 32, 40, 3]);
      expect((g.get('tiny/untrained/flash-lag/readout_frames') as import('h5wasm/node').Dataset).shape).toEqual([72, 32, 40, 3]);
    } finally {
      g.close();
    }
    const py = spawnSync('/usr/bin/python3', ['-c', 'import h5py'], { encoding: 'utf8' });
    if (py.status !== 0) return console.log('h5py not installed: read back with h5wasm only');
    const script = "import h5py, sys\nf = h5py.File(sys.argv[1], 'r')\nprint(f['tiny/E1/responses'].shape, f['tiny/E1/responses'].dtype, f['tiny'].attrs['checkpoint'])";
    const r = spawnSync('/usr/bin/python3', ['-c', script, path.join(out, 'illusory-contours', 'units.h5')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\(3, \d+, 11\) float32 .*tiny/);
  });

  it('a missing checkpoint or an unwritable --out is one clear line, and nothing is written', () => {
    const missing = predlab(['--db', path.join(dir, 'no-lab.db'), 'replicate', '--checkpoint', path.join(dir, 'nope'), '--out', path.join(dir, 'out2'), '--quick'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`predlab: No checkpoint at ${path.join(dir, 'nope')}: the folder does not exist.`);
    expect(fs.existsSync(path.join(dir, 'out2'))).toBe(false);
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const bad = predlab(['--db', path.join(dir, 'no-lab.db'), 'replicate', '--checkpoint', checkpoint, '--out', path.join(file, 'out'), '--quick'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(`predlab: Cannot write to --out ${path.join(file, 'out')}: part of that path is a file.`);
    const unknown = predlab(['--db', path.join(dir, 'no-lab.db'), 'replicate', '--checkpoint', checkpoint, '--out', path.join(dir, 'out3'), '--experiments', 'flash-lag,kanizsa'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^predlab: Unknown experiment 'kanizsa'; choose from length-suppression, .*flash-lag\.\n$/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("people's flash-lag beside the model's", () => {
  /** A person's finished session in the lab, answering like an observer whose PSE is `pse` deg. */
  function personSession(db: Db, label: string, variant: string, speed: number, pse: number, seed: number) {
    const paradigm = paradigmOf('flash-lag');
    const s = startSession(db, { participant: { label }, paradigmId: 'flash-lag', parameters: { variant, speedDegPerS: speed, trialsPerOffset: 12 }, seed, calibration: CALIBRATION });
    const rng = createRng(seed);
    for (let t = nextTrial(db, s.id); t; t = nextTrial(db, s.id))
      recordTrial(db, s.id, { trialIndex: t.index, response: paradigm.simulateResponse(t.stimulus, { pse, sigma: 0.3, guess: 0, lapse: 0 }, rng), rtMs: 500, frameTiming: FRAME_TIMING });
    finishSession(db, s.id, 'complete');
  }

  it('reads people\'s PSE per variant and speed from the lab (not simulated observers), and the report shows it', async () => {
    const { db, dir } = tempDb();
    personSession(db, 'P01', 'continuous', 10, 0.6, 11);
    personSession(db, 'P02', 'continuous', 10, 0.8, 12);
    personSession(db, 'P01', 'flash-terminated', 10, 0, 13);
    simulateSession(db, { paradigmId: 'flash-lag', observer: { pse: 3, sigma: 0.3, guess: 0, lapse: 0 }, seed: 1, parameters: { trialsPerOffset: 4 } });

    const people = labValues(db, [flashLagExperiment])[flashLagExperiment.id] as PeopleLag[];
    expect(people.map((p) => [p.display, p.variant, p.speedDegPerS, p.sessions])).toEqual([
      ['translate', 'continuous', 10, 2],
      ['translate', 'flash-terminated', 10, 1],
    ]);
    expect(people[0]!.pseDeg).toBeGreaterThan(0.4);
    expect(people[0]!.pseDeg).toBeLessThan(1);
    expect(people[0]!.pseMs).toBeCloseTo((people[0]!.pseDeg / 10) * 1000, 6);
    expect(Math.abs(people[1]!.pseDeg)).toBeLessThan(0.3);

    // A folder without a real manifest is refused before any work.
    const out = path.join(dir, 'out');
    fs.mkdirSync(path.join(dir, 'fake'));
    fs.writeFileSync(path.join(dir, 'fake', 'predlab-checkpoint.json'), '{}');
    const refused = await runReplicate({ checkpoints: [path.join(dir, 'fake')], out, experiments: ['flash-lag'], quick: true, seed: 1 }, { db }).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(/is not a readable checkpoint/);
    expect(fs.existsSync(out)).toBe(false);

    // A checkpoint made by the CLI, answered by the hand-made extrapolator: people's rows, series and note in the report.
    const ckpt = path.join(dir, 'extrapolator');
    expect(predlab(['model', 'init', '--height', '32', '--width', '40', '--out', ckpt], { PREDLAB_DATA_DIR: dir }).code).toBe(0);
    const r = await runReplicate({ checkpoints: [ckpt], out, experiments: ['flash-lag'], quick: true, seed: 1 }, { db, loadResponder: () => persistingExtrapolator() });
    expect(r.experiments[0]!.verdict).toMatch(/^flash-lag: yes, people's pattern at readout delay 2\./);
    expect(r.experiments[0]!.checkpoints[0]!.comparisons.length).toBeGreaterThan(4);
    const rows = parse(fs.readFileSync(path.join(out, 'flash-lag', 'data.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const theirs = rows.filter((x) => x.who === 'people');
    expect(theirs.map((x) => [x.variant, x.speed_deg_per_s, x.n])).toEqual([['continuous', '10', '2'], ['flash-terminated', '10', '1']]);
    expect(Number(theirs[0]!.lag_ms)).toBeCloseTo(people[0]!.pseMs, 6);
    expect(fs.readFileSync(path.join(out, 'flash-lag', 'plot.svg'), 'utf8')).toContain('people: continuous');
    expect(theirs.every((x) => x.readout_delay === '')).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'flash-lag', 'verdict.json'), 'utf8')).checkpoints[0].notes.at(-1)).toMatch(/^People: 3 finished human session\(s\)/);
  }, 120_000);

  it('withPeople adds their series and rows, or says there are none', () => {
    const base = { id: 'flash-lag', title: 'Flash-lag', published: '', verdict: { effect: null, text: '', statistic: null }, axes: { x: '', y: '' }, series: [], table: { columns: [], rows: [] }, notes: [] };
    const people = [
      { display: 'translate', variant: 'continuous', speedDegPerS: 10, pseMs: 70, pseDeg: 0.7, ci: [50, 90] as [number, number], sessions: 2 },
      { display: 'rotate', variant: 'continuous', speedDegPerS: 60, pseMs: 50, pseDeg: 3, ci: null, sessions: 1 },
    ];
    const r = withPeople(base, people);
    // People have no readout delay: drawn in both delay panels of their display.
    expect(r.series).toEqual([
      { name: 'people: continuous', group: 'translating bar, readout delay 1', x: [10], y: [70], lo: [50], hi: [90] },
      { name: 'people: continuous', group: 'translating bar, readout delay 2', x: [10], y: [70], lo: [50], hi: [90] },
      { name: 'people: continuous', group: 'rotating bar, readout delay 1', x: [60], y: [50], lo: [50], hi: [50] },
      { name: 'people: continuous', group: 'rotating bar, readout delay 2', x: [60], y: [50], lo: [50], hi: [50] },
    ]);
    expect(r.table.rows).toEqual([
      ['people', 'translate', 'continuous', '', 10, 0.7, 70, 50, 90, 2, ''],
      ['people', 'rotate', 'continuous', '', 60, 3, 50, '', '', 1, ''],
    ]);
    expect(withPeople(base, []).notes).toEqual(['People: the lab has no finished flash-lag sessions of human participants.']);
    expect(withPeople(base, null).notes).toEqual(['People: none (no lab database given).']);
  });
});

describe('battery numbers', () => {
  it('are written to 3 significant digits, and the residue of an exact 0 as 0 (not 1.48e-16 ms)', () => {
    expect([fmt(62.912), fmt(0.0001234), fmt(1.48e-16), fmt(-3e-12), fmt(-0.5), fmt(Infinity)]).toEqual(['62.9', '0.000123', '0', '0', '-0.5', 'Infinity']);
  });
});

describe('report across instances', () => {
  const run = (label: string, effect: boolean | null, statistic: { name: string; value: number } | null) => ({
    label,
    checkpoint: `/x/${label}`,
    result: { id: 'illusory-contours', title: 'Illusory contours', published: '', verdict: { effect, text: `${label}: ${effect}`, statistic: statistic && { ...statistic, unit: 'time steps' } }, axes: { x: '', y: '' }, series: [], table: { columns: [], rows: [] }, notes: [] },
  });

  it('spreads the statistic most instances rest on, and counts the verdicts', () => {
    const runs = [run('a', true, { name: 'rise', value: 2 }), run('b', false, { name: 'peak', value: 0.01 }), run('c', true, { name: 'rise', value: 1 }), run('d', null, null)];
    expect(spreadOf(runs)).toEqual({ name: 'rise', unit: 'time steps', mean: 1.5, min: 1, max: 2, n: 2 });
    const line = verdictLine(runs);
    expect(line.effect).toBeNull();
    expect(line.text).toBe('Illusory contours: shown by 2 of 4 instances (1 not, 1 undetermined); rise 1.5 time steps on average (range 1 to 2, 2 instances)');
    expect(verdictLine([runs[0]!, runs[2]!]).effect).toBe(true);
    expect(verdictLine([runs[0]!])).toEqual({ text: 'a: true', effect: true });
    // One instance measured it: its value, not a "range" of one.
    expect(verdictLine([runs[0]!, runs[3]!]).text).toBe('Illusory contours: shown by 1 of 2 instances (0 not, 1 undetermined); rise 2 time steps in the one instance that measured it');
  });
});
