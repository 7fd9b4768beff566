/**
 * Worker-thread entry: a model takes a protocol in the background (live side by side with a
 * person), with its own connection to the lab database (WAL lets both write). On Linux the
 * thread lowers its own scheduling priority so the stimulus display keeps its frames.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { useOrtGate } from '../../native-models/onnx/ort-gate.js';
import { openDatabase } from '../store/db.js';
import { runModelSession, type ModelSessionRequest } from './model-sessions.js';

export type ModelJobMessage = { type: 'progress'; done: number; total: number } | { type: 'done'; sessionId: number } | { type: 'error'; message: string };

const { dbFile, nativeBinding, request, ortGate } = workerData as { dbFile: string; nativeBinding?: string; request: Omit<ModelSessionRequest, 'onProgress' | 'predictor'>; ortGate?: SharedArrayBuffer };
useOrtGate(ortGate);
const post = (m: ModelJobMessage) => parentPort!.postMessage(m);

async function main(): Promise<void> {
  // setpriority(PRIO_PROCESS, 0) applies to the calling thread on Linux only; elsewhere it
  // would slow the whole app, so it is left alone there.
  if (process.platform === 'linux') {
    try {
      os.setPriority(19);
    } catch {
      /* not permitted: run at normal priority */
    }
  }
  // 'cancel' (app quit) stops between chunks of trials, so the thread ends on its own: terminating
  // it inside ONNX Runtime or SQLite native code can abort the whole process.
  const cancel = new AbortController();
  parentPort!.on('message', (m: { type?: unknown }) => {
    if (m?.type === 'cancel') cancel.abort();
  });
  const db = openDatabase(dbFile, nativeBinding ? { nativeBinding } : {});
  try {
    // The job's progress is the model's own; reference observers after it are quick and not counted.
    const s = await runModelSession(db, { ...request, signal: cancel.signal, onProgress: (done, total, beside) => (beside ? undefined : post({ type: 'progress', done, total })), onNote: (text) => console.error(text) });
    post({ type: 'done', sessionId: s.id });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  } finally {
    db.close();
    parentPort!.close();
  }
}

void main();
