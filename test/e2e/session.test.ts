/**
 * A person's flash-lag session end to end: the built renderer in Chromium, keyboard answers,
 * the preload API bound to the real handlers and a real database file.
 */
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flashFrame, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { analyseSession } from '../../main/services/analysis.js';
import { getSession, nextTrial, trialRows } from '../../main/services/sessions.js';
import { openApp, type AppHarness } from '../support/app.js';

let app: AppHarness;
beforeAll(async () => {
  app = await openApp();
});
afterAll(async () => {
  await app?.close();
});

/** Fills the Run page for a short, fast session (3 offsets, 0.2 s trials) and starts it. */
async function startShortSession(page: Page, label: string, trialsPerOffset: number, seed = '') {
  await page.getByTestId('nav-run').click();
  await page.getByTestId('participant-label').fill(label);
  await page.getByTestId('param-speed').fill('40');
  await page.getByTestId('param-travel').fill('8');
  await page.getByTestId('param-offsets').fill('-1, 0, 1');
  await page.getByTestId('param-trials').fill(String(trialsPerOffset));
  await page.getByTestId('param-seed').fill(seed);
  await page.getByTestId('run-start').click();
  await page.getByTestId('instructions').waitFor();
  await page.keyboard.press('Space');
}

describe('a flash-lag session in the app', () => {
  it('calibrates, runs a short session by keyboard with a pause, shows the fit, and exports', async () => {
    const { page, db } = app;
    // Calibrate through the UI.
    await page.getByTestId('nav-calibrate').click();
    await page.getByTestId('cal-width-cm').fill('34.5');
    await page.getByTestId('cal-preview').waitFor();
    await page.getByTestId('cal-save').click();
    await expect.poll(() => page.getByTestId('cal-saved').textContent()).toMatch(/px\/deg/);

    await startShortSession(page, 'P01', 2, '7');

    const sessionId = 1;
    for (let i = 0; i < 6; i++) {
      if (i === 3) {
        // Pause during the presentation: nothing is lost, the same trial comes back.
        await page.keyboard.press('Escape');
        await page.getByTestId('paused').waitFor();
        expect(trialRows(db, sessionId)).toHaveLength(3);
        await page.keyboard.press('Space');
      }
      await page.getByTestId('prompt').waitFor();
      // A consistent observer: sees the flash ahead only when it leads by more than 0.3 deg.
      const trial = nextTrial(db, sessionId)!;
      expect(trial.index).toBe(i);
      const s = trial.stimulus as unknown as FlashLagStimulus;
      const ahead = s.offsetDeg > 0.3;
      await page.keyboard.press(ahead === (s.direction === 1) ? 'ArrowRight' : 'ArrowLeft');
      await expect.poll(() => trialRows(db, sessionId).length).toBe(i + 1);
    }

    await page.getByTestId('end-message').waitFor();
    expect(await page.getByTestId('end-message').textContent()).toMatch(/Session complete/);
    await page.getByTestId('result').waitFor();
    expect(await page.locator('[data-testid=plot] svg').count()).toBe(1);

    // What was stored.
    const session = getSession(db, sessionId);
    expect(session).toMatchObject({ status: 'complete', answered: 6, total: 6, participant: { kind: 'human', label: 'P01' } });
    expect(session.calibration).toMatchObject({ method: 'screen-width', viewingDistanceCm: 57 });
    const refreshHz = (session.calibration as { refreshHz: number }).refreshHz;
    const rows = trialRows(db, sessionId);
    for (const r of rows) {
      const s = JSON.parse(r.stimulus) as FlashLagStimulus;
      expect(r.rt_ms).toBeGreaterThan(0);
      expect(r.frame_count).toBeGreaterThan(8);
      expect(r.frame_interval_mean_ms).toBeGreaterThan(5);
      expect(r.dropped_frames).toBeGreaterThanOrEqual(0);
      expect(JSON.parse(r.frame_intervals!)).toHaveLength(r.frame_count! - 1);
      expect(r.critical_frame).toBe(flashFrame(s, { frameRateHz: refreshHz }));
      expect(r.response === 'right').toBe((s.offsetDeg > 0.3) === (s.direction === 1));
    }

    // The analysis on screen is the stored analysis.
    const analysis = analyseSession(db, sessionId, { bootstrap: 200 });
    expect(analysis.levels.map((l) => [l.offsetDeg, l.nAhead])).toEqual([[-1, 0], [0, 0], [1, 2]]);
    expect(await page.getByTestId('pse-deg').textContent()).toBe(`${analysis.pseDeg!.toFixed(3)} deg`);

    // Export from the Data page (the folder dialog is answered by the harness).
    await page.getByTestId('nav-data').click();
    await page.getByTestId(`export-csv-${sessionId}`).click();
    await page.getByTestId('export-done').waitFor();
    const csvFile = fs.readdirSync(app.exportDir).find((f) => f.endsWith('.csv'))!;
    const csv = parse(fs.readFileSync(`${app.exportDir}/${csvFile}`, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(csv.map((r) => r.response)).toEqual(rows.map((r) => r.response));
    await page.getByTestId(`export-bids-${sessionId}`).click();
    await expect.poll(() => fs.existsSync(`${app.exportDir}/sub-P01/ses-1/beh/sub-P01_ses-1_task-flashlag_beh.tsv`)).toBe(true);
  });

  it('an interrupted session appears on Home and resumes where it stopped', async () => {
    const { page, db } = app;
    await startShortSession(page, 'P02', 1);
    await page.getByTestId('prompt').waitFor();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => trialRows(db, 2).length).toBe(1);
    // The window goes away mid-session (a reload drops all renderer state, like a crash).
    await page.reload();
    await page.getByTestId('incomplete').waitFor();
    expect(await page.getByTestId('incomplete').textContent()).toMatch(/1 \/ 3/);
    await page.getByTestId('resume-2').click();
    expect(await page.getByTestId('instructions').textContent()).toMatch(/Resuming: 1 of 3/);
    await page.keyboard.press('Space');
    for (let i = 1; i < 3; i++) {
      await page.getByTestId('prompt').waitFor();
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => trialRows(db, 2).length).toBe(i + 1);
    }
    await page.getByTestId('end-message').waitFor();
    expect(getSession(db, 2)).toMatchObject({ status: 'complete', answered: 3 });
    expect(trialRows(db, 2).map((r) => r.trial_index)).toEqual([0, 1, 2]);
  });
});
