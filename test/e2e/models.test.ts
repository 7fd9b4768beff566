/**
 * Models in the app on a fresh start, with a lab made by the CLI as a user would make it: a
 * simulated session, a tiny PredNet and its session on the same protocol. The trial inspector
 * works before anything else has touched the engine (issue 10, defect 1); the Data page shows
 * the default model the app registers, the CLI's checkpoint and the backend.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trialRows } from '../../main/services/sessions.js';
import { openApp, type AppHarness } from '../support/app.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION, tempDir } from '../support/db.js';

let app: AppHarness;
let modelSession: number;
beforeAll(async () => {
  const dataDir = tempDir('predlab-lab-');
  const env = { PREDLAB_DATA_DIR: dataDir };
  const ok = (r: ReturnType<typeof predlab>) => {
    expect(r.code, r.stderr).toBe(0);
    return r.stdout ? JSON.parse(r.stdout) : null;
  };
  ok(predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.5', '--sigma', '0.4', '--param', 'trialsPerOffset=1', '--json'], env));
  ok(predlab(['model', 'init', '--height', '16', '--width', '16', '--out', path.join(dataDir, 'tiny-prednet'), '--json'], env));
  modelSession = ok(predlab(['session', 'run', '--model', path.join(dataDir, 'tiny-prednet'), '--protocol', '1', '--json'], env)).sessionId;
  app = await openApp({ dataDir, calibration: CALIBRATION });
}, 240_000);
afterAll(async () => app?.close());

describe('models in the app', () => {
  it('the trial inspector works on a fresh start', async () => {
    const { page } = app;
    await page.getByTestId('nav-compare').click();
    await page.getByTestId('inspect-session').selectOption(String(modelSession));
    await page.getByTestId('inspect-trial').fill('3');
    await page.getByTestId('inspect-go').click();
    await page.getByTestId('filmstrip').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('compare-error').count()).toBe(0);
    const frames = trialRows(app.db, modelSession)[2]!.frame_count!;
    expect(await page.locator('[data-testid=filmstrip] canvas').count()).toBe(3 * frames);
  });

  it('the Data page shows the default model, the CLI\'s checkpoint and the backend PredNet runs on', async () => {
    await app.page.getByTestId('nav-data').click();
    await app.page.getByTestId('models').waitFor();
    const models = (await app.page.getByTestId('models').textContent()) ?? '';
    expect(models).toMatch(/default \(small, natural video\)\s*64 × 80/);
    expect(models).toMatch(/tiny-prednet\s*16 × 16/);
    await app.page.getByTestId('engine').waitFor();
    expect(await app.page.getByTestId('engine').textContent()).toMatch(/PredNet runs on wasm .*Conv2DBackpropFilter/s);
  });
});
