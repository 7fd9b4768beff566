/**
 * Jobs in the lab database (table `jobs`, migration 8): every recording, import, export,
 * download and training run that writes files has a row while it runs, naming its owner (host,
 * process id, start time), the recording it fills, a dataset it created, and the partial files
 * and folders it owns. The job ends its own row ('done', 'failed', 'cancelled') and removes its
 * partial files on failure; a row still 'running' whose owner no longer runs was interrupted (a
 * kill, a crash, a power cut, a full disk that refused even the clean-up) and is resolved the
 * next time the lab is opened for writing (main/services/recovery.ts).
 *
 * Nothing here imports the services that use it (datasets, exports), so they may all use it.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from '../store/db.js';

export type JobKind = 'recording' | 'import' | 'export' | 'download' | 'training';
export type JobState = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

/** Finished jobs kept in the table (older ones are deleted when a job starts). */
export const JOBS_KEPT = 1000;

export interface JobStart {
  kind: JobKind;
  recordingId?: number;
  /** A dataset this job made: removed with the job's recording if it is left empty. */
  createdDatasetId?: number;
  /** Frames the job expects to write (an import knows them): all on disk means finished. */
  expectedFrames?: number | null;
  /** Files or folders that exist only while the job runs (absolute paths), or a previous result moved aside to be put back if the job dies before its new one is in place. */
  partials?: PartialPath[];
  /** What the job makes (an export's destination), for messages. */
  target?: string;
}

export interface JobRow {
  id: number;
  kind: JobKind;
  state: JobState;
  owner_host: string;
  owner_pid: number;
  started_ms: number;
  recording_id: number | null;
  created_dataset_id: number | null;
  expected_frames: number | null;
  partials: string;
  target: string | null;
  message: string | null;
}

/** When this process started (every thread of it sees the same). */
const PROCESS_START_MS = Date.now() - process.uptime() * 1000;

export function beginJob(db: Db, s: JobStart): number {
  const id = Number(
    db
      .prepare('INSERT INTO jobs (kind, owner_host, owner_pid, started_ms, recording_id, created_dataset_id, expected_frames, partials, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(s.kind, os.hostname(), process.pid, Date.now(), s.recordingId ?? null, s.createdDatasetId ?? null, s.expectedFrames ?? null, JSON.stringify(s.partials ?? []), s.target ?? null).lastInsertRowid,
  );
  db.prepare("DELETE FROM jobs WHERE state != 'running' AND id <= ?").run(id - JOBS_KEPT);
  return id;
}

/** End a job (only a running one: a job resolved at start-up by another process stays as it was resolved). */
export function endJob(db: Db, id: number, state: Exclude<JobState, 'running'>, message: string | null = null): void {
  db.prepare("UPDATE jobs SET state = ?, message = ?, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? AND state = 'running'").run(state, message?.slice(0, 2000) ?? null, id);
}

/** End the running job that fills this recording, if any. */
export function endRecordingJob(db: Db, recordingId: number, state: Exclude<JobState, 'running'>, message: string | null = null): void {
  db.prepare("UPDATE jobs SET state = ?, message = ?, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE recording_id = ? AND state = 'running'").run(state, message?.slice(0, 2000) ?? null, recordingId);
}

export function runningJobs(db: Db): JobRow[] {
  return db.prepare("SELECT * FROM jobs WHERE state = 'running' ORDER BY id").all() as JobRow[];
}

export function getJob(db: Db, id: number): JobRow | undefined {
  return db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
}

/** Linux: when process `pid` started (ms since the epoch), from /proc; null elsewhere or if unknown. */
function linuxStartMs(pid: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, clock ticks since boot) counts from after the command name's ')'.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ is 100 on every Linux PredLab runs on.
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : null;
  } catch {
    return null;
  }
}

/**
 * Does the process that began this job still run? Another host's job counts as dead (a lab is
 * used from one machine at a time: SQLite needs a local disk); a process with the job's pid that
 * started after the job is another program that reused the number.
 */
export function ownerAlive(job: Pick<JobRow, 'owner_host' | 'owner_pid' | 'started_ms'>): boolean {
  if (job.owner_host !== os.hostname()) return false;
  if (job.owner_pid === process.pid) return job.started_ms >= PROCESS_START_MS - 1000;
  try {
    process.kill(job.owner_pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = linuxStartMs(job.owner_pid);
  return started === null || started <= job.started_ms + 1000;
}

/** A partial file or folder (removed), or an earlier result set aside at `aside` (put back at `to` if nothing replaced it, else removed). */
export type PartialPath = string | { aside: string; to: string };

export const partialName = (p: PartialPath) => (typeof p === 'string' ? p : p.aside);

/** Remove a job's partial files and folders (and put back what it had set aside); returns those that could not be handled. */
export function removePartials(paths: readonly PartialPath[]): string[] {
  const left: string[] = [];
  for (const p of [...paths.filter((x) => typeof x === 'string'), ...paths.filter((x) => typeof x !== 'string')]) {
    try {
      if (typeof p === 'string') fs.rmSync(p, { recursive: true, force: true });
      else if (fs.existsSync(p.aside)) {
        if (fs.existsSync(p.to)) fs.rmSync(p.aside, { recursive: true, force: true });
        else fs.renameSync(p.aside, p.to);
      }
    } catch {
      left.push(partialName(p));
    }
  }
  return left;
}

/** beginJob where a failure to record it (a read-only or full lab) must not stop the work: null then. */
export function tryBeginJob(ledger: Db | null, start: JobStart): number | null {
  if (!ledger || ledger.readonly) return null;
  try {
    return beginJob(ledger, start);
  } catch {
    return null;
  }
}

/** endJob that never throws (a row it cannot write stays 'running' and is resolved at the next start-up). */
export function tryEndJob(ledger: Db | null, id: number | null, state: Exclude<JobState, 'running'>, message: string | null = null): void {
  if (id === null || !ledger) return;
  try {
    endJob(ledger, id, state, message);
  } catch {
    /* resolved at the next start-up */
  }
}

const abortedState = (e: unknown, signal?: AbortSignal): 'cancelled' | 'failed' => (signal?.aborted || (e as { cancelled?: unknown })?.cancelled === true ? 'cancelled' : 'failed');

/**
 * Run `work` as a job whose partial files are `partials`: on failure (or cancel) they are removed
 * and the job ends 'failed' / 'cancelled'; on success it ends 'done'. `ledger` is a writable
 * connection to the lab (null: the job is not recorded, e.g. a read-only lab; it still cleans up).
 * A job row that cannot be written (a full disk) does not stop the work; the partial files are
 * then still removed by the job itself.
 */
export async function asJob<T>(ledger: Db | null, start: JobStart & { partials: PartialPath[] }, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const end = openJob(ledger, start);
  try {
    const value = await work();
    end('done', null);
    return value;
  } catch (e) {
    removePartials(start.partials);
    end(abortedState(e, signal), (e as Error)?.message ?? String(e));
    throw e;
  }
}

/** asJob for synchronous work (the study export). */
export function asJobSync<T>(ledger: Db | null, start: JobStart & { partials: PartialPath[] }, work: () => T): T {
  const end = openJob(ledger, start);
  try {
    const value = work();
    end('done', null);
    return value;
  } catch (e) {
    removePartials(start.partials);
    end('failed', (e as Error)?.message ?? String(e));
    throw e;
  }
}

/** Records the job's start (when the lab is writable) and returns how to record its end; a row that cannot be written never stops the work. */
function openJob(ledger: Db | null, start: JobStart): (state: Exclude<JobState, 'running'>, message: string | null) => void {
  let id: number | null = null;
  if (ledger && !ledger.readonly) {
    try {
      id = beginJob(ledger, start);
    } catch {
      id = null;
    }
  }
  return (state, message) => {
    if (id === null || !ledger) return;
    try {
      endJob(ledger, id, state, message);
    } catch {
      /* the row stays 'running': the next start-up resolves it (its partial files are gone already) */
    }
  };
}
