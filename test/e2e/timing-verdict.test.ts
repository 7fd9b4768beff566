/** The Calibrate page's display timing test ends in a pass/fail verdict against its stated criterion. */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timingVerdict, type TimingReport } from '../../renderer/src/stimulus/timingTest.js';
import { openApp, type AppHarness } from '../support/app.js';
import { CALIBRATION } from '../support/db.js';

let app: AppHarness;
beforeAll(async () => {
  app = await openApp({ calibration: CALIBRATION });
}, 240_000);
afterAll(async () => app?.close());

async function runTimingTest(page: Page): Promise<TimingReport> {
  await page.getByTestId('nav-calibrate').click();
  await page.getByTestId('cal-width-cm').fill('34.5');
  await page.getByTestId('timing-seconds').fill('2');
  await page.getByTestId('timing-run').click();
  await page.getByTestId('timing-verdict').waitFor({ timeout: 60_000 });
  return JSON.parse((await page.getByTestId('timing-report').getAttribute('data-report'))!);
}

describe('display timing test', () => {
  it('states the criterion and a verdict that follows the measured numbers', async () => {
    const { page } = app;
    const report = await runTimingTest(page);
    expect(report.frames).toBeGreaterThan(30);
    // The page's verdict is the criterion applied to what it measured (headless frames may or may not drop under load).
    expect(report.verdict).toEqual(timingVerdict(report));
    const text = (await page.getByTestId('timing-verdict').textContent())!;
    expect(text).toContain(report.verdict.criterion);
    expect(text).toMatch(report.verdict.pass ? /^Pass: this display meets the criterion/ : new RegExp(`^Fail: ${report.verdict.failures[0]!.replace(/[()%.]/g, '\\$&')}`));
    await page.screenshot({ path: '/tmp/shots/H4b-calibrate-timing.png', fullPage: true });
  });
});
