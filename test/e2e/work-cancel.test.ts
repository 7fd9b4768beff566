/**
 * Heavy work from a page can be stopped (issue 8): a long comparison shows its time so far (from
 * work:status, answered by the main thread) and the Stop button ends it (work:cancel); the page
 * says it was cancelled, and the next comparison runs afresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type AppHarness } from '../support/app.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION, tempDir } from '../support/db.js';

let app: AppHarness;
const ids: number[] = [];
beforeAll(async () => {
  const dataDir = tempDir('predlab-cancel-');
  // Big simulated sessions: 500 bootstrap refits of each take far longer than a click.
  for (const seed of [1, 2, 3]) {
    const r = predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.4', '--sigma', '0.5', '--seed', String(seed), '--param', 'trialsPerOffset=600', '--json'], { PREDLAB_DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    ids.push(JSON.parse(r.stdout).sessionId);
  }
  app = await openApp({ dataDir, calibration: CALIBRATION });
}, 240_000);
afterAll(async () => app?.close());

describe('stopping heavy work from the page', () => {
  it('a long comparison shows its time and stops on Stop; the next one runs', async () => {
    const { page } = app;
    await page.getByTestId('nav-compare').click();
    for (const id of ids) await page.getByTestId(`choose-${id}`).check();
    await page.getByTestId('compare-go').click();
    await expect.poll(async () => (await page.getByTestId('busy').textContent().catch(() => '')) ?? '', { timeout: 30_000 }).toMatch(/Fitting… \d+ s/);
    await page.getByTestId('busy-stop').click();
    await expect.poll(async () => (await page.getByTestId('compare-error').textContent().catch(() => '')) ?? '', { timeout: 30_000 }).toMatch(/Cancelled: the computation was stopped before it finished/);
    expect(await page.getByTestId('busy').count()).toBe(0);
    // The computing thread starts afresh: a small comparison completes.
    await page.getByTestId(`choose-${ids[1]}`).uncheck();
    await page.getByTestId(`choose-${ids[2]}`).uncheck();
    await page.getByTestId('compare-go').click();
    await page.getByTestId('comparison').waitFor({ timeout: 240_000 });
  }, 400_000);
});
