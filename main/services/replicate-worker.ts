/**
 * Worker-thread entry of the Paper battery page: runs `runReplicate` off the service thread
 * (PredNet on every experiment takes minutes). People's values come measured by the caller, so
 * the worker needs no database. A 'cancel' message aborts between stimuli.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { useOrtGate } from '../../native-models/onnx/ort-gate.js';
import { runReplicate, type ReplicateRequest, type ReplicateResult } from './replicate.js';

export type ReplicateWorkerMessage = { type: 'progress'; fraction: number; message: string } | { type: 'done'; result: ReplicateResult } | { type: 'error'; message: string };

const { request, lab, ortGate } = workerData as { request: ReplicateRequest; lab: Record<string, unknown> | null; ortGate?: SharedArrayBuffer };
useOrtGate(ortGate);
const post = (m: ReplicateWorkerMessage) => parentPort!.postMessage(m);
const abort = new AbortController();
parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') abort.abort();
});

async function main(): Promise<void> {
  // Linux applies setpriority to this thread only: the display and the service threads keep theirs.
  if (process.platform === 'linux') {
    try {
      os.setPriority(19);
    } catch {
      /* not permitted: normal priority */
    }
  }
  try {
    const result = await runReplicate(request, { lab, signal: abort.signal, onProgress: (p) => post({ type: 'progress', ...p }) });
    post({ type: 'done', result });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
}

void main();
