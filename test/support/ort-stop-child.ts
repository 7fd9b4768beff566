/**
 * Starts workers that keep ONNX Runtime busy and stops each mid-run, as the app stops its threads
 * (`gated`: main/thread-stop.ts) or by terminating it at once (`terminate`); prints one line per
 * stop. An abort of this process is what the app must never do (see thread-stop.test.ts).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { gatedWorker, stopThread } from '../../main/thread-stop.js';

const [mode, times] = [process.argv[2], Number(process.argv[3])];
const entry = path.join(import.meta.dirname, 'ort-busy-worker-dev.mjs');
for (let i = 0; i < times; i++) {
  const worker = mode === 'gated' ? gatedWorker(entry, {}) : new Worker(entry);
  const said: string[] = [];
  worker.on('message', (m: string) => said.push(m));
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  await new Promise((r) => setTimeout(r, 5 + (i % 5) * 7));
  // Gated, every other stop gives the thread time to end by itself once its next call is refused
  // (its last message then arrives); the others terminate it as soon as no call is in flight.
  const waits = i % 2 === 0;
  if (mode === 'gated') await stopThread(worker, waits ? { waitMs: 20_000 } : {});
  else await worker.terminate();
  process.stdout.write(`stopped ${i + 1} ${waits ? 'waiting' : 'at once'}: ${said.slice(1).join('; ') || 'terminated'}\n`);
}
