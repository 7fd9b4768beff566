/**
 * Studies on the Data page, in Chromium on the app's own wiring (test/support/app.ts): a person
 * takes a session on the Run page, a simulated observer and a model (on the person's trials) are
 * made with the CLI, and the study is made, filled, exported and deleted from the Studies section.
 */
import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions, nextTrial, trialRows } from '../../main/services/sessions.js';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { openApp, type AppHarness } from '../support/app.js';
import { predlab } from '../support/cli-child.js';
import { CALIBRATION } from '../support/db.js';

const SHOTS = '/tmp/shots';
let app: AppHarness;
let personId: number;
let simulatedId: number;
let modelId: number;

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `H4c-${name}.png`), fullPage: true });

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  app = await openApp({ calibration: CALIBRATION });
});

afterAll(async () => {
  await app?.close();
});

/** A person on the Run page (as in the experimenter's workflow); a simulated observer and the default model on the person's trials with the CLI. */
async function makeLab() {
  const { page } = app;
  await page.getByTestId('nav-run').click();
  await page.getByTestId('participant-label').fill('S01');
  // 0.4 s of motion: 4 model frames at 10 frames/s, so a model reads a frame after the flash's.
  for (const [key, value] of Object.entries({ speedDegPerS: '40', travelDeg: '16', offsetsDeg: '-1, 0, 1', trialsPerOffset: '1' })) await page.getByTestId(`param-${key}`).fill(value);
  // Data trials only (no practice, breaks or repeats), and the session-information dialog answered.
  await page.getByTestId('run-practiceTrials').fill('0');
  await page.getByTestId('run-breakEvery').fill('0');
  await page.getByTestId('run-repeatDropped').uncheck();
  await page.getByTestId('run-start').click();
  await page.getByTestId('session-info').waitFor();
  await page.getByTestId('info-age').fill('27');
  await page.getByTestId('info-handedness').selectOption('left');
  await page.getByTestId('session-info-start').click();
  await page.getByTestId('instructions').waitFor();
  await page.keyboard.press('Space');
  personId = listSessions(app.db).at(-1)!.id;
  const total = getSession(app.db, personId).total;
  for (let i = trialRows(app.db, personId).length; i < total; i++) {
    await page.getByTestId('prompt').waitFor();
    const t = nextTrial(app.db, personId)!;
    const s = t.stimulus as unknown as FlashLagStimulus;
    await page.keyboard.press(s.offsetDeg > 0 === (s.direction === 1) ? 'ArrowRight' : 'ArrowLeft');
    await expect.poll(() => trialRows(app.db, personId).length).toBe(t.index + 1);
  }
  await page.getByTestId('end-message').waitFor();
  const env = { PREDLAB_DATA_DIR: app.dataDir };
  const sim = predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.5', '--sigma', '0.4', '--param', 'trialsPerOffset=1', '--json'], env);
  if (sim.code !== 0) throw new Error(sim.stderr);
  simulatedId = JSON.parse(sim.stdout).sessionId;
  const model = predlab(['session', 'run', '--model', 'default', '--protocol', String(getSession(app.db, personId).protocol.id), '--json'], env, 300_000);
  if (model.code !== 0) throw new Error(model.stderr);
  modelId = JSON.parse(model.stdout).sessionId;
}

describe('studies on the Data page', () => {
  it('the lab: a person (Run page), a simulated observer and a model (CLI)', makeLab, 400_000);

  it('from no study to an exported study of a person, a simulated observer and a model', async () => {
    const { page } = app;
    await page.getByTestId('nav-data').click();
    await page.getByTestId('studies-empty').waitFor();
    await shot(page, 'studies-empty');

    await page.getByTestId('study-name').fill('Flash-lag pilot');
    await page.getByTestId('study-fields').fill('age, handedness');
    await page.getByTestId('study-create-button').click();
    const card = page.getByTestId('study-1');
    await card.waitFor();
    expect(await card.locator('h3').textContent()).toBe('Flash-lag pilot');
    expect(await page.getByTestId('studies-empty').count()).toBe(0);
    expect(await page.getByTestId('study-last-export-1').textContent()).toMatch(/Not exported yet\..*Session information: age, handedness\./s);

    // Adding the person adds the person only: the model that took the same trials is listed, not ticked.
    await page.getByTestId('study-add-select-1').selectOption(String(personId));
    await page.getByTestId('study-add-1').click();
    await page.getByTestId(`study-1-session-${personId}`).waitFor();
    expect(await page.getByTestId(`study-1-session-${personId}`).textContent()).toMatch(/person\s*S01/);
    const tick = page.getByTestId(`study-1-tick-${modelId}`);
    expect(await tick.isChecked()).toBe(false);
    expect(await page.getByTestId('study-same-trials-1').textContent()).toMatch(new RegExp(`Session ${modelId}: model PredNet `));
    expect(await page.getByTestId(`study-1-session-${modelId}`).count()).toBe(0);
    expect(await page.getByTestId('study-counts-1').textContent()).toMatch(/1 person · 0 simulated observers · 0 models \(1 session\)/);
    await shot(page, 'studies-same-trials');
    await page.getByTestId('study-add-select-1').selectOption(String(simulatedId));
    await page.getByTestId('study-add-1').click();
    await page.getByTestId(`study-1-session-${simulatedId}`).waitFor();
    // Ticked by the user, the model joins.
    expect(await page.getByTestId('study-add-ticked-1').isDisabled()).toBe(true);
    await tick.check();
    await page.getByTestId('study-add-ticked-1').click();
    await page.getByTestId(`study-1-session-${modelId}`).waitFor();
    expect(await page.getByTestId(`study-1-session-${modelId}`).textContent()).toMatch(/model\s*PredNet /);
    expect(await page.getByTestId('study-same-trials-1').count()).toBe(0);
    expect(await page.getByTestId('study-counts-1').textContent()).toMatch(/1 person · 1 simulated observer · 1 model \(3 sessions\)/);
    // Every session is in the study now: nothing left to add.
    expect(await page.getByTestId('study-add-select-1').isDisabled()).toBe(true);

    await page.getByTestId('study-export-1').click();
    const done = page.getByTestId('study-exported-1');
    await done.waitFor();
    const folder = path.join(app.dataDir, 'studies', 'study-1-flash-lag-pilot');
    const trials = [personId, simulatedId, modelId].reduce((n, id) => n + trialRows(app.db, id).length, 0);
    expect(await done.textContent()).toContain(`Exported ${trials} trials from 3 sessions to ${folder}`);
    const rows = parse(fs.readFileSync(path.join(folder, 'study-1-flash-lag-pilot_trials.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(new Set(rows.map((r) => r.participant_kind))).toEqual(new Set(['human', 'simulated', 'model']));
    expect(rows).toHaveLength(trials);
    expect(fs.readFileSync(path.join(folder, 'bids', 'participants.tsv'), 'utf8')).toMatch(new RegExp(`^participant_id\tkind\tlabel\tpredlab_participant_ids\tsessions\tage\thandedness(\t[^\n]*)?\nsub-S01\thuman\tS01\t\\d+\t${personId}\t27\tleft`));
    expect(rows.filter((r) => r.participant_kind === 'human').every((r) => r.info_age === '27' && r.info_handedness === 'left')).toBe(true);
    expect(await page.getByTestId('study-last-export-1').textContent()).toContain(`export`);
    expect(await page.getByTestId('study-last-export-1').textContent()).toContain(`${trials} trials in ${folder}`);
    await shot(page, 'studies-exported');

    // The automatic export's folder is chosen in the folder dialog, and it can be turned off.
    await page.getByTestId('study-folder-1').click();
    await expect.poll(() => page.getByTestId('study-last-export-1').textContent()).toContain(`the export is written to ${path.join(app.exportDir, 'study-1-flash-lag-pilot')}`);
    await page.getByTestId('study-auto-1').uncheck();
    await expect.poll(() => page.getByTestId('study-last-export-1').textContent()).toContain(`Automatic export is off; Export now writes to ${path.join(app.exportDir, 'study-1-flash-lag-pilot')}.`);
    expect(JSON.parse((app.db.prepare('SELECT settings FROM studies WHERE id = 1').get() as { settings: string }).settings)).toEqual({ sessionInfoFields: ['age', 'handedness'], exportDir: app.exportDir, autoExport: false });
  }, 180_000);

  it("the Run form's study picker lists the studies, makes a new one and hands its id to the form", async () => {
    const { page } = app;
    await page.goto(app.url);
    const bundle = await build({ configFile: false, logLevel: 'silent', plugins: [svelte({ configFile: false })], build: { write: false, minify: false, lib: { entry: path.join(import.meta.dirname, 'study-picker-entry.svelte.ts'), formats: ['iife'], name: 'picker' } } });
    const { output } = (Array.isArray(bundle) ? bundle[0] : bundle) as { output: { type: string; code?: string }[] };
    const code = output.find((o) => o.type === 'chunk')!.code!;
    await page.evaluate(code);
    const select = page.getByTestId('study-picker-select');
    await select.waitFor();
    expect(await select.locator('option').allTextContents()).toEqual(['No study', 'Flash-lag pilot']);
    // The id it was given belongs to no study: it is forgotten.
    await expect.poll(() => page.evaluate(() => (window as unknown as { pickedStudy: unknown }).pickedStudy)).toBeNull();
    await select.selectOption({ label: 'Flash-lag pilot' });
    expect(await page.evaluate(() => (window as unknown as { pickedStudy: unknown }).pickedStudy)).toBe(1);
    expect(await page.getByTestId('study-picker-note').textContent()).toMatch(/The session joins “Flash-lag pilot”; session information asked: age, handedness\./);
    await page.getByTestId('study-picker-new').click();
    await page.getByTestId('study-picker-name').fill('FLASH-LAG pilot');
    await page.getByTestId('study-picker-create').click();
    await expect.poll(() => page.getByTestId('study-picker-error').textContent()).toMatch(/There is already a study named 'Flash-lag pilot'/);
    await page.getByTestId('study-picker-name').fill('Second study');
    await page.getByTestId('study-picker-create').click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { pickedStudy: unknown }).pickedStudy)).toBe(2);
    expect(await select.inputValue()).toBe('2');
    expect(app.db.prepare('SELECT id, name FROM studies ORDER BY id').all()).toEqual([{ id: 1, name: 'Flash-lag pilot' }, { id: 2, name: 'Second study' }]);
    await page.getByTestId('picker-host').screenshot({ path: path.join(SHOTS, 'H4c-study-picker.png') });
    await select.selectOption({ label: 'No study' });
    expect(await page.evaluate(() => (window as unknown as { pickedStudy: unknown }).pickedStudy)).toBeNull();
  }, 120_000);

  it('a refused action shows its reason; deleting asks first and keeps the sessions', async () => {
    const { page } = app;
    await page.goto(app.url);
    await page.getByTestId('nav-data').click();
    await page.getByTestId('study-1').waitFor();
    await page.getByTestId('study-name').fill('flash-lag PILOT');
    await page.getByTestId('study-create-button').click();
    await expect.poll(() => page.getByTestId('studies-error').textContent()).toBe("There is already a study named 'Flash-lag pilot' (names are compared ignoring case). Choose another name.");
    await shot(page, 'studies-error');

    const sessions = listSessions(app.db).length;
    await page.getByTestId('study-delete-1').click();
    const confirm = page.getByTestId('study-confirm-delete-1');
    expect(await confirm.textContent()).toMatch(/Delete study “Flash-lag pilot”\? Its 3 sessions stay in the lab\./);
    await shot(page, 'studies-confirm-delete');
    await confirm.getByText('Keep').click();
    expect(await page.getByTestId('study-1').count()).toBe(1);
    await page.getByTestId('study-delete-1').click();
    await page.getByTestId('study-delete-yes-1').click();
    await expect.poll(() => page.getByTestId('study-1').count()).toBe(0);
    expect(await page.getByTestId('study-2').count()).toBe(1);
    expect(listSessions(app.db)).toHaveLength(sessions);
    expect(app.db.prepare('SELECT id FROM studies').all()).toEqual([{ id: 2 }]);
    expect(app.db.prepare('SELECT count(*) AS n FROM study_sessions').get()).toEqual({ n: 0 });
  }, 120_000);
  it('a session started in a study on the Run page joins it, and the study export is written when it ends', async () => {
    const { page } = app;
    await page.goto(app.url);
    await page.getByTestId('nav-run').click();
    await page.getByTestId('participant-label').fill('S02');
    // The study asks age and handedness: the Run form follows it.
    await page.evaluate(() => (window as unknown as { predlab: { 'studies:update': (a: unknown) => Promise<unknown> } }).predlab['studies:update']({ studyId: 2, settings: { sessionInfoFields: ['age', 'handedness'] } }));
    await page.getByTestId('study-picker-select').selectOption({ label: 'Second study' });
    await expect.poll(() => page.getByTestId('info-mode-dominantEye').inputValue()).toBe('off');
    expect(await page.getByTestId('info-mode-notes').inputValue()).toBe('off');
    expect(await page.getByTestId('info-mode-age').inputValue()).toBe('optional');
    for (const [key, value] of Object.entries({ speedDegPerS: '40', travelDeg: '16', offsetsDeg: '-1, 1', trialsPerOffset: '1' })) await page.getByTestId(`param-${key}`).fill(value);
    await page.getByTestId('run-practiceTrials').fill('0');
    await page.getByTestId('run-breakEvery').fill('0');
    await page.getByTestId('run-repeatDropped').uncheck();
    await page.getByTestId('run-start').click();
    await page.getByTestId('session-info').waitFor();
    expect(await page.getByTestId('info-dominantEye').count()).toBe(0);
    await page.getByTestId('info-age').fill('31');
    await page.getByTestId('session-info-start').click();
    await page.getByTestId('instructions').waitFor();
    const id = listSessions(app.db).at(-1)!.id;
    expect(app.db.prepare('SELECT study_id FROM study_sessions WHERE session_id = ?').get(id)).toEqual({ study_id: 2 });
    await page.keyboard.press('Space');
    const total = getSession(app.db, id).total;
    for (let i = 0; i < total; i++) {
      await page.getByTestId('prompt').waitFor();
      await page.keyboard.press('ArrowLeft');
      await expect.poll(() => trialRows(app.db, id).length).toBe(i + 1);
    }
    await page.getByTestId('end-message').waitFor();
    const csv = path.join(app.dataDir, 'studies', 'study-2-second-study', 'study-2-second-study_trials.csv');
    await expect.poll(() => fs.existsSync(csv), { timeout: 30_000 }).toBe(true);
    const rows = parse(fs.readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.participant_label))).toEqual(new Set(['S02']));
  }, 180_000);
});
