/** PredNet learns a moving bar: loss well below copying the last frame; checkpoints and resume. */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint, readManifest, saveCheckpoint } from '../../native-models/checkpoint.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { batchOf, sequenceStarts, splitByRecording } from '../../native-models/training/data.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import { CANCEL, createControl, resumeDirOf, runTraining, trainOptionsSchema, type TrainEvent } from '../../native-models/training/trainer.js';
import { tempDir } from '../support/db.js';

const cfg = predNetConfigSchema.parse({ height: 16, width: 16, stackSizes: [1, 8, 16], rStackSizes: [1, 8, 16], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3] });
const data = movingBarVideo({ height: 16, width: 16, recordings: 30, framesPerRecording: 16, seed: 2 });
const nt = 8;
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = tempDir('predlab-train-');
  const net = PredNet.create(cfg, 1);
  await saveCheckpoint(path.join(dir, 'init'), net, { source: { kind: 'init', seed: 1 } });
  net.dispose();
});

/** Mean |prediction - frame| / 2 (the L0 error) and MSE over t >= 1, for the model and for copying the last frame. */
function scores(net: PredNet, starts: number[]) {
  const x = tf.tensor5d(batchOf(data, starts, nt), [starts.length, nt, 16, 16, 1]);
  const pred = net.run(x, 'prediction');
  const r = tf.tidy(() => {
    const actual = tf.slice(x, [0, 1, 0, 0, 0], [-1, nt - 1, -1, -1, -1]);
    const model = tf.slice(pred, [0, 1, 0, 0, 0], [-1, nt - 1, -1, -1, -1]);
    const copy = tf.slice(x, [0, 0, 0, 0, 0], [-1, nt - 1, -1, -1, -1]);
    return {
      modelL0: tf.mean(tf.abs(tf.sub(model, actual))).dataSync()[0]! / 2,
      copyL0: tf.mean(tf.abs(tf.sub(copy, actual))).dataSync()[0]! / 2,
      modelMse: tf.mean(tf.squaredDifference(model, actual)).dataSync()[0]!,
      copyMse: tf.mean(tf.squaredDifference(copy, actual)).dataSync()[0]!,
    };
  });
  tf.dispose([x, pred]);
  return r;
}

describe('training on a moving bar', () => {
  it('sequences never cross a recording; validation holds whole recordings', () => {
    const starts = sequenceStarts(data.recordings, nt);
    for (const s of starts) expect(data.recordings[s]).toBe(data.recordings[s + nt - 1]);
    expect(starts).toHaveLength(30 * (16 - nt + 1));
    const split = splitByRecording(data, nt, 0.1, 1);
    expect(split.validationRecordings).toHaveLength(3);
    const valRecs = new Set(split.validationRecordings);
    for (const s of split.train) expect(valRecs.has(data.recordings[s]!)).toBe(false);
    for (const s of split.validation) expect(valRecs.has(data.recordings[s]!)).toBe(true);
  });

  it('the loss falls well below copying the last frame, and the bar\'s next position is predicted', async () => {
    const events: TrainEvent[] = [];
    const out = path.join(dir, 'trained');
    const meta = await runTraining(
      { from: path.join(dir, 'init'), outDir: out, data, dataset: { kind: 'synthetic' }, options: trainOptionsSchema.parse({ nt, batchSize: 4, epochs: 3, samplesPerEpoch: 280, valSequences: 24, lr: 3e-3 }) },
      (e) => events.push(e),
    );
    expect(meta.step).toBe(210);
    expect(meta.finished).toBe(true);
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(210);
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(3);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'done', cancelled: false });

    const trained = loadCheckpoint(out);
    const split = splitByRecording(data, nt, 0.1, 1);
    const s = scores(trained.net, split.validation.slice(0, 24));
    expect(meta.bestValLoss!).toBeLessThan(0.5 * s.copyL0);
    expect(s.modelL0).toBeLessThan(0.5 * s.copyL0);
    expect(s.modelMse).toBeLessThan(0.6 * s.copyMse);
    // The saved weights are the best epoch's (which epoch depends on the engine's rounding).
    const best = meta.history.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    expect(trained.manifest.training).toMatchObject({ step: best.step, epoch: best.epoch + 1, bestValLoss: best.valLoss });
    trained.net.dispose();
  }, 120_000);

  it('a saved checkpoint reloads to bit-identical outputs', async () => {
    const a = loadCheckpoint(path.join(dir, 'trained'));
    await saveCheckpoint(path.join(dir, 'copy'), a.net, { source: { kind: 'copy' } });
    const b = loadCheckpoint(path.join(dir, 'copy'));
    const x = tf.tensor5d(batchOf(data, [0, 40], nt), [2, nt, 16, 16, 1]);
    const ya = a.net.run(x, 'prediction');
    const yb = b.net.run(x, 'prediction');
    expect(Buffer.from((await ya.data()).buffer).equals(Buffer.from((await yb.data()).buffer))).toBe(true);
    tf.dispose([x, ya, yb]);
    a.net.dispose();
    b.net.dispose();
  });

  it('cancel stops between steps leaving valid checkpoints; resume continues from the saved step', async () => {
    const out = path.join(dir, 'cancelled');
    const control = createControl();
    const options = trainOptionsSchema.parse({ nt, batchSize: 2, epochs: 2, samplesPerEpoch: 20, valSequences: 4 });
    const meta = await runTraining({ from: path.join(dir, 'init'), outDir: out, data, dataset: {}, options }, (e) => {
      if (e.type === 'progress' && e.step === 13) Atomics.store(control, 0, CANCEL);
    }, control);
    expect(meta.step).toBe(13);
    expect(meta.finished).toBe(false);
    // Epoch 0 completed (10 steps) and was saved as best; the resume state holds step 13 and Adam's moments.
    expect(readManifest(out).training!.step).toBe(10);
    const resume = readManifest(resumeDirOf(out));
    expect(resume.training!.step).toBe(13);
    const probe = PredNet.create(cfg);
    expect(resume.optimizer.length).toBe(1 + 2 * probe.trainableVariables.length);
    probe.dispose();
    const resumed = await runTraining({ from: resumeDirOf(out), outDir: out, data, dataset: {}, options }, () => undefined);
    expect(resumed.step).toBe(20);
    expect(resumed.finished).toBe(true);
    expect(resumed.history.map((h) => h.step)).toEqual([10, 13, 20]);
  }, 60_000);

  it('a resume with another sampling recipe is refused, naming what changed, before anything is written; more epochs continue a finished run', async () => {
    const out = path.join(dir, 'recipe');
    const control = createControl();
    const options = trainOptionsSchema.parse({ nt, batchSize: 2, epochs: 2, samplesPerEpoch: 20, valSequences: 4 });
    await runTraining({ from: path.join(dir, 'init'), outDir: out, data, dataset: {}, options }, (e) => {
      if (e.type === 'progress' && e.step === 3) Atomics.store(control, 0, CANCEL);
    }, control);
    const before = fs.readFileSync(path.join(resumeDirOf(out), 'predlab-checkpoint.json'), 'utf8');
    await expect(runTraining({ from: resumeDirOf(out), outDir: out, data, dataset: {}, options: { ...options, batchSize: 4, lr: 1e-4 } }, () => undefined)).rejects.toThrow(
      /A resumed run goes on as it was started: batchSize \(--batch-size\) was 2, now 4\. Give the same values/,
    );
    expect(fs.readFileSync(path.join(resumeDirOf(out), 'predlab-checkpoint.json'), 'utf8')).toBe(before);
    // More epochs and another learning rate are fine.
    const more = await runTraining({ from: resumeDirOf(out), outDir: out, data, dataset: {}, options: { ...options, epochs: 1, lr: 1e-4 } }, () => undefined);
    expect(more.step).toBe(10);
    expect(more.finished).toBe(true);
    // A finished run given more epochs goes on from where it stopped (not from step 0 with a fresh Adam).
    const steps: number[] = [];
    const longer = await runTraining({ from: resumeDirOf(out), outDir: out, data, dataset: {}, options: { ...options, epochs: 2 } }, (e) => e.type === 'progress' && steps.push(e.step));
    expect([steps[0], steps.length, longer.step, longer.epoch, longer.finished]).toEqual([11, 10, 20, 2, true]);
  }, 60_000);

  it('a cancelled and resumed run ends with exactly the weights of an uninterrupted one (Adam state kept under unique names)', async () => {
    const options = trainOptionsSchema.parse({ nt, batchSize: 2, epochs: 2, samplesPerEpoch: 20, valSequences: 4 });
    const whole = path.join(dir, 'whole');
    await runTraining({ from: path.join(dir, 'init'), outDir: whole, data, dataset: {}, options }, () => undefined);
    const split = path.join(dir, 'split');
    const control = createControl();
    await runTraining({ from: path.join(dir, 'init'), outDir: split, data, dataset: {}, options }, (e) => {
      if (e.type === 'progress' && e.step === 13) Atomics.store(control, 0, CANCEL);
    }, control);
    const saved = loadCheckpoint(resumeDirOf(split));
    const probe = PredNet.create(cfg);
    const weightNames = probe.trainableVariables.map((v) => probe.stableNames.get(v.name)!);
    probe.dispose();
    // 'iter' (as a number, 13 steps), then every weight's first moments, then its second moments.
    expect(saved.optimizer.map((o) => o.name)).toEqual(['iter', ...weightNames.map((n) => `${n}/m`), ...weightNames.map((n) => `${n}/v`)]);
    expect(saved.optimizer[0]!.tensor.dataSync()[0]).toBe(13);
    // The same state as older versions wrote it: 'iter' as int32 bytes, moments under colliding tfjs names.
    const legacy = path.join(dir, 'legacy');
    const iterBits = new Float32Array(Int32Array.of(13).buffer)[0]!;
    const legacyOpt = saved.optimizer.map((o, i) => (i === 0 ? { name: 'iter', tensor: tf.scalar(iterBits) } : { name: `${o.name.split('/')[0]}/x${i % 3}`, tensor: o.tensor }));
    await saveCheckpoint(resumeDirOf(legacy), saved.net, { source: saved.manifest.source, training: saved.manifest.training, optimizer: legacyOpt });
    saved.net.dispose();
    tf.dispose([...saved.optimizer.map((o) => o.tensor), legacyOpt[0]!.tensor]);
    await runTraining({ from: resumeDirOf(split), outDir: split, data, dataset: {}, options }, () => undefined);
    await runTraining({ from: resumeDirOf(legacy), outDir: legacy, data, dataset: {}, options }, () => undefined);
    const a = loadCheckpoint(resumeDirOf(whole));
    const wa = a.net.kerasWeights();
    for (const other of [split, legacy]) {
      const b = loadCheckpoint(resumeDirOf(other));
      expect(b.manifest.training!.step).toBe(20);
      const wb = b.net.kerasWeights();
      for (const [n, t] of wa) expect(Math.max(...tf.tidy(() => tf.abs(tf.sub(t, wb.get(n)!)).dataSync())), `${other} ${n}`).toBeLessThan(1e-7);
      tf.dispose([...wb.values(), ...b.optimizer.map((o) => o.tensor)]);
      b.net.dispose();
    }
    tf.dispose([...wa.values(), ...a.optimizer.map((o) => o.tensor)]);
    a.net.dispose();
  }, 60_000);

  it('training an extrapolating checkpoint keeps its extrapStartTime in the saved checkpoints', async () => {
    const from = path.join(dir, 'extrap-init');
    const net = PredNet.create(cfg, 3);
    await saveCheckpoint(from, net, { source: { kind: 'init' }, extrapStartTime: 5 });
    net.dispose();
    const out = path.join(dir, 'extrap-trained');
    await runTraining({ from, outDir: out, data, dataset: {}, options: trainOptionsSchema.parse({ nt, batchSize: 2, epochs: 1, samplesPerEpoch: 2, valSequences: 2 }) }, () => undefined);
    expect(readManifest(out).extrapStartTime).toBe(5);
    expect(readManifest(resumeDirOf(out)).extrapStartTime).toBe(5);
  }, 60_000);

  it('refuses frames that do not fit the model', async () => {
    const wrong = movingBarVideo({ height: 8, width: 16, recordings: 2, framesPerRecording: 10, seed: 1 });
    await expect(runTraining({ from: path.join(dir, 'init'), outDir: path.join(dir, 'x'), data: wrong, dataset: {}, options: trainOptionsSchema.parse({}) }, () => undefined)).rejects.toThrow(/8x16x1; the model takes 16x16x1/);
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });
});
