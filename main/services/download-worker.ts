/**
 * Worker-thread entry: fetches, checks and imports a released PredNet (main/services/model-download.ts)
 * off the service threads, with its own connection to the lab database for registering the models.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../store/db.js';
import { downloadRelease, type DownloadProgress } from './model-download.js';

export interface DownloadRequest {
  release: string;
  destDir: string;
  url?: string;
  from?: string;
  /** Replaces the release's SHA-1 list (tests with their own archive); never set from a page. */
  expectedSha1?: Record<string, string>;
}
export type DownloadWorkerMessage = { type: 'progress'; progress: DownloadProgress } | { type: 'done'; modelIds: number[]; alreadyPresent: boolean } | { type: 'error'; message: string };

const { dbFile, nativeBinding, request } = workerData as { dbFile: string; nativeBinding?: string; request: DownloadRequest };
const post = (m: DownloadWorkerMessage) => parentPort!.postMessage(m);
const abort = new AbortController();
parentPort!.on('message', (m: { type: 'cancel' }) => m.type === 'cancel' && abort.abort());

async function main(): Promise<void> {
  const db = openDatabase(dbFile, nativeBinding ? { nativeBinding } : {});
  try {
    const r = await downloadRelease(db, { ...request, signal: abort.signal, onProgress: (progress) => post({ type: 'progress', progress }) });
    post({ type: 'done', modelIds: r.models.map((m) => m.id), alreadyPresent: r.alreadyPresent });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  } finally {
    db.close();
    parentPort!.close();
  }
}

void main();
