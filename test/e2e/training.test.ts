/**
 * The Training page, end to end: a dataset imported with the CLI (a generated video), a tiny
 * PredNet trained a few steps from the page (loss plot and predicted-frame strip update), the
 * finished checkpoint offered as a model on the Run page, another run cancelled with the stored
 * data intact, and after an app restart the unfinished run offered for resuming.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { openApp, type AppHarness } from '../support/app.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION, tempDir } from '../support/db.js';

let app: AppHarness;
let dataDir: string;
const env = () => ({ PREDLAB_DATA_DIR: dataDir });

/** Every file under the lab's datasets folder, with its bytes. */
function datasetFiles(): Map<string, Buffer> {
  const root = path.join(dataDir, 'datasets');
  const files = fs.readdirSync(root, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(root, f)).isFile());
  return new Map(files.map((f) => [f, fs.readFileSync(path.join(root, f))]));
}

beforeAll(async () => {
  dataDir = tempDir('predlab-train-e2e-');
  // A 4 s clip of a bright square moving right, 64x48 at 20 frames/s, imported twice at 24x16, 10 frames/s.
  const [w, h, n] = [64, 48, 80];
  const frames = new Uint8Array(n * w * h * 3);
  for (let t = 0; t < n; t++) for (let y = 16; y < 32; y++) for (let x = 0; x < 12; x++) frames.fill(230, ((t * h + y) * w + ((x + t) % w)) * 3, ((t * h + y) * w + ((x + t) % w)) * 3 + 3);
  const video = path.join(dataDir, 'square.mp4');
  const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', '20', '-i', 'pipe:0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video], { input: frames });
  expect(r.status, r.stderr?.toString()).toBe(0);
  for (let i = 0; i < 2; i++) {
    const imp = predlab(['dataset', 'import', video, '--dataset', 'square', '--height', '16', '--width', '24', '--fps', '10', '--json'], env());
    expect(imp.code, imp.stderr).toBe(0);
  }
  // The same clip once into a dataset of its own: one recording, nothing to hold out for validation.
  const single = predlab(['dataset', 'import', video, '--dataset', 'single', '--height', '16', '--width', '24', '--fps', '10', '--json'], env());
  expect(single.code, single.stderr).toBe(0);
  app = await openApp({ dataDir, calibration: CALIBRATION });
}, 240_000);
afterAll(async () => app?.close());

async function fillForm(page: Page, o: { nt: number; batch: number; epochs: number; samples: number; val: number }) {
  await page.getByTestId('training-dataset').selectOption('square');
  await page.getByTestId('training-start-point').selectOption('new:small');
  await page.locator('details summary').click();
  await page.getByTestId('opt-nt').fill(String(o.nt));
  await page.getByTestId('opt-batch').fill(String(o.batch));
  await page.getByTestId('opt-epochs').fill(String(o.epochs));
  await page.getByTestId('opt-samples').fill(String(o.samples));
  await page.getByTestId('opt-val').fill(String(o.val));
}

const text = async (page: Page, id: string) => (await page.getByTestId(id).textContent())?.trim() ?? '';

describe('the Training page', () => {
  it('without a dataset, points to the Video page', async () => {
    const empty = await openApp({ dataDir: tempDir('predlab-train-empty-'), calibration: CALIBRATION });
    try {
      await empty.page.getByTestId('nav-training').click();
      await empty.page.getByTestId('training-empty').waitFor();
      expect(await text(empty.page, 'training-empty')).toMatch(/no video dataset to train on yet.*Video page/s);
      await empty.page.screenshot({ path: '/tmp/shots/H2-training-empty.png' });
      await empty.page.getByRole('button', { name: 'Go to the Video page' }).click();
      expect(await empty.page.getByTestId('nav-datasets').getAttribute('class')).toMatch(/active/);
    } finally {
      await empty.close();
    }
  });

  it('says before a run that a one-recording dataset leaves nothing for validation', async () => {
    const { page } = app;
    await page.getByTestId('nav-training').click();
    await page.getByTestId('training-dataset').selectOption('single');
    await expect.poll(() => text(page, 'no-validation')).toMatch(/'single' has one recording, so none can be held out for validation.*the model saved is the last epoch's/s);
    await page.getByTestId('training-dataset').selectOption('square');
    expect(await page.getByTestId('no-validation').count()).toBe(0);
  });

  it('trains a tiny model from the page: the loss plot and the predicted frames update; the checkpoint becomes a model', async () => {
    const { page } = app;
    await page.getByTestId('nav-training').click();
    await page.getByTestId('training-dataset').waitFor();
    // kitti_train.py's recipe is the form's default.
    await page.locator('details summary').click();
    expect(await page.getByTestId('opt-nt').inputValue()).toBe('10');
    expect(await page.getByTestId('opt-batch').inputValue()).toBe('4');
    expect(await page.getByTestId('opt-drop').inputValue()).toBe('75');
    await page.locator('details summary').click();
    // A sequence longer than every recording (40 frames) is refused before anything starts.
    await fillForm(page, { nt: 41, batch: 2, epochs: 3, samples: 4, val: 2 });
    await expect.poll(() => text(page, 'too-short')).toMatch(/longest recording of 'square' has 40 frames, fewer than one training sequence of 41/);
    expect(await page.getByTestId('training-start').isDisabled()).toBe(true);

    await page.getByTestId('opt-nt').fill('4');
    // 20 steps an epoch: paused at once, the run stops well inside its first epoch.
    await page.getByTestId('opt-samples').fill('40');
    await page.getByTestId('training-label').fill('square-tiny');
    const callsBefore = app.calls.length;
    const eventsBefore = app.events.length;
    await page.getByTestId('training-start').click();
    await page.getByTestId('training-run').waitFor();
    await page.getByTestId('run-pause').click();
    await expect.poll(() => text(page, 'run-state'), { timeout: 120_000 }).toBe('paused');
    expect(Number(await text(page, 'run-step'))).toBeLessThan(20);
    // The strip shows the untrained network first (epoch 0), then after each epoch.
    await expect.poll(() => page.getByTestId('prediction-strip').getAttribute('data-epoch'), { timeout: 120_000 }).toBe('0');
    await page.screenshot({ path: '/tmp/shots/H2-training-running.png', fullPage: true });
    await page.getByTestId('run-resume').click();
    // The window stays responsive while the worker trains: requests are answered at once.
    const roundTrips = await page.evaluate(async () => {
      const api = (window as unknown as { predlab: { 'training:runs': (a: object) => Promise<unknown> } }).predlab;
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await api['training:runs']({});
        ms.push(performance.now() - t0);
      }
      return ms.sort((a, b) => a - b);
    });
    console.log(`request round trips while training: median ${roundTrips[2]!.toFixed(0)} ms, max ${roundTrips[4]!.toFixed(0)} ms`);
    expect(roundTrips[2]).toBeLessThan(1000);
    await expect.poll(() => text(page, 'run-state'), { timeout: 150_000 }).toBe('finished');
    expect(await page.getByTestId('prediction-strip').getAttribute('data-epoch')).toBe('3');
    expect(await page.getByTestId('train-line').getAttribute('data-points')).toBe('60');
    expect(await page.getByTestId('val-point').count()).toBe(3);
    expect(await page.getByTestId('baseline-line').count()).toBe(1);
    expect(await page.getByTestId('strip-predicted').count()).toBe(4);
    // The predicted thumbnails are drawn: not a blank canvas.
    const drawn = await page.getByTestId('strip-predicted').nth(3).evaluate((c: HTMLCanvasElement) => c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 !== 3 && v > 0));
    expect(drawn).toBe(true);
    expect(await text(page, 'run-model')).toMatch(/Saved as model \d+/);
    await page.screenshot({ path: '/tmp/shots/H2-training-finished.png', fullPage: true });
    // The page never polled: its progress came as pushed events. Its calls were the start, the
    // pause and resume clicks, the five round trips above, and a reload of the list (and at the end
    // of the starting points) at each of the run's three changes of state.
    const during = app.calls.slice(callsBefore).map(([c]) => c);
    const events = app.events.slice(eventsBefore).filter(([t]) => t === 'training').length;
    console.log(`during the run: ${during.length} calls (${[...new Set(during)].join(', ')}), ${events} training events`);
    expect(during.filter((c) => !['training:start', 'training:pause', 'training:resume', 'training:runs', 'training:setup'].includes(c))).toEqual([]);
    expect(during.filter((c) => c === 'training:runs').length).toBeLessThanOrEqual(1 + 2 + 5 + 3);
    expect(during.filter((c) => c === 'training:setup').length).toBeLessThanOrEqual(1);
    expect(events).toBeGreaterThanOrEqual(10);

    // The Run page offers the new checkpoint as a model.
    const models = await page.evaluate(() => (window as unknown as { predlab: { 'models:list': (a: object) => Promise<{ label: string; path: string }[]> } }).predlab['models:list']({}));
    const model = models.find((m) => m.label === 'square-tiny')!;
    expect(model.path.startsWith(path.join(dataDir, 'training'))).toBe(true);
    await page.getByTestId('nav-run').click();
    await expect.poll(async () => (await page.getByTestId('companion-model').textContent()) ?? '', { timeout: 30_000 }).toMatch(/square-tiny/);
  });

  it('cancels a run with the stored data intact, and offers it for resuming after an app restart', async () => {
    const before = datasetFiles();
    const { page } = app;
    await page.getByTestId('nav-training').click();
    await page.getByTestId('training-dataset').waitFor();
    await fillForm(page, { nt: 4, batch: 2, epochs: 200, samples: 4, val: 2 });
    await page.getByTestId('training-label').fill('to-cancel');
    await page.getByTestId('training-start').click();
    await expect.poll(async () => Number(await text(page, 'run-step')), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
    await page.getByTestId('run-cancel').click();
    await expect.poll(() => text(page, 'run-state'), { timeout: 60_000 }).toBe('cancelled');
    const after = datasetFiles();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [f, b] of before) expect(after.get(f)!.equals(b), f).toBe(true);
    const list = predlab(['dataset', 'list', '--json'], env());
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'square', recordings: 2, frames: 80 })]));
    expect((await app.page.evaluate(() => (window as unknown as { predlab: { 'models:list': (a: object) => Promise<{ label: string }[]> } }).predlab['models:list']({})))).not.toContainEqual(expect.objectContaining({ label: 'to-cancel' }));

    // Restart the app on the same lab: the cancelled run is offered, and resumes where it stopped.
    await app.close();
    app = await openApp({ dataDir, calibration: CALIBRATION });
    await app.page.getByTestId('nav-training').click();
    await app.page.getByTestId('unfinished-runs').waitFor();
    expect(await text(app.page, 'unfinished-runs')).toMatch(/to-cancel.*cancelled/s);
    await app.page.screenshot({ path: '/tmp/shots/H2-training-unfinished.png', fullPage: true });
    const runId = Number((await app.page.locator('[data-testid^=resume-run-]').first().getAttribute('data-testid'))!.replace('resume-run-', ''));
    const stoppedAt = JSON.parse(fs.readFileSync(path.join(dataDir, 'training', `run-${runId}`, 'run.json'), 'utf8')).step as number;
    await app.page.getByTestId(`resume-run-${runId}`).click();
    await expect.poll(async () => Number(await text(app.page, 'run-step')), { timeout: 120_000 }).toBeGreaterThan(stoppedAt);
    await app.page.getByTestId('run-cancel').click();
    await expect.poll(() => text(app.page, 'run-state'), { timeout: 60_000 }).toBe('cancelled');
  });
});
