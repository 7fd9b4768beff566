/**
 * Builds the app's services from explicit dependencies, for the Electron entry and the test
 * harness alike (they differ only in ipcMain vs exposeBinding and the window):
 *   data folder -> database file; the default model registered at start; the handlers, on two
 *   service threads with their own database connections (the main thread never blocks on work
 *   and never loads the model engine); the sender check; the renderer's security headers.
 * This module must not import the handlers, the services or native-models (but the model-call
 * counters of thread-stop.ts): they stay in the threads (a test checks that the main thread has no
 * tfjs engine after every channel ran).
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { datasetsHeavyChannels } from '../preload/channels/datasets.js';
import { modelsHeavyChannels } from '../preload/channels/models.js';
import { MAIN_THREAD_CHANNELS, workSchemas, type WorkStatus } from '../preload/channels/work.js';
import { replicateHeavyChannels } from '../preload/channels/replicate.js';
import { studiesHeavyChannels } from '../preload/channels/studies.js';
import { trainingHeavyChannels } from '../preload/channels/training.js';
import { appEventSchema, type AppEvent } from '../preload/channels/events.js';
import { schemas, type Envelope, type ExperimenterWindowResult } from '../preload/contract.js';
import { CSP, isAppUrl } from './electron/security.js';
import { EventHub } from './event-hub.js';
import { databasePath } from './paths.js';
import { workerEntry } from './services/worker-entry.js';
import { gatedWorker, stopThread } from './thread-stop.js';
import type { CallbackName, FromThread, ServiceRole, ServiceThreadData, ToThread } from './thread-protocol.js';

/** Channels that compute (bootstrap resampling, PredNet): answered on the heavy thread. */
export const HEAVY_CHANNELS: ReadonlySet<string> = new Set(['analysis:session', 'compare:sessions', 'models:inspect-trial', 'engine:info', ...modelsHeavyChannels, ...datasetsHeavyChannels, ...trainingHeavyChannels, ...replicateHeavyChannels, ...studiesHeavyChannels]);

/** How long quitting waits for each service thread to cancel its jobs and close (then it is stopped). */
export const QUIT_WAIT_MS = 10_000;

/** Headers every renderer file is served with (app:// in Electron, http in the harness). */
export const RENDERER_HEADERS: Readonly<Record<string, string>> = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' };

export interface BootstrapOptions {
  /** The lab's data folder (resolveDataDir() in the app and the CLI). */
  dataDir: string;
  /** Where the app's files are (native-models/default-model under it). */
  appRoot: string;
  /** The default set's folders, instance 1 first, when not under appRoot (an installed app copies them to the data folder). */
  defaultModelDirs?: { instance: number; dir: string }[];
  /** Folder of the bundled service-thread.cjs (dist/main); absent: run the TypeScript sources. */
  bundleDir?: string;
  /** better_sqlite3.node built for this runtime's ABI (Electron in a development checkout). */
  nativeBinding?: string;
  chooseExportDir: (suggestedName: string) => Promise<string | null>;
  /** Asks for a video file ('video') or a folder of images ('images') to import; absent: imports are refused as cancelled. */
  chooseImportSource?: (kind: 'video' | 'images' | 'archive' | 'online-data') => Promise<string | null>;
  /** The model archive's address set outside the page (the app: PREDLAB_MODEL_MIRROR); absent or null: the release's own. */
  modelMirror?: () => string | null;
  setFullScreen?: (on: boolean) => boolean;
  /** Opens (or brings forward) the experimenter's window, on another screen when there is one. */
  openExperimenterWindow?: () => Promise<ExperimenterWindowResult>;
  log?: (message: string) => void;
  /** Which pages may call in (default: the app's own app://predlab pages). */
  isAllowedSender?: (url: string | undefined) => boolean;
}

export interface AppServices {
  readonly dbFile: string;
  /** Resolves when the database is open and the default model registered; rejects naming the problem. */
  readonly ready: Promise<void>;
  /** One IPC call, as the contract's transport sees it. */
  invoke(channel: unknown, args: unknown): Promise<Envelope<unknown>>;
  /** An IPC call from a page: refused unless the page is the app's own. */
  handleFromPage(senderUrl: string | undefined, channel: unknown, args: unknown): Promise<Envelope<unknown>>;
  /** Stop the computation under way (analysis, comparison, inspector); its callers get a 'cancelled' error. */
  cancelHeavyWork(): number;
  /** Listen to the jobs' pushed events (checked against the contract's appEventSchema); returns the unsubscribe. */
  subscribe(listener: (event: AppEvent) => void): () => void;
  /** Cancel every job and wait (at most QUIT_WAIT_MS per thread) for the threads to clean up and close. */
  close(): Promise<void>;
}

const refusal = (code: string, message: string): Envelope<unknown> => ({ ok: false, error: { code, message } });

/** One service thread, restarted on demand after it stops (cancellation, a crash). */
class ServiceThread {
  private worker: Worker | null = null;
  private started: Promise<void> | null = null;
  private readonly pending = new Map<number, (e: Envelope<unknown>) => void>();
  /** What each waiting call asked for and when (for work:status). */
  private readonly asked = new Map<number, { channel: string; at: number }>();
  private next = 1;

  constructor(
    private readonly role: ServiceRole,
    private readonly data: ServiceThreadData,
    private readonly entry: string,
    private readonly callbacks: Record<CallbackName, (...args: unknown[]) => unknown>,
    /** A job's event from the thread; a change in the calls waiting on it (work:status). */
    private readonly hooks: { event: (e: AppEvent) => void; waiting: () => void; stopped?: () => void },
  ) {}

  start(): Promise<void> {
    if (this.started) return this.started;
    const worker = gatedWorker(this.entry, { workerData: { ...this.data, role: this.role } satisfies ServiceThreadData });
    this.worker = worker;
    this.started = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'closed') this.closed?.();
        else if (m.type === 'fatal') {
          reject(new Error(m.message));
          if (this.worker === worker) this.stop(m.message);
        } else if (m.type === 'result') {
          this.pending.get(m.id)?.(m.envelope);
          this.pending.delete(m.id);
          this.asked.delete(m.id);
          this.hooks.waiting();
        } else if (m.type === 'event') {
          if (this.worker === worker) this.hooks.event(m.event);
        } else void Promise.resolve(this.callbacks[m.name](...m.args)).then((value) => worker.postMessage({ type: 'callback-result', id: m.id, value } satisfies ToThread));
      });
      // Events of a thread already replaced (after a cancellation) concern no one now.
      worker.on('error', (e) => {
        reject(e);
        if (this.worker === worker) this.stop(`The ${this.role === 'heavy' ? 'computation' : 'service'} thread stopped: ${e.message}`);
      });
      worker.on('exit', (code) => {
        reject(new Error(`the ${this.role} service thread exited (code ${code}) before it was ready`));
        if (this.worker === worker) this.stop(`The ${this.role === 'heavy' ? 'computation' : 'service'} thread stopped (exit code ${code}).`);
      });
    });
    return this.started;
  }

  call(channel: string, args: unknown): Promise<Envelope<unknown>> {
    // Waiting callers (the thread still starting included) are what stop() cancels.
    const id = this.next++;
    const result = new Promise<Envelope<unknown>>((resolve) => this.pending.set(id, resolve));
    this.asked.set(id, { channel, at: Date.now() });
    this.hooks.waiting();
    this.start().then(
      () => {
        if (this.pending.has(id)) this.worker!.postMessage({ type: 'call', id, channel, args } satisfies ToThread);
      },
      (e: Error) => {
        this.pending.get(id)?.(refusal('unavailable', `This part of PredLab could not start: ${e.message}`));
        this.pending.delete(id);
        this.asked.delete(id);
      },
    );
    return result;
  }

  /** The last stop under way: close() waits for the thread to end. */
  private stopping: Promise<void> = Promise.resolve();

  /** Terminate the thread; every waiting caller gets `message` as an 'unavailable' error. Returns how many. */
  stop(message: string): number {
    const worker = this.worker;
    this.worker = null;
    this.started = null;
    const n = this.pending.size;
    for (const resolve of this.pending.values()) resolve(refusal('unavailable', message));
    this.pending.clear();
    this.asked.clear();
    this.hooks.waiting();
    this.hooks.stopped?.();
    // Terminated once no model call is in flight in it (that would abort the process).
    if (worker) this.stopping = stopThread(worker);
    return n;
  }

  private closed: (() => void) | null = null;

  /**
   * Close: the thread cancels its jobs (imports, exports, model sessions, training, downloads),
   * waits for them to clean up and closes its database; after `waitMs` without that, or if it
   * never started, it is terminated. Waiting callers get 'PredLab is closing'.
   */
  async close(waitMs: number): Promise<void> {
    const worker = this.worker;
    if (worker && this.started) {
      const ready = await Promise.race([this.started.then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())]);
      if (ready) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          timer.unref();
          this.closed = () => {
            clearTimeout(timer);
            resolve();
          };
          worker.postMessage({ type: 'close' } satisfies ToThread);
        });
        this.closed = null;
      }
    }
    this.stop('PredLab is closing.');
    await this.stopping;
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  status(): WorkStatus {
    const oldest = [...this.asked.values()].sort((a, b) => a.at - b.at)[0];
    return { channel: oldest?.channel ?? null, waiting: this.asked.size, seconds: oldest ? (Date.now() - oldest.at) / 1000 : 0 };
  }
}

export function bootstrap(options: BootstrapOptions): AppServices {
  // ONNX Runtime's telemetry off (unless PREDLAB_ONNX_TELEMETRY=1): set in this, the main, thread,
  // whose environment the library in the service threads reads (native-models/onnx/telemetry.ts
  // says the same; not imported here, which loads nothing of the engine).
  if (process.env.PREDLAB_ONNX_TELEMETRY !== '1') process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const dbFile = databasePath(options.dataDir);
  const entry = options.bundleDir ? path.join(options.bundleDir, 'service-thread.cjs') : workerEntry('main/service-thread-dev.mjs', 'service-thread.cjs');
  const data: Omit<ServiceThreadData, 'role'> = {
    dbFile,
    appRoot: options.appRoot,
    ...(options.defaultModelDirs ? { defaultModelDirs: options.defaultModelDirs } : {}),
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  };
  const callbacks: Record<CallbackName, (...args: unknown[]) => unknown> = {
    chooseExportDir: (name) => options.chooseExportDir(String(name)),
    chooseImportSource: (kind) => (options.chooseImportSource ? options.chooseImportSource(kind === 'images' ? 'images' : kind === 'archive' ? 'archive' : kind === 'online-data' ? 'online-data' : 'video') : null),
    modelMirror: () => options.modelMirror?.() ?? null,
    log: (m) => options.log?.(String(m)),
  };
  // Pushed events: each thread's jobs, and the computing thread's calls (work:status), checked
  // against the contract before any listener sees them.
  const listeners = new Set<(event: AppEvent) => void>();
  const emit = (event: AppEvent) => {
    const checked = appEventSchema.safeParse(event);
    if (!checked.success) {
      options.log?.(`event refused (${checked.error.issues.map((i) => i.message).join('; ')}): ${String(event?.topic)}`);
      return;
    }
    for (const l of listeners) {
      try {
        l(event);
      } catch (e) {
        options.log?.(`event listener failed: ${(e as Error).message}`);
      }
    }
  };
  let work: EventHub | null = null;
  const light = new ServiceThread('light', { ...data, role: 'light' }, entry, callbacks, { event: emit, waiting: () => undefined });
  const heavy = new ServiceThread('heavy', { ...data, role: 'heavy' }, entry, callbacks, {
    event: emit,
    waiting: () => work?.notify('work'),
    // Its exports ended with it (a Stop, a crash): the page learns that no export runs any more.
    stopped: () => emit({ topic: 'exports', value: [] }),
  });
  work = new EventHub(() => ({ topic: 'work', value: heavy.status() }), emit);
  const ready = light.start();
  ready.catch(() => undefined); // reported through `ready` and every call; never an unhandled rejection
  const isAllowedSender = options.isAllowedSender ?? isAppUrl;

  const cancelHeavyWork = () => heavy.stop('Cancelled: the computation was stopped before it finished.');

  async function invoke(channel: unknown, args: unknown): Promise<Envelope<unknown>> {
    if (typeof channel !== 'string') return refusal('invalid-argument', `Unknown request '${String(channel)}'.`);
    if (channel === 'display:fullscreen') {
      // The window lives on this thread; the argument is checked here, as the handlers would.
      const on = (args as { on?: unknown } | null)?.on;
      if (typeof on !== 'boolean') return refusal('invalid-argument', 'Invalid arguments for display:fullscreen: on: expected boolean');
      const extra = Object.keys(args as object).filter((k) => k !== 'on');
      if (extra.length) return refusal('invalid-argument', `Invalid arguments for display:fullscreen: Unrecognized key${extra.length > 1 ? 's' : ''}: ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
      return { ok: true, value: { fullscreen: options.setFullScreen ? options.setFullScreen(on) : false } };
    }
    if (channel === 'display:experimenter-window') {
      const parsed = schemas['display:experimenter-window'].safeParse(args);
      if (!parsed.success) return refusal('invalid-argument', `Invalid arguments for display:experimenter-window: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      if (!options.openExperimenterWindow) return refusal('unavailable', 'This window cannot open another one.');
      return { ok: true, value: await options.openExperimenterWindow() };
    }
    if (MAIN_THREAD_CHANNELS.has(channel)) {
      const parsed = workSchemas[channel as keyof typeof workSchemas].safeParse(args);
      if (!parsed.success) return refusal('invalid-argument', `Invalid arguments for ${channel}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      if (channel === 'work:status') return { ok: true, value: heavy.status() };
      return { ok: true, value: { cancelled: cancelHeavyWork() } };
    }
    // The heavy thread opens the database after the light one has migrated it.
    if (HEAVY_CHANNELS.has(channel)) {
      try {
        await ready;
      } catch (e) {
        return refusal('unavailable', `PredLab could not start: ${(e as Error).message}`);
      }
      return heavy.call(channel, args);
    }
    return light.call(channel, args);
  }

  return {
    dbFile,
    ready,
    invoke,
    handleFromPage: (senderUrl, channel, args) =>
      isAllowedSender(senderUrl) ? invoke(channel, args) : Promise.resolve(refusal('invalid-argument', 'Request from an unknown page refused.')),
    cancelHeavyWork,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      await Promise.all([heavy.close(QUIT_WAIT_MS), light.close(QUIT_WAIT_MS)]);
      work?.close();
      listeners.clear();
    },
  };
}

/** bootstrap() and wait until ready; on failure the threads are stopped and the error rethrown. */
export async function startServices(options: BootstrapOptions): Promise<AppServices> {
  const services = bootstrap(options);
  try {
    await services.ready;
  } catch (e) {
    await services.close();
    throw e;
  }
  return services;
}
