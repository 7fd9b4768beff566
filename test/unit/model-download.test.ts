/**
 * `predlab model download kitti` against a loopback HTTP server serving a release archive the
 * test builds (random weights, the release's exact layout): success, redirects, the real
 * checksum list as default, a corrupted file, a broken connection, offline, and local copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../main/bootstrap.js';
import { DownloadJobs } from '../../main/services/download-jobs.js';
import { downloadRelease, gitBlobHasher } from '../../main/services/model-download.js';
import type { DownloadJob } from '../../preload/channels/models.js';
import { listModels } from '../../main/services/models.js';
import { openDatabase } from '../../main/store/db.js';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint } from '../../native-models/checkpoint.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { KITTI_RELEASE } from '../../native-models/released/kitti.js';
import { cli } from '../support/cli.js';
import { readLab, tempDir } from '../support/db.js';
import { randomWeights, RELEASE_FILES, writeReleaseFolder, zipReleaseFolder } from './model-download.fixture.js';
import { parseEvents } from '../support/events.js';

const cfg = predNetConfigSchema.parse({ height: 8, width: 16, stackSizes: [3, 4, 6], rStackSizes: [3, 5, 6], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3] });
let dir: string;
let releaseDir: string;
let sums: Record<string, string>;
let sumsFile: string;
let good: Buffer;
let corrupted: Buffer;
let server: http.Server;
let base: string;

const modelsIn = (db: string) => readLab(db, listModels);

beforeAll(async () => {
  await initBackend();
  dir = tempDir('predlab-download-');
  releaseDir = path.join(dir, 'release', 'model_data_keras2');
  sums = await writeReleaseFolder(releaseDir, cfg);
  sumsFile = path.join(dir, 'sums.json');
  fs.writeFileSync(sumsFile, JSON.stringify(sums));
  good = zipReleaseFolder(releaseDir);
  // The same archive with one byte of the L_all weights changed (a valid zip of a wrong file).
  const bad = path.join(dir, 'bad', 'model_data_keras2');
  fs.cpSync(releaseDir, bad, { recursive: true });
  const lall = path.join(bad, RELEASE_FILES.weightsLall);
  const bytes = fs.readFileSync(lall);
  bytes[bytes.length - 100]! ^= 0xff;
  fs.writeFileSync(lall, bytes);
  corrupted = zipReleaseFolder(bad);
  server = http.createServer((req, res) => {
    const send = (body: Buffer) => res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length }).end(body);
    if (req.url === '/model_data_keras2.zip') send(good);
    else if (req.url === '/corrupted.zip') send(corrupted);
    else if (req.url === '/redirect') res.writeHead(302, { location: '/model_data_keras2.zip' }).end();
    else if (req.url === '/page') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>preview</html>');
    else if (req.url === '/broken.zip') {
      // Promise the whole archive, send half, then drop the connection.
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': good.length });
      res.write(good.subarray(0, good.length >> 1), () => setTimeout(() => res.socket?.destroy(), 50));
    } else if (req.url === '/slow.zip') {
      // The archive in small pieces, slowly, until the client goes away.
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': good.length });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed || at >= good.length) return clearInterval(timer);
        res.write(good.subarray(at, (at += 16384)));
      }, 20);
      res.on('close', () => clearInterval(timer));
    } else if (req.url === '/stall.zip') {
      // Half the archive, then nothing more (the client is killed meanwhile).
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': good.length });
      res.write(good.subarray(0, good.length >> 1));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

/** The destination's parent holds nothing but what was there before (no staging folder left). */
const entries = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);

describe('predlab model download kitti', () => {
  it('downloads, checks, imports and registers the three checkpoints with their provenance; a second run re-registers', async () => {
    const db = path.join(dir, 'ok.sqlite');
    const out = path.join(dir, 'models', 'prednet-kitti');
    const r = await cli('--db', db, 'model', 'download', 'kitti', '--url', `${base}/model_data_keras2.zip`, '--checksums', sumsFile, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/checking tensorflow_weights\/prednet_kitti_weights\.hdf5 \(\d\/5\)/);
    expect(r.err).toMatch(/importing prednet_kitti-extrapfinetuned \(2\/3\)/);
    expect(r.out).toMatch(/Checked 5 files against the release's SHA-1s and imported 3 checkpoints/);
    expect(entries(path.dirname(out))).toEqual(['prednet-kitti']);
    const models = modelsIn(db);
    expect(models.map((m) => [m.label, path.relative(out, m.path)])).toEqual(KITTI_RELEASE.checkpoints.map((c) => [c.label, c.id]));
    for (const [i, c] of KITTI_RELEASE.checkpoints.entries()) {
      const ck = loadCheckpoint(path.join(out, c.id));
      expect(ck.manifest.source).toMatchObject({ kind: 'keras-import', file: `model_data_keras2/${c.weights}`, dataFormat: 'channels_first', release: { id: 'kitti', checkpoint: c.id, origin: `${base}/model_data_keras2.zip`, gitBlobSha1: sums[c.weights] } });
      expect(ck.manifest.extrapStartTime).toBe(c.id.includes('extrap') ? 10 : null);
      // The weights are exactly the ones written into the release (seeds 1, 2, 3 in file order).
      const want = randomWeights(cfg, [1, 2, 3][i]);
      const got = ck.net.kerasWeights();
      for (const [n, w] of want) expect(got.get(n)!.dataSync(), n).toEqual(w.data);
      tf.dispose([...got.values()]);
      ck.net.dispose();
    }
    expect(loadCheckpoint(path.join(out, 'prednet_kitti-Lall')).manifest.source.layerLossWeights).toEqual([1, 0.1, 0.1]);

    const again = await cli('--db', db, 'model', 'download', 'kitti', '--url', `${base}/model_data_keras2.zip`, '--checksums', sumsFile, '--out', out, '--json');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ alreadyPresent: true });
    expect(modelsIn(db).map((m) => m.id)).toEqual(models.map((m) => m.id));
    // --events: the Data page's 'download' events (as the app's download job says them).
    const ev = await cli('--db', db, '--events', 'model', 'download', 'kitti', '--url', `${base}/model_data_keras2.zip`, '--checksums', sumsFile, '--out', out);
    expect(ev.code, ev.err).toBe(0);
    const jobs = parseEvents(ev.err).map((e) => (expect(e.topic).toBe('download'), e.value as DownloadJob));
    // A quick job may coalesce into its one last event (the newest state is what is sent).
    for (const j of jobs) expect(j).toMatchObject({ id: 1, release: 'kitti', destDir: out });
    expect(jobs.at(-1)).toMatchObject({ state: 'done', modelIds: models.map((m) => m.id), detail: 'already downloaded: registered again', error: null });
    // Checked against the real release's list, these test checkpoints are not taken for the paper's.
    const real = await cli('--db', db, 'model', 'download', 'kitti', '--from', releaseDir, '--out', out);
    expect(real.code).toBe(1);
    expect(real.err).toMatch(/prednet-kitti exists but prednet_kitti in it was made from other files \(git blob SHA-1 [0-9a-f]{40}, the release's tensorflow_weights\/prednet_kitti_weights\.hdf5 is 777ad23a53c104ccc645c6bff6db4fb582d27ba3\)\. Delete it or choose another folder\./);
  }, 120_000);

  it('checks against the real release list by default (after a redirect): a test archive is refused, file by file', async () => {
    const db = path.join(dir, 'real.sqlite');
    const out = path.join(dir, 'real', 'prednet-kitti');
    const r = await cli('--db', db, '--verbose', 'model', 'download', 'kitti', '--url', `${base}/redirect`, '--out', out);
    expect(r.code).toBe(1);
    // One line, then (--verbose) every file's checksums.
    expect(r.err.split('\n').filter((l) => l.startsWith('predlab: '))).toHaveLength(1);
    expect(r.err).toMatch(/prednet_kitti_weights\.hdf5 does not match the release \(git blob SHA-1 [0-9a-f]{40}, expected 777ad23a53c104ccc645c6bff6db4fb582d27ba3\)/);
    expect(r.err).toMatch(/prednet_kitti_model-extrapfinetuned\.json does not match .*expected bd0a0fdaae44645029ee1dec56c64b3c35a2fe9f/);
    expect(modelsIn(db)).toEqual([]);
    expect(entries(path.dirname(out))).toEqual([]);
  });

  it('refuses a corrupted file by name: nothing registered, no folder left', async () => {
    const db = path.join(dir, 'corrupt.sqlite');
    const out = path.join(dir, 'corrupt', 'prednet-kitti');
    const r = await cli('--db', db, 'model', 'download', 'kitti', '--url', `${base}/corrupted.zip`, '--checksums', sumsFile, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^predlab: tensorflow_weights\/prednet_kitti_weights-Lall\.hdf5 does not match the release \(git blob SHA-1 [0-9a-f]{40}, expected [0-9a-f]{40}\)\. The download is corrupted; nothing was imported\./m);
    expect(r.err).not.toMatch(/prednet_kitti_weights\.hdf5 does not match|\n\s+at /);
    expect(modelsIn(db)).toEqual([]);
    expect(entries(path.dirname(out))).toEqual([]);
  });

  it('a broken connection: a clear message, nothing registered, no partial folder', async () => {
    const db = path.join(dir, 'broken.sqlite');
    const out = path.join(dir, 'broken', 'prednet-kitti');
    const r = await cli('--db', db, 'model', 'download', 'kitti', '--url', `${base}/broken.zip`, '--checksums', sumsFile, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/The download of http:\/\/127\.0\.0\.1:\d+\/broken\.zip broke off after [\d.]+ MB of [\d.]+ MB .*nothing was imported/);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(modelsIn(db)).toEqual([]);
    expect(entries(path.dirname(out))).toEqual([]);
  });

  it('a download killed (SIGKILL) mid-way leaves nothing registered; the next run clears its leftovers and succeeds', async () => {
    const db = path.join(dir, 'killed.sqlite');
    const out = path.join(dir, 'killed', 'prednet-kitti');
    modelsIn(db); // the database exists before the child writes anything
    const child = spawn(process.execPath, ['bin/predlab.js', '--db', db, 'model', 'download', 'kitti', '--url', `${base}/stall.zip`, '--checksums', sumsFile, '--out', out], { stdio: 'ignore' });
    const partial = () => entries(path.dirname(out)).filter((n) => n.startsWith('.prednet-kitti.downloading-') && fs.existsSync(path.join(path.dirname(out), n, 'archive.zip')));
    const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    for (let i = 0; i < 600 && partial().length === 0 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(partial()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 200)); // bytes arrive in the archive
    child.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    expect(modelsIn(db)).toEqual([]);
    expect(fs.existsSync(out)).toBe(false);
    // The next start of the lab (any command that opens it) removes the killed download's staging folder.
    const start = await cli('--db', db, 'dataset', 'list');
    expect(start.code, start.err).toBe(0);
    expect(start.err).toMatch(/download job \d+ .* interrupted; removed its partial file\(s\)\/folder\(s\) .*\.prednet-kitti\.downloading-/);
    expect(entries(path.dirname(out))).toEqual([]);
    const again = await cli('--db', db, 'model', 'download', 'kitti', '--url', `${base}/model_data_keras2.zip`, '--checksums', sumsFile, '--out', out);
    expect(again.code, again.err).toBe(0);
    expect(entries(path.dirname(out))).toEqual(['prednet-kitti']);
    expect(modelsIn(db)).toHaveLength(3);
  }, 120_000);

  it('a server that stops sending is given up after the stall timeout: a clear message, nothing left', async () => {
    const db = openDatabase(path.join(dir, 'stall.sqlite'));
    const out = path.join(dir, 'stall', 'prednet-kitti');
    try {
      await expect(downloadRelease(db, { release: 'kitti', destDir: out, url: `${base}/stall.zip`, expectedSha1: sums, stallTimeoutMs: 500 })).rejects.toThrow(/The download of .*stall\.zip broke off after [\d.]+ MB of [\d.]+ MB \(.*no data for 0\.5 s.*\); nothing was imported/);
      expect(listModels(db)).toEqual([]);
      expect(entries(path.dirname(out))).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('hashes files as `git hash-object` does', async () => {
    const files = { empty: Buffer.alloc(0), text: Buffer.from('PredNet\n'), binary: Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 255)) };
    for (const [name, bytes] of Object.entries(files)) {
      const file = path.join(dir, `hash-${name}`);
      fs.writeFileSync(file, bytes);
      const git = execFileSync('git', ['hash-object', '--no-filters', file], { encoding: 'utf8' }).trim();
      expect(gitBlobHasher(bytes.length).update(bytes).digest('hex'), name).toBe(git);
    }
  });

  it('offline: says what to download and how to import it by hand', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const db = path.join(dir, 'offline.sqlite');
    const out = path.join(dir, 'offline', 'prednet-kitti');
    const r = await cli('--db', db, 'model', 'download', 'kitti', '--url', `http://127.0.0.1:${port}/model_data_keras2.zip`, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): this machine seems to be offline/);
    expect(r.err).toMatch(/predlab model download kitti --from model_data_keras2\.zip/);
    expect(r.err).toMatch(/predlab model import-keras model_data_keras2\/tensorflow_weights\/prednet_kitti_weights\.hdf5 --model-json model_data_keras2\/prednet_kitti_model\.json/);
    expect(modelsIn(db)).toEqual([]);
    expect(entries(path.dirname(out))).toEqual([]);
  });

  it('a web page or a 404 instead of the archive is refused with the way out', async () => {
    const db = path.join(dir, 'page.sqlite');
    const page = await cli('--db', db, 'model', 'download', 'kitti', '--url', `${base}/page`, '--checksums', sumsFile, '--out', path.join(dir, 'page', 'k'));
    expect(page.err).toMatch(/sent a web page, not the zip archive .*--from/s);
    const missing = await cli('--db', db, 'model', 'download', 'kitti', '--url', `${base}/nothing.zip`, '--checksums', sumsFile, '--out', path.join(dir, 'page', 'k'));
    expect(missing.err).toMatch(/The server answered 404/);
    const ftp = await cli('--db', db, 'model', 'download', 'kitti', '--url', 'ftp://example.org/x.zip', '--out', path.join(dir, 'page', 'k'));
    expect(ftp.err).toMatch(/Only http and https URLs/);
    expect(modelsIn(db)).toEqual([]);
    expect(entries(path.join(dir, 'page'))).toEqual([]);
  });

  it('can be cancelled mid-download: nothing registered, no folder left', async () => {
    const db = openDatabase(path.join(dir, 'cancel.sqlite'));
    const out = path.join(dir, 'cancel', 'prednet-kitti');
    const ac = new AbortController();
    try {
      await expect(
        downloadRelease(db, { release: 'kitti', destDir: out, url: `${base}/slow.zip`, expectedSha1: sums, signal: ac.signal, onProgress: (p) => p.phase === 'download' && p.bytes > 0 && ac.abort() }),
      ).rejects.toThrow(/The model download was cancelled; nothing was imported/);
      expect(listModels(db)).toEqual([]);
      expect(entries(path.dirname(out))).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('--from a zip or the unpacked folder does the same without the network', async () => {
    const zip = path.join(dir, 'model_data_keras2.zip');
    fs.writeFileSync(zip, good);
    for (const from of [zip, path.dirname(releaseDir), releaseDir]) {
      const db = openDatabase(path.join(dir, `from-${path.basename(from)}.sqlite`));
      try {
        const phases = new Set<string>();
        const r = await downloadRelease(db, { release: 'kitti', destDir: path.join(dir, `from-${path.basename(from)}`, 'kitti'), from, expectedSha1: sums, onProgress: (p) => phases.add(p.phase) });
        expect(r.models).toHaveLength(3);
        expect(r.origin).toBe(from);
        expect([...phases]).toEqual(['verify', 'import']);
      } finally {
        db.close();
      }
    }
    const db = openDatabase(path.join(dir, 'from-bad.sqlite'));
    try {
      await expect(downloadRelease(db, { release: 'kitti', destDir: path.join(dir, 'from-bad', 'k'), from: path.join(dir, 'bad') })).rejects.toThrow(/^5 of 5 files differ from the release: \S+ does not match the release \(git blob SHA-1 [0-9a-f]{40}, expected [0-9a-f]{40}\); also [^\n]*prednet_kitti_model\.json[^\n]*\. The copy is corrupted, or not the release; nothing was imported[^\n]*$/);
      await expect(downloadRelease(db, { release: 'kitti', destDir: path.join(dir, 'from-bad', 'k'), from: sumsFile })).rejects.toThrow(/not a readable zip archive/);
      await expect(downloadRelease(db, { release: 'mnist', destDir: path.join(dir, 'from-bad', 'k') })).rejects.toThrow(/Unknown release 'mnist'; known: kitti/);
      expect(listModels(db)).toEqual([]);
    } finally {
      db.close();
    }
  }, 120_000);
});

/** Polls a download job (as the page does) until it ends; returns its last state and the phases seen. */
async function waitForJob(status: () => Promise<DownloadJob | null> | DownloadJob | null, onPhase?: (j: DownloadJob) => void): Promise<{ job: DownloadJob; phases: string[] }> {
  const phases: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const j = await status();
    if (j && !phases.includes(j.phase)) phases.push(j.phase);
    if (j) onPhase?.(j);
    if (j && j.state !== 'running') return { job: j, phases };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the download job did not end within 120 s');
}

describe("the app's download (models:download, in a worker thread)", () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const APP_PAGE = 'app://predlab/index.html';

  it('through the app: progress is polled, a test archive is refused against the real SHA-1s by name, nothing is registered; a second start while one runs is refused; cancel stops a slow one', async () => {
    const dataDir = tempDir('predlab-download-app-');
    // The archive's address is set outside the page (PREDLAB_MODEL_MIRROR in the app); the page never names one.
    let mirror: string | null = null;
    let picked: string | null = null;
    const app = bootstrap({ dataDir, appRoot: root, chooseExportDir: async () => null, modelMirror: () => mirror, chooseImportSource: async (kind) => (kind === 'archive' ? picked : null) });
    const call = async (channel: string, args: unknown = {}) => {
      const e = await app.handleFromPage(APP_PAGE, channel, args);
      if (!e.ok) throw new Error(`${e.error.code}: ${e.error.message}`);
      return e.value;
    };
    try {
      await app.ready;
      const before = (await call('models:list')) as { id: number }[];
      expect(await call('models:download-status')).toBeNull();
      // A page cannot name an address (loopback services, metadata addresses): refused.
      for (const url of ['file:///etc/passwd', 'http://169.254.169.254/latest/meta-data/', `${base}/model_data_keras2.zip`]) {
        const bad = await app.handleFromPage(APP_PAGE, 'models:download', { release: 'kitti', url });
        expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
        expect((bad as { error: { message: string } }).error.message).toMatch(/Unrecognized key.*url/);
      }
      // A file the user picks in the dialog: cancelled (none picked), then the test archive.
      expect(await app.handleFromPage(APP_PAGE, 'models:download', { release: 'kitti', fromFile: true })).toMatchObject({ ok: false, error: { message: 'Cancelled: no archive was chosen.' } });

      mirror = `${base}/model_data_keras2.zip`;
      await call('models:download', { release: 'kitti' });
      const refused = await waitForJob(() => call('models:download-status') as Promise<DownloadJob | null>);
      expect(refused.job.state).toBe('error');
      expect(refused.job.error).toMatch(/prednet_kitti_weights\.hdf5 does not match the release \(git blob SHA-1 [0-9a-f]{40}, expected 777ad23a53c104ccc645c6bff6db4fb582d27ba3\)/);
      expect(refused.phases).toContain('verify');
      expect(((await call('models:list')) as { id: number }[]).length).toBe(before.length);
      expect(entries(path.join(dataDir, 'models'))).toEqual([]);

      mirror = `${base}/slow.zip`;
      await call('models:download', { release: 'kitti' });
      const second = await app.handleFromPage(APP_PAGE, 'models:download', { release: 'kitti' });
      expect(second).toMatchObject({ ok: false, error: { code: 'conflict' } });
      let cancelled = false;
      const slow = await waitForJob(
        () => call('models:download-status') as Promise<DownloadJob | null>,
        (j) => {
          if (!cancelled && j.phase === 'download' && j.done > 0) {
            cancelled = true;
            void call('models:download-cancel');
          }
        },
      );
      expect(slow.job.state).toBe('cancelled');
      expect(slow.job.error).toMatch(/cancelled; nothing was imported/);
      expect(entries(path.join(dataDir, 'models'))).toEqual([]);
    } finally {
      await app.close();
    }
  }, 180_000);

  it('the worker imports and registers the checkpoints (the release list replaced by the test archive\'s)', async () => {
    // A lab of its own: the checkpoints go beside it (models/prednet-kitti), where no other test put any.
    const db = path.join(dir, 'jobs', 'jobs.sqlite');
    fs.mkdirSync(path.dirname(db));
    openDatabase(db).close();
    const jobs = new DownloadJobs(db);
    jobs.start({ release: 'kitti', url: `${base}/model_data_keras2.zip`, expectedSha1: sums });
    const { job, phases } = await waitForJob(() => jobs.status());
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(phases).toContain('import'); // a small archive downloads between two polls
    expect(job.destDir).toBe(path.join(dir, 'jobs', 'models', 'prednet-kitti'));
    const models = modelsIn(db);
    expect(models.map((m) => m.id).sort()).toEqual([...job.modelIds].sort());
    expect(models.map((m) => m.label)).toEqual(KITTI_RELEASE.checkpoints.map((c) => c.label));
  }, 180_000);
});
