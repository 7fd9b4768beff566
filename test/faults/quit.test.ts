/**
 * Quitting while jobs run (issue 21, item 9, the part testable without Electron): the app's
 * services close (AppServices.close, what the Electron entry's before-quit awaits) while an
 * import, an export and a camera capture are under way. Each thread cancels its jobs and waits
 * for their clean-up before it closes: no recording is left 'recording', no job 'running', no
 * partial export file, and the close returns within its bound.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootstrap, QUIT_WAIT_MS } from '../../main/bootstrap.js';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { simulateSession } from '../../main/services/simulate.js';
import { openDatabase } from '../../main/store/db.js';
import type { DatasetJob } from '../../preload/channels/datasets.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const PAGE = 'app://predlab/index.html';

describe('quitting mid-job leaves nothing half-written', () => {
  it('an import, an export and a capture under way: cancelled and cleaned up before the threads close', async () => {
    const dir = tempDir('predlab-quit-');
    const video = path.join(dir, 'long.mp4');
    const v = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-t', '60', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video]);
    expect(v.status).toBe(0);
    const exportDir = path.join(dir, 'export');
    const app = bootstrap({ dataDir: path.join(dir, 'data'), appRoot: root, chooseExportDir: async () => exportDir, chooseImportSource: async () => video });
    await app.ready;
    const call = async <T>(channel: string, args: unknown): Promise<T> => {
      const r = await app.handleFromPage(PAGE, channel, args);
      if (!r.ok) throw new Error(r.error.message);
      return r.value as T;
    };
    // A dataset with frames to export, filled through a capture.
    await call('datasets:create', { name: 'big', height: 128, width: 160, fps: 30 });
    const cap = await call<{ recording: { id: number }; frameBytes: number }>('datasets:capture-begin', { dataset: 'big', source: 'test' });
    for (let i = 0; i < 6; i++) await call('datasets:capture-append', { recordingId: cap.recording.id, frames: new Uint8Array(60 * cap.frameBytes).fill(i * 40) });
    await call('datasets:capture-finish', { recordingId: cap.recording.id });
    // Under way at the quit: a capture (its page never finishes it), an import and an HDF5 export.
    const open = await call<{ recording: { id: number } }>('datasets:capture-begin', { dataset: 'big', source: 'left open' });
    await call('datasets:capture-append', { recordingId: open.recording.id, frames: new Uint8Array(5 * cap.frameBytes) });
    // The export first (its thread starts the model engine first), then the import.
    const exp = await call<DatasetJob>('datasets:export', { name: 'big', format: 'hdf5' });
    const imp = await call<DatasetJob>('datasets:import', { dataset: 'big', kind: 'video' });
    for (let i = 0; i < 600; i++) {
      const j = (await call<DatasetJob[]>('datasets:jobs', {})).find((x) => x.id === imp.id)!;
      if (j.frames > 0) break;
      expect(j.state).toBe('running');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await call<DatasetJob[]>('datasets:jobs', {})).find((x) => x.id === imp.id)!.state).toBe('running');
    const t0 = Date.now();
    await app.close();
    expect(Date.now() - t0).toBeLessThan(2 * QUIT_WAIT_MS + 2000);

    const db = new Database(app.dbFile, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM recordings WHERE status = 'recording'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT kind, state FROM jobs WHERE state = 'running'").all()).toEqual([]);
      const recs = db.prepare('SELECT id, status, frames FROM recordings ORDER BY id').all();
      // The finished capture, and the one left open closed with its 5 frames; the import removed.
      expect(recs).toEqual([
        { id: cap.recording.id, status: 'complete', frames: 360 },
        { id: open.recording.id, status: 'complete', frames: 5 },
      ]);
    } finally {
      db.close();
    }
    const left = fs.existsSync(exportDir) ? fs.readdirSync(exportDir) : [];
    expect(left.filter((f) => f.endsWith('.partial'))).toEqual([]);
    // The export either finished before the quit or left nothing.
    for (const f of left) expect(f).toBe('big.h5');
    expect(exp.path).toMatch(/big\.h5$/);
  }, 180_000);

  it('a model session under way in its worker: cancelled between chunks, its session aborted with the answered trials, no crash', async () => {
    const dir = tempDir('predlab-quit-model-');
    const app = bootstrap({ dataDir: path.join(dir, 'data'), appRoot: root, chooseExportDir: async () => null });
    await app.ready;
    const call = async <T>(channel: string, args: unknown): Promise<T> => {
      const r = await app.handleFromPage(PAGE, channel, args);
      if (!r.ok) throw new Error(r.error.message);
      return r.value as T;
    };
    // A person's protocol long enough that the quit comes mid-way (a simulated observer took it).
    const lab = openDatabase(app.dbFile);
    const person = simulateSession(lab, { paradigmId: 'flash-lag', parameters: { trialsPerOffset: 12 }, seed: 3, observer: { pse: 0.4, sigma: 0.5, guess: 0, lapse: 0 } });
    lab.close();
    const [model] = await call<{ id: number }[]>('models:list', {});
    // Small batches: a cancel waits for the batch under way (the worker runs at low priority on a busy machine).
    const running = app.handleFromPage(PAGE, 'models:run-session', { modelId: model!.id, protocolId: person.protocol.id, observer: { batchSize: 2 } });
    for (let i = 0; i < 1200; i++) {
      const jobs = await call<{ done: number; state: string }[]>('models:jobs', {});
      if (jobs[0]?.done) break;
      expect(jobs[0]?.state ?? 'running').toBe('running');
      await new Promise((r) => setTimeout(r, 50));
    }
    await app.close();
    // The page's call ends (with the cancellation), it is not left hanging.
    expect(await running).toMatchObject({ ok: false });
    const db = new Database(app.dbFile, { readonly: true });
    try {
      const sessions = db.prepare('SELECT s.id, s.status, (SELECT count(*) FROM trials t WHERE t.session_id = s.id) AS answered FROM sessions s ORDER BY s.id').all() as { id: number; status: string; answered: number }[];
      expect(sessions.map((x) => x.status)).toEqual(['complete', 'aborted']);
      expect(sessions[1]!.answered).toBeGreaterThan(0);
      expect(sessions[1]!.answered).toBeLessThan(sessions[0]!.answered);
    } finally {
      db.close();
    }
  }, 180_000);
});
