/**
 * Import of videos and image folders (generated here with the same npm-shipped ffmpeg) and the
 * exports: HDF5 read back with h5wasm and, where Debian's python3-h5py is installed, with h5py;
 * one video per recording re-imported.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDataset, frameBytes, getDataset, listDatasets, listRecordings, readFrames } from '../../main/services/datasets.js';
import { exportDatasetHdf5, exportDatasetVideos } from '../../main/services/datasets-export.js';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { importIntoDataset } from '../../main/services/datasets-import.js';
import { openDatabase, type Db } from '../../main/store/db.js';
import { h5wasm } from '../../native-models/keras-import.js';
import { tempDb } from '../support/db.js';

let db: Db;
let dir: string;

/** Encode raw RGB frames with ffmpeg (output options decide the format). */
function encode(frames: Uint8Array, w: number, h: number, fps: number, out: string, options: string[]): void {
  const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', String(fps), '-i', 'pipe:0', ...options, out], { input: frames });
  expect(r.status, r.stderr?.toString()).toBe(0);
}

/** n frames of a wide scene: left half red, right half blue (centre crop keeps both). */
function redBlue(n: number, w: number, h: number): Uint8Array {
  const f = new Uint8Array(n * w * h * 3);
  for (let i = 0; i < n * w * h; i++) {
    const left = i % w < w / 2;
    f[i * 3] = left ? 220 : 20;
    f[i * 3 + 2] = left ? 20 : 220;
  }
  return f;
}

const pixel = (frame: Uint8Array, w: number, y: number, x: number) => Array.from(frame.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));

beforeAll(() => {
  ({ db, dir } = tempDb());
  // 3 s at 30 frames/s, 320x120 (wider than the dataset's 24/16: resized to height 16 -> 43 wide, centre 24 kept).
  const clip = redBlue(90, 320, 120);
  encode(clip, 320, 120, 30, path.join(dir, 'clip.mp4'), ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
  encode(clip, 320, 120, 30, path.join(dir, 'clip.webm'), ['-c:v', 'libvpx-vp9', '-pix_fmt', 'yuv420p']);
  encode(clip, 320, 120, 30, path.join(dir, 'clip.mov'), ['-c:v', 'mpeg4']);
  // 12 PNG images, 1.png .. 12.png, image i uniformly grey at 20 * i.
  fs.mkdirSync(path.join(dir, 'images'));
  for (let i = 1; i <= 12; i++) encode(new Uint8Array(40 * 30 * 3).fill(20 * i), 40, 30, 1, path.join(dir, 'images', `${i}.png`), []);
});
afterAll(() => db.close());

describe('dataset import', () => {
  it.each(['mp4', 'webm', 'mov'])('imports a %s at the dataset\'s rate, resized to its height and centre-cropped', async (ext) => {
    const name = `clips-${ext}`;
    const seen: number[] = [];
    const r = await importIntoDataset(db, dir, { dataset: name, input: path.join(dir, `clip.${ext}`), height: 16, width: 24, fps: 10, onProgress: (p) => seen.push(p.frames) });
    expect(r.createdDataset).toBe(true);
    expect(r.source).toMatchObject({ kind: 'video', width: 320, height: 120 });
    expect(r.recording.frames).toBe(30); // 3 s at 10 frames/s
    expect(seen.at(-1)).toBe(30);
    const d = getDataset(db, name);
    expect(d).toMatchObject({ height: 16, width: 24, fps: 10, recordings: 1, frames: 30 });
    expect(fs.statSync(r.recording.file).size).toBe(30 * frameBytes(d));
    const f = readFrames(r.recording, frameBytes(d), 15, 1);
    const [lr, , lb] = pixel(f, 24, 8, 2);
    const [rr, , rb] = pixel(f, 24, 8, 21);
    expect(lr).toBeGreaterThan(170); // red on the left
    expect(lb).toBeLessThan(70);
    expect(rb).toBeGreaterThan(170); // blue on the right
    expect(rr).toBeLessThan(70);
  });

  it('imports an image folder in natural name order, one frame per image, into an existing dataset', async () => {
    const r = await importIntoDataset(db, dir, { dataset: 'clips-mp4', input: path.join(dir, 'images') });
    expect(r.createdDataset).toBe(false);
    expect(r.source).toMatchObject({ kind: 'images', images: 12, width: 40, height: 30 });
    expect(r.recording.frames).toBe(12);
    const fb = frameBytes(r.dataset);
    const means = Array.from({ length: 12 }, (_, i) => {
      const f = readFrames(r.recording, fb, i, 1);
      return Math.round(f.reduce((s, v) => s + v, 0) / f.length);
    });
    expect(means).toEqual(Array.from({ length: 12 }, (_, i) => 20 * (i + 1)));
    expect(getDataset(db, 'clips-mp4')).toMatchObject({ recordings: 2, frames: 42 });
  });

  it('refuses unreadable, empty or unsupported input with a clear message and stores nothing', async () => {
    const before = listDatasets(db).length;
    fs.writeFileSync(path.join(dir, 'noise.mp4'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 255)));
    fs.writeFileSync(path.join(dir, 'empty.webm'), '');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    fs.mkdirSync(path.join(dir, 'no-images'));
    fs.mkdirSync(path.join(dir, 'mixed'));
    fs.copyFileSync(path.join(dir, 'images', '1.png'), path.join(dir, 'mixed', 'a.png'));
    fs.writeFileSync(path.join(dir, 'mixed', 'b.jpg'), 'x');
    const fails = async (input: string, extra: Record<string, number> = {}, dataset = 'fresh') => {
      const e = await importIntoDataset(db, dir, { dataset, input: path.join(dir, input), ...extra }).then(
        () => null,
        (err: Error) => err,
      );
      expect(e, input).toBeInstanceOf(Error);
      return e!.message;
    };
    expect(await fails('noise.mp4')).toMatch(/Cannot read .*noise\.mp4 as a video: it is damaged, empty or not a video\. Nothing was stored\./);
    expect(await fails('empty.webm')).toMatch(/empty\.webm is empty \(0 bytes\)/);
    expect(await fails('notes.txt')).toMatch(/imports \.mp4, \.webm, \.mov videos or folders of \.png\/\.jpg images, not '\.txt' files/);
    expect(await fails('missing.mp4')).toMatch(/missing\.mp4 does not exist/);
    expect(await fails('no-images')).toMatch(/holds no \.png or \.jpg images/);
    expect(await fails('mixed')).toMatch(/mixes 1 PNG and 1 JPEG/);
    expect(await fails('clip.mp4', { height: 32 }, 'clips-mp4')).toMatch(/'clips-mp4' is 16 × 24 \(height × width\) at 10 frames\/s; height 32 differs/);
    expect(await fails('clip.mp4', { width: 25 })).toMatch(/width must be an even whole number/);
    expect(listDatasets(db).length).toBe(before);
    expect(findDataset(db, 'fresh')).toBeNull();
    expect(fs.readdirSync(path.join(dir, 'datasets')).flatMap((d) => fs.readdirSync(path.join(dir, 'datasets', d))).length).toBe(listDatasets(db).reduce((s, d) => s + d.recordings, 0));
  });

  // RLIMIT_FSIZE through bash: POSIX systems only.
  it.skipIf(process.platform === 'win32')('a disk that fills during an import keeps the frames written and says so', () => {
    // A child whose files may not grow past 2 MiB (RLIMIT_FSIZE, SIGXFSZ ignored): the frame file
    // fills as on a full disk. 64x80 frames (15 KiB), 300 of them would need 4.4 MiB.
    const lab = path.join(dir, 'small-disk');
    fs.mkdirSync(lab);
    const script = `
      import { importIntoDataset } from ${JSON.stringify(path.resolve('main/services/datasets-import.ts'))};
      import { openDatabase } from ${JSON.stringify(path.resolve('main/store/db.ts'))};
      const db = openDatabase(${JSON.stringify(path.join(lab, 'lab.sqlite'))}, { backups: false });
      try {
        await importIntoDataset(db, ${JSON.stringify(lab)}, { dataset: 'big', input: ${JSON.stringify(path.join(dir, 'clip.mp4'))}, height: 64, width: 80, fps: 100 });
        console.log('NO ERROR');
      } catch (e) { console.log('ERROR ' + e.message); }
      db.close();
    `;
    fs.writeFileSync(path.join(lab, 'import.mts'), script);
    const child = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 2048; exec "${process.execPath}" --import tsx "${path.join(lab, 'import.mts')}"`], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const m = /ERROR The disk is full: recording \d+ of 'big' keeps the (\d+) frame\(s\) written so far/.exec(child.stdout);
    expect(m, child.stdout).not.toBeNull();
    const kept = Number(m![1]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(300);
    const other = openDatabase(path.join(lab, 'lab.sqlite'));
    try {
      const d = getDataset(other, 'big');
      const [rec] = listRecordings(other, lab, d.id);
      expect(rec).toMatchObject({ frames: kept, status: 'truncated' });
      expect(fs.statSync(rec!.file).size).toBe(kept * frameBytes(d));
    } finally {
      other.close();
    }
  });

  it('a cancelled import stores nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(importIntoDataset(db, dir, { dataset: 'cancelled', input: path.join(dir, 'clip.webm'), signal: ac.signal })).rejects.toThrow(/Cancelled/);
    expect(findDataset(db, 'cancelled')).toBeNull();
  });
});

describe('dataset export', () => {
  it('HDF5: X and sources read back equal the stored frames and recordings', async () => {
    const d = getDataset(db, 'clips-mp4');
    const recs = listRecordings(db, dir, d.id);
    const out = path.join(dir, 'clips.h5');
    const r = await exportDatasetHdf5(db, dir, 'clips-mp4', out);
    expect(r).toMatchObject({ frames: 42, recordings: 2, shape: [42, 16, 24, 3] });
    const h5 = await h5wasm();
    const f = new h5.File(out, 'r');
    try {
      const X = f.get('X') as import('h5wasm/node').Dataset;
      expect(X.shape).toEqual([42, 16, 24, 3]);
      expect(X.dtype).toBe('<B');
      const stored = new Uint8Array(42 * frameBytes(d));
      stored.set(readFrames(recs[0]!, frameBytes(d), 0, 30), 0);
      stored.set(readFrames(recs[1]!, frameBytes(d), 0, 12), 30 * frameBytes(d));
      expect(new Uint8Array(X.value as Uint8Array)).toEqual(stored);
      const sources = (f.get('sources') as import('h5wasm/node').Dataset).value as string[];
      expect(sources).toEqual([...Array(30).fill(`recording-${recs[0]!.id}`), ...Array(12).fill(`recording-${recs[1]!.id}`)]);
    } finally {
      f.close();
    }
    await expect(exportDatasetHdf5(db, dir, 'clips-mp4', out)).rejects.toThrow(/already exists/);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });

  it('HDF5: h5py reads it as PredNet\'s SequenceGenerator expects', async (ctx) => {
    const py = '/usr/bin/python3';
    const probe = fs.existsSync(py) ? spawnSync(py, ['-c', 'import h5py, numpy'], { encoding: 'utf8' }) : null;
    if (!probe || probe.status !== 0) {
      console.log(`skipped: ${py} with h5py and numpy is not installed (apt-get install python3-h5py)`);
      ctx.skip();
    }
    const out = path.join(dir, 'clips.h5');
    const raw = path.join(dir, 'stored.u8');
    const recs = listRecordings(db, dir, getDataset(db, 'clips-mp4').id);
    fs.writeFileSync(raw, Buffer.concat(recs.map((r) => fs.readFileSync(r.file))));
    const check = spawnSync(
      py,
      [
        '-c',
        `
import h5py, numpy as np, sys, json
f = h5py.File(sys.argv[1], 'r')
X = f['X'][()]
sources = list(f['sources'].asstr()[()])
stored = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(X.shape)
print(json.dumps({'shape': X.shape, 'dtype': str(X.dtype), 'equal': bool((X == stored).all()), 'sources': sorted(set(sources)), 'changes': int(sum(a != b for a, b in zip(sources, sources[1:]))), 'fps': float(f.attrs['fps'])}))
`,
        out,
        raw,
      ],
      { encoding: 'utf8' },
    );
    expect(check.status, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual({ shape: [42, 16, 24, 3], dtype: 'uint8', equal: true, sources: recs.map((r) => `recording-${r.id}`).sort(), changes: 1, fps: 10 });
  });

  it('video: one file per recording and an index; a re-import gives back the frame counts', async () => {
    const out = path.join(dir, 'clips-video');
    const r = await exportDatasetVideos(db, dir, 'clips-mp4', out, 'webm');
    const index = JSON.parse(fs.readFileSync(r.index, 'utf8'));
    expect(index.dataset).toEqual({ name: 'clips-mp4', height: 16, width: 24, fps: 10 });
    expect(index.recordings.map((x: { frames: number }) => x.frames)).toEqual([30, 12]);
    expect(fs.readdirSync(out).sort()).toEqual(['index.json', ...index.recordings.map((x: { file: string }) => x.file)].sort());
    for (const [i, rec] of index.recordings.entries()) {
      const back = await importIntoDataset(db, dir, { dataset: 'reimported', input: path.join(out, rec.file), height: 16, width: 24, fps: 10 });
      expect(back.recording.frames, `recording ${i}`).toBe(rec.frames);
    }
    await expect(exportDatasetVideos(db, dir, 'clips-mp4', out, 'mp4')).rejects.toThrow(/already exists/);
  });

  it('refuses a dataset without frames and a missing destination folder', async () => {
    await expect(exportDatasetHdf5(db, dir, 'nope', path.join(dir, 'x.h5'))).rejects.toThrow(/No dataset named 'nope'/);
    await expect(exportDatasetHdf5(db, dir, 'clips-mp4', path.join(dir, 'no', 'such', 'x.h5'))).rejects.toThrow(/does not exist/);
  });
});
