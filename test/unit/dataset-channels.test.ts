/**
 * The Video page's channels through the app's own bootstrap (service threads, real database,
 * real ffmpeg): capture chunks cross a worker boundary as Uint8Array and land on disk; imports
 * and exports run as jobs the page polls; bad arguments are refused naming the problem.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDataset, listRecordings } from '../../main/services/datasets.js';
import { bootstrap, type AppServices } from '../../main/bootstrap.js';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { openDatabase, type Db } from '../../main/store/db.js';
import type { DatasetJob } from '../../preload/channels/datasets.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const PAGE = 'app://predlab/index.html';
let app: AppServices;
let dir: string;
let exportDir: string;
let importSource: string | null = null;
let reader: Db;

async function call<T>(channel: string, args: unknown): Promise<T> {
  const r = await app.handleFromPage(PAGE, channel, args);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as T;
}

async function refusal(channel: string, args: unknown): Promise<{ code: string; message: string }> {
  const r = await app.handleFromPage(PAGE, channel, args);
  expect(r.ok).toBe(false);
  return (r as { error: { code: string; message: string } }).error;
}

async function waitForJob(id: number, list: 'datasets:jobs' | 'datasets:export-jobs' = 'datasets:jobs'): Promise<DatasetJob> {
  for (let i = 0; i < 600; i++) {
    const job = (await call<DatasetJob[]>(list, {})).find((j) => j.id === id)!;
    if (job.state !== 'running') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

beforeAll(async () => {
  dir = tempDir('predlab-dataset-channels-');
  exportDir = path.join(dir, 'export');
  app = bootstrap({ dataDir: path.join(dir, 'data'), appRoot: root, chooseExportDir: async () => exportDir, chooseImportSource: async () => importSource });
  await app.ready;
  reader = openDatabase(app.dbFile, { readonly: true });
  // 2 s of a bright bar moving right, 96x48 at 20 frames/s.
  const w = 96;
  const h = 48;
  const n = 40;
  const frames = new Uint8Array(n * w * h * 3);
  for (let t = 0; t < n; t++) for (let y = 0; y < h; y++) for (let x = 0; x < 8; x++) frames.fill(240, ((t * h + y) * w + ((x + 2 * t) % w)) * 3, ((t * h + y) * w + ((x + 2 * t) % w)) * 3 + 3);
  const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', '20', '-i', 'pipe:0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path.join(dir, 'bar.mp4')], { input: frames });
  expect(r.status, r.stderr?.toString()).toBe(0);
}, 120_000);

afterAll(async () => {
  reader?.close();
  await app?.close();
});

describe('datasets channels', () => {
  it('capture: chunks of RGB frames cross to the store and are on disk, committed per chunk', async () => {
    const d = await call<{ name: string; height: number; width: number }>('datasets:create', { name: 'cam', height: 16, width: 20, fps: 10 });
    expect(d).toMatchObject({ name: 'cam', height: 16, width: 20 });
    const begun = await call<{ recording: { id: number }; frameBytes: number; maxChunkBytes: number }>('datasets:capture-begin', { dataset: 'cam', source: 'Fake camera' });
    expect(begun.frameBytes).toBe(16 * 20 * 3);
    const id = begun.recording.id;
    const chunk = (n: number, v: number) => new Uint8Array(n * begun.frameBytes).map((_, i) => (v + i) % 256);
    await call('datasets:capture-append', { recordingId: id, frames: chunk(3, 0) });
    // Committed after each chunk: another connection sees the frames at once.
    expect((reader.prepare('SELECT frames, status FROM recordings WHERE id = ?').get(id) as { frames: number }).frames).toBe(3);
    await call('datasets:capture-append', { recordingId: id, frames: chunk(2, 7) });
    const bad = await refusal('datasets:capture-append', { recordingId: id, frames: new Uint8Array(begun.frameBytes + 1) });
    expect(bad.code).toBe('invalid-argument');
    expect(bad.message).toMatch(/whole 16x20x3 frames/);
    expect((await refusal('datasets:capture-append', { recordingId: id, frames: [1, 2, 3] })).message).toMatch(/^Invalid arguments for datasets:capture-append: frames: /);
    expect((await refusal('datasets:capture-append', { recordingId: id, frames: new Uint8Array(begun.maxChunkBytes + 1) })).message).toMatch(/frames: must hold 1 byte to 8 MiB/);
    const done = await call<{ frames: number; status: string; source: string }>('datasets:capture-finish', { recordingId: id });
    expect(done).toMatchObject({ frames: 5, status: 'complete', source: 'camera: Fake camera' });
    const file = path.join(dir, 'data', 'datasets', String((reader.prepare('SELECT dataset_id FROM recordings WHERE id = ?').get(id) as { dataset_id: number }).dataset_id), `${id}.u8`);
    expect(new Uint8Array(fs.readFileSync(file))).toEqual(new Uint8Array([...chunk(3, 0), ...chunk(2, 7)]));
    // Finished: it takes no more frames.
    expect((await refusal('datasets:capture-append', { recordingId: id, frames: chunk(1, 0) })).code).toBe('not-found');
    // An abandoned clip leaves nothing.
    const other = await call<{ recording: { id: number } }>('datasets:capture-begin', { dataset: 'cam', source: '' });
    await call('datasets:capture-append', { recordingId: other.recording.id, frames: chunk(1, 0) });
    await call('datasets:capture-abandon', { recordingId: other.recording.id });
    const shown = await call<{ recordings: number; frames: number; recordingList: { id: number }[] }>('datasets:show', { name: 'cam' });
    expect(shown).toMatchObject({ recordings: 1, frames: 5 });
    expect(shown.recordingList.map((r) => r.id)).toEqual([id]);
  });

  it('import: the chosen video becomes a recording through a job; a cancelled dialog or a bad file is refused at once', async () => {
    await call('datasets:create', { name: 'bars', height: 16, width: 24, fps: 10 });
    importSource = null;
    expect((await refusal('datasets:import', { dataset: 'bars', kind: 'video' })).message).toMatch(/Import cancelled/);
    importSource = path.join(dir, 'notes.txt');
    fs.writeFileSync(importSource, 'not a video');
    expect((await refusal('datasets:import', { dataset: 'bars', kind: 'video' })).message).toMatch(/imports .mp4, .webm, .mov videos/);
    importSource = path.join(dir, 'bar.mp4');
    const job = await call<DatasetJob>('datasets:import', { dataset: 'bars', kind: 'video' });
    expect(job).toMatchObject({ kind: 'import', dataset: 'bars', total: 20 });
    const end = await waitForJob(job.id);
    expect(end, end.message ?? '').toMatchObject({ state: 'done', frames: 20 });
    expect(await call('datasets:list', {})).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'bars', recordings: 1, frames: 20, bytes: 20 * 16 * 24 * 3 })]));
    // Refused imports left no job behind.
    expect((await call<DatasetJob[]>('datasets:jobs', {})).filter((j) => j.kind === 'import')).toHaveLength(1);
  });

  it('a cancelled import job leaves the dataset as it was', async () => {
    // 60 s of the same bar scene at 20 frames/s: long enough to be cancelled while it decodes.
    const long = path.join(dir, 'long.mp4');
    const w = 96;
    const h = 48;
    const frames = new Uint8Array(1200 * w * h * 3);
    for (let t = 0; t < 1200; t++) for (let y = 0; y < h; y++) frames.fill(200, ((t * h + y) * w + (t % (w - 4))) * 3, ((t * h + y) * w + (t % (w - 4)) + 4) * 3);
    const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', '20', '-i', 'pipe:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', long], { input: frames });
    expect(r.status, r.stderr?.toString()).toBe(0);
    const before = await call<{ recordings: number; frames: number }>('datasets:show', { name: 'bars' });
    importSource = long;
    const job = await call<DatasetJob>('datasets:import', { dataset: 'bars', kind: 'video' });
    expect(job.total).toBe(600);
    await call('datasets:cancel-job', { jobId: job.id });
    const end = await waitForJob(job.id);
    expect(end.state).toBe('cancelled');
    expect(end.message).toMatch(/^Cancelled/);
    expect(await call('datasets:show', { name: 'bars' })).toMatchObject({ recordings: before.recordings, frames: before.frames });
    expect((reader.prepare("SELECT count(*) AS n FROM recordings WHERE status = 'recording'").get() as { n: number }).n).toBe(0);
    expect((await refusal('datasets:cancel-job', { jobId: 999 })).code).toBe('not-found');
  });

  it('export: HDF5 and video through jobs into the chosen folder; an existing file is refused', async () => {
    const h5 = await call<DatasetJob>('datasets:export', { name: 'bars', format: 'hdf5' });
    expect(await waitForJob(h5.id, 'datasets:export-jobs')).toMatchObject({ state: 'done', frames: 20, total: 20 });
    expect(fs.existsSync(path.join(exportDir, 'bars.h5'))).toBe(true);
    expect((await refusal('datasets:export', { name: 'bars', format: 'hdf5' })).code).toBe('conflict');
    const mp4 = await call<DatasetJob>('datasets:export', { name: 'bars', format: 'mp4' });
    expect(await waitForJob(mp4.id, 'datasets:export-jobs')).toMatchObject({ state: 'done', frames: 20 });
    expect(fs.readdirSync(path.join(exportDir, 'bars-mp4')).sort()).toEqual(['index.json', expect.stringMatching(/^recording-\d+\.mp4$/)]);
  });

  it('delete removes the dataset and its files; bad names and sizes are refused naming the field', async () => {
    const before = (await call<{ id: number }[]>('datasets:list', {})).length;
    const del = await call<{ frames: number }>('datasets:delete', { name: 'bars' });
    expect(del.frames).toBe(20);
    expect((await call<unknown[]>('datasets:list', {})).length).toBe(before - 1);
    expect((await refusal('datasets:create', { name: 'x', height: 15, width: 20, fps: 10 })).message).toMatch(/height: must be even/);
    expect((await refusal('datasets:create', { name: '../x', height: 16, width: 20, fps: 10 })).message).toMatch(/dataset name/);
    expect((await refusal('datasets:show', { name: 'nope' })).code).toBe('not-found');
  });

  it.skipIf(process.platform === 'win32')('a disk that fills while recording keeps the frames written, says so, and the clip can still be finished', () => {
    // The IPC handlers in a child whose files may not grow past 1 MiB (RLIMIT_FSIZE, SIGXFSZ
    // ignored): chunks of ten 64x80 frames (150 KiB) are sent until the store refuses one.
    const lab = path.join(dir, 'small-disk');
    fs.mkdirSync(lab);
    const script = `
      import { createHandlers } from ${JSON.stringify(path.resolve('main/ipc/handlers.ts'))};
      import { openDatabase } from ${JSON.stringify(path.resolve('main/store/db.ts'))};
      const db = openDatabase(${JSON.stringify(path.join(lab, 'predlab.sqlite'))}, { backups: false });
      const { invoke } = createHandlers({ db, chooseExportDir: async () => null });
      const call = async (c, a) => { const r = await invoke(c, a); if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code }); return r.value; };
      await call('datasets:create', { name: 'cam', height: 64, width: 80, fps: 10 });
      const { recording } = await call('datasets:capture-begin', { dataset: 'cam', source: 'test' });
      let sent = 0;
      try {
        for (; sent < 100; sent++) await call('datasets:capture-append', { recordingId: recording.id, frames: new Uint8Array(10 * 64 * 80 * 3).fill(sent) });
        console.log('NO ERROR');
      } catch (e) { console.log('ERROR ' + e.code + ' ' + e.message); }
      console.log('SENT ' + sent);
      console.log('FINISHED ' + JSON.stringify(await call('datasets:capture-finish', { recordingId: recording.id })));
      db.close();
    `;
    fs.writeFileSync(path.join(lab, 'capture.mts'), script);
    const child = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 1024; exec "${process.execPath}" --import tsx "${path.join(lab, 'capture.mts')}"`], { encoding: 'utf8', cwd: root });
    expect(child.status, child.stderr).toBe(0);
    const m = /ERROR storage The disk is full: recording \d+ of 'cam' keeps the (\d+) frame\(s\) written so far/.exec(child.stdout);
    expect(m, child.stdout).not.toBeNull();
    const kept = Number(m![1]);
    const sent = Number(/SENT (\d+)/.exec(child.stdout)![1]);
    // Every chunk before the refused one was committed whole; the refused one kept what fitted.
    expect(kept).toBeGreaterThanOrEqual(10 * sent);
    expect(kept).toBeLessThan(10 * (sent + 1));
    const finished = JSON.parse(/FINISHED (.*)/.exec(child.stdout)![1]!) as { frames: number; status: string };
    expect(finished).toMatchObject({ frames: kept, status: 'truncated' });
    const other = openDatabase(path.join(lab, 'predlab.sqlite'), { readonly: true });
    try {
      const [rec] = listRecordings(other, lab, getDataset(other, 'cam').id);
      expect(rec).toMatchObject({ frames: kept, status: 'truncated' });
      const bytes = fs.readFileSync(rec!.file);
      expect(bytes.length).toBe(kept * 64 * 80 * 3);
      // The frames kept are the ones sent, in order.
      for (let f = 0; f < kept; f++) expect(bytes[f * 64 * 80 * 3]).toBe(Math.floor(f / 10));
    } finally {
      other.close();
    }
  });
});
