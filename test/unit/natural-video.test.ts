/**
 * Natural-image motion video (issue 22): the pure generator (determinism, motion, colour), the
 * natural recipe's held-out photographs, and `predlab dataset natural` through the real CLI entry,
 * ffmpeg, SQLite file and frame files, with small PNGs made here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listRecordings, readFrames } from '../../main/services/datasets.js';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { decodeImage, makeNaturalDataset } from '../../main/services/datasets-natural.js';
import { openDatabase } from '../../main/store/db.js';
import { naturalRecording, naturalVideo, prepareImages, type RgbImage } from '../../native-models/training/natural.js';
import { createRng } from '../../paradigms/rng.js';
import { NATURAL_PACKAGES, NATURAL_PHOTOS, photosOf } from '../../scripts/torch-trainer/natural-recipe.js';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';

/** A textured test picture: a colour gradient, blobs and stripes, tinted (so colour can be checked). */
function picture(w: number, h: number, seed: number, tint: [number, number, number]): RgbImage {
  const rng = createRng(seed);
  const blobs = Array.from({ length: 12 }, () => ({ x: rng.next() * w, y: rng.next() * h, r: 4 + rng.next() * w * 0.1, v: rng.next() }));
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v = 0.3 + 0.3 * Math.sin(x / 7 + seed) * Math.cos(y / 11) + 0.2 * (x / w);
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r ** 2) v = b.v;
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, v * tint[c]!)));
    }
  return { width: w, height: h, data };
}

const RED: [number, number, number] = [1, 0.45, 0.25];
const BLUE: [number, number, number] = [0.3, 0.55, 1];
const GREEN: [number, number, number] = [0.4, 1, 0.35];
const opts = { height: 32, width: 40, recordings: 12, framesPerRecording: 8, seed: 5 };

describe('natural-image motion video (pure generator)', () => {
  const images = [picture(200, 150, 1, RED), picture(180, 160, 2, BLUE), picture(240, 120, 3, GREEN)];

  it('is deterministic per seed, and another seed gives other video', () => {
    const a = naturalVideo(images, opts);
    const b = naturalVideo(prepareImages(images), opts);
    expect(Buffer.from(a.frames).equals(Buffer.from(b.frames))).toBe(true);
    expect(a.sources).toEqual(b.sources);
    const c = naturalVideo(images, { ...opts, seed: 6 });
    expect(Buffer.from(a.frames).equals(Buffer.from(c.frames))).toBe(false);
    // Recording k depends on k alone: made on its own, it is the same.
    const third = naturalRecording(prepareImages(images), opts, 3);
    const fb = opts.height * opts.width * 3;
    expect(Buffer.from(third.frames).equals(Buffer.from(a.frames.subarray(3 * opts.framesPerRecording * fb, 4 * opts.framesPerRecording * fb)))).toBe(true);
    expect(a).toMatchObject({ count: 96, height: 32, width: 40, channels: 3 });
    expect([...new Set(a.recordings)]).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('moves: successive frames differ where the camera or a cut-out moves, at the procedural speeds', () => {
    const v = naturalVideo(images, { ...opts, recordings: 30 });
    const fb = opts.height * opts.width * 3;
    let moving = 0;
    v.sources.forEach((s, r) => {
      const speed = Math.hypot(s.camera.vx, s.camera.vy);
      expect(speed).toBeLessThanOrEqual(6 + 1e-9);
      let diff = 0;
      for (let t = 1; t < opts.framesPerRecording; t++) {
        const f = (r * opts.framesPerRecording + t) * fb;
        for (let i = 0; i < fb; i++) diff += Math.abs(v.frames[f + i]! - v.frames[f - fb + i]!);
      }
      diff /= (opts.framesPerRecording - 1) * fb;
      const still = speed === 0 && s.camera.zoom === 0 && s.camera.turn === 0 && s.objects.length === 0;
      if (still) expect(diff).toBe(0);
      else if (speed > 1) {
        expect(diff, `recording ${r}: ${JSON.stringify(s)}`).toBeGreaterThan(2);
        moving++;
      }
      // Every recording's background is one of the images, cut-outs come from the others.
      expect(s.objects.every((o) => o !== s.background && o >= 0 && o < images.length)).toBe(true);
    });
    expect(moving).toBeGreaterThan(10);
    // Backgrounds take turns: each image as often as the others (30 recordings over 3 images).
    expect([0, 1, 2].map((i) => v.sources.filter((s) => s.background === i).length)).toEqual([10, 10, 10]);
  });

  it('keeps colour: the channel means follow the photograph', () => {
    const v = naturalVideo(images, { ...opts, recordings: 6 });
    const fb = opts.height * opts.width * 3;
    v.sources.forEach((s, r) => {
      const mean = [0, 0, 0];
      for (let i = r * opts.framesPerRecording * fb; i < (r + 1) * opts.framesPerRecording * fb; i++) mean[i % 3]! += v.frames[i]!;
      const tint = [RED, BLUE, GREEN][s.background]!;
      const strongest = tint.indexOf(Math.max(...tint));
      if (s.objects.length === 0) expect(mean.indexOf(Math.max(...mean))).toBe(strongest);
    });
  });

  it('pure pans on request: no zoom, turn, cut-out or blur', () => {
    const v = naturalVideo(images, { ...opts, objectChance: 0, zoomChance: 0, turnChance: 0, blurChance: 0 });
    expect(v.sources.every((s) => s.camera.zoom === 0 && s.camera.turn === 0 && s.objects.length === 0 && s.shutter === 0)).toBe(true);
    expect(v.sources.filter((s) => Math.hypot(s.camera.vx, s.camera.vy) > 0.5).length).toBeGreaterThan(6);
  });

  it('refuses what it cannot use', () => {
    expect(() => naturalVideo([], opts)).toThrow(/at least one image/);
    expect(() => naturalVideo([picture(10, 40, 1, RED)], opts)).toThrow(/at least 16 pixels/);
  });
});

describe('the natural recipe: held-out photographs', () => {
  it('train, validation and test never share a photograph, and the test photographs come from other packages', () => {
    const train = photosOf('train');
    const val = photosOf('validation');
    const test = photosOf('test');
    expect(train.length).toBeGreaterThanOrEqual(15);
    expect(val.length).toBeGreaterThanOrEqual(4);
    expect(test.length).toBeGreaterThanOrEqual(10);
    for (const key of ['id', 'file', 'sha256'] as const) {
      const sets = [train, val, test].map((s) => new Set(s.map((p) => p[key])));
      expect(sets[0]!.size + sets[1]!.size + sets[2]!.size).toBe(new Set(NATURAL_PHOTOS.map((p) => p[key])).size);
      expect(NATURAL_PHOTOS.length).toBe(new Set(NATURAL_PHOTOS.map((p) => p[key])).size);
    }
    const trainPackages = new Set([...train, ...val].map((p) => p.package));
    expect(test.every((p) => !trainPackages.has(p.package))).toBe(true);
    // Every photograph's package, licence and author are recorded.
    const packages = new Set(NATURAL_PACKAGES.map((p) => p.name));
    expect(NATURAL_PHOTOS.every((p) => packages.has(p.package) && p.licence && p.author && /^[0-9a-f]{64}$/.test(p.sha256))).toBe(true);
  });
});

describe('predlab dataset natural', () => {
  let dir: string;
  let images: string;
  let db: string;

  /** Write an RgbImage as a PNG with ffmpeg. */
  function png(file: string, im: RgbImage): void {
    const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${im.width}x${im.height}`, '-i', 'pipe:0', '-frames:v', '1', file], { input: im.data });
    expect(r.status, r.stderr?.toString()).toBe(0);
  }

  beforeAll(() => {
    dir = tempDir('predlab-natural-');
    images = path.join(dir, 'photos');
    fs.mkdirSync(images);
    png(path.join(images, 'a.png'), picture(160, 120, 1, RED));
    png(path.join(images, 'b.png'), picture(120, 160, 2, BLUE));
    png(path.join(images, 'c.png'), picture(200, 100, 3, GREEN));
    db = path.join(dir, 'lab.sqlite');
  });

  it('makes the same recordings as the generator, into the dataset store; the same seed gives the same frames', async () => {
    const r = await cli('--db', db, 'dataset', 'natural', '--images', images, '--dataset', 'nat', '--recordings', '4', '--frames-per-recording', '6', '--seed', '9', '--json');
    expect(r.code, r.err).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ createdDataset: true, frames: 24, seed: 9, dataset: { name: 'nat', height: 64, width: 80, fps: 10, recordings: 4, frames: 24 } });
    expect(out.images.map((i: { file: string }) => path.basename(i.file))).toEqual(['a.png', 'b.png', 'c.png']);
    expect(out.images[0]).toMatchObject({ width: 160, height: 120, decodedWidth: 160, decodedHeight: 120 });
    // The frames on disk are the generator's over the decoded photographs.
    const decoded = await Promise.all(['a.png', 'b.png', 'c.png'].map(async (f) => (await decodeImage(path.join(images, f))).image));
    const want = naturalVideo(decoded, { height: 64, width: 80, recordings: 4, framesPerRecording: 6, seed: 9 });
    const handle = openDatabase(db);
    try {
      const recs = listRecordings(handle, dir, out.dataset.id);
      expect(recs.map((x) => [x.frames, x.status])).toEqual(Array.from({ length: 4 }, () => [6, 'complete']));
      expect(recs[0]!.source).toMatch(/^natural video \(seed 9, recording 1 of 4\) over .*\.png/);
      const got = Buffer.concat(recs.map((x) => readFrames(x, 64 * 80 * 3, 0, 6)));
      expect(got.equals(Buffer.from(want.frames))).toBe(true);
    } finally {
      handle.close();
    }
    const again = await cli('--db', db, 'dataset', 'natural', '--images', images, '--dataset', 'nat2', '--recordings', '4', '--frames-per-recording', '6', '--seed', '9');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/Created dataset 'nat2' \(64 × 80, height × width, 10 frames\/s\)\. Made 4 recording\(s\) of natural motion video \(24 frames, seed 9\) over 3 photograph\(s\)/);
    const h5a = await cli('--db', db, 'dataset', 'export', 'nat', '--format', 'hdf5', '--out', path.join(dir, 'a.h5'));
    const h5b = await cli('--db', db, 'dataset', 'export', 'nat2', '--format', 'hdf5', '--out', path.join(dir, 'b.h5'));
    expect(h5a.code + h5b.code).toBe(0);
    // Into an existing dataset: its size is kept.
    const more = await cli('--db', db, 'dataset', 'natural', '--images', images, '--dataset', 'nat', '--recordings', '1', '--frames-per-recording', '3', '--json');
    expect(more.json().dataset).toMatchObject({ recordings: 5, frames: 27 });
  });

  it('refuses a bad folder, no images, an unreadable image and out-of-range counts, in one line, storing nothing', async () => {
    const run = (...a: string[]) => cli('--db', db, 'dataset', 'natural', '--dataset', 'bad', ...a);
    const before = (await cli('--db', db, 'dataset', 'list', '--json')).json().length;
    const missing = await run('--images', path.join(dir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`predlab: ${path.join(dir, 'nope')} does not exist.\n`);
    const file = await run('--images', path.join(images, 'a.png'));
    expect(file.err).toMatch(/a\.png is not a folder; --images takes a folder of photographs/);
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'no pictures here');
    expect((await run('--images', empty)).err).toMatch(/holds no photographs \(\.png, \.jpg, \.jpeg, \.webp files\)\. Nothing was stored\.\n$/);
    const broken = path.join(dir, 'broken');
    fs.mkdirSync(broken);
    fs.copyFileSync(path.join(images, 'a.png'), path.join(broken, 'a.png'));
    fs.writeFileSync(path.join(broken, 'b.jpg'), Buffer.from('this is not a jpeg at all, just text'));
    const bad = await run('--images', broken, '--json');
    expect(bad.code).toBe(1);
    expect(bad.json().error.message).toMatch(/^Cannot (read|decode) .*b\.jpg as an image.*Nothing was stored\.$/);
    const zero = await run('--images', images, '--recordings', '0');
    expect(zero.err).toBe('predlab: The number of recordings (--recordings) must be a whole number from 1 to 20000; got 0.\n');
    const huge = await run('--images', images, '--recordings', '20000', '--frames-per-recording', '1000');
    expect(huge.err).toMatch(/20000 recordings of 1000 frames are 20000000 frames; one call makes at most 500000/);
    const short = await run('--images', images, '--frames-per-recording', '1');
    expect(short.err).toMatch(/frames per recording \(--frames-per-recording\) must be a whole number from 2 to 1000; got 1/);
    for (const r of [missing, file, bad, zero, huge, short]) expect(r.err + r.out).not.toMatch(/\bat .*\.ts:\d+/);
    expect((await cli('--db', db, 'dataset', 'list', '--json')).json()).toHaveLength(before);
  });

  it('`model score --images` scores a checkpoint on natural motion over the folder, per colour channel beside copy-last', async () => {
    const ckpt = path.join(dir, 'tiny');
    expect((await cli('--db', db, 'model', 'init', '--height', '32', '--width', '40', '--seed', '3', '--out', ckpt)).code).toBe(0);
    const j = await cli('--db', db, 'model', 'score', ckpt, '--images', images, '--pans', '--recordings', '3', '--sequences', '3', '--json');
    expect(j.code, j.err).toBe(0);
    const r = j.json();
    expect(r).toMatchObject({ sequences: 3, recordings: 3, saved: false, data: `camera pans over the 3 photograph(s) in ${images}` });
    expect(r.ratio).toBeCloseTo(r.model / r.copyLastFrame, 12);
    expect(r.perChannel.frameMean).toHaveLength(3);
    for (const m of [...r.perChannel.frameMean, ...r.perChannel.predictionMean]) expect(m).toBeGreaterThan(0);
    // Mean |E0| is half the mean absolute error, averaged over channels.
    const meanAbs = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length / 2;
    expect(meanAbs(r.perChannel.copyLastAbsError)).toBeCloseTo(r.copyLastFrame, 9);
    expect(meanAbs(r.perChannel.modelAbsError)).toBeCloseTo(r.model, 9);
    const t = await cli('--db', db, 'model', 'score', ckpt, '--images', images, '--recordings', '3', '--sequences', '3');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/on 3 sequences of natural-image motion \(pans, zooms, turns, moving cut-outs\) over the 3 photograph\(s\)/);
    expect(t.out).toMatch(/per channel R \/ G \/ B: mean \|error\| model [\d.]+ \/ [\d.]+ \/ [\d.]+, copying the last frame/);
    expect(t.out).toMatch(/mean value R \/ G \/ B: frames [\d.]+ \/ [\d.]+ \/ [\d.]+, the model's predictions/);
    // Refusals name the problem, before any work.
    expect((await cli('--db', db, 'model', 'score', ckpt, '--pans')).err).toBe('predlab: --pans needs --images <folder> (pans over which photographs?).\n');
    expect((await cli('--db', db, 'model', 'score', ckpt, '--images', images, '--save')).err).toMatch(/--save records the score on procedural video/);
    expect((await cli('--db', db, 'model', 'score', ckpt, '--images', path.join(dir, 'nope'))).err).toBe(`predlab: ${path.join(dir, 'nope')} does not exist.\n`);
  }, 120_000);

  it('a cancel leaves nothing: no recording, no dataset, no frame file', async () => {
    const lab = tempDir('predlab-natural-cancel-');
    const handle = openDatabase(path.join(lab, 'lab.sqlite'));
    try {
      const ac = new AbortController();
      const stages: string[] = [];
      await expect(
        makeNaturalDataset(handle, lab, {
          images,
          dataset: 'cancelled',
          recordings: 5,
          framesPerRecording: 4,
          signal: ac.signal,
          onProgress: (p) => {
            stages.push(`${p.stage} ${p.done}`);
            if (p.stage === 'render' && p.done === 2) ac.abort();
          },
        }),
      ).rejects.toThrow(/Cancelled: nothing was stored/);
      expect(stages).toContain('render 2');
      expect(handle.prepare('SELECT count(*) AS n FROM datasets').get()).toEqual({ n: 0 });
      expect(handle.prepare('SELECT count(*) AS n FROM recordings').get()).toEqual({ n: 0 });
      const folder = path.join(lab, 'datasets');
      const files = fs.existsSync(folder) ? fs.readdirSync(folder, { recursive: true }).map(String) : [];
      expect(files.filter((f) => f.endsWith('.u8'))).toEqual([]);
    } finally {
      handle.close();
    }
  });
});
