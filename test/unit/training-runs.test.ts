/** The app's training runs: a dataset of the lab trained in the worker; pause/resume, cancel, an app restart, registration as a model. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendFrames, createDataset, finishRecording, startRecording } from '../../main/services/datasets.js';
import { listModels } from '../../main/services/models.js';
import { TrainingRuns } from '../../main/services/training-jobs.js';
import type { Db } from '../../main/store/db.js';
import { readManifest } from '../../native-models/checkpoint.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import type { TrainingRun } from '../../preload/channels/training.js';
import { tempDb } from '../support/db.js';

let db: Db;
let dataDir: string;

/** Waits until the run's state satisfies `ok` (the worker reports asynchronously). */
async function until(runs: TrainingRuns, id: number, ok: (r: TrainingRun) => boolean, timeoutMs = 120_000): Promise<TrainingRun> {
  const t0 = Date.now();
  for (;;) {
    const r = runs.get(id);
    if (ok(r)) return r;
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${id} stayed ${r.state} at step ${r.step}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

beforeAll(() => {
  const t = tempDb();
  db = t.db;
  dataDir = t.dir;
  createDataset(db, { name: 'bars', height: 16, width: 24, fps: 10 });
  // Two recordings of 20 frames of a moving bar, appended as a capture would.
  const v = movingBarVideo({ height: 16, width: 24, channels: 3, recordings: 2, framesPerRecording: 20, seed: 3 });
  for (let r = 0; r < 2; r++) {
    const rec = startRecording(db, dataDir, 'bars', `test ${r}`);
    appendFrames(db, dataDir, rec.id, v.frames.subarray(r * 20 * 1152, (r + 1) * 20 * 1152));
    finishRecording(db, dataDir, rec.id);
  }
});

const small = { kind: 'new', preset: 'small', seed: 3 } as const;
const tiny = { nt: 4, batchSize: 2, samplesPerEpoch: 4, valSequences: 2 };

describe('training runs', () => {
  it('trains a new small PredNet on a dataset, pauses and resumes, and registers the finished checkpoint as a model', async () => {
    const runs = new TrainingRuns(db, dataDir);
    const run = runs.start({ dataset: 'bars', start: small, options: { ...tiny, epochs: 3 } });
    expect(run).toMatchObject({ id: 1, label: 'bars-small-run1', state: 'running', totalSteps: 6, startLabel: 'new small PredNet (seed 3)' });
    expect(() => runs.start({ dataset: 'bars', start: small, options: tiny })).toThrow('Training run 1 is under way; one run at a time. Cancel it, or wait until it ends.');
    await until(runs, 1, (r) => r.step >= 1);
    runs.pause(1);
    const paused = await until(runs, 1, (r) => r.state === 'paused');
    const stepAtPause = paused.step;
    await new Promise((res) => setTimeout(res, 600));
    expect(runs.get(1).step).toBe(stepAtPause); // nothing trains while paused
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'training', 'run-1', 'run.json'), 'utf8')).state).toBe('paused');
    runs.resume(1);
    const done = await until(runs, 1, (r) => r.state === 'finished');
    expect(done.step).toBe(6);
    expect(done.losses.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(done.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(done.epochs.every((e) => e.valLoss !== null && e.valLoss > 0)).toBe(true);
    expect(done.baseline).toBeGreaterThan(0);
    expect(done.backend).toBeTruthy();
    const preview = runs.preview(1)!;
    expect(preview).toMatchObject({ epoch: 3, width: 24, height: 16, channels: 3, frames: 4 });
    expect(Buffer.from(preview.predicted, 'base64')).toHaveLength(4 * 16 * 24 * 3);
    // The actual strip is the dataset's own frames.
    expect(Buffer.from(preview.actual, 'base64').some((b) => b > 200)).toBe(true);
    await runs.settled();
    // The run is a job of the lab's ledger, ended with it.
    expect(db.prepare("SELECT state, target FROM jobs WHERE kind = 'training'").all()).toEqual([{ state: 'done', target: done.checkpoint }]);
    const model = listModels(db).find((m) => m.id === runs.get(1).modelId)!;
    expect(model).toMatchObject({ label: 'bars-small-run1', path: done.checkpoint });
    // The model is the best-validation checkpoint (some epoch of the run), trained on the dataset.
    expect(readManifest(done.checkpoint).training).toMatchObject({ dataset: { kind: 'dataset', name: 'bars', frames: 40, recordings: 2 } });
    expect(() => runs.resume(1)).toThrow(/Training run 1 is finished; only a paused, interrupted, cancelled or failed run can be resumed/);
  });

  it('a run stopped by an app quit shows as interrupted after a restart and continues from its resume state', async () => {
    const first = new TrainingRuns(db, dataDir);
    const run = first.start({ dataset: 'bars', start: small, label: 'quit test', options: { ...tiny, epochs: 3 } });
    await until(first, run.id, (r) => r.resumable); // one epoch (2 steps) saved
    const ledger = () => db.prepare("SELECT state, message FROM jobs WHERE kind = 'training' AND target = ? ORDER BY id").all(run.checkpoint) as { state: string; message: string }[];
    expect(ledger()).toEqual([{ state: 'running', message: null }]);
    await first.stopAll();
    await expect.poll(() => ledger()[0]?.state).toBe('interrupted');
    expect(ledger()[0]!.message).toMatch(/^training run \d+ stopped by an app quit at step \d+$/);
    const stepsBefore = readManifest(`${run.checkpoint}.resume`).training!.step;
    expect(stepsBefore).toBeGreaterThanOrEqual(2);

    const restarted = new TrainingRuns(db, dataDir);
    expect(restarted.list().find((r) => r.id === run.id)).toMatchObject({ state: 'interrupted', resumable: true, label: 'quit test' });
    restarted.resume(run.id);
    const done = await until(restarted, run.id, (r) => r.state === 'finished');
    expect(done.step).toBe(6);
    const steps = done.losses.map((p) => p.step);
    expect(steps.at(-1)).toBe(6);
    expect(new Set(steps).size).toBe(steps.length); // no step counted twice across the restart
    await restarted.settled();
    expect(listModels(db).some((m) => m.label === 'quit test')).toBe(true);
    expect(ledger().map((j) => j.state)).toEqual(['interrupted', 'done']);
  });

  it('cancel keeps the dataset and a resume state; bad requests are refused before anything is made', async () => {
    const bytes = (f: string) => fs.readFileSync(path.join(dataDir, 'datasets', f));
    const files = fs.readdirSync(path.join(dataDir, 'datasets'), { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dataDir, 'datasets', f)).isFile());
    expect(files.length).toBeGreaterThanOrEqual(2);
    const before = files.map((f) => [f, bytes(f)] as const);
    // A run folder whose record is damaged is not listed, and no new run reuses it.
    fs.mkdirSync(path.join(dataDir, 'training', 'run-40'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'training', 'run-40', 'run.json'), '{"id": 40, "sta');
    const runs = new TrainingRuns(db, dataDir);
    expect(runs.list().map((r) => r.id)).not.toContain(40);
    const run = runs.start({ dataset: 'bars', start: small, options: { ...tiny, epochs: 100 } });
    expect(run.id).toBe(41);
    await until(runs, run.id, (r) => r.step >= 3);
    runs.cancel(run.id);
    const cancelled = await until(runs, run.id, (r) => r.state === 'cancelled');
    await runs.settled();
    expect(runs.get(run.id)).toMatchObject({ resumable: true, modelId: null });
    expect(cancelled.step).toBeLessThan(200);
    for (const [f, b] of before) expect(bytes(f)).toEqual(b);
    expect(listModels(db).some((m) => m.path === cancelled.checkpoint)).toBe(false);

    const folders = fs.readdirSync(path.join(dataDir, 'training')).length;
    expect(() => runs.start({ dataset: 'bars', start: small, options: { ...tiny, nt: 21 } })).toThrow("Dataset 'bars' has no recording of 21 frames or more (the longest has 20): nothing to train on. Record longer clips or lower --nt.");
    expect(() => runs.start({ dataset: 'nope', start: small, options: tiny })).toThrow(/nope/);
    createDataset(db, { name: 'odd', height: 20, width: 24, fps: 10 });
    expect(() => runs.start({ dataset: 'odd', start: small, options: tiny })).toThrow("A small PredNet cannot take dataset 'odd' (20 × 24, height × width): height: image sides must be divisible by 2^(layers-1) = 8; got 20x24.");
    expect(() => runs.start({ dataset: 'bars', start: { kind: 'model', modelId: 999 }, options: tiny })).toThrow('No model with id 999.');
    expect(fs.readdirSync(path.join(dataDir, 'training')).length).toBe(folders);
  });
});
