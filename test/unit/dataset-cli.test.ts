/** `predlab dataset ...` and `predlab train --dataset` through the real CLI entry, database and files. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { loadCheckpoint } from '../../native-models/checkpoint.js';
import type { DatasetJob } from '../../preload/channels/datasets.js';
import type { TrainingRun } from '../../preload/channels/training.js';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';
import { parseEvents } from '../support/events.js';

let dir: string;
let db: string;

beforeAll(() => {
  dir = tempDir('predlab-cli-dataset-');
  db = path.join(dir, 'lab.sqlite');
  // A 4 s clip of a square moving right, 64x48 at 20 frames/s.
  const w = 64;
  const h = 48;
  const n = 80;
  const frames = new Uint8Array(n * w * h * 3);
  for (let t = 0; t < n; t++) for (let y = 16; y < 32; y++) for (let x = 0; x < 12; x++) frames.fill(230, ((t * h + y) * w + ((x + t) % w)) * 3, ((t * h + y) * w + ((x + t) % w)) * 3 + 3);
  const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', '20', '-i', 'pipe:0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path.join(dir, 'square.mp4')], { input: frames });
  expect(r.status, r.stderr?.toString()).toBe(0);
});

describe('predlab dataset', () => {
  it('imports, lists, shows and exports; errors are one clear line', async () => {
    const imp = await cli('--db', db, 'dataset', 'import', path.join(dir, 'square.mp4'), '--dataset', 'moving', '--height', '16', '--width', '24', '--fps', '10', '--json');
    expect(imp.code, imp.err).toBe(0);
    expect(imp.json()).toMatchObject({ createdDataset: true, dataset: { name: 'moving', height: 16, width: 24, fps: 10, recordings: 1, frames: 40 }, recording: { frames: 40, status: 'complete' } });
    const second = await cli('--db', db, 'dataset', 'import', path.join(dir, 'square.mp4'), '--dataset', 'moving');
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/Imported 40 frames from .*square\.mp4 \(64 px wide, 48 px high, 4\.0 s\) as recording 2\. 'moving' now holds 2 recording\(s\), 80 frames/);
    const list = await cli('--db', db, 'dataset', 'list');
    expect(list.out).toMatch(/moving\s+16 × 24\s+10\s+2\s+80\s+90 KiB/);
    const show = await cli('--db', db, 'dataset', 'show', 'moving', '--json');
    expect(show.json().recordingList.map((r: { frames: number }) => r.frames)).toEqual([40, 40]);
    const h5 = await cli('--db', db, 'dataset', 'export', 'moving', '--format', 'hdf5', '--out', path.join(dir, 'moving.h5'));
    expect(h5.code, h5.err).toBe(0);
    expect(h5.out).toMatch(/X \(80, 16, 24, 3\) uint8 and sources \(80 names, 2 recording\(s\)\)/);
    const vid = await cli('--db', db, 'dataset', 'export', 'moving', '--format', 'video', '--out', path.join(dir, 'videos'), '--json');
    expect(vid.code, vid.err).toBe(0);
    expect(vid.json().files).toHaveLength(2);

    const bad = await cli('--db', db, 'dataset', 'import', path.join(dir, 'nothing.mp4'), '--dataset', 'x', '--json');
    expect(bad.code).toBe(1);
    expect(bad.json()).toEqual({ error: { code: 'not-found', message: `${path.join(dir, 'nothing.mp4')} does not exist.` } });
    expect(bad.err).not.toMatch(/\bat .*\.ts:\d+/); // no stack
    const noFormat = await cli('--db', db, 'dataset', 'export', 'moving', '--out', path.join(dir, 'y'));
    expect(noFormat.code).toBe(2);
    expect(noFormat.err).toMatch(/--format <format>' not specified/);
  });

  it('trains from a dataset read from disk; a dataset too short for one sequence is refused', async () => {
    const init = await cli('--db', db, 'model', 'init', '--height', '16', '--width', '24', '--out', path.join(dir, 'm0'));
    expect(init.code, init.err).toBe(0);
    const out = path.join(dir, 'm1');
    const r = await cli('--db', db, 'train', '--checkpoint', path.join(dir, 'm0'), '--dataset', 'moving', '--out', out, '--epochs', '2', '--samples-per-epoch', '4', '--batch-size', '2', '--nt', '5', '--val-sequences', '2', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.json()).toMatchObject({ step: 4, finished: true, cancelled: false, checkpoint: out });
    expect(loadCheckpoint(out).manifest.training).toMatchObject({ dataset: { kind: 'dataset', name: 'moving', frames: 80, recordings: 2 } });

    // --events: the Training page's 'training' events, made from the same trainer events.
    const ev = await cli('--db', db, '--events', 'train', '--checkpoint', path.join(dir, 'm0'), '--dataset', 'moving', '--out', path.join(dir, 'm-events'), '--epochs', '2', '--samples-per-epoch', '4', '--batch-size', '2', '--nt', '5', '--val-sequences', '2');
    expect(ev.code, ev.err).toBe(0);
    const runs = parseEvents(ev.err).map((e) => (expect(e).toMatchObject({ topic: 'training', key: 1 }), (e.value as { run: TrainingRun; preview: null }).run));
    expect(runs[0]).toMatchObject({ state: 'running', dataset: 'moving', start: { kind: 'folder', path: path.join(dir, 'm0') }, checkpoint: path.join(dir, 'm-events') });
    const end = runs.at(-1)!;
    expect(end).toMatchObject({ state: 'finished', step: 4, totalSteps: 4, epoch: 1, modelId: expect.any(Number), framesPerSec: null, baseline: expect.any(Number) });
    expect(end.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(end.losses.at(-1)!.step).toBe(4);
    expect(end.backend).toMatch(/\w/);
    expect(ev.out).toMatch(/^Finished at step 4\./);

    const short = await cli('--db', db, 'train', '--checkpoint', path.join(dir, 'm0'), '--dataset', 'moving', '--out', path.join(dir, 'm2'), '--nt', '41');
    expect(short.code).toBe(1);
    expect(short.err).toBe("predlab: Dataset 'moving' has no recording of 41 frames or more (the longest has 40): nothing to train on. Record longer clips or lower --nt.\n");
    const both = await cli('--db', db, 'train', '--checkpoint', path.join(dir, 'm0'), '--dataset', 'moving', '--data', 'x.npy', '--out', path.join(dir, 'm2'));
    expect(both.err).toMatch(/--data <frames.npy> or --dataset <name> \(one of them\)/);
    const wrongSize = await cli('--db', db, 'model', 'init', '--height', '32', '--width', '32', '--out', path.join(dir, 'm32'));
    expect(wrongSize.code).toBe(0);
    const mismatch = await cli('--db', db, 'train', '--checkpoint', path.join(dir, 'm32'), '--dataset', 'moving', '--out', path.join(dir, 'm3'));
    expect(mismatch.err).toMatch(/holds 16 × 24 frames \(height × width\); the checkpoint takes 32 × 32/);
    expect(fs.existsSync(path.join(dir, 'm2'))).toBe(false);
  });

  it("--events prints the app's import and export events (the Video page's), the last one the job's end", async () => {
    const db = path.join(dir, 'events.sqlite');
    const imp = await cli('--db', db, '--events', 'dataset', 'import', path.join(dir, 'square.mp4'), '--dataset', 'events', '--height', '16', '--width', '24', '--fps', '10', '--json');
    expect(imp.code, imp.err).toBe(0);
    const imports = parseEvents(imp.err);
    expect(imports.every((e) => e.topic === 'imports')).toBe(true);
    const last = (imports.at(-1)!.value as DatasetJob[])[0]!;
    expect(last).toMatchObject({ kind: 'import', dataset: 'events', state: 'done', frames: 40, path: path.join(dir, 'square.mp4') });
    expect(last.message).toMatch(/^Created dataset 'events' \(16 × 24, height × width, 10 frames\/s\)\. Imported 40 frames/);
    for (const e of imports) expect((e.value as DatasetJob[])[0]).toMatchObject({ id: 1, kind: 'import', dataset: 'events' });
    expect(imp.json()).toMatchObject({ recording: { frames: 40 } }); // stdout keeps the result

    const exp = await cli('--db', db, '--events', 'dataset', 'export', 'events', '--format', 'hdf5', '--out', path.join(dir, 'events.h5'));
    expect(exp.code, exp.err).toBe(0);
    expect((parseEvents(exp.err).at(-1)!.value as DatasetJob[])[0]).toMatchObject({ kind: 'export', state: 'done', frames: 40, total: 40, message: expect.stringMatching(/^Wrote .*events\.h5: X \(40, 16, 24, 3\)/) });

    // A failure: the job's error event, then the one-line message, exit 1.
    fs.writeFileSync(path.join(dir, 'broken.mp4'), 'not a video');
    const bad = await cli('--db', db, '--events', 'dataset', 'import', path.join(dir, 'broken.mp4'), '--dataset', 'events');
    expect(bad.code).toBe(1);
    const lines = bad.err.trim().split('\n');
    const message = lines.pop();
    const failed = (parseEvents(lines.join('\n')).at(-1)!.value as DatasetJob[])[0]!;
    expect(failed).toMatchObject({ state: 'error', path: path.join(dir, 'broken.mp4') });
    expect(message).toBe(`predlab: ${failed.message}`);
  });

  it('delete asks first: refused without a terminal or --yes, done with --yes', async () => {
    const refused = await cli('--db', db, 'dataset', 'delete', 'moving');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/Deleting 'moving' \(2 recording\(s\), 80 frames\) needs a confirmation: run it in a terminal, or add --yes/);
    expect((await cli('--db', db, 'dataset', 'list', '--json')).json()).toHaveLength(1);
    const files = fs.readdirSync(path.join(dir, 'datasets'));
    const done = await cli('--db', db, 'dataset', 'delete', 'moving', '--yes', '--json');
    expect(done.json()).toMatchObject({ deleted: true, name: 'moving', recordings: 2, frames: 80 });
    expect(fs.readdirSync(path.join(dir, 'datasets')).length).toBe(files.length - 1);
    expect((await cli('--db', db, 'dataset', 'list')).out).toMatch(/No datasets/);
  });
});
