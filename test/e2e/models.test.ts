/** The Data page lists registered PredNet checkpoints and the compute backend, from the real engine. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCheckpoint } from '../../main/services/models.js';
import { initBackend } from '../../native-models/backend.js';
import { saveCheckpoint } from '../../native-models/checkpoint.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { openApp, type AppHarness } from '../support/app.js';
import { tempDir } from '../support/db.js';

let app: AppHarness;
beforeAll(async () => {
  app = await openApp();
  await initBackend();
  const dir = path.join(tempDir(), 'tiny-prednet');
  const net = PredNet.create(predNetConfigSchema.parse({ height: 8, width: 8, stackSizes: [1, 4], rStackSizes: [1, 4], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] }));
  await saveCheckpoint(dir, net, { source: { kind: 'init' } });
  net.dispose();
  registerCheckpoint(app.db, dir);
});
afterAll(async () => app?.close());

describe('models on the Data page', () => {
  it('shows the checkpoint and the backend PredNet runs on', async () => {
    await app.page.getByTestId('nav-data').click();
    await app.page.getByTestId('models').waitFor();
    expect(await app.page.getByTestId('models').textContent()).toMatch(/tiny-prednet\s*8×8/);
    await app.page.getByTestId('engine').waitFor();
    expect(await app.page.getByTestId('engine').textContent()).toMatch(/PredNet runs on wasm .*Conv2DBackpropFilter/s);
  });
});
