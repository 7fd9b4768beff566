/**
 * Dataset imports and exports as background jobs: the request returns at once with a job whose
 * progress is pushed to the page (`onChange`), and a job can be cancelled (its AbortSignal; the import or export then
 * cleans up after itself). The work itself is ffmpeg in a child process plus chunked file I/O,
 * so the thread that owns the jobs answers other calls between chunks.
 */
import type { DatasetJob } from '../../preload/channels/datasets.js';
import { PredlabError } from '../errors.js';

export interface JobWork {
  kind: DatasetJob['kind'];
  dataset: string;
  path: string;
  total: number | null;
  /** Does the work; reports frames done (and a total when it learns one); returns the closing sentence. */
  run: (signal: AbortSignal, progress: (frames: number, total?: number) => void) => Promise<string>;
}

export class DatasetJobs {
  private readonly jobs: DatasetJob[] = [];
  private readonly controllers = new Map<number, AbortController>();
  private readonly running = new Map<number, Promise<DatasetJob>>();
  private next = 1;
  /** Called when a job starts, progresses or ends (the service thread sends an event). */
  onChange: () => void = () => undefined;

  constructor(private readonly kept: number) {}

  start(work: JobWork): { job: DatasetJob; done: Promise<DatasetJob> } {
    const job: DatasetJob = { id: this.next++, kind: work.kind, dataset: work.dataset, state: 'running', frames: 0, total: work.total, path: work.path, message: null, startedAt: new Date().toISOString() };
    const ac = new AbortController();
    this.jobs.push(job);
    this.controllers.set(job.id, ac);
    this.prune();
    const done = work
      .run(ac.signal, (frames, total) => {
        job.frames = frames;
        if (total !== undefined) job.total = total;
        this.onChange();
      })
      .then(
        (message) => Object.assign(job, { state: 'done', message }),
        (e: unknown) => Object.assign(job, ac.signal.aborted ? { state: 'cancelled', message: `Cancelled: ${(e as Error).message}` } : { state: 'error', message: (e as Error)?.message ?? String(e) }),
      )
      .then(() => {
        this.controllers.delete(job.id);
        this.running.delete(job.id);
        this.onChange();
        return { ...job };
      });
    this.running.set(job.id, done);
    this.onChange();
    return { job: { ...job }, done };
  }

  cancel(id: number): DatasetJob {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new PredlabError('not-found', `No import or export job ${id}.`);
    this.controllers.get(id)?.abort();
    return { ...job };
  }

  /** Cancel every running job and wait until each has cleaned up after itself (app quit). */
  async abortAll(): Promise<void> {
    for (const ac of this.controllers.values()) ac.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Forget a finished job (one refused before it did anything). */
  forget(id: number): void {
    const i = this.jobs.findIndex((j) => j.id === id && j.state !== 'running');
    if (i >= 0) this.jobs.splice(i, 1);
  }

  list(): DatasetJob[] {
    return this.jobs.map((j) => ({ ...j }));
  }

  /** Forget the oldest finished jobs beyond the number kept. */
  private prune(): void {
    let finished = this.jobs.filter((j) => j.state !== 'running').length;
    for (let i = 0; i < this.jobs.length && finished > this.kept; ) {
      if (this.jobs[i]!.state !== 'running') {
        this.jobs.splice(i, 1);
        finished--;
      } else i++;
    }
  }
}
