/**
 * The experimenter's workflow in the app (issue 10's defects): the built renderer in Chromium on
 * the app's own wiring (test/support/app.ts) over a real database file.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyseSession } from '../../main/services/analysis.js';
import { listParticipants } from '../../main/services/participants.js';
import { getSession, listSessions, nextTrial, trialRows } from '../../main/services/sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { openApp, type AppHarness } from '../support/app.js';
import { CALIBRATION } from '../support/db.js';
import { dataTrialsOnly, passSessionInfo } from '../support/run-page.js';

let app: AppHarness;
beforeAll(async () => {
  app = await openApp({ calibration: CALIBRATION });
});
afterAll(async () => {
  await app?.close();
});
beforeEach(async () => {
  await app.page.goto(app.url);
});

// 0.4 s of motion: 4 model frames at 10 frames/s, so a model taking the protocol reads a frame after the flash's.
const SHORT = { speedDegPerS: '40', travelDeg: '16', offsetsDeg: '-1, 0, 1', trialsPerOffset: '1' };

/** Fills the Run page (a short flash-lag protocol) and presses "Continue". */
async function fillRun(page: Page, label: string, params: Record<string, string> = {}) {
  await page.getByTestId('nav-run').click();
  await page.getByTestId('participant-label').fill(label);
  for (const [key, value] of Object.entries({ ...SHORT, ...params })) await page.getByTestId(`param-${key}`).fill(value);
  await dataTrialsOnly(page);
}

/** Answers every trial of the running session until the end screen shows. */
async function answerAll(sessionId: number) {
  const total = getSession(app.db, sessionId).total;
  for (let i = trialRows(app.db, sessionId).length; i < total; i++) {
    await app.page.getByTestId('prompt').waitFor();
    const t = nextTrial(app.db, sessionId)!;
    const s = t.stimulus as unknown as FlashLagStimulus;
    await app.page.keyboard.press(s.offsetDeg > 0 === (s.direction === 1) ? 'ArrowRight' : 'ArrowLeft');
    await expect.poll(() => trialRows(app.db, sessionId).length).toBe(t.index + 1);
  }
  await app.page.getByTestId('end-message').waitFor();
}

const newest = () => listSessions(app.db).at(-1)!;

describe("the experimenter's workflow", () => {
  it('"Run session" in the navigation opens a fresh Run page from a session\'s end screen', async () => {
    const { page } = app;
    await fillRun(page, 'W01');
    await page.getByTestId('run-start').click();
    await passSessionInfo(page);
    await page.getByTestId('instructions').waitFor();
    await page.keyboard.press('Space');
    await answerAll(newest().id);
    await expect.poll(() => page.getByTestId('end-message').textContent()).toMatch(/Session complete/);
    await page.screenshot({ path: '/tmp/predlab-workflow-end.png' });
    await page.getByTestId('nav-run').click();
    await page.getByTestId('participant-label').waitFor({ timeout: 5000 });
    expect(await page.getByTestId('end-message').count()).toBe(0);
    expect(await page.getByTestId('run-start').isVisible()).toBe(true);
  }, 120_000);

  it('an existing participant ID is reused (and the page says so); a refused start creates no participant', async () => {
    const { page } = app;
    const before = listParticipants(app.db).length;
    // Refused: a parameter out of range. Nothing may be written.
    await fillRun(page, 'W02', { trialsPerOffset: '0' });
    await page.getByTestId('run-start').click();
    await expect.poll(() => page.getByTestId('run-error').textContent()).toMatch(/trialsPerOffset/);
    expect(listParticipants(app.db).length).toBe(before);
    // Accepted: W02 is created once.
    await page.getByTestId('param-trialsPerOffset').fill('1');
    await page.getByTestId('run-start').click();
    await passSessionInfo(page);
    await page.getByTestId('instructions').waitFor();
    const first = newest();
    expect(first.participant.label).toBe('W02');
    expect(listParticipants(app.db).length).toBe(before + 1);
    // Typing W02 again: the page says it will be reused, and the new session is W02's.
    await page.goto(app.url);
    await fillRun(page, 'W02');
    await expect.poll(() => page.getByTestId('participant-reuse').textContent()).toMatch(/W02 is already a participant/);
    await page.screenshot({ path: '/tmp/predlab-workflow-reuse.png' });
    await page.getByTestId('run-start').click();
    await passSessionInfo(page);
    await page.getByTestId('instructions').waitFor();
    const second = newest();
    expect(second.id).not.toBe(first.id);
    expect(second.participant.id).toBe(first.participant.id);
    expect(listParticipants(app.db).filter((p) => p.label === 'W02')).toHaveLength(1);
  }, 120_000);

  it("simulated observers show as such, can be a model's protocol, and Results says which numbers the data do not determine", async () => {
    const { page } = app;
    // A steep observer tested with widely spaced offsets: the slope is a limit of the fit.
    const params = { offsetsDeg: [-1.5, -1, -0.5, 0, 0.5, 1, 1.5], trialsPerOffset: 5 };
    let sim = null;
    for (let seed = 1; seed <= 20 && !sim; seed++) {
      const s = simulateSession(app.db, { paradigmId: 'flash-lag', parameters: params, seed, observer: { pse: 0.1, sigma: 0.12, guess: 0, lapse: 0 } });
      if (analyseSession(app.db, s.id).conditions[0]!.statistics.find((x) => x.key === 'slope')!.undetermined) sim = s;
    }
    expect(sim, 'a simulated session whose slope the fit cannot determine').not.toBeNull();
    expect(sim!.participant.kind).toBe('simulated');

    await page.getByTestId('nav-results').click();
    await page.getByTestId('results-session').selectOption(String(sim!.id));
    await expect.poll(() => page.getByTestId('slope').textContent(), { timeout: 30_000 }).toBe('not determined (/deg)');
    expect(await page.getByTestId('pse-deg').textContent()).toMatch(/deg$/);
    await page.screenshot({ path: '/tmp/predlab-workflow-results.png', fullPage: true });

    await page.getByTestId('nav-compare').click();
    await expect.poll(() => page.getByTestId(`choose-${sim!.id}`).count()).toBe(1);
    const row = page.locator('tr', { has: page.getByTestId(`choose-${sim!.id}`) });
    expect(await row.textContent()).toMatch(/\(simulated\)/);
    const options = await page.getByTestId('run-protocol').locator('option').allTextContents();
    expect(options.some((o) => o.startsWith(`#${sim!.id} `) && o.includes('(simulated)'))).toBe(true);
    await page.getByTestId(`choose-${sim!.id}`).check();
    await page.getByTestId('compare-go').click();
    await expect.poll(() => page.getByTestId('compare-table').textContent(), { timeout: 60_000 }).toMatch(/simulated: .*Slope at PSE not determined/);
    await page.screenshot({ path: '/tmp/predlab-workflow-compare.png', fullPage: true });

    // A model takes a (short) simulated observer's protocol (the app's default model); a
    // simulated observer is not a person, so no person - model difference is drawn.
    const short = simulateSession(app.db, { paradigmId: 'flash-lag', parameters: { offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 }, seed: 1, observer: { pse: 0, sigma: 0.5, guess: 0, lapse: 0 } });
    await page.goto(app.url);
    await page.getByTestId('nav-compare').click();
    await expect.poll(() => page.getByTestId('run-protocol').locator('option').count()).toBeGreaterThan(2);
    await page.getByTestId('run-protocol').selectOption(String(short.id));
    await page.getByTestId('run-model').selectOption({ index: 1 });
    await page.getByTestId('run-model-go').click();
    await expect.poll(() => page.getByTestId('compare-table').textContent(), { timeout: 120_000 }).toMatch(/model: /);
    // The model, and copy-last and the oracle beside it.
    expect(listSessions(app.db).filter((s) => s.protocol.id === short.protocol.id).map((s) => [s.participant.kind, (s.participant.details as { reference?: string }).reference ?? null, s.status])).toEqual([
      ['simulated', null, 'complete'],
      ['model', null, 'complete'],
      ['model', 'copy-last', 'complete'],
      ['model', 'oracle', 'complete'],
    ]);
    expect(await page.getByTestId('compare-differences').count()).toBe(0);
  }, 240_000);
});
