/**
 * A person's flash-lag session end to end: the built renderer in Chromium, keyboard answers,
 * the app's own wiring (main/bootstrap.ts) over a real database file. Sessions made here are
 * checked against what the app stored, by the paradigm's own rules.
 */
import { parse } from 'csv-parse/sync';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyseSession } from '../../main/services/analysis.js';
import { DEFAULT_MODEL_LABEL } from '../../main/services/default-model.js';
import { getSession, nextTrial, trialRows } from '../../main/services/sessions.js';
import { flashFrame, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { getParadigm } from '../../paradigms/index.js';
import { paradigmParameters } from '../../paradigms/run-settings.js';
import { fmt } from '../../paradigms/format.js';
import { dropNearCritical } from '../../main/services/dropped-frames.js';
import { planFromHistory } from '../../paradigms/types.js';
import { RENDERER_HEADERS } from '../../main/bootstrap.js';
import { openApp, type AppHarness } from '../support/app.js';
import { cli } from '../support/cli.js';
import type { SessionAnalysis } from '../../paradigms/records.js';
import { CALIBRATION, tempDir } from '../support/db.js';
import { dataTrialsOnly, passSessionInfo, showExperimenterView } from '../support/run-page.js';

let app: AppHarness;
beforeAll(async () => {
  // A saved calibration, so each test can run alone; the first test calibrates through the UI.
  app = await openApp({ calibration: CALIBRATION });
});
afterAll(async () => {
  await app?.close();
});
// Each test starts on a freshly loaded app (as after a restart), whatever screen the last left.
beforeEach(async () => {
  await app.page.goto(app.url);
});

/** Fills the Run page and starts: by default a short, fast session (3 offsets, 0.2 s trials). */
async function startSession(page: Page, label: string, params: Record<string, string>, seed = '', companion?: string) {
  // 'Run session' opens a fresh form: choices made before it would be gone.
  await page.getByTestId('nav-run').click();
  if (companion) await page.getByTestId('companion-model').selectOption({ label: companion });
  await page.getByTestId('participant-label').fill(label);
  const all = { speedDegPerS: '40', travelDeg: '8', offsetsDeg: '-1, 0, 1', ...params };
  for (const [key, value] of Object.entries(all)) {
    const field = page.getByTestId(`param-${key}`);
    if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }
  await page.getByTestId('param-seed').fill(seed);
  await dataTrialsOnly(page);
  await page.getByTestId('run-start').click();
  await passSessionInfo(page);
  await page.getByTestId('instructions').waitFor();
  await page.keyboard.press('Space');
}

/** The key a consistent observer presses: "ahead" only when the flash leads by more than 0.3 deg. */
const keyFor = (s: FlashLagStimulus) => ((s.offsetDeg > 0.3) === (s.direction === 1) ? 'ArrowRight' : 'ArrowLeft');

/** Answers the next `count` trials as the consistent observer, each stored before the next. */
async function answerTrials(sessionId: number, count: number) {
  const done = trialRows(app.db, sessionId).length;
  for (let i = 0; i < count; i++) {
    await app.page.getByTestId('prompt').waitFor();
    const trial = nextTrial(app.db, sessionId)!;
    expect(trial.index).toBe(done + i);
    await app.page.keyboard.press(keyFor(trial.stimulus as unknown as FlashLagStimulus));
    await expect.poll(() => trialRows(app.db, sessionId).length).toBe(done + i + 1);
  }
}

/** The Run page's pause between trials (renderer/src/pages/Run.svelte, ITI_MS). */
const ITI_MS = 500;

/** Resolves once the page has asked for a trial `n` times (its sessions:next calls), then waits `ms` more. */
async function afterTrialRequest(n: number, ms: number) {
  await expect.poll(() => app.calls.filter(([c]) => c === 'sessions:next').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(n);
  await app.page.waitForTimeout(ms);
}

/** Dropped frames as PsychoPy counts them (missed refreshes in intervals over 1.5 frames), from the stored intervals. */
function droppedFrom(intervalsMs: number[], refreshHz: number): number {
  const nominal = 1000 / refreshHz;
  return intervalsMs.reduce((n, x) => (x > 1.5 * nominal ? n + Math.max(1, Math.round(x / nominal) - 1) : n), 0);
}

describe('a flash-lag session in the app', () => {
  it('serves the renderer with the app\'s Content-Security-Policy', async () => {
    const headers = await app.page.evaluate(async () => Object.fromEntries((await fetch('/index.html')).headers));
    for (const [k, v] of Object.entries(RENDERER_HEADERS)) expect(headers[k.toLowerCase()]).toBe(v);
  });

  it('calibrates, runs a short session by keyboard, shows the fit, and exports', async () => {
    const { page, db } = app;
    // Calibrate through the UI; the stored px/deg is what the entered numbers give.
    await page.getByTestId('nav-calibrate').click();
    await page.getByTestId('cal-width-cm').fill('34.5');
    await page.getByTestId('cal-distance').fill('60');
    await page.getByTestId('cal-preview').waitFor();
    await page.getByTestId('cal-save').click();
    await expect.poll(() => page.getByTestId('cal-saved').textContent()).toMatch(/px\/deg/);
    const screenWidthPx = await page.evaluate(() => window.screen.width);

    await startSession(page, 'P01', { trialsPerOffset: '2' }, '7');
    const sessionId = 1;
    await answerTrials(sessionId, 6);
    await page.getByTestId('end-message').waitFor();
    expect(await page.getByTestId('end-message').textContent()).toMatch(/Session complete/);
    // The participant's screen shows no results; the experimenter's view has them.
    expect(await page.getByTestId('result').count()).toBe(0);
    await showExperimenterView(page);
    await page.getByTestId('result').waitFor();
    expect(await page.locator('[data-testid=plot] svg').count()).toBe(1);

    // What was stored.
    const session = getSession(db, sessionId);
    expect(session).toMatchObject({ status: 'complete', answered: 6, total: 6, participant: { kind: 'human', label: 'P01' } });
    const cal = session.calibration as { screenWidthCm: number; screenWidthPx: number; viewingDistanceCm: number; pxPerDeg: number; refreshHz: number; method: string };
    expect(cal).toMatchObject({ method: 'screen-width', screenWidthCm: 34.5, viewingDistanceCm: 60, screenWidthPx });
    // One degree at 60 cm spans 2·60·tan(0.5°) cm of the screen.
    expect(cal.pxPerDeg).toBeCloseTo((screenWidthPx / 34.5) * 2 * 60 * Math.tan((0.5 * Math.PI) / 180), 9);
    const rows = trialRows(db, sessionId);
    for (const r of rows) {
      const s = JSON.parse(r.stimulus) as FlashLagStimulus;
      const intervals = JSON.parse(r.frame_intervals!) as number[];
      expect(r.rt_ms).toBeGreaterThan(0);
      expect(r.frame_count).toBeGreaterThan(8);
      expect(r.frame_interval_mean_ms).toBeGreaterThan(5);
      expect(intervals).toHaveLength(r.frame_count! - 1);
      expect(r.dropped_frames).toBe(droppedFrom(intervals, cal.refreshHz));
      expect(r.critical_frame).toBe(flashFrame(s, { frameRateHz: cal.refreshHz }));
      expect(r.response === 'right').toBe((s.offsetDeg > 0.3) === (s.direction === 1));
    }

    // The analysis on screen is the stored analysis.
    const analysis = analyseSession(db, sessionId, { bootstrap: 200 });
    const condition = analysis.conditions[0]!;
    // The consistent observer answered "ahead" only at +1 deg; trials whose frames dropped near
    // the flash are left out of the fit (the analysis' default), so count what it kept.
    const kept = rows.filter((r) => !dropNearCritical(r, cal.refreshHz)).map((r) => JSON.parse(r.stimulus) as FlashLagStimulus);
    const expected = [-1, 0, 1].filter((x) => kept.some((s) => s.offsetDeg === x)).map((x) => [x, x === 1 ? kept.filter((s) => s.offsetDeg === 1).length : 0]);
    expect(condition.levels.map((l) => [l.x, l.k])).toEqual(expected);
    const pse = condition.statistics.find((s) => s.key === 'pse-deg')!;
    // (With too many trials left out on a loaded machine there is no fit: the page says n/a.)
    const pseText = pse.undetermined ? 'not determined (deg)' : `${fmt(pse.value, 3)} deg`;
    expect(await page.getByTestId('pse-deg').textContent()).toBe(pseText);

    // Export from the Data page (the folder dialog is answered by the harness).
    await page.getByTestId('nav-data').click();
    await page.getByTestId(`export-csv-${sessionId}`).click();
    await page.getByTestId('export-done').waitFor();
    const csvFile = fs.readdirSync(app.exportDir).find((f) => f.endsWith('.csv'))!;
    const csv = parse(fs.readFileSync(`${app.exportDir}/${csvFile}`, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(csv.map((r) => r.response)).toEqual(rows.map((r) => r.response));
    await page.getByTestId(`export-bids-${sessionId}`).click();
    await expect.poll(() => fs.existsSync(`${app.exportDir}/sub-P01/beh/sub-P01_task-flashlag_run-1_beh.tsv`)).toBe(true);

    // The Results page shows any stored session's analysis.
    await page.getByTestId('nav-results').click();
    await page.getByTestId('results-session').selectOption(String(sessionId));
    await page.getByTestId('result').waitFor();
    expect(await page.getByTestId('pse-deg').textContent()).toBe(pseText);
    expect(await page.locator('[data-testid=plot] svg').count()).toBe(1);

    // A reviewer with the export alone gets the PSE and its interval the Results page prints (the
    // fit recomputed from the CSV and the protocol file beside it), and pandas reads the rows it used.
    const pageRow = (await page.getByTestId('pse-deg').locator('xpath=..').textContent())!;
    const recomputed = await cli('analyze', '--from-export', `${app.exportDir}/${csvFile}`, '--json');
    expect(recomputed.code, recomputed.err).toBe(0);
    const fromFile = (recomputed.json() as SessionAnalysis).conditions[0]!.statistics.find((x) => x.key === 'pse-deg')!;
    const ci = fromFile.undetermined ? fromFile.undetermined.replace(/^Not determined by the data: /, '') : `95% CI [${fmt(fromFile.ci![0], 3)}, ${fmt(fromFile.ci![1], 3)}]`;
    expect(pageRow).toBe(`Flash-lag (PSE)${fromFile.undetermined ? 'not determined (deg)' : `${fmt(fromFile.value, 3)} deg`}${ci}`);
    const py = spawnSync('/usr/bin/python3', ['-c', `import pandas as pd; d = pd.read_csv(${JSON.stringify(`${app.exportDir}/${csvFile}`)}); print(int(d.in_fit.sum()))`], { encoding: 'utf8' });
    expect(Number(py.stdout.trim()), py.stderr).toBe(kept.length);
  });

  it('pauses and aborts in the middle of a presentation; frames the page misses are counted', async () => {
    const { page, db } = app;
    // 2 s presentations (20 deg at 10 deg/s), so a key press lands inside one.
    const before = app.calls.filter(([c]) => c === 'sessions:next').length;
    await startSession(page, 'P02', { speedDegPerS: '10', travelDeg: '20', trialsPerOffset: '1' });
    const sessionId = listLast();
    await afterTrialRequest(before + 1, ITI_MS + 400);
    // The page's own thread is busy for 150 ms mid-presentation: those frames are missed.
    await page.evaluate(() => {
      const t = performance.now();
      while (performance.now() - t < 150);
    });
    await page.getByTestId('prompt').waitFor();
    const first = nextTrial(db, sessionId)!;
    await page.keyboard.press(keyFor(first.stimulus as unknown as FlashLagStimulus));
    await expect.poll(() => trialRows(db, sessionId).length).toBe(1);
    const stored = trialRows(db, sessionId)[0]!;
    const refreshHz = (getSession(db, sessionId).calibration as { refreshHz: number }).refreshHz;
    expect(stored.dropped_frames).toBeGreaterThanOrEqual(5);
    expect(stored.dropped_frames).toBe(droppedFrom(JSON.parse(stored.frame_intervals!), refreshHz));

    // Escape during the second presentation pauses at once (long before the prompt would come).
    await afterTrialRequest(before + 2, ITI_MS + 400);
    expect(await page.getByTestId('prompt').count()).toBe(0);
    await page.keyboard.press('Escape');
    await page.getByTestId('paused').waitFor({ timeout: 500 });
    expect(trialRows(db, sessionId)).toHaveLength(1);
    // Continuing shows the same trial again, from its start: a pause and the whole 2 s.
    const resumed = Date.now();
    await page.keyboard.press('Space');
    await page.getByTestId('prompt').waitFor();
    expect(Date.now() - resumed).toBeGreaterThanOrEqual(ITI_MS + 2000 - 50);
    expect(nextTrial(db, sessionId)!.index).toBe(1);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => trialRows(db, sessionId).length).toBe(2);
    expect(trialRows(db, sessionId)[1]!.frame_count).toBeGreaterThan(100); // the whole 2 s, not the rest

    // Escape, then A, during the third presentation: the session ends as aborted, two answers kept.
    await afterTrialRequest(before + 4, ITI_MS + 400);
    await page.keyboard.press('Escape');
    await page.getByTestId('paused').waitFor({ timeout: 500 });
    await page.keyboard.press('a');
    await page.getByTestId('end-message').waitFor();
    expect(await page.getByTestId('end-message').textContent()).toMatch(/aborted; 2 answered/);
    expect(getSession(db, sessionId)).toMatchObject({ status: 'aborted', answered: 2 });
  });

  it('an interrupted session appears on Home and resumes where it stopped; another is closed from Home', async () => {
    const { page, db } = app;
    await startSession(page, 'P03', { trialsPerOffset: '1' });
    const resumeId = listLast();
    await page.getByTestId('prompt').waitFor();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => trialRows(db, resumeId).length).toBe(1);
    // The window goes away mid-session (a reload drops all renderer state, like a crash).
    await page.reload();
    await page.getByTestId('incomplete').waitFor();
    expect(await page.getByTestId('incomplete').textContent()).toMatch(/1 \/ 3/);
    await page.getByTestId(`resume-${resumeId}`).click();
    expect(await page.getByTestId('instructions').textContent()).toMatch(/Resuming: 1 of 3/);
    await page.keyboard.press('Space');
    for (let i = 1; i < 3; i++) {
      await page.getByTestId('prompt').waitFor();
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => trialRows(db, resumeId).length).toBe(i + 1);
    }
    await page.getByTestId('end-message').waitFor();
    expect(getSession(db, resumeId)).toMatchObject({ status: 'complete', answered: 3 });
    expect(trialRows(db, resumeId).map((r) => r.trial_index)).toEqual([0, 1, 2]);

    // Another session interrupted after one answer, closed from Home: its answer is kept.
    await startSession(page, 'P04', { trialsPerOffset: '1' });
    const closeId = listLast();
    await page.getByTestId('prompt').waitFor();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => trialRows(db, closeId).length).toBe(1);
    await page.reload();
    await page.getByTestId(`close-${closeId}`).click();
    await expect.poll(() => getSession(db, closeId).status).toBe('aborted');
    expect(getSession(db, closeId).answered).toBe(1);
    await expect.poll(() => page.getByTestId(`close-${closeId}`).count()).toBe(0);
  });

  it('response keys chosen on the form and counterbalanced: the second person has them swapped, in the instructions, the prompt and the experimenter view; answers stored as values', async () => {
    const { page, db } = app;
    const take = async (label: string) => {
      await page.getByTestId('nav-run').click();
      await page.getByTestId('participant-label').fill(label);
      for (const [key, value] of Object.entries({ speedDegPerS: '40', travelDeg: '8', offsetsDeg: '-1, 0, 1', trialsPerOffset: '1' })) await page.getByTestId(`param-${key}`).fill(value);
      await dataTrialsOnly(page);
      // A key field takes the key pressed in it.
      await page.getByTestId('run-key-left').press('a');
      await page.getByTestId('run-key-right').press('l');
      expect([await page.getByTestId('run-key-left').inputValue(), await page.getByTestId('run-key-right').inputValue()]).toEqual(['A', 'L']);
      await page.getByTestId('run-counterbalanceKeys').check();
      await page.getByTestId('run-start').click();
      await passSessionInfo(page);
      await page.getByTestId('instructions').waitFor();
      const text = (await page.getByTestId('instructions').textContent())!;
      await page.keyboard.press('Space');
      const id = listLast();
      const keys = getSession(db, id).responseKeys!;
      for (let i = 0; i < 3; i++) {
        await page.getByTestId('prompt').waitFor();
        const prompt = await page.getByTestId('prompt').textContent();
        const answer = keyFor(nextTrial(db, id)!.stimulus as unknown as FlashLagStimulus) === 'ArrowRight' ? 'right' : 'left';
        await page.keyboard.press(keys[answer]!);
        await expect.poll(() => trialRows(db, id).length).toBe(i + 1);
        expect(trialRows(db, id)[i]!.response).toBe(answer);
        if (i === 0) expect(prompt).toBe(`${keys.left!.toUpperCase()} flash left · flash right ${keys.right!.toUpperCase()}`);
      }
      await page.getByTestId('end-message').waitFor();
      return { id, text, keys };
    };
    const first = await take('K01');
    expect(first.keys).toEqual({ left: 'a', right: 'l' });
    expect(first.text).toContain('Press A if the flash was to the left of the moving bar, L if it was to the right.');
    const second = await take('K02');
    expect(second.keys).toEqual({ left: 'l', right: 'a' });
    expect(second.text).toContain('Press L if the flash was to the left of the moving bar, A if it was to the right.');
    await showExperimenterView(page);
    expect(await page.getByTestId('experimenter-keys').textContent()).toBe('Keys: left: L, right: A');
    await page.screenshot({ path: path.join(tempDir(), 'counterbalanced-keys.png'), fullPage: true });
  });

  it("the experimenter's view opens in a second window and follows the session live, never over the participant's stimulus", async () => {
    const { page, db } = app;
    await page.getByTestId('nav-run').click();
    await page.getByTestId('open-experimenter-window').click();
    await expect.poll(() => page.getByTestId('experimenter-window-note').textContent()).toMatch(/^Only one screen is connected: the experimenter's view opened as a window on it/);
    await expect.poll(() => app.experimenterPage()?.url() ?? '', { timeout: 30_000 }).toMatch(/#experimenter$/);
    const second = app.experimenterPage()!;
    await second.getByTestId('experimenter-window').waitFor();
    // Two windows side by side in the app; one browser's tabs here: the participant's must be the
    // visible one, or its frame loop (requestAnimationFrame) waits.
    await page.bringToFront();
    await startSession(page, 'X01', { trialsPerOffset: '1' });
    const id = listLast();
    // The second window shows the session as it runs; the participant's page shows no panel.
    await expect.poll(() => second.getByTestId('experimenter-progress').textContent().catch(() => ''), { timeout: 30_000 }).toBe('0 / 3 data trials answered');
    await answerTrials(id, 3);
    await page.getByTestId('end-message').waitFor();
    expect(await page.getByTestId('experimenter').count()).toBe(0);
    await expect.poll(() => second.getByTestId('experimenter-progress').textContent()).toBe('3 / 3 data trials answered');
    expect(await second.getByTestId('experimenter-timing').textContent()).toMatch(/^\s*Last trial 3: \d+ dropped frame\(s\)/);
    await second.getByTestId('result').waitFor({ timeout: 60_000 });
    await second.screenshot({ path: path.join(tempDir(), 'experimenter-window.png'), fullPage: true });
    // Pressing the button again brings the same window forward; no third page.
    await page.getByTestId('nav-run').click();
    await page.getByTestId('open-experimenter-window').click();
    await expect.poll(() => app.context.pages().length).toBe(2);
    await second.close();
  });

  it('runs an interleaved staircase: each trial is the one the design plans from the answers given', async () => {
    const { page, db } = app;
    await startSession(page, 'P05', { design: 'staircase', staircaseTrials: '8', staircaseStepDeg: '0.5' }, '11');
    const sessionId = listLast();
    await answerTrials(sessionId, 8);
    await page.getByTestId('end-message').waitFor();
    const session = getSession(db, sessionId);
    expect(session).toMatchObject({ status: 'complete', answered: 8, protocol: { seed: 11, parameters: { design: 'staircase', staircaseTrials: 8 } } });
    const paradigm = getParadigm('flash-lag');
    const params = paradigm.parameterSchema.parse(paradigmParameters(session.protocol.parameters));
    const rows = trialRows(db, sessionId);
    const history = rows.map((r) => ({ index: r.trial_index, stimulus: JSON.parse(r.stimulus) as FlashLagStimulus, response: r.response }));
    rows.forEach((r, i) => expect(JSON.parse(r.stimulus), `trial ${i}`).toEqual(planFromHistory(paradigm, params, 11, i, history)?.stimulus));
    // The answers moved the staircases: not every trial had the same offset.
    expect(new Set(history.map((h) => h.stimulus.offsetDeg)).size).toBeGreaterThan(2);
  });

  it('runs QUEST: each trial at the level the design plans from the answers; the experimenter view has QUEST\'s estimate', async () => {
    const { page, db } = app;
    await startSession(page, 'P08', { design: 'quest', questTrials: '12' }, '13');
    const sessionId = listLast();
    await answerTrials(sessionId, 12);
    await page.getByTestId('end-message').waitFor();
    const session = getSession(db, sessionId);
    expect(session).toMatchObject({ status: 'complete', answered: 12, protocol: { seed: 13, parameters: { design: 'quest', questTrials: 12 } } });
    const paradigm = getParadigm('flash-lag');
    const params = paradigm.parameterSchema.parse(paradigmParameters(session.protocol.parameters));
    const rows = trialRows(db, sessionId);
    const history = rows.map((r) => ({ index: r.trial_index, stimulus: JSON.parse(r.stimulus) as FlashLagStimulus, response: r.response }));
    rows.forEach((r, i) => expect(JSON.parse(r.stimulus), `trial ${i}`).toEqual(planFromHistory(paradigm, params, 13, i, history)?.stimulus));
    expect(new Set(history.map((h) => h.stimulus.offsetDeg)).size).toBeGreaterThan(2);
    await page.keyboard.press('Control+Shift+E');
    await page.getByTestId('result').waitFor();
    await expect.poll(() => page.getByTestId('result').textContent()).toMatch(/QUEST estimate of the PSE/);
    await page.screenshot({ path: '/tmp/shots/quest-experimenter-end.png', fullPage: true });
  });

  it('live side by side: the default model takes the same trials in a worker during the person\'s session, and the person is shown the same number of frames', async () => {
    const { page, db } = app;
    const params = { speedDegPerS: '10', travelDeg: '10', offsetsDeg: '-1, 0, 1, 2', trialsPerOffset: '2' };
    const run = async (label: string, withModel: boolean) => {
      await page.goto(app.url);
      await startSession(page, label, params, '5', withModel ? DEFAULT_MODEL_LABEL : undefined);
      const id = listLast();
      await answerTrials(id, 8);
      await page.getByTestId('end-message').waitFor();
      const rows = trialRows(db, id);
      return { id, dropped: rows.reduce((n, r) => n + r.dropped_frames, 0), frames: rows.reduce((n, r) => n + r.frame_count!, 0), firstAnswer: rows[0]!.answered_at, lastAnswer: rows.at(-1)!.answered_at };
    };
    const alone = await run('P06', false);
    const beside = await run('P07', true);
    await showExperimenterView(page);
    await expect.poll(async () => (await page.getByTestId('companion-status').textContent()) ?? '', { timeout: 120_000 }).toMatch(/done \(session (\d+)\)/);
    const modelId = Number(/done \(session (\d+)\)/.exec((await page.getByTestId('companion-status').textContent())!)![1]);
    const model = getSession(db, modelId);
    expect(model).toMatchObject({ status: 'complete', participant: { kind: 'model' }, protocol: { id: getSession(db, beside.id).protocol.id } });
    expect(trialRows(db, modelId).map((r) => r.stimulus)).toEqual(trialRows(db, beside.id).map((r) => r.stimulus));
    // It ran during the person's session (started with it, before their last answer); with ONNX
    // Runtime a short protocol may be done before the person's first answer.
    const personStart = getSession(db, beside.id).startedAt;
    expect(model.startedAt >= personStart && model.startedAt < beside.lastAnswer, JSON.stringify({ model: [model.startedAt, model.endedAt], person: [personStart, beside.firstAnswer, beside.lastAnswer] })).toBe(true);
    // Same trials, same display. Whether the model's worker costs the display frames is a timing,
    // which depends on the machine and what else runs: the bench measures it (npm run bench, part
    // 1, dropped frames with and without the model); here it is only printed.
    expect(beside.frames).toBe(alone.frames);
    console.log(`dropped frames of ${alone.frames}: ${alone.dropped} alone, ${beside.dropped} beside the model`);
  });
});

/** The newest person's session (a companion model and its references make sessions of their own). */
function listLast(): number {
  return Math.max(...(app.db.prepare("SELECT s.id FROM sessions s JOIN participants p ON p.id = s.participant_id WHERE p.kind = 'human'").all() as { id: number }[]).map((r) => r.id));
}
