/**
 * The Run page's workflow as an experimenter and a participant meet it, in the built renderer in
 * Chromium over the app's own wiring: the parameter form (ms beside frames, the duration
 * estimate, each design's own settings), the session-information dialog, practice with feedback
 * (never stored), scheduled breaks, the thank-you screen without results, and the experimenter's
 * view behind Ctrl+Shift+E. What the app stored is checked in the database.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dropNearCritical } from '../../main/services/dropped-frames.js';
import { listParticipants } from '../../main/services/participants.js';
import { getSession, listSessions, nextTrial, trialRows } from '../../main/services/sessions.js';
import { chosenMonitorProfile, updateMonitorProfile } from '../../main/services/monitors.js';
import { kanizsa, type KanizsaStimulus } from '../../paradigms/kanizsa/index.js';
import { estimateSession, formatDuration, paradigmParameters, practiceStimuli, runSettingsOf } from '../../paradigms/run-settings.js';
import { flashLag } from '../../paradigms/flash-lag/index.js';
import { openApp, type AppHarness } from '../support/app.js';
import { CALIBRATION } from '../support/db.js';

const SHOTS = '/tmp/shots';
let app: AppHarness;
beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  app = await openApp({ calibration: CALIBRATION });
});
afterAll(async () => {
  await app?.close();
});
beforeEach(async () => {
  await app.page.goto(app.url);
});

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/H4a-${name}.png` });
const newest = () => listSessions(app.db).at(-1)!;

async function fill(page: Page, values: Record<string, string>) {
  for (const [key, value] of Object.entries(values)) {
    const field = page.getByTestId(key);
    if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }
}

/** The key of the right answer to a Kanizsa stimulus. */
const kanizsaKey = (s: KanizsaStimulus) => (s.alphaDeg > 0 ? 'f' : 't');

describe('the Run page form', () => {
  it('durations in ms, entered as ms or as frames of the calibrated display; the trials and expected duration; each design\'s own settings', async () => {
    const { page } = app;
    await page.getByTestId('nav-run').click();
    // The default flash (33.333 ms) is two frames of the calibrated 60 Hz display.
    expect(await page.getByTestId('frames-flashDurationMs').textContent()).toBe('= 2 frames at 60 Hz');
    // Entered in frames: stored as ms.
    await page.getByTestId('enter-frames-flashDurationMs').fill('3');
    await page.getByTestId('enter-frames-flashDurationMs').dispatchEvent('change');
    await expect.poll(() => page.getByTestId('param-flashDurationMs').inputValue()).toBe('50');
    expect(await page.getByTestId('frames-flashDurationMs').textContent()).toBe('= 3 frames at 60 Hz');
    // A duration that is no whole number of frames says what the display will show.
    await page.getByTestId('param-flashDurationMs').fill('40');
    expect(await page.getByTestId('frames-flashDurationMs').textContent()).toBe('shown as 2 frames (33.3 ms) at 60 Hz');
    await fill(page, { 'param-flashDurationMs': '50', 'param-offsetsDeg': '-1, 0, 1', 'param-trialsPerOffset': '10', 'run-practiceTrials': '0', 'run-breakEvery': '10' });
    const params = { ...flashLag.defaults, flashDurationMs: 50, offsetsDeg: [-1, 0, 1], trialsPerOffset: 10 };
    const e = estimateSession(flashLag, params, runSettingsOf({ run: { practiceTrials: 0, breakEvery: 10 } }), 60);
    await expect.poll(() => page.getByTestId('run-estimate').textContent()).toContain(`30 data trials, 2 break(s) · about ${formatDuration(e.totalS)}`);
    // Every schema parameter is editable: the ones the paradigm's form leaves out are under "More".
    await page.getByTestId('advanced-params').locator('summary').click();
    for (const key of ['gapDeg', 'barWidthDeg', 'flashJitterDeg', 'background']) expect(await page.getByTestId(`param-${key}`).isVisible(), key).toBe(true);
    await shot(page, 'form-constant');

    // The staircase design: its own settings, not the constant-stimuli ones.
    await page.getByTestId('param-design').selectOption('staircase');
    for (const key of ['staircaseTrials', 'staircaseStepDeg', 'staircaseStartDeg']) expect(await page.getByTestId(`param-${key}`).isVisible(), key).toBe(true);
    for (const key of ['offsetsDeg', 'trialsPerOffset']) expect(await page.getByTestId(`param-${key}`).count(), key).toBe(0);
    await page.getByTestId('param-staircaseTrials').fill('24');
    await expect.poll(() => page.getByTestId('run-estimate').textContent()).toMatch(/^\s*24 data trials, 2 break\(s\)/);

    // QUEST: its prior, assumed spread and lapse, not the staircases' settings.
    await page.getByTestId('param-design').selectOption('quest');
    for (const key of ['questTrials', 'questPriorMeanDeg', 'questPriorSdDeg', 'questSigmaDeg', 'questLapse', 'questStepDeg']) expect(await page.getByTestId(`param-${key}`).isVisible(), key).toBe(true);
    for (const key of ['staircaseTrials', 'offsetsDeg', 'trialsPerOffset']) expect(await page.getByTestId(`param-${key}`).count(), key).toBe(0);
    expect(await page.getByTestId('param-questPriorSdDeg').inputValue()).toBe('1.5');
    await page.getByTestId('param-questTrials').fill('40');
    await expect.poll(() => page.getByTestId('run-estimate').textContent()).toMatch(/^\s*40 data trials, 3 break\(s\)/);
    await shot(page, 'form-quest');

    // Kanizsa has all three designs too.
    await page.getByTestId('param-paradigm').selectOption('kanizsa');
    expect(await page.getByTestId('frames-presentationMs').textContent()).toBe('= 12 frames at 60 Hz');
    await page.getByTestId('param-design').selectOption('updown');
    for (const key of ['updownTrials', 'updownStartDeg', 'updownStepDeg']) expect(await page.getByTestId(`param-${key}`).isVisible(), key).toBe(true);
    for (const key of ['alphasDeg', 'trialsPerLevel']) expect(await page.getByTestId(`param-${key}`).count(), key).toBe(0);
    // Three conditions x 60 staircase trials, and the run settings' practice trials.
    await page.getByTestId('run-practiceTrials').fill('4');
    await expect.poll(() => page.getByTestId('run-estimate').textContent()).toMatch(/^\s*180 data trials \+ 4 practice, 17 break\(s\)/);
    await shot(page, 'form-staircase');
    await page.getByTestId('param-design').selectOption('quest');
    for (const key of ['questTrials', 'questPriorMeanDeg', 'questPriorSdDeg', 'questSigmaDeg', 'questLapse', 'questStepDeg']) expect(await page.getByTestId(`param-${key}`).isVisible(), key).toBe(true);
    for (const key of ['updownTrials', 'alphasDeg']) expect(await page.getByTestId(`param-${key}`).count(), key).toBe(0);
    // Three conditions x 60 QUEST trials.
    await expect.poll(() => page.getByTestId('run-estimate').textContent()).toMatch(/^\s*180 data trials \+ 4 practice/);
    await shot(page, 'form-kanizsa-quest');
  });
});

describe('a session from the information dialog to the thank-you screen', () => {
  it('session info -> practice with feedback -> break -> data trials -> thank-you without fitted curves; the experimenter view has them', async () => {
    const { page, db } = app;
    await page.getByTestId('nav-run').click();
    await page.getByTestId('participant-label').fill('R01');
    await page.getByTestId('param-paradigm').selectOption('kanizsa');
    await page.getByTestId('param-conditions-control').uncheck();
    await fill(page, { 'param-alphasDeg': '8', 'param-trialsPerLevel': '1', 'param-seed': '3', 'run-practiceTrials': '2', 'run-breakEvery': '2', 'run-itiMs': '200', 'info-mode-age': 'required', 'info-mode-notes': 'off' });
    await page.getByTestId('run-instructions').fill('Fat or thin? F for fat, T for thin. (Edited for this study.)');
    await shot(page, 'form-kanizsa');
    await page.getByTestId('run-start').click();

    // The dialog: a required field left empty is refused before anything is stored.
    await page.getByTestId('session-info').waitFor();
    expect(await page.getByTestId('info-notes').count()).toBe(0);
    await page.getByTestId('session-info-start').click();
    expect(await page.getByTestId('session-info-error').textContent()).toBe('Age is required.');
    expect(listParticipants(db)).toHaveLength(0);
    await page.getByTestId('info-age').fill('29');
    await page.getByTestId('info-handedness').selectOption('left');
    await shot(page, 'session-info');
    await page.getByTestId('session-info-start').click();
    await page.getByTestId('instructions').waitFor();
    expect(await page.getByTestId('instructions').textContent()).toMatch(/Edited for this study[\s\S]*2 practice trial\(s\), with feedback/);
    const session = newest();
    expect(session.participant).toMatchObject({ label: 'R01', details: { age: 29, handedness: 'left' } });
    expect(session.protocol.parameters.run).toMatchObject({ practiceTrials: 2, breakEvery: 2, itiMs: 200, instructions: 'Fat or thin? F for fat, T for thin. (Edited for this study.)' });

    // Practice: the same stimuli the paradigm plans for practice; a wrong answer, then a right one.
    const practice = practiceStimuli(kanizsa, paradigmParameters(session.protocol.parameters) as never, session.protocol.seed, 2);
    await page.keyboard.press('Space');
    await page.getByTestId('practice-label').waitFor();
    await page.getByTestId('prompt').waitFor();
    await page.keyboard.press(kanizsaKey(practice[0]!) === 'f' ? 't' : 'f');
    await expect.poll(() => page.getByTestId('feedback').textContent()).toMatch(/Not quite: the answer was (Fat|Thin)/);
    await shot(page, 'practice-feedback');
    await page.getByTestId('prompt').waitFor();
    await page.keyboard.press(kanizsaKey(practice[1]!));
    await expect.poll(() => page.getByTestId('feedback').textContent()).toBe('Correct');
    await page.getByTestId('practice-done').waitFor();
    expect(await page.getByTestId('practice-done').textContent()).toMatch(/1 of 2 correct/);
    await shot(page, 'practice-done');
    // Practice answers are never stored as trials.
    expect(trialRows(db, session.id)).toHaveLength(0);
    await page.keyboard.press('Space');

    // Data trials, with a break after every 2; the experimenter's live view opens and closes by chord.
    const answer = async (i: number) => {
      await page.getByTestId('prompt').waitFor();
      await page.keyboard.press(kanizsaKey(nextTrial(db, session.id)!.stimulus as unknown as KanizsaStimulus));
      await expect.poll(() => trialRows(db, session.id).length).toBe(i + 1);
    };
    await answer(0);
    await answer(1);
    await page.getByTestId('break').waitFor();
    // 4 trials, plus one repeat for each whose frames dropped near the figure's onset (a loaded
    // machine drops some): the page shows the service's count.
    const total = getSession(db, session.id).total;
    expect(total - 4).toBe(trialRows(db, session.id).filter((r) => dropNearCritical(r, CALIBRATION.refreshHz)).length);
    expect(await page.getByTestId('break').textContent()).toMatch(new RegExp(`2 of ${total} trials done`));
    expect(parseFloat(await page.getByTestId('break-progress').locator('div').evaluate((d) => (d as HTMLElement).style.width))).toBeCloseTo((100 * 2) / total, 2);
    await shot(page, 'break');
    await page.keyboard.press('Control+Shift+E');
    await page.getByTestId('experimenter').waitFor();
    expect(await page.getByTestId('experimenter-progress').textContent()).toMatch(new RegExp(`^2 / ${total} data trials answered`));
    expect(await page.getByTestId('experimenter-timing').textContent()).toMatch(/Last trial 2: \d+ dropped frame\(s\); frame interval [\d.]+ ± [\d.]+ ms/);
    expect(await page.getByTestId('experimenter-answers').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('experimenter-practice').textContent()).toBe('Practice: 2 trial(s), 1 of 2 correct');
    await shot(page, 'experimenter-live');
    await page.keyboard.press('Control+Shift+E');
    expect(await page.getByTestId('experimenter').count()).toBe(0);
    await page.keyboard.press('Space');
    // The rest, with a break after every second trial, until the service has planned no more.
    const more = () => getSession(db, session.id).status === 'running' && nextTrial(db, session.id) !== null;
    for (let i = 2; more(); i++) {
      if (i % 2 === 0 && i > 2) {
        await page.getByTestId('break').waitFor();
        await page.keyboard.press('Space');
      }
      await answer(i);
    }

    // The participant's end screen: thanks, no plot, no numbers.
    await page.getByTestId('end-message').waitFor();
    expect(await page.getByTestId('end-message').textContent()).toMatch(/Session complete\. Thank you/);
    expect(await page.locator('[data-testid=plot], svg').count()).toBe(0);
    expect(await page.getByTestId('result').count()).toBe(0);
    await shot(page, 'thank-you');
    // The experimenter's view has the analysis with its fitted curves.
    await page.keyboard.press('Control+Shift+E');
    await page.getByTestId('result').waitFor();
    // (Four trials may not determine a fit; the plot of the answers is there either way.)
    expect(await page.locator('[data-testid=experimenter] [data-testid=plot] svg').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${SHOTS}/H4a-experimenter-end.png`, fullPage: true });
    const done = getSession(db, session.id);
    expect(done).toMatchObject({ status: 'complete' });
    expect(done.answered).toBe(done.total);
    expect(done.total).toBeGreaterThanOrEqual(4);
  }, 120_000);
});

describe('participants', () => {
  it('a duplicate ID reuses the participant; a start refused by the service leaves no participant', async () => {
    const { page, db } = app;
    const start = async (label: string) => {
      await page.goto(app.url);
      await page.getByTestId('nav-run').click();
      await page.getByTestId('participant-label').fill(label);
      await fill(page, { 'param-offsetsDeg': '0', 'param-trialsPerOffset': '1', 'run-practiceTrials': '0' });
      await page.getByTestId('run-start').click();
      await page.getByTestId('session-info').waitFor();
      await page.getByTestId('session-info-start').click();
    };
    await start('R02');
    await page.getByTestId('instructions').waitFor();
    const first = newest();
    await start('R02');
    await page.getByTestId('instructions').waitFor();
    expect(newest().participant.id).toBe(first.participant.id);
    expect(listParticipants(db).filter((p) => p.label === 'R02')).toHaveLength(1);

    // The service refuses what the page let through (here: the participant's details would pass
    // the size cap, as after many long notes): the dialog shows why, and nothing is stored.
    const before = { participants: listParticipants(db).length, sessions: listSessions(db).length };
    await page.goto(app.url);
    await page.getByTestId('nav-run').click();
    await page.getByTestId('participant-label').fill('R03');
    await fill(page, { 'param-offsetsDeg': '0', 'param-trialsPerOffset': '1' });
    const refused = await page.evaluate(async () => {
      try {
        await (window as unknown as { predlab: Record<string, (a: unknown) => Promise<unknown>> }).predlab['sessions:start']!({
          participant: { label: 'R03', details: { filler: 'x'.repeat(16_000) } },
          sessionInfo: { notes: 'y'.repeat(1000) },
          paradigmId: 'flash-lag',
          parameters: { offsetsDeg: [0], trialsPerOffset: 1, run: {} },
          calibration: JSON.parse(localStorage.getItem('predlab.calibration')!),
        });
        return 'started';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(refused).toMatch(/details would grow to \d+ characters \(at most 16384\)/);
    expect({ participants: listParticipants(db).length, sessions: listSessions(db).length }).toEqual(before);
  }, 60_000);
});

describe('trials with dropped frames near the critical event', () => {
  it('are repeated once at the end, with the same stimulus, and the experimenter sees it', async () => {
    const { page, db } = app;
    // A display calibrated at 120 Hz that shows 60 frames a second misses every other refresh:
    // each trial then drops frames at its flash (as a machine too slow for its display would).
    // (The lab's chosen monitor profile, moved there from the harness's localStorage calibration on first load.)
    const profile = chosenMonitorProfile(db)!;
    updateMonitorProfile(db, profile.id, { calibration: { ...CALIBRATION, refreshHz: 120 } });
    try {
      await page.getByTestId('nav-run').click();
      await page.getByTestId('participant-label').fill('R04');
      await page.getByTestId('advanced-params').locator('summary').click();
      await fill(page, { 'param-speedDegPerS': '40', 'param-travelDeg': '4', 'param-flashJitterDeg': '1', 'param-offsetsDeg': '-1, 1', 'param-trialsPerOffset': '1', 'run-practiceTrials': '0', 'run-itiMs': '100' });
      expect(await page.getByTestId('run-repeatDropped').isChecked()).toBe(true);
      await page.getByTestId('run-start').click();
      await page.getByTestId('session-info-start').click();
      await page.getByTestId('instructions').waitFor();
      const session = newest();
      await page.keyboard.press('Space');
      for (let i = 0; getSession(db, session.id).status === 'running' && nextTrial(db, session.id); i++) {
        await page.getByTestId('prompt').waitFor();
        await page.keyboard.press('ArrowLeft');
        await expect.poll(() => trialRows(db, session.id).length).toBe(i + 1);
      }
      await page.getByTestId('end-message').waitFor();
      const rows = trialRows(db, session.id);
      expect(rows.map((r) => [r.trial_index, r.extra ? (JSON.parse(r.extra) as { repeatOf?: number }).repeatOf : null])).toEqual([[0, null], [1, null], [2, 0], [3, 1]]);
      expect(rows[2]!.stimulus).toBe(rows[0]!.stimulus);
      expect(rows[3]!.stimulus).toBe(rows[1]!.stimulus);
      expect(getSession(db, session.id)).toMatchObject({ status: 'complete', answered: 4, total: 4 });
      await page.keyboard.press('Control+Shift+E');
      await page.getByTestId('experimenter').waitFor();
      expect(await page.getByTestId('experimenter-progress').textContent()).toBe('4 / 4 data trials answered (2 repeat(s) scheduled for dropped frames)');
      expect(await page.getByTestId('experimenter-answers').textContent()).toMatch(/3 \(repeat of 1\)/);
      await page.screenshot({ path: `${SHOTS}/H4a-experimenter-repeats.png`, fullPage: true });
    } finally {
      updateMonitorProfile(db, profile.id, { calibration: { ...profile.calibration } });
    }
  }, 90_000);
});

