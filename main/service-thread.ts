/**
 * A service thread: the app's handlers on their own connection to the lab database, off the
 * Electron main thread. The 'light' thread answers every quick channel and registers the default
 * model at start; the 'heavy' thread starts the model engine first and answers the channels that
 * compute (analysis, comparison, the trial inspector, engine:info). See main/bootstrap.ts.
 */
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { useOrtGate } from '../native-models/onnx/ort-gate.js';
import { EventHub } from './event-hub.js';
import { eventSnapshots } from './ipc/event-snapshots.js';
import { createHandlers } from './ipc/handlers.js';
import { registerDefaultModel } from './services/default-model.js';
import { DownloadJobs } from './services/download-jobs.js';
import { ModelJobs } from './services/model-jobs.js';
import { resolveInterruptedJobs } from './services/recovery.js';
import { openDatabase, openLedger } from './store/db.js';
import type { CallbackName, FromThread, ServiceThreadData, ToThread } from './thread-protocol.js';

const data = workerData as ServiceThreadData;
useOrtGate(data.ortGate);
const port = parentPort!;
const post = (m: FromThread) => port.postMessage(m);

let nextCallback = 1;
const waiting = new Map<number, (value: unknown) => void>();
function callMain<T>(name: CallbackName, ...args: unknown[]): Promise<T> {
  const id = nextCallback++;
  return new Promise<T>((resolve) => {
    waiting.set(id, resolve as (value: unknown) => void);
    post({ type: 'callback', id, name, args });
  });
}

async function start(): Promise<ReturnType<typeof createHandlers>['invoke']> {
  if (data.role === 'heavy') {
    // Computing threads yield to the display and the light thread (Linux: per-thread priority).
    if (process.platform === 'linux') {
      try {
        os.setPriority(10);
      } catch {
        /* not permitted: normal priority */
      }
    }
    const { initBackend } = await import('../native-models/backend.js');
    await initBackend();
  }
  // The computing thread only reads; the light thread is the one writer (migrations, backups).
  const db = openDatabase(data.dbFile, { readonly: data.role === 'heavy', ...(data.nativeBinding ? { nativeBinding: data.nativeBinding } : {}) });
  let modelJobs: ModelJobs | undefined;
  let downloads: DownloadJobs | undefined;
  if (data.role === 'light') {
    // Jobs an earlier run left half-done (a kill, a crash, a full disk) are resolved before any call.
    for (const r of resolveInterruptedJobs(db, path.dirname(path.resolve(data.dbFile)))) void callMain('log', `start-up: ${r.message}`);
    registerDefaultModel(db, data.appRoot, data.defaultModelDirs, (m) => void callMain('log', `start-up: ${m}`));
    modelJobs = new ModelJobs(data.dbFile, data.nativeBinding);
    downloads = new DownloadJobs(data.dbFile, data.nativeBinding);
  }
  const ledger = data.role === 'heavy' ? openLedger(data.dbFile, data.nativeBinding ? { nativeBinding: data.nativeBinding } : {}) : null;
  // Jobs say when they change; the hub reads their status (through the handlers) and posts it.
  let hub: EventHub | null = null;
  const notify = (topic: Parameters<EventHub['notify']>[0], key?: number) => hub?.notify(topic, key);
  if (modelJobs) modelJobs.onChange = () => notify('model-sessions');
  if (downloads) downloads.onChange = () => notify('download');
  const { invoke, close } = createHandlers({
    db,
    ...(ledger ? { ledger } : {}),
    appRoot: data.appRoot,
    ...(modelJobs ? { modelJobs } : {}),
    ...(downloads ? { downloads } : {}),
    chooseExportDir: (suggestedName) => callMain<string | null>('chooseExportDir', suggestedName),
    chooseImportSource: (kind) => callMain<string | null>('chooseImportSource', kind),
    modelMirror: () => callMain<string | null>('modelMirror'),
    log: (m) => void callMain('log', m),
    notify,
  });
  hub = new EventHub(eventSnapshots(invoke), (event) => post({ type: 'event', event }));
  closeThread = async () => {
    await close();
    hub?.close();
    await Promise.allSettled([modelJobs?.stopAll(), downloads?.stop()]);
    db.close();
    ledger?.close();
  };
  return invoke;
}

/** Set once started: cancels the thread's jobs, waits for them, closes the database. */
let closeThread: (() => Promise<void>) | null = null;

start().then(
  (invoke) => {
    port.on('message', (m: ToThread) => {
      if (m.type === 'callback-result') {
        waiting.get(m.id)?.(m.value);
        waiting.delete(m.id);
      } else if (m.type === 'close') {
        void (closeThread?.() ?? Promise.resolve()).catch(() => undefined).then(() => post({ type: 'closed' }));
      } else void invoke(m.channel, m.args).then((envelope) => post({ type: 'result', id: m.id, envelope }));
    });
    post({ type: 'ready' });
  },
  (e: unknown) => post({ type: 'fatal', message: e instanceof Error ? e.message : String(e) }),
);
