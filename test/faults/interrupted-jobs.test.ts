/**
 * Nothing half-done is taken for data (issue 21, items 1, 2 and 4): kills of imports and exports,
 * full disks (a small tmpfs, when the tests run as root), and the next start-up.
 * - A killed import leaves its recording 'recording'; the next start (any CLI command that opens
 *   the lab for writing) resolves it: truncated with the whole frames on disk, complete if all
 *   expected frames are there, or removed with its file (and the dataset it made); an HDF5 export
 *   and training read only finished or truncated recordings.
 * - An import onto a full disk whose frame-count update fails (SQLITE_FULL) says so in one line
 *   and leaves nothing that counts as data; the next start removes what it left.
 * - An HDF5 export onto a full disk is one line and leaves no `.partial`.
 * - A killed study export's hidden partial folder is removed at the next start.
 */
import Database from 'better-sqlite3';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataset, finishRecording, frameBytes, startRecording, appendFrames } from '../../main/services/datasets.js';
import { exportDatasetHdf5 } from '../../main/services/datasets-export.js';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { importIntoDataset } from '../../main/services/datasets-import.js';
import { beginJob } from '../../main/services/jobs.js';
import { openDatabase } from '../../main/store/db.js';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const KILL_AT = path.join(import.meta.dirname, 'kill-at.mjs');
const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];

function canMount(): boolean {
  if (!isRoot) return false;
  const d = tempDir('predlab-tmpfs-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { stdio: 'ignore' });
    execFileSync('umount', [d]);
    return true;
  } catch {
    return false;
  }
}
const TMPFS = canMount();
const FULL_DISK_SKIP = TMPFS ? '' : 'full-disk cases need root and tmpfs (mount -t tmpfs); skipped here';
if (FULL_DISK_SKIP) console.log(FULL_DISK_SKIP);

function mountTmpfs(dir: string, size: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
}

/** Fill the file system holding `dir` to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const f = path.join(dir, 'filler');
  const fd = fs.openSync(f, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (const size of [block.length, 4096, 1]) {
      try {
        for (;;) fs.writeSync(fd, block, 0, size);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return f;
}

afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
});

/** A test clip: n frames of ffmpeg's moving test pattern, 320x240. */
function clip(file: string, seconds: number, fps = 30): string {
  const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${fps}`, '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
  expect(r.status, r.stderr?.toString()).toBe(0);
  return file;
}

interface RecRow {
  id: number;
  dataset_id: number;
  file: string;
  frames: number;
  status: string;
}
/** The lab's recordings (and jobs), read as they are on disk. */
function labState(file: string): { recordings: RecRow[]; datasets: string[]; running: number } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      recordings: db.prepare('SELECT id, dataset_id, file, frames, status FROM recordings ORDER BY id').all() as RecRow[],
      datasets: (db.prepare('SELECT name FROM datasets ORDER BY id').all() as { name: string }[]).map((d) => d.name),
      running: (db.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'running'").get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

/** The process id of a process that has exited (a job's dead owner). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

/** Give every running job of the lab a dead owner (as if the process that ran it was killed). */
function killOwners(file: string): void {
  const db = new Database(file);
  db.prepare("UPDATE jobs SET owner_pid = ? WHERE state = 'running'").run(deadPid());
  db.close();
}

/** The CLI child, SIGKILLed when its stderr first matches `when`. */
function killWhen(args: string[], when: RegExp): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.PREDLAB_DATA_DIR;
    const child = spawn(process.execPath, [path.join(root, 'bin', 'predlab.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (when.test(stderr)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ killed: signal === 'SIGKILL', stderr }));
  });
}

describe('a killed import is resolved at the next start, and readers take only finished recordings', () => {
  let dir = '';
  let lab = '';
  beforeAll(() => {
    dir = tempDir('predlab-killed-import-');
    lab = path.join(dir, 'lab.sqlite');
    clip(path.join(dir, 'short.mp4'), 1);
    clip(path.join(dir, 'long.mp4'), 40);
    const r = predlab(['--db', lab, 'dataset', 'import', path.join(dir, 'short.mp4'), '--dataset', 'd', '--height', '32', '--width', '48', '--fps', '30', '--json']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('SIGKILL after the first chunk: the recording is truncated with the whole frames on disk; HDF5 export reads them, never a recording still being made', async () => {
    const k = await killWhen(['--db', lab, 'dataset', 'import', path.join(dir, 'long.mp4'), '--dataset', 'd'], /imported \d+ frames/);
    expect(k.killed, `the import finished before it could be killed: ${k.stderr}`).toBe(true);
    const left = labState(lab).recordings.find((r) => r.id === 2)!;
    expect(left.status).toBe('recording');
    const onDisk = Math.floor(fs.statSync(path.join(dir, left.file)).size / (32 * 48 * 3));
    expect(onDisk).toBeGreaterThan(0);

    // The next start: any command that opens the lab for writing.
    const r = predlab(['--db', lab, 'dataset', 'show', 'd', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/import job \d+ .*interrupted; recording 2 kept as truncated with the \d+ whole frame\(s\) on disk/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const after = labState(lab);
    expect(after.recordings.map((x) => x.status)).toEqual(['complete', 'truncated']);
    expect(after.recordings[1]!.frames).toBe(onDisk);
    expect(fs.statSync(path.join(dir, after.recordings[1]!.file)).size).toBe(onDisk * 32 * 48 * 3);
    expect(after.running).toBe(0);
    // Again: nothing more to resolve.
    expect(predlab(['--db', lab, 'dataset', 'list']).stderr).toBe('');

    const e = predlab(['--db', lab, 'dataset', 'export', 'd', '--format', 'hdf5', '--out', path.join(dir, 'd.h5'), '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).frames).toBe(30 + onDisk);
  });

  it('an export and training refuse a recording still being made (read while its job runs)', async () => {
    const file = path.join(dir, 'live.sqlite');
    const db = openDatabase(file);
    try {
      createDataset(db, { name: 'live', height: 16, width: 16, fps: 10 });
      const rec = startRecording(db, dir, 'live', 'camera: test');
      appendFrames(db, dir, rec.id, new Uint8Array(12 * frameBytes({ height: 16, width: 16, channels: 3 })));
      await expect(exportDatasetHdf5(db, dir, 'live', path.join(dir, 'live.h5'))).rejects.toThrow(/no finished frames/);
      const { checkDatasetTraining } = await import('../../main/services/datasets-train.js');
      expect(() => checkDatasetTraining(db, dir, 'live', { height: 16, width: 16, stackSizes: [3, 8], rStackSizes: [3, 8], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] } as never, { nt: 10 })).toThrow(/no recording of 10 frames/);
    } finally {
      db.close();
    }
  });
});

describe('start-up resolves every job a dead process left', () => {
  const fb = 16 * 16 * 3;
  it('no frame: the recording, its file and the dataset its import made are removed; all expected frames: complete; a torn last frame is cut; a capture is truncated; legacy recordings without a job too', () => {
    const dir = tempDir('predlab-recovery-');
    const file = path.join(dir, 'lab.sqlite');
    const db = openDatabase(file);
    const made = createDataset(db, { name: 'made', height: 16, width: 16, fps: 10 });
    const empty = startRecording(db, dir, 'made', 'import: empty', { kind: 'import', expectedFrames: 5, createdDatasetId: made.id });
    createDataset(db, { name: 'kept', height: 16, width: 16, fps: 10 });
    const whole = startRecording(db, dir, 'kept', 'import: whole', { kind: 'import', expectedFrames: 4 });
    const torn = startRecording(db, dir, 'kept', 'capture', { kind: 'recording' });
    const legacy = startRecording(db, dir, 'kept', 'legacy');
    db.prepare('DELETE FROM jobs WHERE recording_id = ?').run(legacy.id); // a lab from before jobs
    db.close();
    // What each dead process left: frames on disk beyond the count in the database (the update never came).
    fs.writeFileSync(whole.file, Buffer.alloc(4 * fb, 7));
    fs.writeFileSync(torn.file, Buffer.alloc(3 * fb + 100, 9));
    fs.writeFileSync(legacy.file, Buffer.alloc(2 * fb, 9));
    killOwners(file);

    const r = predlab(['--db', file, 'dataset', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(r.stderr).toMatch(new RegExp(`recording ${empty.id} removed \\(no whole frame was written\\); dataset 'made' it had made removed`));
    expect(r.stderr).toMatch(new RegExp(`recording ${whole.id} finished \\(all 4 frames`));
    expect(r.stderr).toMatch(new RegExp(`recording ${torn.id} kept as truncated with the 3 whole frame`));
    expect(r.stderr).toMatch(new RegExp(`recording ${legacy.id} left unfinished by an earlier PredLab: recording ${legacy.id} kept as truncated with the 2`));
    const s = labState(file);
    expect(s.datasets).toEqual(['kept']);
    expect(s.recordings.map((x) => [x.id, x.status, x.frames])).toEqual([
      [whole.id, 'complete', 4],
      [torn.id, 'truncated', 3],
      [legacy.id, 'truncated', 2],
    ]);
    expect(fs.existsSync(empty.file)).toBe(false);
    expect(fs.statSync(torn.file).size).toBe(3 * fb);
    expect(s.running).toBe(0);
  });

  it('a job whose owner still runs is left alone (another PredLab recording now)', () => {
    const dir = tempDir('predlab-recovery-alive-');
    const file = path.join(dir, 'lab.sqlite');
    const db = openDatabase(file);
    createDataset(db, { name: 'cam', height: 16, width: 16, fps: 10 });
    const rec = startRecording(db, dir, 'cam', 'camera: live');
    db.close();
    // This test process owns the recording and still runs.
    const r = predlab(['--db', file, 'dataset', 'list']);
    expect(r.stderr).toBe('');
    expect(labState(file).recordings.find((x) => x.id === rec.id)!.status).toBe('recording');
  });

  it("a killed export's partial file, a study export's hidden partial folder (its previous export put back) are removed at the next start", () => {
    const dir = tempDir('predlab-recovery-partials-');
    const file = path.join(dir, 'lab.sqlite');
    const db = openDatabase(file);
    const h5partial = path.join(dir, 'out.h5.partial');
    fs.writeFileSync(h5partial, 'half an HDF5 file');
    beginJob(db, { kind: 'export', target: path.join(dir, 'out.h5'), partials: [h5partial] });
    const folder = path.join(dir, 'study');
    const hidden = path.join(dir, '.study.partial-1-2');
    const aside = path.join(dir, '.study.old-1-2');
    fs.mkdirSync(hidden);
    fs.writeFileSync(path.join(hidden, 'trials.csv'), 'participant data');
    fs.mkdirSync(aside);
    fs.writeFileSync(path.join(aside, 'previous.csv'), 'the previous export');
    beginJob(db, { kind: 'export', target: folder, partials: [hidden, { aside, to: folder }] });
    db.close();
    killOwners(file);
    const r = predlab(['--db', file, 'dataset', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(fs.existsSync(h5partial)).toBe(false);
    expect(fs.existsSync(hidden)).toBe(false);
    expect(fs.readFileSync(path.join(folder, 'previous.csv'), 'utf8')).toBe('the previous export');
    expect(labState(file).running).toBe(0);
  });

  it('killed study exports: after each kill and a start-up no hidden partial folder is left, and the export reads back whole', async () => {
    const dir = tempDir('predlab-killed-study-');
    const lab = path.join(dir, 'lab.sqlite');
    const create = predlab(['--db', lab, 'study', 'create', '--name', 'big', '--no-auto-export', '--json']);
    expect(create.code, create.stderr).toBe(0);
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const s = predlab(['--db', lab, 'session', 'simulate', '--paradigm', 'flash-lag', '--sigma', '0.5', '--seed', String(i + 1), '--param', 'trialsPerOffset=200', '--json']);
      expect(s.code, s.stderr).toBe(0);
      ids.push(JSON.parse(s.stdout).sessionId);
    }
    const add = predlab(['--db', lab, 'study', 'add', '--study', '1', '--session', ids.join(',')]);
    expect(add.code, add.stderr).toBe(0);
    const out = path.join(dir, 'exports');
    fs.mkdirSync(out);
    const hiddenLeft = () => fs.readdirSync(out).filter((f) => f.startsWith('.'));
    // Killed while writing into its hidden partial folder: the CSV, the BIDS files; then, with
    // one export in place, while writing the next (its previous export set aside must come back).
    for (const [skip, previous] of [[0, false], [5, false], [0, true]] as const) {
      if (previous) expect(predlab(['--db', lab, 'study', 'export', '--study', '1', '--out', out]).code).toBe(0);
      const k = spawnSync(process.execPath, ['--import', KILL_AT, path.join(root, 'bin', 'predlab.js'), '--db', lab, 'study', 'export', '--study', '1', '--out', out], {
        cwd: root,
        env: { ...process.env, PREDLAB_KILL_AT: '/\\.study-1-big\\.partial-[^/]*/', PREDLAB_KILL_SKIP: String(skip) },
      });
      expect(k.signal).toBe('SIGKILL');
      expect(hiddenLeft()).toHaveLength(1);
      const r = predlab(['--db', lab, 'study', 'list']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/export job \d+ .* interrupted; removed its partial file/);
      expect(hiddenLeft()).toEqual([]);
      if (previous) expect(fs.readdirSync(path.join(out, 'study-1-big')).length).toBeGreaterThan(0);
      fs.rmSync(path.join(out, 'study-1-big'), { recursive: true, force: true });
    }
    const done = predlab(['--db', lab, 'study', 'export', '--study', '1', '--out', out, '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(hiddenLeft()).toEqual([]);
    for (const f of JSON.parse(done.stdout).files as string[]) expect(fs.statSync(f).size).toBeGreaterThan(0);
  });
});

describe.skipIf(!TMPFS)('full disks (tmpfs)', () => {
  it('an import whose frame-count update fails (SQLITE_FULL): one line, nothing counts as data, the next start removes what it left', async () => {
    const dir = tempDir('predlab-full-import-');
    const lab = path.join(dir, 'lab');
    mountTmpfs(lab, '2m');
    // The frames go to a roomy disk of their own; the database's disk fills during the import.
    mountTmpfs(path.join(lab, 'datasets'), '64m');
    const file = path.join(lab, 'lab.sqlite');
    const video = clip(path.join(dir, 'clip.mp4'), 10);
    const db = openDatabase(file);
    let filler = '';
    let error: unknown = null;
    try {
      await importIntoDataset(db, lab, {
        dataset: 'full',
        input: video,
        height: 64,
        width: 80,
        fps: 30,
        onProgress: () => {
          filler ||= fill(lab);
        },
      });
    } catch (e) {
      error = e;
    }
    expect(filler).not.toBe('');
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('PredlabError');
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(/disk is full/);
    expect((error as Error).message).toMatch(/removed the next time PredLab opens the lab|nothing of it was kept/);
    // Nothing it left is read as data while this process still runs...
    await expect(exportDatasetHdf5(db, lab, 'full', path.join(dir, 'full.h5'))).rejects.toThrow(/no finished frames/);
    db.close();
    fs.rmSync(filler);
    // ... and the next start (this process counts as gone: the app was closed) removes it.
    killOwners(file);
    const r = predlab(['--db', file, 'dataset', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = labState(file);
    expect(s.recordings.filter((x) => x.status === 'recording')).toEqual([]);
    expect(s.recordings).toEqual([]);
    expect(s.datasets).toEqual([]);
    expect(s.running).toBe(0);
    expect(fs.readdirSync(path.join(lab, 'datasets'), { recursive: true }).filter((f) => String(f).endsWith('.u8'))).toEqual([]);
  });

  it('a read command on a full disk: one line saying so (not "the last change may not have been saved")', () => {
    const dir = tempDir('predlab-full-read-');
    const lab = path.join(dir, 'lab');
    mountTmpfs(lab, '16m');
    const file = path.join(lab, 'lab.sqlite');
    expect(predlab(['--db', file, 'session', 'simulate', '--paradigm', 'flash-lag', '--sigma', '0.5']).code).toBe(0);
    // Closed cleanly: no -wal or -shm file; a reader must make the shared-memory file.
    expect(fs.existsSync(`${file}-shm`)).toBe(false);
    fill(lab);
    const r = predlab(['--db', file, 'session', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^predlab: The disk holding .*lab\.sqlite is full .*Free some space and try again; what was saved before is intact\.$/)]);
  });

  it('an HDF5 export onto a full disk: one line, no stack, no .partial left', () => {
    const dir = tempDir('predlab-full-export-');
    const lab = path.join(dir, 'lab.sqlite');
    const video = clip(path.join(dir, 'clip.mp4'), 3);
    expect(predlab(['--db', lab, 'dataset', 'import', video, '--dataset', 'd', '--fps', '30']).code).toBe(0);
    const out = path.join(dir, 'small');
    mountTmpfs(out, '300k');
    const r = predlab(['--db', lab, 'dataset', 'export', 'd', '--format', 'hdf5', '--out', path.join(out, 'd.h5')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^predlab: Cannot write .*d\.h5: the disk is full\. Nothing was left there\.$/)]);
    expect(fs.readdirSync(out)).toEqual([]);
    expect(labState(lab).running).toBe(0);
  });
});

describe('a killed training run (the Training page, in its own process)', () => {
  it('SIGKILL after an epoch: the next start marks its ledger job interrupted, the run reads as interrupted and resumes from its saved epoch', async () => {
    const dir = tempDir('predlab-killed-training-');
    const lab = path.join(dir, 'lab.sqlite');
    {
      const db = openDatabase(lab);
      createDataset(db, { name: 'bars', height: 16, width: 24, fps: 10 });
      const bar = (f: number) => Uint8Array.from({ length: 16 * 24 * 3 }, (_, i) => (Math.floor(i / 3) % 24 === (f % 24) ? 255 : 0));
      const rec = startRecording(db, dir, 'bars', 'bars');
      appendFrames(db, dir, rec.id, Uint8Array.from(Array.from({ length: 30 }, (_, f) => [...bar(f)]).flat()));
      finishRecording(db, dir, rec.id);
      db.close();
    }
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/training-run-child.ts'), lab, dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        said += d.toString();
        if (/epoch saved: run 1/.test(said)) child.kill('SIGKILL');
      });
      child.stderr.on('data', (d: Buffer) => (said += d.toString()));
      child.on('close', (_code, signal) => resolve(signal === 'SIGKILL'));
    });
    expect(killed, said).toBe(true);
    const jobs = () => new Database(lab, { readonly: true }).prepare("SELECT state, message FROM jobs WHERE kind = 'training'").all() as { state: string; message: string | null }[];
    expect(jobs()).toEqual([{ state: 'running', message: null }]);

    // The next start: any command that opens the lab for writing.
    const r = predlab(['--db', lab, 'dataset', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^predlab: training job \d+ \(.*run-1\/model\) interrupted; the run resumes from its last saved epoch \(Resume on the Training page\)$/)]);
    expect(jobs().map((j) => j.state)).toEqual(['interrupted']);

    const { TrainingRuns } = await import('../../main/services/training-jobs.js');
    const db = openDatabase(lab);
    try {
      const runs = new TrainingRuns(db, dir);
      expect(runs.get(1)).toMatchObject({ state: 'interrupted', resumable: true });
      expect(fs.existsSync(`${runs.get(1).checkpoint}.resume`)).toBe(true);
    } finally {
      db.close();
    }
  });
});
