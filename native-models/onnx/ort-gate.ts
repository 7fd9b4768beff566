/**
 * ONNX Runtime calls in flight in this thread, readable by the thread that owns it.
 *
 * Terminating a worker thread while ONNX Runtime works for it aborts the whole process: the
 * binding's answer reaches a stopped JavaScript environment and throws a C++ exception ("terminate
 * called after throwing an instance of 'Napi::Error'", exit 134). So every thread that may run
 * ONNX Runtime counts its calls in a buffer its owner shares: the owner closes the gate (no new
 * call starts) and terminates the thread only once no call is in flight (main/thread-stop.ts).
 * A thread given no buffer counts in its own, which no one reads.
 */
import { PredlabError } from '../errors.js';

const IN_FLIGHT = 0;
const CLOSED = 1;

let gate = new Int32Array(new SharedArrayBuffer(8));

/** A buffer to hand a new worker (workerData.ortGate); the worker passes it to useOrtGate. */
export function newOrtGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

/** Count this thread's calls in `buffer` (from its owner). */
export function useOrtGate(buffer: SharedArrayBuffer | undefined): void {
  if (buffer instanceof SharedArrayBuffer && buffer.byteLength >= 8) gate = new Int32Array(buffer);
}

/** Run one ONNX Runtime call (a session's creation or run) counted; refused once the gate is closed. */
export async function ortCall<T>(call: () => Promise<T>): Promise<T> {
  if (Atomics.load(gate, CLOSED)) throw new PredlabError('conflict', 'Stopped: this work was cancelled (or PredLab is closing) before the model ran again.');
  Atomics.add(gate, IN_FLIGHT, 1);
  try {
    return await call();
  } finally {
    // After the binding has answered: from here the thread may be terminated.
    Atomics.sub(gate, IN_FLIGHT, 1);
  }
}

/** Owner side: no new call starts in the thread that counts in `buffer`. */
export function closeOrtGate(buffer: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(buffer), CLOSED, 1);
}

/** Owner side: calls in flight in the thread that counts in `buffer`. */
export function ortInFlight(buffer: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(buffer), IN_FLIGHT);
}
