/**
 * Steps of the Run page that e2e tests of other features pass through the way a user does: a
 * session of data trials only (no practice, breaks or repeats), the session-information dialog
 * left as it is, and the experimenter's view (where the results are at the end).
 */
import type { Page } from 'playwright-core';

/** Data trials only: no practice, no breaks, no repeats of dropped-frame trials (deterministic trial counts). */
export async function dataTrialsOnly(page: Page): Promise<void> {
  await page.getByTestId('run-practiceTrials').fill('0');
  await page.getByTestId('run-breakEvery').fill('0');
  await page.getByTestId('run-repeatDropped').uncheck();
}

/** Start the session from the session-information dialog, answering nothing (every default field is optional). */
export async function passSessionInfo(page: Page): Promise<void> {
  await page.getByTestId('session-info').waitFor();
  await page.getByTestId('session-info-start').click();
}

/** Open the experimenter's view (Ctrl+Shift+E): progress, timing, answers, and the results at the end. */
export async function showExperimenterView(page: Page): Promise<void> {
  await page.keyboard.press('Control+Shift+E');
  await page.getByTestId('experimenter').waitFor();
}
