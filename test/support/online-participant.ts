/**
 * A participant taking an exported online study in Chromium, as a person would: the fullscreen
 * button, the card dragged to size, the blind-spot ball stopped with the space bar, the
 * session-information form, the instructions, practice and data trials answered with the keys
 * (`answer(i)` gives the key for the i-th data trial), breaks, and the data downloaded at the end.
 */
import type { Page } from 'playwright-core';

export interface Participation {
  /** The path of the downloaded data file (null when the study ran under JATOS: nothing to download). */
  dataFile: string | null;
  dataTrials: number;
  practiceTrials: number;
  breaks: number;
}

export async function takeOnlineStudy(page: Page, url: string, o: { answer: (i: number) => string; info?: Record<string, string>; download?: string | null }): Promise<Participation> {
  await page.goto(url);
  await page.locator('#jspsych-fullscreen-btn').click();
  // The card: dragged larger by its corner handle, then accepted.
  const handle = page.locator('#jspsych-resize-handle');
  const box = (await handle.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 5, { steps: 5 });
  await page.mouse.up();
  await page.locator('#end_resize_phase').click();
  // The blind spot: the ball starts on space and is stopped on space once it has moved.
  await page.locator('#virtual-chinrest-circle').waitFor();
  const ball = page.locator('#virtual-chinrest-circle');
  const x0 = (await ball.boundingBox())!.x;
  await page.keyboard.press('Space');
  await page.waitForFunction((x) => document.getElementById('virtual-chinrest-circle')!.getBoundingClientRect().x < x - 150, x0);
  await page.keyboard.press('Space');
  if (o.info) {
    await page.locator('#jspsych-survey-html-form-next').waitFor();
    for (const [k, v] of Object.entries(o.info)) {
      const field = page.locator(`#info-${k}`);
      if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(v);
      else await field.fill(v);
    }
    await page.locator('#jspsych-survey-html-form-next').click();
  }
  await page.getByTestId('instructions').waitFor();
  await page.keyboard.press('Space');
  let practiceTrials = 0;
  let dataTrials = 0;
  let breaks = 0;
  // Each screen in turn: a trial waiting for its answer, practice done, a break, or the end.
  const waiting = page.locator('.predlab-stage[data-awaiting="answer"]');
  for (;;) {
    const screen = await Promise.race([
      waiting.waitFor({ timeout: 60_000 }).then(() => 'trial' as const),
      page.getByTestId('practice-done').waitFor({ timeout: 60_000 }).then(() => 'practice-done' as const),
      page.getByTestId('break').waitFor({ timeout: 60_000 }).then(() => 'break' as const),
      page.getByTestId('end-message').waitFor({ timeout: 60_000 }).then(() => 'end' as const),
    ]);
    if (screen === 'end') break;
    if (screen === 'trial') {
      const practice = (await waiting.getAttribute('data-phase')) === 'practice';
      await page.keyboard.press(o.answer(practice ? -1 - practiceTrials : dataTrials));
      if (practice) practiceTrials++;
      else dataTrials++;
      await waiting.waitFor({ state: 'detached' });
    } else {
      if (screen === 'break') breaks++;
      await page.keyboard.press('Space');
      await page.getByTestId(screen).waitFor({ state: 'detached' });
    }
  }
  let dataFile: string | null = null;
  if (o.download !== null) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    dataFile = o.download ?? (await download.path());
    if (o.download) await download.saveAs(o.download);
  }
  return { dataFile, dataTrials, practiceTrials, breaks };
}
