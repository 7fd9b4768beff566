/**
 * Start-up recovery (app and CLI, whenever the lab is opened for writing): every job left
 * 'running' by a process that no longer runs is resolved, so nothing half-done is taken for data.
 * - Its recording (still 'recording'): the whole frames in its file are counted (bytes past the
 *   last whole frame are cut off); all the frames the job expected: 'complete'; some: 'truncated'
 *   with that count; none: the recording and its file are removed, and a dataset the job made is
 *   removed too if it is left empty.
 * - Its partial files and folders (exports, downloads) are removed.
 * - The job is marked 'interrupted' with what was done.
 * Recordings left 'recording' with no running job (labs from before jobs existed) are resolved
 * the same way. Readers (exports, training) take only 'complete' and 'truncated' recordings.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.js';
import { datasetFolder, frameBytes } from './datasets.js';
import { ownerAlive, partialName, removePartials, runningJobs, type JobRow, type PartialPath } from './jobs.js';

interface RecRow {
  id: number;
  dataset_id: number;
  file: string;
  frames: number;
  status: string;
  height: number;
  width: number;
  channels: number;
}

/** Resolve one recording left 'recording'; returns a clause saying what was done. */
function resolveRecording(db: Db, dataFolder: string, rec: RecRow, expected: number | null): string {
  const file = path.join(dataFolder, rec.file);
  const fb = frameBytes(rec);
  let size = 0;
  try {
    size = rec.file ? fs.statSync(file).size : 0;
  } catch {
    size = 0;
  }
  const frames = Math.floor(size / fb);
  if (frames === 0) {
    db.prepare('DELETE FROM recordings WHERE id = ?').run(rec.id);
    if (rec.file) fs.rmSync(file, { force: true });
    return `recording ${rec.id} removed (no whole frame was written)`;
  }
  const fd = fs.openSync(file, 'r+');
  try {
    if (size !== frames * fb) fs.ftruncateSync(fd, frames * fb);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const status = expected !== null && frames >= expected ? 'complete' : 'truncated';
  db.prepare("UPDATE recordings SET frames = ?, status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(frames, status, rec.id);
  return status === 'complete' ? `recording ${rec.id} finished (all ${frames} frames were on disk)` : `recording ${rec.id} kept as truncated with the ${frames} whole frame(s) on disk${expected !== null ? ` of ${expected}` : ''}`;
}

const REC_SELECT = 'SELECT r.id, r.dataset_id, r.file, r.frames, r.status, d.height, d.width, d.channels FROM recordings r JOIN datasets d ON d.id = r.dataset_id';

function removeIfEmpty(db: Db, dataFolder: string, datasetId: number): string | null {
  const d = db.prepare('SELECT name, (SELECT count(*) FROM recordings WHERE dataset_id = datasets.id) AS n FROM datasets WHERE id = ?').get(datasetId) as { name: string; n: number } | undefined;
  if (!d || d.n > 0) return null;
  db.prepare('DELETE FROM datasets WHERE id = ?').run(datasetId);
  fs.rmSync(datasetFolder(dataFolder, datasetId), { recursive: true, force: true });
  return `dataset '${d.name}' it had made removed (empty)`;
}

/** The job's partial paths as stored; a row that does not parse names none (it is still marked interrupted). */
function parsePartials(text: string): PartialPath[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((p): p is PartialPath => (typeof p === 'string' && path.isAbsolute(p)) || (typeof p === 'object' && p !== null && typeof (p as { aside?: unknown }).aside === 'string' && typeof (p as { to?: unknown }).to === 'string')) : [];
  } catch {
    return [];
  }
}

function describe(job: JobRow): string {
  return `${job.kind} job ${job.id}${job.target ? ` (${job.target})` : ''}`;
}

export interface Recovered {
  jobId: number | null;
  kind: string;
  /** One sentence: what was left and what was done with it. */
  message: string;
}

/**
 * Resolve every interrupted job (and orphaned recording). `isAlive` decides whether a job's
 * owner still runs (default: ownerAlive). Returns what was done, one entry per job.
 */
export function resolveInterruptedJobs(db: Db, dataFolder: string, opts: { isAlive?: (job: JobRow) => boolean } = {}): Recovered[] {
  const alive = opts.isAlive ?? ownerAlive;
  const out: Recovered[] = [];
  for (const job of runningJobs(db)) {
    if (alive(job)) continue;
    const done: string[] = [];
    const partials = parsePartials(job.partials);
    const left = removePartials(partials);
    if (partials.length) done.push(left.length ? `could not remove ${left.join(', ')}` : `removed its partial file(s)/folder(s) ${partials.map(partialName).join(', ')}`);
    db.transaction(() => {
      const rec = job.recording_id !== null ? (db.prepare(`${REC_SELECT} WHERE r.id = ?`).get(job.recording_id) as RecRow | undefined) : undefined;
      if (rec && rec.status === 'recording') done.push(resolveRecording(db, dataFolder, rec, job.expected_frames));
      if (job.created_dataset_id !== null) {
        const removed = removeIfEmpty(db, dataFolder, job.created_dataset_id);
        if (removed) done.push(removed);
      }
      // A training run keeps its own record (run.json) and resume state: it is resumed from there.
      if (job.kind === 'training') done.push('the run resumes from its last saved epoch (Resume on the Training page)');
      const message = `interrupted; ${done.length ? done.join('; ') : 'nothing was left'}`;
      db.prepare("UPDATE jobs SET state = 'interrupted', message = ?, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(message, job.id);
      out.push({ jobId: job.id, kind: job.kind, message: `${describe(job)} ${message}` });
    })();
  }
  // Recordings no running job fills: left by a PredLab from before jobs were recorded.
  const orphans = db.prepare(`${REC_SELECT} WHERE r.status = 'recording' AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.recording_id = r.id AND j.state = 'running')`).all() as RecRow[];
  for (const rec of orphans) {
    db.transaction(() => {
      out.push({ jobId: null, kind: 'recording', message: `recording ${rec.id} left unfinished by an earlier PredLab: ${resolveRecording(db, dataFolder, rec, null)}` });
    })();
  }
  return out;
}
