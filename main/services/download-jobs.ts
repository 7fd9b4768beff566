/**
 * "Get the paper's model" from the app: one download at a time in a worker thread, its progress
 * pushed to the page (`onChange`), cancellable (nothing is left behind: see model-download.ts).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DownloadJob } from '../../preload/channels/models.js';
import { PredlabError } from '../errors.js';
import type { DownloadRequest, DownloadWorkerMessage } from './download-worker.js';
import type { DownloadProgress } from './model-download.js';
import { workerEntry } from './worker-entry.js';

/** A download's progress as its job shows it (the app's job, and the CLI's under --events). */
export function applyDownloadProgress(job: DownloadJob, p: DownloadProgress): void {
  if (p.phase === 'download') Object.assign(job, { phase: 'download', done: p.bytes, total: p.total, detail: '' });
  else if (p.phase === 'verify') Object.assign(job, { phase: 'verify', done: p.done, total: p.total, detail: p.file });
  else Object.assign(job, { phase: 'import', done: p.done, total: p.total, detail: p.checkpoint });
}

export class DownloadJobs {
  private job: DownloadJob | null = null;
  private worker: Worker | null = null;
  private next = 1;
  /** Called when the download starts, progresses or ends (the service thread sends an event). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly dbFile: string,
    private readonly nativeBinding?: string,
  ) {}

  /** Checkpoints go where the CLI puts them: models/prednet-<release> beside the database. */
  destDirFor(release: string): string {
    return path.join(path.dirname(path.resolve(this.dbFile)), 'models', `prednet-${release}`);
  }

  start(req: Omit<DownloadRequest, 'destDir'>): DownloadJob {
    if (this.job?.state === 'running') throw new PredlabError('conflict', 'A model download is already under way; wait for it or cancel it.');
    const request: DownloadRequest = { ...req, destDir: this.destDirFor(req.release) };
    const job: DownloadJob = { id: this.next++, release: req.release, destDir: request.destDir, state: 'running', phase: 'starting', done: 0, total: null, detail: '', modelIds: [], error: null };
    this.job = job;
    const worker = new Worker(workerEntry('main/services/download-worker-dev.mjs', 'download-worker.cjs'), { workerData: { dbFile: this.dbFile, nativeBinding: this.nativeBinding, request } });
    this.worker = worker;
    const finish = (patch: Partial<DownloadJob>) => {
      if (job.state !== 'running') return;
      Object.assign(job, patch);
      if (this.worker === worker) this.worker = null;
      this.onChange();
    };
    worker.on('message', (m: DownloadWorkerMessage) => {
      if (m.type === 'progress') {
        applyDownloadProgress(job, m.progress);
        this.onChange();
      } else if (m.type === 'done') finish({ state: 'done', modelIds: m.modelIds, detail: m.alreadyPresent ? 'already downloaded: registered again' : '' });
      else finish({ state: job.state === 'running' && this.cancelled.has(job.id) ? 'cancelled' : 'error', error: m.message });
    });
    worker.on('error', (e) => finish({ state: 'error', error: e.message }));
    worker.on('exit', (code) => finish({ state: 'error', error: `the download stopped (exit code ${code})` }));
    this.onChange();
    return { ...job };
  }

  private readonly cancelled = new Set<number>();

  cancel(): DownloadJob | null {
    if (this.job?.state === 'running' && this.worker) {
      this.cancelled.add(this.job.id);
      this.worker.postMessage({ type: 'cancel' });
    }
    return this.status();
  }

  status(): DownloadJob | null {
    return this.job ? { ...this.job } : null;
  }

  async stop(): Promise<void> {
    await this.worker?.terminate();
  }
}
