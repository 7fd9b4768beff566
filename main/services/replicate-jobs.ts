/**
 * Paper battery jobs of the app: each runs in its own worker thread (replicate-worker.ts), writes
 * into its own folder under <data folder>/replicate, pushes its progress to the page (`onChange`), and can be
 * cancelled (asked to stop between stimuli; stopped outright if it does not within 5 s, its folder
 * then removed so nothing half-written stays).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ReplicateJob } from '../../preload/channels/replicate.js';
import { REPLICATE_MAX_JOBS } from '../../preload/channels/replicate.js';
import type { Worker } from 'node:worker_threads';
import { PredlabError } from '../errors.js';
import type { ReplicateRequest, ReplicateResult } from './replicate.js';
import type { ReplicateWorkerMessage } from './replicate-worker.js';
import { gatedWorker, stopThread } from '../thread-stop.js';
import { workerEntry } from './worker-entry.js';

const CANCEL_GRACE_MS = 5000;

export class ReplicateJobs {
  private readonly jobs: ReplicateJob[] = [];
  private readonly results = new Map<number, ReplicateResult>();
  private readonly workers = new Map<number, Worker>();
  private readonly cancelling = new Set<number>();
  private next = 1;
  /** Called when a run starts, progresses or ends (the service thread sends an event). */
  onChange: () => void = () => undefined;

  constructor(private readonly rootDir: string) {}

  start(request: Omit<ReplicateRequest, 'out'>, label: string, lab: Record<string, unknown> | null): { job: ReplicateJob; done: Promise<ReplicateJob> } {
    if (this.jobs.filter((j) => j.state === 'running').length > 0) throw new PredlabError('conflict', 'A battery run is under way; wait for it or cancel it first.');
    const id = this.next++;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const out = path.join(this.rootDir, `${stamp}-${id}`);
    const job: ReplicateJob = { id, label, experiments: request.experiments ?? [], quick: request.quick, state: 'running', fraction: 0, message: 'starting', out, error: null, startedAt: new Date().toISOString(), finishedAt: null };
    this.jobs.push(job);
    // Forget the oldest finished jobs past the limit (their folders stay on disk).
    while (this.jobs.length > REPLICATE_MAX_JOBS) {
      const k = this.jobs.findIndex((j) => j.state !== 'running');
      if (k < 0) break;
      this.results.delete(this.jobs[k]!.id);
      this.jobs.splice(k, 1);
    }
    const worker = gatedWorker(workerEntry('main/services/replicate-worker-dev.mjs', 'replicate-worker.cjs'), { workerData: { request: { ...request, out }, lab } });
    this.workers.set(id, worker);
    const done = new Promise<ReplicateJob>((resolve) => {
      const finish = (patch: Partial<ReplicateJob>) => {
        if (job.state !== 'running') return;
        Object.assign(job, patch, { finishedAt: new Date().toISOString() });
        this.workers.delete(id);
        void stopThread(worker);
        if (patch.state !== 'done') fs.rmSync(out, { recursive: true, force: true });
        this.onChange();
        resolve(job);
      };
      worker.on('message', (m: ReplicateWorkerMessage) => {
        if (m.type === 'progress') {
          Object.assign(job, { fraction: m.fraction, message: this.cancelling.has(id) ? 'cancelling' : m.message });
          this.onChange();
        }
        else if (m.type === 'done') {
          this.results.set(id, m.result);
          finish({ state: 'done', fraction: 1, message: 'done' });
        } else finish(this.cancelling.has(id) ? { state: 'cancelled', message: 'cancelled' } : { state: 'error', error: m.message });
      });
      worker.on('error', (e) => finish({ state: 'error', error: e.message }));
      worker.on('exit', (code) => finish(this.cancelling.has(id) ? { state: 'cancelled', message: 'cancelled' } : { state: 'error', error: `the battery worker stopped (exit code ${code})` }));
    });
    this.onChange();
    return { job: { ...job }, done };
  }

  cancel(id: number): ReplicateJob {
    const job = this.get(id);
    const worker = this.workers.get(id);
    if (job.state === 'running' && worker) {
      this.cancelling.add(id);
      job.message = 'cancelling';
      this.onChange();
      worker.postMessage({ type: 'cancel' });
      setTimeout(() => {
        if (job.state === 'running') void stopThread(worker);
      }, CANCEL_GRACE_MS).unref();
    }
    return { ...job };
  }

  get(id: number): ReplicateJob {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new PredlabError('not-found', `No battery run with id ${id}.`);
    return job;
  }

  result(id: number): ReplicateResult {
    const job = this.get(id);
    const r = this.results.get(id);
    if (job.state !== 'done' || !r) throw new PredlabError('conflict', `Battery run ${id} is ${job.state}; it has no report.`);
    return r;
  }

  list(): ReplicateJob[] {
    return this.jobs.map((j) => ({ ...j }));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => stopThread(w, { ask: { type: 'cancel' }, waitMs: CANCEL_GRACE_MS })));
  }
}
