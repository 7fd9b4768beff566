/**
 * The Data page on a fresh start: the default model the app registers, a checkpoint made with
 * the CLI on the same data folder, and the compute backend, from the real engine (which only
 * the app's computing thread starts).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type AppHarness } from '../support/app.js';
import { predlab } from '../support/cli-child.js';

let app: AppHarness;
beforeAll(async () => {
  app = await openApp();
  // As a user would: `predlab model init` on the app's data folder, while the app runs.
  const r = predlab(['model', 'init', '--height', '16', '--width', '16', '--out', path.join(app.dataDir, 'tiny-prednet')], { PREDLAB_DATA_DIR: app.dataDir });
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => app?.close());

describe('models on the Data page', () => {
  it('shows the default model, the CLI\'s checkpoint and the backend PredNet runs on', async () => {
    await app.page.getByTestId('nav-data').click();
    await app.page.getByTestId('models').waitFor();
    const models = (await app.page.getByTestId('models').textContent()) ?? '';
    expect(models).toMatch(/default \(small, procedural video\)\s*64×80/);
    expect(models).toMatch(/tiny-prednet\s*16×16/);
    await app.page.getByTestId('engine').waitFor();
    expect(await app.page.getByTestId('engine').textContent()).toMatch(/PredNet runs on wasm .*Conv2DBackpropFilter/s);
  });
});
