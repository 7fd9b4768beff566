/**
 * A person takes a short flash-lag session in the app; a PredNet checkpoint takes the same
 * protocol from the Compare page; both curves, the table and the inspector appear.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModels } from '../../main/services/models.js';
import { getSession, listSessions, nextTrial, trialRows } from '../../main/services/sessions.js';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { type AppHarness } from '../support/app.js';
import { tempDir } from '../support/db.js';
import { openLabWithCliModel } from '../support/lab.js';

let app: AppHarness;
beforeAll(async () => {
  app = await openLabWithCliModel();
}, 240_000);
afterAll(async () => app?.close());

async function personSession(page: Page, sessionId = 1, companion = false) {
  await page.getByTestId('nav-run').click();
  await page.getByTestId('participant-label').fill(`P0${sessionId}`);
  if (companion) await page.getByTestId('companion-model').selectOption({ label: 'tiny-prednet' });
  await page.getByTestId('param-speedDegPerS').fill('40');
  await page.getByTestId('param-travelDeg').fill('8');
  await page.getByTestId('param-offsetsDeg').fill('-1, 0, 1');
  await page.getByTestId('param-trialsPerOffset').fill('2');
  await page.getByTestId('run-start').click();
  await page.getByTestId('instructions').waitFor();
  await page.keyboard.press('Space');
  for (let i = 0; i < 6; i++) {
    await page.getByTestId('prompt').waitFor();
    const s = nextTrial(app.db, sessionId)!.stimulus as unknown as FlashLagStimulus;
    await page.keyboard.press((s.offsetDeg > 0.5) === (s.direction === 1) ? 'ArrowRight' : 'ArrowLeft');
    await expect.poll(() => trialRows(app.db, sessionId).length).toBe(i + 1);
  }
  await page.getByTestId('end-message').waitFor();
}

describe('Compare view', () => {
  it('runs the model on the person\'s protocol and shows both curves, the table and the filmstrips', async () => {
    const { page, db } = app;
    await personSession(page);
    await page.getByTestId('nav-compare').click();
    await page.getByTestId('run-protocol').selectOption('1');
    // The app also registers its default model; take the tiny one.
    await page.getByTestId('run-model').selectOption(String(listModels(db).find((m) => m.label === 'tiny-prednet')!.id));
    await page.getByTestId('run-model-go').click();
    await page.getByTestId('comparison').waitFor({ timeout: 60_000 });
    const sessions = listSessions(db);
    expect(sessions.map((s) => s.participant.kind)).toEqual(['human', 'model']);
    expect(getSession(db, 2)).toMatchObject({ status: 'complete', answered: 6, protocol: { id: 1 } });
    const table = await page.getByTestId('compare-table').textContent();
    expect(table).toMatch(/human: P01/);
    expect(table).toMatch(/model: PredNet tiny-prednet/);
    expect(await page.getByTestId('compare-differences').textContent()).toMatch(/#1.*#2 \(same trials\)/s);
    // One fitted curve per session (axis ticks are paths too, so count the curves by their description).
    for (const id of [1, 2]) {
      const curve = page.locator(`[data-testid=compare-plot] g[aria-description="curve ${id} continuous"] path`);
      expect(await curve.count(), `curve of session ${id}`).toBe(1);
      expect((await curve.getAttribute('d'))!.length).toBeGreaterThan(100);
    }
    await page.screenshot({ path: path.join(tempDir(), 'compare.png'), fullPage: true });

    await page.getByTestId('inspect-session').selectOption('2');
    await page.getByTestId('inspect-trial').fill('3');
    await page.getByTestId('inspect-go').click();
    await page.getByTestId('filmstrip').waitFor();
    const frames = await page.locator('[data-testid=filmstrip] canvas').count();
    expect(frames).toBe(3 * trialRows(db, 2)[3]!.frame_count!);
  });
});

describe('live side by side', () => {
  it('a model takes the same trials in a worker while the person is tested', async () => {
    const { page, db } = app;
    await personSession(page, 3, true);
    await expect.poll(async () => (await page.getByTestId('companion-status').textContent()) ?? '', { timeout: 60_000 }).toMatch(/done \(session 4\)/);
    const person = getSession(db, 3);
    const model = getSession(db, 4);
    expect(model).toMatchObject({ status: 'complete', answered: 6, participant: { kind: 'model' }, protocol: { id: person.protocol.id } });
    expect(trialRows(db, 4).map((r) => r.stimulus)).toEqual(trialRows(db, 3).map((r) => r.stimulus));
  });
});
