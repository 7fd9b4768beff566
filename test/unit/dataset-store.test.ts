/** The video dataset store on a real SQLite file and real frame files: chunked appends, reads by offset, limits, a full disk, deleting; the file-backed training video. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendFrames, createDataset, deleteDataset, finishRecording, getDataset, getRecording, listDatasets, listRecordings, readFrames, startRecording } from '../../main/services/datasets.js';
import { openDatabase, type Db } from '../../main/store/db.js';
import { tempDb } from '../support/db.js';

const H = 8;
const W = 12;
const FB = H * W * 3;

/** n frames whose bytes encode (frame number + seed) so any mix-up shows. */
function frames(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n * FB);
  for (let i = 0; i < out.length; i++) out[i] = (Math.floor(i / FB) * 7 + seed + (i % 251)) & 255;
  return out;
}

let open: Db[] = [];
afterEach(() => {
  for (const db of open) db.close();
  open = [];
});
function lab() {
  const t = tempDb();
  open.push(t.db);
  return t;
}

describe('dataset store', () => {
  it('creates datasets with checked settings, unique names and stated limits', () => {
    const { db } = lab();
    const d = createDataset(db, { name: 'webcam-1', height: H, width: W, fps: 10 });
    expect(d).toMatchObject({ name: 'webcam-1', height: H, width: W, channels: 3, fps: 10, recordings: 0, frames: 0, bytes: 0 });
    expect(() => createDataset(db, { name: 'webcam-1', height: H, width: W, fps: 10 })).toThrow(/already exists/);
    expect(() => createDataset(db, { name: 'bad name', height: H, width: W, fps: 10 })).toThrow(/letters, digits/);
    expect(() => createDataset(db, { name: 'odd', height: 9, width: W, fps: 10 })).toThrow(/height must be an even whole number from 8 to 1024/);
    expect(() => createDataset(db, { name: 'big', height: H, width: 2048, fps: 10 })).toThrow(/width must be/);
    expect(() => createDataset(db, { name: 'slow', height: H, width: W, fps: 0.5 })).toThrow(/frame rate must be from 1 to 120/);
    expect(listDatasets(db).map((x) => x.name)).toEqual(['webcam-1']);
    expect(() => getDataset(db, 'nope')).toThrow(/No dataset named 'nope'. Datasets: webcam-1/);
  });

  it('appends chunks to recordings and reads any frames back by offset', () => {
    const { db, dir } = lab();
    createDataset(db, { name: 'd', height: H, width: W, fps: 10 });
    const a = startRecording(db, dir, 'd', 'camera');
    const b = startRecording(db, dir, 'd', 'clip.mp4');
    const fa = frames(9, 1);
    appendFrames(db, dir, a.id, fa.subarray(0, 4 * FB));
    appendFrames(db, dir, b.id, frames(3, 2));
    appendFrames(db, dir, a.id, fa.subarray(4 * FB));
    expect(() => appendFrames(db, dir, a.id, new Uint8Array(FB + 1))).toThrow(/whole 8x12x3 frames \(288 bytes each\); got 289 bytes/);
    const ra = finishRecording(db, dir, a.id)!;
    expect(ra).toMatchObject({ frames: 9, status: 'complete', source: 'camera' });
    expect(() => appendFrames(db, dir, a.id, frames(1, 0))).toThrow(/is complete/);
    expect(fs.statSync(ra.file).size).toBe(9 * FB);
    expect(readFrames(ra, FB, 0, 9)).toEqual(fa);
    expect(readFrames(ra, FB, 5, 3)).toEqual(fa.subarray(5 * FB, 8 * FB));
    expect(() => readFrames(ra, FB, 7, 3)).toThrow(/outside recording/);
    expect(getDataset(db, 'd')).toMatchObject({ recordings: 2, frames: 12, bytes: 12 * FB });
    // An empty recording is dropped when finished.
    const c = startRecording(db, dir, 'd', 'nothing');
    expect(finishRecording(db, dir, c.id)).toBeNull();
    expect(fs.existsSync(c.file)).toBe(false);
    expect(listRecordings(db, dir, ra.datasetId).map((r) => r.id)).toEqual([a.id, b.id]);
  });

  it('cuts bytes an interrupted append left past the recorded count before appending again', () => {
    const { db, dir } = lab();
    createDataset(db, { name: 'd', height: H, width: W, fps: 10 });
    const r = startRecording(db, dir, 'd', 'camera');
    appendFrames(db, dir, r.id, frames(2, 5));
    fs.appendFileSync(r.file, Buffer.alloc(FB + 17, 99)); // written, but the process died before the count was raised
    appendFrames(db, dir, r.id, frames(1, 6));
    const after = getRecording(db, dir, r.id);
    expect(after.frames).toBe(3);
    expect(fs.statSync(r.file).size).toBe(3 * FB);
    expect(readFrames(after, FB, 2, 1)).toEqual(frames(1, 6));
  });

  // RLIMIT_FSIZE through bash: POSIX systems only.
  it.skipIf(process.platform === 'win32')('on a full disk keeps the frames written, marks the recording truncated and says so', () => {
    const { db, dir, file } = lab();
    createDataset(db, { name: 'd', height: H, width: W, fps: 10 });
    const r = startRecording(db, dir, 'd', 'camera');
    db.close();
    open = [];
    // A child process whose files may not grow past 256 KiB (RLIMIT_FSIZE, SIGXFSZ ignored):
    // writes past it fail as on a full disk. Chunks of 300 frames (86 KiB): the third is cut.
    const script = `
      import { appendFrames } from ${JSON.stringify(path.resolve('main/services/datasets.ts'))};
      import { openDatabase } from ${JSON.stringify(path.resolve('main/store/db.ts'))};
      const db = openDatabase(${JSON.stringify(file)}, { backups: false });
      const chunk = new Uint8Array(300 * ${FB}).fill(7);
      for (let i = 0; i < 5; i++) {
        try { appendFrames(db, ${JSON.stringify(dir)}, ${r.id}, chunk); } catch (e) { console.log('ERROR ' + e.message); break; }
      }
      db.close();
    `;
    const scriptFile = path.join(dir, 'append.mts');
    fs.writeFileSync(scriptFile, script);
    const child = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 256; exec "${process.execPath}" --import tsx "${scriptFile}"`], { encoding: 'utf8', cwd: process.cwd() });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/ERROR The disk is full: recording \d+ of 'd' keeps the 910 frame\(s\) written so far/);
    const db2 = openDatabase(file);
    open.push(db2);
    const after = getRecording(db2, dir, r.id);
    expect(after).toMatchObject({ frames: 910, status: 'truncated' });
    expect(fs.statSync(after.file).size).toBe(910 * FB); // the count and the bytes agree
    expect(readFrames(after, FB, 909, 1)).toEqual(new Uint8Array(FB).fill(7));
  });

  it('deletes a dataset, its recordings and their files', () => {
    const { db, dir } = lab();
    createDataset(db, { name: 'd', height: H, width: W, fps: 10 });
    const r = startRecording(db, dir, 'd', 'camera');
    appendFrames(db, dir, r.id, frames(2, 1));
    expect(deleteDataset(db, dir, 'd')).toEqual({ name: 'd', recordings: 1, frames: 2, bytes: 2 * FB });
    expect(fs.existsSync(r.file)).toBe(false);
    expect(listDatasets(db)).toEqual([]);
    expect((db.prepare('SELECT count(*) AS n FROM recordings').get() as { n: number }).n).toBe(0);
    expect(() => deleteDataset(db, dir, 'd')).toThrow(/No dataset named 'd'/);
  });
});

