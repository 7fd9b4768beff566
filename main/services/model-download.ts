/**
 * "Get the paper's model": fetch a released weights archive (or take a copy given as a zip or a
 * folder), check every file used against its git blob SHA-1, import the checkpoints and register
 * them with their provenance. All work happens in a hidden staging folder beside the destination;
 * the destination appears (one rename) and the models are registered (one transaction) only
 * when everything succeeded, so a failure leaves no partial folder and nothing registered.
 * Needs a tfjs backend; it calls initBackend itself. Run it off the Electron main thread.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { initBackend } from '../../native-models/backend.js';
import { CheckpointError, verifyCheckpoint } from '../../native-models/checkpoint.js';
import { importToCheckpoint, KerasImportError } from '../../native-models/keras-import.js';
import { manualSteps, RELEASES, type Release } from '../../native-models/released/kitti.js';
import { checkRegularFile, openRegularFile } from '../../native-models/safe-read.js';
import { makeStagingDir, staleStagingDirs } from '../../native-models/staging.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { tryBeginJob, tryEndJob } from './jobs.js';
import { registerCheckpoint, type ModelRecord } from './models.js';

export type DownloadProgress =
  | { phase: 'download'; bytes: number; total: number | null }
  | { phase: 'verify'; file: string; done: number; total: number }
  | { phase: 'import'; checkpoint: string; done: number; total: number };

export interface DownloadOptions {
  release: string;
  /** Folder that will hold one checkpoint folder per released model. */
  destDir: string;
  /** Where to download from (default: the release's URL). */
  url?: string;
  /** A copy obtained elsewhere: the zip, or the folder it unpacks to. */
  from?: string;
  /** git blob SHA-1 per release path; default: the release's own list (tests inject theirs). */
  expectedSha1?: Readonly<Record<string, string>>;
  onProgress?: (p: DownloadProgress) => void;
  /** A download that receives nothing for this long is abandoned (default 60 s). */
  stallTimeoutMs?: number;
  /** Cancels the job at the next chunk or file; nothing is left behind. */
  signal?: AbortSignal;
}

export interface DownloadResult {
  release: string;
  destDir: string;
  /** The checkpoints were there already (verified) and were only registered again. */
  alreadyPresent: boolean;
  origin: string;
  files: { path: string; gitBlobSha1: string }[];
  models: ModelRecord[];
}

const MAX_REDIRECTS = 5;

const cancelled = () => new PredlabError('unavailable', 'The model download was cancelled; nothing was imported.');
const isAbort = (e: unknown) => (e as Error)?.name === 'AbortError' || (e as NodeJS.ErrnoException)?.code === 'ABORT_ERR';
function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENETDOWN', 'EPROTO', 'CERT_HAS_EXPIRED', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN']);

/** sha1("blob <length>\0" + bytes): what `git hash-object` prints. */
export function gitBlobHasher(length: number): crypto.Hash {
  return crypto.createHash('sha1').update(`blob ${length}\0`);
}

export async function downloadRelease(db: Db, o: DownloadOptions): Promise<DownloadResult> {
  const release = RELEASES.get(o.release);
  if (!release) throw new PredlabError('invalid-argument', `Unknown release '${o.release}'; known: ${[...RELEASES.keys()].join(', ')}.`);
  if (o.url !== undefined && o.from !== undefined) throw new PredlabError('invalid-argument', 'Give --url or --from, not both.');
  const url = o.url ?? release.url;
  if (o.from === undefined) checkUrl(url);
  if (o.from !== undefined && !fs.existsSync(o.from)) throw new PredlabError('not-found', `${o.from} does not exist; give the downloaded model_data_keras2.zip or the folder it unpacks to.`);
  const expected = o.expectedSha1 ?? release.files;
  const missing = Object.keys(release.files).filter((p) => !/^[0-9a-f]{40}$/.test(expected[p] ?? ''));
  if (missing.length > 0 || Object.keys(expected).length !== Object.keys(release.files).length)
    throw new PredlabError('invalid-argument', `The checksum list must give a git blob SHA-1 for exactly these files: ${Object.keys(release.files).join(', ')}${missing.length ? `; missing or malformed: ${missing.join(', ')}` : ''}.`);
  const destDir = path.resolve(o.destDir);
  const origin = o.from !== undefined ? path.resolve(o.from) : url;

  // What a killed earlier download left (a partial archive can be gigabytes) goes first.
  for (const d of staleStagingDirs(destDir, 'downloading')) fs.rmSync(d, { recursive: true, force: true });
  if (fs.existsSync(destDir) && !fs.statSync(destDir).isDirectory()) throw new PredlabError('conflict', `${destDir} is a file; give a folder for the checkpoints.`);
  if (fs.existsSync(destDir) && fs.readdirSync(destDir).length > 0) return reRegister(db, release, expected, destDir, origin);

  const parent = path.dirname(destDir);
  const madeParent = !fs.existsSync(parent);
  const staging = makeStagingDir(destDir, 'downloading');
  // The download's job owns its staging folder (a partial archive can be gigabytes): a killed
  // download's is removed at the next start-up, not only at the next download.
  const job = tryBeginJob(db, { kind: 'download', target: destDir, partials: [staging] });
  let outcome: 'done' | 'failed' | 'cancelled' = 'failed';
  try {
    const filesDir = path.join(staging, 'files');
    let sourceDir: string;
    let hashes: Map<string, string>;
    if (o.from !== undefined && fs.statSync(o.from).isDirectory()) {
      sourceDir = fs.existsSync(path.join(o.from, release.archiveRoot)) ? path.join(o.from, release.archiveRoot) : o.from;
      hashes = await hashFolder(release, expected, sourceDir, o.onProgress, o.signal);
    } else {
      const zip = o.from ?? path.join(staging, 'archive.zip');
      // A given archive must be a regular file (not a FIFO or a device, nor a link to one).
      if (o.from !== undefined) checkRegularFile(o.from, release.maxArchiveBytes, 'archive');
      if (o.from === undefined) await download(url, zip, release, o.onProgress, o.stallTimeoutMs ?? 60_000, o.signal);
      checkCancelled(o.signal);
      hashes = await extractZip(release, expected, zip, filesDir, o.onProgress, o.signal);
      sourceDir = filesDir;
    }
    const bad = Object.entries(expected).filter(([p, sha]) => hashes.get(p) !== sha);
    if (bad.length > 0) {
      // One line: the first file's hashes, the others by name.
      const lines = bad.map(([p, sha]) => `${p} does not match the release (git blob SHA-1 ${hashes.get(p)}, expected ${sha})`);
      const [first, ...rest] = lines;
      const what = o.from !== undefined ? 'copy' : 'download';
      throw new PredlabError(
        'invalid-argument',
        `${rest.length === 0 ? `${first}. ` : `${bad.length} of ${Object.keys(expected).length} files differ from the release: ${first}; also ${bad.slice(1).map(([p]) => p).join(', ')}. `}The ${what} is corrupted${bad.length === Object.keys(expected).length ? ', or not the release' : ''}; nothing was imported.${o.from === undefined ? ' Run the command again; if the same file fails again, the archive at that address is not the release.' : ''}${rest.length ? ' (--verbose lists every file.)' : ''}`,
        lines,
      );
    }

    await initBackend();
    const outDir = path.join(staging, 'out');
    const downloadedAt = new Date().toISOString();
    for (const [i, c] of release.checkpoints.entries()) {
      checkCancelled(o.signal);
      o.onProgress?.({ phase: 'import', checkpoint: c.id, done: i, total: release.checkpoints.length });
      await importToCheckpoint(path.join(sourceDir, c.weights), path.join(outDir, c.id), {
        modelJson: path.join(sourceDir, c.modelJson),
        source: {
          file: `${release.archiveRoot}/${c.weights}`,
          modelJson: { file: `${release.archiveRoot}/${c.modelJson}`, gitBlobSha1: expected[c.modelJson] },
          release: { id: release.id, title: release.title, checkpoint: c.id, about: c.about, origin, gitBlobSha1: expected[c.weights], credit: release.credit, downloadedAt },
        },
      });
    }
    o.onProgress?.({ phase: 'import', checkpoint: '', done: release.checkpoints.length, total: release.checkpoints.length });
    checkCancelled(o.signal);

    try {
      if (fs.existsSync(destDir)) fs.rmdirSync(destDir); // empty (checked above)
      fs.renameSync(outDir, destDir);
    } catch (e) {
      throw new PredlabError('conflict', `Could not move the checkpoints into ${destDir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): did another download fill it meanwhile? Nothing was registered.`);
    }
    let models: ModelRecord[];
    try {
      models = registerAll(db, release, destDir);
    } catch (e) {
      fs.rmSync(destDir, { recursive: true, force: true });
      throw e;
    }
    outcome = 'done';
    return { release: release.id, destDir, alreadyPresent: false, origin, files: Object.keys(expected).map((p) => ({ path: p, gitBlobSha1: hashes.get(p)! })), models };
  } catch (e) {
    if (o.signal?.aborted) outcome = 'cancelled';
    if (e instanceof KerasImportError || e instanceof CheckpointError) throw new PredlabError('invalid-argument', `The release's files could not be imported: ${e.message}`);
    throw e;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    tryEndJob(db, job, outcome);
    if (madeParent && fs.readdirSync(parent).length === 0) fs.rmdirSync(parent);
  }
}

function registerAll(db: Db, release: Release, destDir: string): ModelRecord[] {
  return db.transaction(() => release.checkpoints.map((c) => registerCheckpoint(db, path.join(destDir, c.id), c.label)))();
}

/** The destination holds an earlier download: verify it (intact, and made from these very files) and register it again, or refuse. */
function reRegister(db: Db, release: Release, expected: Readonly<Record<string, string>>, destDir: string, origin: string): DownloadResult {
  for (const c of release.checkpoints) {
    let made: unknown;
    try {
      made = (verifyCheckpoint(path.join(destDir, c.id)).manifest.source.release as { gitBlobSha1?: unknown } | undefined)?.gitBlobSha1;
    } catch (e) {
      throw new PredlabError('conflict', `${destDir} exists but is not a complete, intact download of '${release.id}' (${(e as Error).message}) Delete it or choose another folder.`);
    }
    if (made !== expected[c.weights])
      throw new PredlabError('conflict', `${destDir} exists but ${c.id} in it was made from other files (git blob SHA-1 ${String(made)}, the release's ${c.weights} is ${expected[c.weights]}). Delete it or choose another folder.`);
  }
  return { release: release.id, destDir, alreadyPresent: true, origin, files: [], models: registerAll(db, release, destDir) };
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PredlabError('invalid-argument', `'${url}' is not a URL.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new PredlabError('invalid-argument', `Only http and https URLs can be downloaded; got ${u.protocol}`);
}

const releasePath = (release: Release, entryName: string): string => (entryName.startsWith(`${release.archiveRoot}/`) ? entryName.slice(release.archiveRoot.length + 1) : entryName);

async function hashFolder(release: Release, expected: Readonly<Record<string, string>>, dir: string, onProgress: DownloadOptions['onProgress'], signal: AbortSignal | undefined): Promise<Map<string, string>> {
  const missing = Object.keys(expected).filter((p) => !fs.existsSync(path.join(dir, p)));
  if (missing.length > 0) throw new PredlabError('invalid-argument', `${dir} is not the ${release.archiveRoot} folder of the release: missing ${missing.join(', ')}.`);
  const hashes = new Map<string, string>();
  // Every file a regular one (a link to /dev/zero or a FIFO would be hashed for ever) within the
  // per-file limit, and all of them within the release's budget, before any is read.
  const opened: { p: string; fd: number; size: number }[] = [];
  try {
    for (const p of Object.keys(expected)) opened.push({ p, ...openRegularFile(path.join(dir, p), release.maxFileBytes, 'release file') });
    const total = opened.reduce((a, o) => a + o.size, 0);
    if (total > release.maxExtractBytes) throw new PredlabError('invalid-argument', `The release's files in ${dir} come to ${total} bytes; at most ${release.maxExtractBytes} are read. Nothing was imported.`);
    for (const [i, o] of opened.entries()) {
      checkCancelled(signal);
      onProgress?.({ phase: 'verify', file: o.p, done: i, total: opened.length });
      const h = gitBlobHasher(o.size);
      await pipeline(fs.createReadStream('', { fd: o.fd, autoClose: false, start: 0, end: Math.max(0, o.size - 1) }), h);
      hashes.set(o.p, h.digest('hex'));
    }
  } finally {
    for (const o of opened) fs.closeSync(o.fd);
  }
  return hashes;
}

/** The declared uncompressed size of the wanted entries (first copy of each), from the central directory only. */
async function declaredSizes(zip: string, release: Release, wanted: string[]): Promise<number> {
  let z: yauzl.ZipFile;
  try {
    z = await openZip(zip);
  } catch (e) {
    throw new PredlabError('invalid-argument', `${zip} is not a readable zip archive (${(e as Error).message}).`);
  }
  const seen = new Set<string>();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      z.on('error', reject);
      z.on('end', resolve);
      z.on('entry', (entry: yauzl.Entry) => {
        const p = releasePath(release, entry.fileName);
        if (wanted.includes(p) && !seen.has(p)) {
          seen.add(p);
          total += entry.uncompressedSize;
        }
        z.readEntry();
      });
      z.readEntry();
    });
  } catch (e) {
    z.close();
    throw new PredlabError('invalid-argument', `${zip} is damaged: ${(e as Error).message}. Nothing was imported.`);
  }
  return total;
}

const openZip = (file: string) =>
  new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false }, (e, z) => (e ? reject(e) : resolve(z))));

/** Extract the release's files (and only those) from the zip, hashing them as they stream out. */
async function extractZip(release: Release, expected: Readonly<Record<string, string>>, zip: string, outDir: string, onProgress: DownloadOptions['onProgress'], signal: AbortSignal | undefined): Promise<Map<string, string>> {
  let z: yauzl.ZipFile;
  try {
    z = await openZip(zip);
  } catch (e) {
    throw new PredlabError('invalid-argument', `${zip} is not a readable zip archive (${(e as Error).message}).`);
  }
  const wanted = Object.keys(expected);
  const hashes = new Map<string, string>();
  // The budget of the whole extraction from the central directory, before anything is written:
  // the files used (first copy of each), as declared. yauzl's validateEntrySizes then stops an
  // entry that inflates past its declared size, and the bytes written are counted as they come.
  const declared = await declaredSizes(zip, release, wanted);
  if (declared > release.maxExtractBytes) {
    z.close();
    throw new PredlabError('invalid-argument', `${zip} declares ${declared} bytes for the release's files; at most ${release.maxExtractBytes} are extracted (a zip bomb, or not the release). Nothing was written.`);
  }
  let written = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      z.on('error', reject);
      z.on('end', resolve);
      z.on('entry', (entry: yauzl.Entry) => {
        if (signal?.aborted) return reject(cancelled());
        const p = releasePath(release, entry.fileName);
        if (!wanted.includes(p) || hashes.has(p)) return z.readEntry();
        if (entry.uncompressedSize > release.maxFileBytes) return reject(new PredlabError('invalid-argument', `${entry.fileName} in the archive is ${entry.uncompressedSize} bytes; release files over ${release.maxFileBytes} bytes are refused.`));
        onProgress?.({ phase: 'verify', file: p, done: hashes.size, total: wanted.length });
        z.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          const target = path.join(outDir, p);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          const h = gitBlobHasher(entry.uncompressedSize);
          stream.on('data', (chunk: Buffer) => {
            h.update(chunk);
            written += chunk.length;
            if (written > release.maxExtractBytes) stream.destroy(new PredlabError('invalid-argument', `${zip} inflates past ${release.maxExtractBytes} bytes for the release's files; extraction stopped, nothing was imported.`));
          });
          pipeline(stream, fs.createWriteStream(target))
            .then(() => {
              hashes.set(p, h.digest('hex'));
              z.readEntry();
            })
            .catch(reject);
        });
      });
      z.readEntry();
    });
  } catch (e) {
    z.close();
    if (e instanceof PredlabError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw diskFull(outDir);
    throw new PredlabError('invalid-argument', `${zip} is damaged: ${(e as Error).message}. Nothing was imported.`);
  }
  const missing = wanted.filter((p) => !hashes.has(p));
  if (missing.length > 0) throw new PredlabError('invalid-argument', `${zip} is not the release archive ${release.archiveRoot}.zip: it lacks ${missing.join(', ')}.`);
  return hashes;
}

/** GET url into file, following redirects, with progress, a size limit and a stall timeout. */
async function download(url: string, file: string, release: Release, onProgress: DownloadOptions['onProgress'], stallMs: number, signal: AbortSignal | undefined): Promise<void> {
  let current = url;
  for (let hop = 0; ; hop++) {
    checkCancelled(signal);
    const res = await request(current, release, stallMs, signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new PredlabError('unavailable', `${url} redirects more than ${MAX_REDIRECTS} times; giving up.`);
      current = new URL(res.headers.location, current).toString();
      checkUrl(current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new PredlabError('unavailable', `The server answered ${status} ${res.statusMessage ?? ''} for ${current}; nothing was imported. ${manualSteps(release, url)}`);
    }
    if (/text\/html/i.test(String(res.headers['content-type'] ?? ''))) {
      res.resume();
      throw new PredlabError('unavailable', `${current} sent a web page, not the zip archive (the link may have changed); nothing was imported. ${manualSteps(release, url)}`);
    }
    const total = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
    if (total !== null && total > release.maxArchiveBytes) {
      res.destroy();
      throw new PredlabError('invalid-argument', `${current} is ${total} bytes; archives over ${release.maxArchiveBytes} bytes are refused.`);
    }
    let bytes = 0;
    let lastReport = 0;
    onProgress?.({ phase: 'download', bytes, total });
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > release.maxArchiveBytes) res.destroy(new PredlabError('invalid-argument', `${current} sent more than ${release.maxArchiveBytes} bytes; archives over that are refused.`));
      const now = Date.now();
      if (now - lastReport > 100) {
        lastReport = now;
        onProgress?.({ phase: 'download', bytes, total });
      }
    });
    try {
      await pipeline(res, fs.createWriteStream(file), ...(signal ? [{ signal }] : []));
    } catch (e) {
      if (e instanceof PredlabError) throw e;
      if (isAbort(e)) throw cancelled();
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw diskFull(file);
      throw brokenOff(url, bytes, total, stalled.has(res) ? new Error(`no data for ${stallMs / 1000} s`) : e, release);
    }
    if (total !== null && bytes !== total) throw brokenOff(url, bytes, total, null, release);
    onProgress?.({ phase: 'download', bytes, total });
    return;
  }
}

const diskFull = (where: string) => new PredlabError('storage', `The disk is full (writing ${where}); nothing was imported. Free some space and run the command again.`);

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function brokenOff(url: string, bytes: number, total: number | null, e: unknown, release: Release): PredlabError {
  const why = e ? ` (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` : '';
  return new PredlabError('unavailable', `The download of ${url} broke off after ${mb(bytes)}${total !== null ? ` of ${mb(total)}` : ''}${why}; nothing was imported. Run the command again. ${manualSteps(release, url)}`);
}

/** Responses abandoned because the server stopped sending. */
const stalled = new WeakSet<http.IncomingMessage>();

function request(url: string, release: Release, stallMs: number, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    let response: http.IncomingMessage | null = null;
    const req = get(url, { headers: { 'user-agent': 'PredLab (model download)' }, ...(signal ? { signal } : {}) }, (res) => resolve((response = res)));
    req.setTimeout(stallMs, () => {
      // Mid-body the response only sees a reset: remember that it was our timeout.
      if (response) stalled.add(response);
      req.destroy(Object.assign(new Error(`no data for ${stallMs / 1000} s`), { code: 'ETIMEDOUT' }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (isAbort(e)) return reject(cancelled());
      const host = new URL(url).host;
      if (OFFLINE_CODES.has(e.code ?? '') || e.code === 'ECONNRESET')
        reject(new PredlabError('unavailable', `Cannot reach ${host} (${e.code}): this machine seems to be offline, or the site is blocked. Nothing was downloaded.\n${manualSteps(release, url)}`));
      else reject(new PredlabError('unavailable', `Downloading ${url} failed (${e.code ?? e.message}); nothing was imported.\n${manualSteps(release, url)}`));
    });
  });
}
