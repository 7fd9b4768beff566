/**
 * Background model sessions: a model takes a person's protocol in a worker thread while the
 * person is being tested, so the display is not disturbed. Jobs report progress and end in a
 * stored session like any other.
 */
import type { Worker } from 'node:worker_threads';
import type { ModelJob } from '../../preload/contract.js';
import type { ModelSessionRequest } from './model-sessions.js';
import type { ModelJobMessage } from './model-session-worker.js';
import { gatedWorker, stopThread } from '../thread-stop.js';
import { workerEntry } from './worker-entry.js';

/** How long a cancelled model job may take to finish its chunk of trials and close (a chunk is seconds). */
export const STOP_WAIT_MS = 8_000;

export class ModelJobs {
  private readonly jobs: ModelJob[] = [];
  private readonly workers = new Set<Worker>();
  private next = 1;
  /** Called when a job starts, progresses or ends (the service thread sends an event). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly dbFile: string,
    private readonly nativeBinding?: string,
  ) {}

  start(request: Omit<ModelSessionRequest, 'onProgress' | 'predictor'>, label: string): { job: ModelJob; done: Promise<ModelJob> } {
    const job: ModelJob = { id: this.next++, label, protocolId: request.protocolId ?? null, state: 'running', done: 0, total: 0, sessionId: null, error: null };
    this.jobs.push(job);
    this.onChange();
    const worker = gatedWorker(workerEntry('main/services/model-session-worker-dev.mjs', 'model-session-worker.cjs'), { workerData: { dbFile: this.dbFile, nativeBinding: this.nativeBinding, request } });
    this.workers.add(worker);
    worker.on('exit', () => this.workers.delete(worker));
    const done = new Promise<ModelJob>((resolve) => {
      // The worker ends by itself after its last message (it closes its database first).
      const finish = (patch: Partial<ModelJob>) => {
        if (job.state !== 'running') return;
        Object.assign(job, patch);
        this.onChange();
        resolve(job);
      };
      worker.on('message', (m: ModelJobMessage) => {
        if (m.type === 'progress') {
          Object.assign(job, { done: m.done, total: m.total });
          this.onChange();
        }
        else if (m.type === 'done') finish({ state: 'done', sessionId: m.sessionId });
        else finish({ state: 'error', error: m.message });
      });
      worker.on('error', (e) => finish({ state: 'error', error: e.message }));
      worker.on('exit', (code) => finish({ state: 'error', error: `the model worker stopped (exit code ${code})` }));
    });
    return { job, done };
  }

  /**
   * Stop every running job (app quit): each is asked to cancel between chunks of trials (its
   * session ends 'aborted', answered trials kept) and given `waitMs` to end; only then terminated,
   * and never inside a model call.
   */
  async stopAll(waitMs = STOP_WAIT_MS): Promise<void> {
    await Promise.all([...this.workers].map((w) => stopThread(w, { ask: { type: 'cancel' }, waitMs })));
  }

  list(): ModelJob[] {
    return this.jobs.map((j) => ({ ...j }));
  }
}
