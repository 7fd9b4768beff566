/**
 * `predlab model score`: a checkpoint against copying the last frame on fresh video, said plainly;
 * --save records it where Compare's warning reads it. A checkpoint trained by `predlab train`
 * records its best epoch's validation loss beside the copy-last baseline on the same sequences.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listModels } from '../../main/services/models.js';
import { openDatabase } from '../../main/store/db.js';
import { CHECKPOINT_FILE, readManifest } from '../../native-models/checkpoint.js';
import { checkpointWarning, predictionCheck } from '../../paradigms/findings.js';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';

async function tinyCheckpoint(db: string, dir: string) {
  const r = await cli('--db', db, 'model', 'init', '--height', '32', '--width', '40', '--seed', '3', '--out', dir, '--json');
  expect(r.code, r.err).toBe(0);
}

describe('predlab model score', () => {
  it('says an untrained checkpoint predicts worse than copying the last frame; --save records it and Compare warns with it', async () => {
    const root = tempDir();
    const db = path.join(root, 'lab.sqlite');
    const dir = path.join(root, 'tiny');
    await tinyCheckpoint(db, dir);
    // Bad sizes are refused before any work, with nothing written.
    const before = fs.readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8');
    const bad = await cli('--db', db, 'model', 'score', dir, '--recordings', '0', '--save');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--recordings must be from 1 to 200; got 0/);
    expect(bad.err).not.toMatch(/scoring/);
    expect(fs.readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8')).toBe(before);

    const t = await cli('--db', db, 'model', 'score', dir, '--recordings', '3', '--sequences', '4');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/mean \|E0\|: model [\d.]+, copying the last frame [\d.]+ \(ratio [\d.]+\)/);
    expect(t.out).toMatch(/It predicts worse than copying the last frame/);
    expect(t.out).toMatch(/Not recorded/);
    expect(readManifest(dir).source.validation).toBeUndefined();

    const j = await cli('--db', db, 'model', 'score', dir, '--recordings', '3', '--sequences', '4', '--save', '--json');
    expect(j.code, j.err).toBe(0);
    const r = j.json();
    expect(r).toMatchObject({ sequences: 4, recordings: 3, better: false, saved: true });
    expect(r.ratio).toBeCloseTo(r.model / r.copyLastFrame, 12);
    expect(r.ratio).toBeGreaterThan(1);
    const m = readManifest(dir);
    expect(m.source.validation).toMatchObject({ model: r.model, copyLastFrame: r.copyLastFrame, measuredBy: 'predlab model score' });
    // The lab's entry is refreshed: Compare's warning now names the measured ratio.
    const lab = openDatabase(db);
    const entry = listModels(lab).find((x) => x.path === dir)!;
    lab.close();
    expect(predictionCheck(entry)).toMatchObject({ status: 'worse', model: r.model, copyLastFrame: r.copyLastFrame });
    expect(checkpointWarning(entry, [])!.text).toMatch(/predicts worse than copying the last frame .*mean \|E0\|/);
    const info = await cli('--db', db, 'model', 'info', dir);
    expect(info.out).toMatch(/validation mean \|E0\| [\d.]+ vs [\d.]+ copying the last frame \([\d.]+×\): predicts worse than copying the last frame/);
    // A later score may replace its own record.
    expect((await cli('--db', db, 'model', 'score', dir, '--recordings', '2', '--sequences', '2', '--save', '--json')).code).toBe(0);
    expect(readManifest(dir).source.validation).toMatchObject({ recordings: 2 });
  }, 120_000);

  it('a trained checkpoint records its best validation loss beside copying the last frame on the same sequences; --save will not replace it', async () => {
    const root = tempDir();
    const db = path.join(root, 'lab.sqlite');
    const dir = path.join(root, 'tiny');
    await tinyCheckpoint(db, dir);
    const frames = path.join(root, 'frames.npy');
    const recs = path.join(root, 'recordings.npy');
    const data = await cli('data', 'moving-bars', '--out', frames, '--recordings-out', recs, '--height', '32', '--width', '40', '--recordings', '6', '--frames', '12', '--seed', '2', '--json');
    expect(data.code, data.err).toBe(0);
    const out = path.join(root, 'trained');
    const tr = await cli('--db', db, 'train', '--checkpoint', dir, '--data', frames, '--recordings', recs, '--out', out, '--epochs', '2', '--samples-per-epoch', '4', '--batch-size', '2', '--nt', '5', '--val-sequences', '4', '--json');
    expect(tr.code, tr.err).toBe(0);
    const m = readManifest(out);
    const v = m.training!.validation as { model: number; copyLastFrame: number; sequences: number; epoch: number };
    expect(v.model).toBe(m.training!.bestValLoss);
    expect(v.copyLastFrame).toBeGreaterThan(0);
    expect(v.sequences).toBeGreaterThan(0);
    expect(m.training!.history.find((h) => h.epoch === v.epoch)!.valLoss).toBe(v.model);
    // Registered by train, the lab's entry carries it to Compare.
    const lab = openDatabase(db);
    const entry = listModels(lab).find((x) => x.path === out)!;
    lab.close();
    expect(predictionCheck(entry)).toMatchObject({ model: v.model, copyLastFrame: v.copyLastFrame });
    expect(predictionCheck(entry).status).not.toBe('not-measured');
    const s = await cli('--db', db, 'model', 'score', out, '--recordings', '2', '--sequences', '2', '--save');
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/already records how it predicts on its validation data/);
  }, 240_000);
});
