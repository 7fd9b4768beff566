/**
 * Issue 27 part 4 in the app: a calibration left in localStorage becomes the profile "This
 * display"; the Calibrate page fits a gamma to photometer readings and saves a profile; the Run
 * page offers the profile, the session keeps its copy, and the stimulus on screen is drawn through
 * its gamma (a 0.5 background reads back as 255 * 0.5^(1/2.2) = 186). Profiles are renamed and
 * deleted on the Calibrate page (after a confirm step); sessions keep their copy.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMonitorProfiles } from '../../main/services/monitors.js';
import { getSession, listSessions } from '../../main/services/sessions.js';
import type { MonitorSnapshot } from '../../preload/contract.js';
import { openApp, type AppHarness } from '../support/app.js';
import { CALIBRATION } from '../support/db.js';
import { dataTrialsOnly, passSessionInfo } from '../support/run-page.js';

const SHOTS = '/tmp/shots';
let app: AppHarness;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  app = await openApp({ calibration: CALIBRATION });
});
afterAll(async () => app?.close());

/** The grey value at (x, y) of an element as the screen shows it (its screenshot, decoded by Chromium). */
async function greyAt(page: Page, testId: string, x: number, y: number): Promise<number> {
  const png = (await page.getByTestId(testId).screenshot()).toString('base64');
  return page.evaluate(
    async ([data, px, py]) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(px as number, py as number, 1, 1).data[0]!;
    },
    [png, x, y] as const,
  );
}

describe('monitor profiles in the app', () => {
  it('moves the localStorage calibration into the profile "This display" on first load', async () => {
    await app.page.getByTestId('home-monitor').waitFor();
    expect(await app.page.getByTestId('home-monitor').textContent()).toMatch(/This display.*gamma not measured/);
    const [p] = listMonitorProfiles(app.db);
    expect(p).toMatchObject({ name: 'This display', calibration: CALIBRATION, gamma: 1, gammaMethod: 'assumed', chosen: true });
    // Loading again adds nothing.
    await app.page.goto(app.url);
    await app.page.getByTestId('home-monitor').waitFor();
    expect(listMonitorProfiles(app.db)).toHaveLength(1);
  });

  it('the Calibrate page fits a gamma to photometer readings and saves a new profile, chosen for new sessions', async () => {
    const { page, db } = app;
    await page.getByTestId('nav-calibrate').click();
    await page.getByTestId('cal-profile-1').waitFor();
    await page.getByTestId('cal-new').click();
    await page.getByTestId('cal-name').fill('Lab CRT');
    await page.getByTestId('cal-width-cm').fill('34.5');
    await page.getByTestId('cal-distance').fill('57');
    await page.getByTestId('cal-gamma-method').selectOption('photometer');
    const levels = [0, 32, 64, 96, 128, 160, 192, 224, 255];
    for (const [i, v] of levels.entries()) await page.getByTestId(`photometer-lum-${i}`).fill((0.5 + 119.5 * (v / 255) ** 2.2).toFixed(4));
    await expect.poll(() => page.getByTestId('photometer-fit').textContent()).toMatch(/Fitted gamma 2\.200 .*Lmin 0\.50, Lmax 120\.00/);
    await page.getByTestId('photometer-show-4').click();
    await page.getByTestId('photometer-patch').waitFor();
    await page.getByTestId('photometer-patch').click();
    await page.getByTestId('cal-preview').waitFor();
    await page.screenshot({ path: `${SHOTS}/I27-calibrate-photometer.png`, fullPage: true });
    await page.getByTestId('cal-save').click();
    await expect.poll(() => page.getByTestId('cal-saved').textContent()).toMatch(/Saved Lab CRT: .*gamma 2\.200 \(photometer\)/);
    const crt = listMonitorProfiles(db).find((p) => p.name === 'Lab CRT')!;
    expect(crt).toMatchObject({ gammaMethod: 'photometer', chosen: true, calibration: { screenWidthCm: 34.5, viewingDistanceCm: 57 } });
    expect(crt.gamma).toBeCloseTo(2.2, 3);
    expect(crt.gammaData.points).toHaveLength(9);

    // A refused profile says why and writes nothing.
    await page.getByTestId('cal-new').click();
    await page.getByTestId('cal-name').fill('lab crt');
    await page.getByTestId('cal-width-cm').fill('34.5');
    await page.getByTestId('cal-save').click();
    await expect.poll(() => page.getByTestId('cal-error').textContent()).toMatch(/already a monitor profile named 'Lab CRT'/);
    expect(listMonitorProfiles(db)).toHaveLength(2);

    // The half-split match, by eye.
    await page.getByTestId('cal-gamma-method').selectOption('half-split');
    await page.getByTestId('halfsplit-level').fill('186');
    await page.getByTestId('halfsplit-record').click();
    await expect.poll(() => page.getByTestId('halfsplit-matches').textContent()).toMatch(/50 % of white matched by grey 186: gamma 2\.197/);
    await page.screenshot({ path: `${SHOTS}/I27-calibrate-half-split.png`, fullPage: true });
  });

  it('the Run page offers the profile; the session keeps its copy and is drawn through its gamma', async () => {
    const { page, db } = app;
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-monitor').waitFor();
    expect(await page.getByTestId('run-monitor').locator('option:checked').textContent()).toBe('Lab CRT');
    expect(await page.getByTestId('run-monitor-summary').textContent()).toMatch(/gamma 2\.20 \(photometer fit\)/);
    await page.getByTestId('participant-label').fill('G01');
    await page.getByTestId('param-offsetsDeg').fill('0');
    await page.getByTestId('param-trialsPerOffset').fill('1');
    await dataTrialsOnly(page);
    await page.getByTestId('run-display').screenshot({ path: `${SHOTS}/I27-run-monitor-choice.png` });
    await page.screenshot({ path: `${SHOTS}/I27-run-page.png`, fullPage: true });
    await page.getByTestId('run-start').click();
    await passSessionInfo(page);
    await page.getByTestId('instructions').waitFor();
    await page.keyboard.press('Space');
    await page.getByTestId('prompt').waitFor();
    // The rest scene's background (luminance 0.5) as the screen shows it.
    expect(Math.abs((await greyAt(page, 'stimulus', 3, 3)) - Math.round(255 * 0.5 ** (1 / 2.2)))).toBeLessThanOrEqual(1);
    await page.keyboard.press('ArrowLeft');
    await page.getByTestId('end-message').waitFor();
    const session = getSession(db, listSessions(db).at(-1)!.id);
    const monitor = session.calibration.monitor as MonitorSnapshot;
    expect(monitor).toMatchObject({ name: 'Lab CRT', gammaMethod: 'photometer' });
    expect(monitor.gamma).toBeCloseTo(2.2, 3);
    expect(session.calibration).toMatchObject({ screenWidthCm: 34.5, viewingDistanceCm: 57 });
  });

  it("choosing another profile on the Run page makes it the lab's choice for new sessions", async () => {
    const { page, db } = app;
    await page.getByTestId('nav-run').click();
    await page.getByTestId('run-monitor').waitFor();
    await page.getByTestId('run-monitor').selectOption({ label: 'This display' });
    await expect.poll(() => listMonitorProfiles(db).find((p) => p.chosen)?.name).toBe('This display');
    expect(await page.getByTestId('run-monitor-summary').textContent()).toMatch(/gamma not measured/);
  });

  it('the Calibrate page renames and deletes profiles after asking; the chosen one is refused while others exist; sessions keep their copy', async () => {
    const { page, db } = app;
    const session = listSessions(db).at(-1)!;
    const kept = getSession(db, session.id).calibration;
    const byName = (name: string) => listMonitorProfiles(db).find((p) => p.name === name)!;
    const display = byName('This display');
    const crt = byName('Lab CRT');
    await page.getByTestId('nav-calibrate').click();
    await page.getByTestId(`cal-delete-${crt.id}`).waitFor();

    // Keeping it changes nothing.
    await page.getByTestId(`cal-delete-${crt.id}`).click();
    expect(await page.getByTestId('cal-confirm').textContent()).toMatch(/Delete monitor profile Lab CRT\? Sessions that ran with it keep its values and gamma/);
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.getByTestId('cal-confirm').count()).toBe(0);
    expect(listMonitorProfiles(db)).toHaveLength(2);

    // The profile new sessions use: refused, naming it and how to choose another.
    await page.getByTestId(`cal-delete-${display.id}`).click();
    await page.getByTestId('cal-confirm-delete').click();
    await expect.poll(() => page.getByTestId('cal-list-error').textContent()).toMatch(/'This display' is the profile new sessions use: choose another first/);
    expect(listMonitorProfiles(db)).toHaveLength(2);

    // Renamed by editing its name (saving also makes it the one new sessions use).
    await page.getByTestId(`cal-profile-${crt.id}`).click();
    await page.getByTestId('cal-name').fill('Lab CRT (old)');
    await page.getByTestId('cal-save').click();
    await expect.poll(() => page.getByTestId('cal-saved').textContent()).toMatch(/Saved Lab CRT \(old\)/);
    expect(byName('Lab CRT (old)')).toMatchObject({ id: crt.id, chosen: true });

    // Now 'This display' may go.
    await page.getByTestId(`cal-delete-${display.id}`).click();
    await page.getByTestId('cal-confirm').waitFor();
    await page.screenshot({ path: `${SHOTS}/monitor-delete-confirm.png`, fullPage: true });
    await page.getByTestId('cal-confirm-delete').click();
    await expect.poll(() => page.getByTestId('cal-list-notice').textContent()).toMatch(/Deleted This display\. 0 session\(s\) ran with it/);
    expect(listMonitorProfiles(db).map((p) => p.name)).toEqual(['Lab CRT (old)']);
    expect(await page.getByTestId(`cal-profile-${display.id}`).count()).toBe(0);

    // The last one may go too; the session that ran with it keeps its copy (the name it ran with).
    await page.getByTestId(`cal-delete-${crt.id}`).click();
    await page.getByTestId('cal-confirm-delete').click();
    await expect.poll(() => page.getByTestId('cal-list-notice').textContent()).toMatch(/Deleted Lab CRT \(old\)\. 1 session\(s\) ran with it; they keep its values and gamma/);
    expect(listMonitorProfiles(db)).toEqual([]);
    expect(getSession(db, session.id).calibration).toEqual(kept);
    expect((kept.monitor as MonitorSnapshot).name).toBe('Lab CRT');
    // The calibration left in localStorage before profiles does not come back as "This display".
    await page.getByTestId('nav-home').click();
    await page.getByTestId('home-uncalibrated').waitFor();
    expect(listMonitorProfiles(db)).toEqual([]);
  });
});

