/**
 * Stopping a worker thread that may run ONNX Runtime. Terminating one while ONNX Runtime works for
 * it aborts the whole process (native-models/onnx/ort-gate.ts says why), so such a thread is
 * created with a gate (`gatedWorker`) and stopped through it: the gate is closed (no new model call
 * starts), the thread is asked to end by itself and given `waitMs`, and only when no call is in
 * flight is it terminated.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { closeOrtGate, newOrtGate, ortInFlight } from '../native-models/onnx/ort-gate.js';

/** The longest a stop waits for a model call in flight (one batch, one training step) before terminating anyway. */
export const MODEL_CALL_WAIT_MS = 120_000;

const gates = new WeakMap<Worker, SharedArrayBuffer>();

/** A worker whose model calls are counted: its entry passes workerData.ortGate to useOrtGate. */
export function gatedWorker(entry: string, options: WorkerOptions & { workerData?: Record<string, unknown> }): Worker {
  const gate = newOrtGate();
  const worker = new Worker(entry, { ...options, workerData: { ...options.workerData, ortGate: gate } });
  gates.set(worker, gate);
  return worker;
}

const exited = (w: Worker) => w.threadId === -1;

/**
 * Stop `worker`: close its gate, post `ask` (its own cancel or close message) if given and wait up
 * to `waitMs` for it to end; then terminate it once no model call is in flight (at most
 * MODEL_CALL_WAIT_MS more). Resolves when it has ended.
 */
export async function stopThread(worker: Worker, opts: { ask?: unknown; waitMs?: number } = {}): Promise<void> {
  if (exited(worker)) return;
  const gate = gates.get(worker);
  if (gate) closeOrtGate(gate);
  if (opts.ask !== undefined) worker.postMessage(opts.ask);
  if (opts.waitMs) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => worker.once('exit', resolve)), new Promise((resolve) => (timer = setTimeout(resolve, opts.waitMs)))]);
    clearTimeout(timer);
    if (exited(worker)) return;
  }
  if (gate) {
    const deadline = Date.now() + MODEL_CALL_WAIT_MS;
    while (ortInFlight(gate) > 0 && Date.now() < deadline && !exited(worker)) await sleep(20);
  }
  if (!exited(worker)) await worker.terminate();
}
