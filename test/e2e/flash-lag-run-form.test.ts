/**
 * The Run page's flash-lag form in the built renderer in Chromium: switching the display fills
 * that display's defaults into untouched fields (typed values stay), the instructions text box
 * follows the display until the user edits it, and the participant reads the chosen display's text.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listSessions } from '../../main/services/sessions.js';
import { flashLag, flashLagInstructions, flashLagParamsSchema } from '../../paradigms/flash-lag/index.js';
import { defaultKeys, withKeys } from '../../paradigms/response-keys.js';
import { openApp, type AppHarness } from '../support/app.js';
import { CALIBRATION } from '../support/db.js';

let app: AppHarness;
beforeAll(async () => {
  fs.mkdirSync('/tmp/shots', { recursive: true });
  app = await openApp({ calibration: CALIBRATION });
});
afterAll(async () => {
  await app?.close();
});
beforeEach(async () => {
  await app.page.goto(app.url);
});

const rotating = flashLagParamsSchema.parse({ motion: 'rotate' });
const translating = flashLagParamsSchema.parse({});

describe('the flash-lag display choice on the Run page', () => {
  it('fills the rotating defaults into untouched fields and keeps typed ones', async () => {
    const { page } = app;
    await page.getByTestId('nav-run').click();
    await page.getByTestId('param-trialsPerOffset').fill('3');
    await page.getByTestId('param-offsetsDeg').fill('-4, 0, 4');
    expect(await page.getByTestId('run-instructions').inputValue()).toBe(flashLagInstructions(translating));
    await page.getByTestId('param-motion').selectOption('rotate');
    await expect.poll(() => page.getByTestId('param-speedDegPerS').inputValue()).toBe(String(rotating.speedDegPerS));
    expect(await page.getByTestId('param-travelDeg').inputValue()).toBe(String(rotating.travelDeg));
    expect(await page.getByTestId('param-offsetsDeg').inputValue()).toBe('-4, 0, 4');
    expect(await page.getByTestId('param-trialsPerOffset').inputValue()).toBe('3');
    expect(await page.getByTestId('run-instructions').inputValue()).toBe(flashLagInstructions(rotating));
    await page.screenshot({ path: '/tmp/shots/H11-rotate-form.png', fullPage: true });
    // Back: the translating defaults return in the fields the switch filled.
    await page.getByTestId('param-motion').selectOption('translate');
    await expect.poll(() => page.getByTestId('param-speedDegPerS').inputValue()).toBe(String(translating.speedDegPerS));
    expect(await page.getByTestId('run-instructions').inputValue()).toBe(flashLagInstructions(translating));
  });

  it('keeps an edited text as written; an unedited one reaches the participant for the display chosen', async () => {
    const { page, db } = app;
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-instructions').fill('My own words.');
    await page.getByTestId('param-motion').selectOption('rotate');
    await expect.poll(() => page.getByTestId('param-speedDegPerS').inputValue()).toBe(String(rotating.speedDegPerS));
    expect(await page.getByTestId('run-instructions').inputValue()).toBe('My own words.');
    await page.getByTestId('run-instructions-reset').click();
    expect(await page.getByTestId('run-instructions').inputValue()).toBe(flashLagInstructions(rotating));

    await page.getByTestId('participant-label').fill('FL1');
    await page.getByTestId('run-practiceTrials').fill('0');
    for (const mode of await page.locator('[data-testid^="info-mode-"]').all()) await mode.selectOption('off');
    await page.getByTestId('run-start').click();
    await page.getByTestId('instructions').waitFor();
    const shown = await page.getByTestId('instructions').textContent();
    // The participant reads the keys where the text says {left} and {right}.
    expect(shown).toContain(withKeys(flashLagInstructions(rotating), defaultKeys(flashLag)));
    expect(shown).not.toMatch(/across the screen/);
    await page.screenshot({ path: '/tmp/shots/H11-rotate-instructions.png' });
    const stored = listSessions(db).at(-1)!.protocol.parameters as Record<string, unknown>;
    expect(stored).toMatchObject({ motion: 'rotate', speedDegPerS: 60, travelDeg: 90 });
    // Not edited: not stored as the protocol's own text (the paradigm's text for its parameters is shown).
    expect((stored.run as Record<string, unknown>).instructions).toBeUndefined();
  });
});
