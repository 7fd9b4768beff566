/**
 * Worker thread of the start-up integrity check (main/app-integrity.ts): hashing the app's files
 * (about 300 MB) stays off the Electron main thread. Bundled as dist/main/integrity-worker.cjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readManifest, verifyAppFiles } from './app-integrity.js';

const { appRoot, manifestFile, unpackedDir } = workerData as { appRoot: string; manifestFile: string; unpackedDir: string };
verifyAppFiles({ appRoot, manifest: readManifest(manifestFile), unpackedDir }).then(
  (problems) => parentPort!.postMessage({ problems }),
  (e: Error) => parentPort!.postMessage({ problems: [`${manifestFile}: ${e.message}`] }),
);
