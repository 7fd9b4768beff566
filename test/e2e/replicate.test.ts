/**
 * The Paper battery page in Chromium, on a lab a user made with the CLI (a tiny random
 * checkpoint beside the app's default model): choose the checkpoint and two experiments, start a
 * quick run, watch its progress, read the result cards (our plot beside the published result,
 * the verdict line), save a copy; a second run is cancelled and leaves no folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModels } from '../../main/services/models.js';
import type { AppHarness } from '../support/app.js';
import { openLabWithCliModel } from '../support/lab.js';

let app: AppHarness;
let tinyId: number;
let defaultId: number;
beforeAll(async () => {
  app = await openLabWithCliModel();
  await app.services.ready;
  const models = listModels(app.db);
  tinyId = models.find((m) => m.label === 'tiny-prednet')!.id;
  defaultId = models.find((m) => m.label !== 'tiny-prednet')!.id;
}, 240_000);
afterAll(async () => app?.close());

describe('Paper battery page', () => {
  it('runs two experiments on a checkpoint and shows each result beside the published one', async () => {
    const { page } = app;
    await page.getByTestId('nav-replicate').click();
    await page.getByTestId('replicate-setup').waitFor();
    await page.getByTestId(`replicate-model-${defaultId}`).setChecked(false);
    await page.getByTestId(`replicate-model-${tinyId}`).setChecked(true);
    for (const id of ['length-suppression', 'on-off', 'sequence-learning']) await page.getByTestId(`replicate-exp-${id}`).setChecked(false);
    await page.getByTestId('replicate-quick').check();
    await page.getByTestId('replicate-start').click();
    await page.getByTestId('replicate-progress').waitFor();
    await page.getByTestId('replicate-card-flash-lag').waitFor({ timeout: 170_000 });
    expect(await page.getByTestId('replicate-error').count()).toBe(0);

    const cards = page.locator('[data-testid^=replicate-card-]');
    expect(await cards.count()).toBe(2);
    const contour = page.getByTestId('replicate-card-illusory-contours');
    expect(await contour.getByTestId('replicate-verdict').textContent()).toMatch(/^Ours: illusory contours in E1: /);
    // The tests the verdict rests on, each against a null observer, and the untrained network's value beside.
    expect(await contour.getByTestId('replicate-test').count()).toBeGreaterThan(1);
    expect(await contour.getByTestId('replicate-tests').textContent()).toMatch(/model minus untrained/);
    expect(await contour.getByTestId('replicate-published').textContent()).toMatch(/Lee & Nguyen 2001/);
    // The plot is drawn: an image with a real size.
    const img = contour.getByTestId('replicate-plot');
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(300);
    expect(await page.getByTestId('replicate-card-flash-lag').getByTestId('replicate-badge').textContent()).toMatch(/shown|not shown|undetermined/);
    const out = (await page.getByTestId('replicate-out').textContent())!;
    expect(out.startsWith(path.join(app.dataDir, 'replicate'))).toBe(true);
    for (const f of ['report.md', 'report.json', 'flash-lag/plot.png', 'illusory-contours/units.h5']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);

    fs.mkdirSync('/tmp/shots', { recursive: true });
    await page.screenshot({ path: '/tmp/shots/H3b-replicate.png', fullPage: true });

    await page.getByTestId('replicate-save').click();
    await page.getByTestId('replicate-saved').waitFor();
    const copy = path.join(app.exportDir, path.basename(out));
    expect(fs.readFileSync(path.join(copy, 'report.md'), 'utf8')).toBe(fs.readFileSync(path.join(out, 'report.md'), 'utf8'));
  });

  it("flash-lag on the shipped default: the card's table gives the lag against speed and readout delay", async () => {
    const { page } = app;
    await page.getByTestId(`replicate-model-${tinyId}`).setChecked(false);
    await page.getByTestId(`replicate-model-${defaultId}`).setChecked(true);
    await page.getByTestId('replicate-exp-illusory-contours').setChecked(false);
    await page.getByTestId('replicate-start').click();
    await page.getByTestId('replicate-progress').waitFor();
    // The default model and the untrained network beside it each predict every trial (the battery's worker runs at low priority: slow on a busy machine).
    await page.getByTestId('replicate-progress').waitFor({ state: 'detached', timeout: 400_000 });
    const flash = page.getByTestId('replicate-card-flash-lag');
    await flash.getByTestId('replicate-table').locator('summary').click();
    const header = await flash.getByTestId('replicate-table').locator('th').allTextContents();
    expect(header.slice(0, 5)).toEqual(['who', 'display', 'variant', 'readout_delay', 'speed_deg_per_s']);
    const rows = await flash.getByTestId('replicate-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const model = rows.filter((r) => r[0] === 'model');
    expect(new Set(model.map((r) => r[3]))).toEqual(new Set(['1', '2']));
    expect(new Set(model.filter((r) => r[1] === 'translate').map((r) => r[4]))).toEqual(new Set(['5', '10', '20']));
    // The null observers' rows beside the model's: continuous / initiated / terminated x speed x delay.
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['model', 'copy-last', 'oracle', 'untrained']));
    expect(await flash.getByTestId('replicate-verdict').textContent()).toMatch(/^Ours: flash-lag: (yes|no|undetermined)[,:] people's pattern .*delay 1: .*delay 2: /);
    expect(await flash.getByTestId('replicate-beside').allTextContents()).toEqual([expect.stringMatching(/^Beside: copy-last: delay 1: /), expect.stringMatching(/^Beside: oracle: /), expect.stringMatching(/^Beside: untrained: /)]);
    await page.screenshot({ path: '/tmp/shots/replicate-flash-lag-table.png', fullPage: true });
    // Unchecked again for the next test.
    await page.getByTestId('replicate-exp-illusory-contours').setChecked(true);
  }, 420_000);

  it('a run can be cancelled and leaves no folder behind', async () => {
    const { page } = app;
    const before = fs.readdirSync(path.join(app.dataDir, 'replicate'));
    await page.getByTestId(`replicate-exp-illusory-contours`).setChecked(false);
    await page.getByTestId('replicate-start').click();
    await page.getByTestId('replicate-progress').waitFor();
    await page.getByTestId('replicate-cancel').click();
    await page.getByTestId('replicate-progress').waitFor({ state: 'detached', timeout: 30_000 });
    const job = (await app.services.invoke('replicate:jobs', {})) as { ok: true; value: { state: string; out: string }[] };
    const last = job.value.at(-1)!;
    expect(last.state).toBe('cancelled');
    expect(fs.existsSync(last.out)).toBe(false);
    expect(fs.readdirSync(path.join(app.dataDir, 'replicate')).sort()).toEqual(before.sort());
  });
});
