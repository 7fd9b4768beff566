/**
 * "Get the paper's model" on the Data page (issue 9 part 2), against a loopback server serving an
 * archive in the release's layout with random weights: the page shows the job's progress, the
 * checksums the app carries refuse the archive by file name and nothing is registered; a slow
 * download is cancelled from the page and leaves nothing behind.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModels } from '../../main/services/models.js';
import { initBackend } from '../../native-models/backend.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { openApp, type AppHarness } from '../support/app.js';
import { CALIBRATION, tempDir } from '../support/db.js';
import { writeReleaseFolder, zipReleaseFolder } from '../unit/model-download.fixture.js';

const cfg = predNetConfigSchema.parse({ height: 8, width: 16, stackSizes: [3, 4, 6], rStackSizes: [3, 5, 6], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3] });
let app: AppHarness;
let server: http.Server;
let base: string;
/** The archive's address, as the app reads it from PREDLAB_MODEL_MIRROR (never from the page). */
let mirror: string | null = null;

beforeAll(async () => {
  await initBackend(); // the fixture writes its HDF5 files with the engine's weights
  const dir = tempDir('predlab-release-');
  const release = path.join(dir, 'model_data_keras2');
  await writeReleaseFolder(release, cfg);
  const zip = zipReleaseFolder(release);
  server = http.createServer((req, res) => {
    if (req.url === '/model_data_keras2.zip') return void res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip);
    if (req.url === '/slow.zip') {
      // About 10 kB/s: the download is still under way when the page cancels it.
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
      let at = 0;
      const timer = setInterval(() => (res.destroyed || at >= zip.length ? clearInterval(timer) : res.write(zip.subarray(at, (at += 1024)))), 100);
      return void res.on('close', () => clearInterval(timer));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app = await openApp({ calibration: CALIBRATION, modelMirror: () => mirror });
}, 120_000);
afterAll(async () => {
  await app?.close();
  server?.closeAllConnections();
  server?.close();
});

describe("the paper's model from the Data page", () => {
  it('refuses an archive that is not the release, naming the file; cancels a slow download; registers nothing', async () => {
    const { page } = app;
    const before = listModels(app.db).length;
    await page.getByTestId('nav-data').click();
    mirror = `${base}/model_data_keras2.zip`;
    await page.getByTestId('download-start').click();
    const error = page.getByTestId('download-error');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/prednet_kitti_weights\.hdf5 does not match the release \(git blob SHA-1 [0-9a-f]{40}, expected 777ad23a53c104ccc645c6bff6db4fb582d27ba3\)/);
    expect(await page.getByTestId('model-download').textContent()).toMatch(/predlab model download kitti --from/);
    await page.getByTestId('model-download').screenshot({ path: path.join(tempDir(), 'download-refused.png') });

    mirror = `${base}/slow.zip`;
    await page.getByTestId('download-start').click();
    await expect.poll(async () => (await page.getByTestId('download-progress').textContent().catch(() => '')) ?? '', { timeout: 30_000 }).toMatch(/Downloading: \d+\.\d of \d+\.\d MB/);
    await page.getByTestId('download-cancel').click();
    await page.getByTestId('download-cancelled').waitFor({ timeout: 30_000 });
    expect(listModels(app.db)).toHaveLength(before);
    const models = path.join(app.dataDir, 'models');
    expect(fs.existsSync(models) ? fs.readdirSync(models) : []).toEqual([]);
  }, 180_000);
});
