/**
 * The README's screenshots, made the way a user makes a lab: on a fresh data folder, the CLI
 * simulates an observer and runs the shipped model on its protocol, imports a generated video and
 * makes a tiny checkpoint; in the app (test/support/app.ts: real services, real renderer in
 * Chromium at 1280x800) a person takes a short session with the keyboard, the default model takes
 * the person's trials from the Compare page, a tiny training run and a quick paper battery run.
 * Then one PNG per page: docs/screenshot-<page>.png (viewport-sized, so long tables stay small).
 *
 * Usage: npm run build && npx tsx scripts/screenshots.ts [--out docs]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ffmpegPath } from '../main/services/datasets-ffmpeg.js';
import { listModels } from '../main/services/models.js';
import { nextTrial, trialRows } from '../main/services/sessions.js';
import type { FlashLagStimulus } from '../paradigms/flash-lag/index.js';
import { openApp, type AppHarness } from '../test/support/app.js';
import { predlab } from '../test/support/cli-child.js';
import { CALIBRATION, tempDir } from '../test/support/db.js';
import { dataTrialsOnly, passSessionInfo } from '../test/support/run-page.js';

const root = path.resolve(import.meta.dirname, '..');
const outArg = process.argv.indexOf('--out');
const outDir = path.resolve(root, outArg > 0 ? process.argv[outArg + 1] ?? 'docs' : 'docs');
/** Optional steps (training, battery) are shown as their form if they do not finish in this time. */
const OPTIONAL_STEP_MS = 120_000;

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

function cli(dataDir: string, args: string[]): unknown {
  const r = predlab([...args, '--json'], { PREDLAB_DATA_DIR: dataDir }, 300_000);
  if (r.code !== 0) throw new Error(`predlab ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A 4 s clip of a bright square moving right over a dark ground (64x48, 20 frames/s). */
function makeVideo(dir: string): string {
  const [w, h, n] = [64, 48, 80];
  const frames = new Uint8Array(n * w * h * 3);
  for (let t = 0; t < n; t++)
    for (let y = 16; y < 32; y++)
      for (let x = 0; x < 12; x++) {
        const i = ((t * h + y) * w + ((x + t) % w)) * 3;
        frames.fill(230, i, i + 3);
      }
  const video = path.join(dir, 'square.mp4');
  const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', '20', '-i', 'pipe:0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video], { input: frames });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr?.toString()}`);
  return video;
}

/** The CLI's part of the demo lab: a simulated observer, the shipped model on its protocol, a dataset, a tiny checkpoint. */
function makeLab(dataDir: string): void {
  const params = ['--param', 'speedDegPerS=20', '--param', 'travelDeg=10', '--param', 'offsetsDeg=[-1,0,1,2]', '--param', 'trialsPerOffset=4'];
  const sim = cli(dataDir, ['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.6', '--sigma', '0.5', '--seed', '2', ...params]) as { sessionId: number };
  log(`simulated observer: session ${sim.sessionId}`);
  const run = cli(dataDir, ['session', 'run', '--model', 'default', '--protocol', String(sim.sessionId)]) as { sessionId: number };
  log(`default model on its protocol: session ${run.sessionId}`);
  const video = makeVideo(dataDir);
  for (let i = 0; i < 2; i++) cli(dataDir, ['dataset', 'import', video, '--dataset', 'square', '--height', '16', '--width', '24', '--fps', '10']);
  log('dataset imported');
  cli(dataDir, ['model', 'init', '--height', '32', '--width', '40', '--seed', '3', '--out', path.join(dataDir, 'tiny-prednet')]);
  log('tiny checkpoint made');
}

async function shot(page: Page, name: string): Promise<void> {
  // Let plots and images settle.
  await page.waitForTimeout(400);
  const file = path.join(outDir, `screenshot-${name}.png`);
  await page.screenshot({ path: file });
  log(`${path.relative(root, file)}: ${(fs.statSync(file).size / 1024).toFixed(0)} KB`);
}

/** Seeded uniform numbers in [0, 1) (mulberry32), so the demo person answers the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** P(Z < x) of a standard normal, for the demo person's answers (erf by Abramowitz & Stegun 7.1.26). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

const PERSON = { pseDeg: 0.5, sigmaDeg: 0.5, offsets: [-0.5, 0, 0.5, 1, 1.5], perOffset: 4 };

/**
 * A person's short flash-lag session through the Run page, answered with the arrow keys like an
 * observer who sees the moving bar ahead by PERSON.pseDeg with a spread of PERSON.sigmaDeg.
 */
async function personSession(app: AppHarness): Promise<number> {
  const { page, db } = app;
  await page.getByTestId('nav-run').click();
  await page.getByTestId('participant-label').fill('P01');
  await page.getByTestId('param-speedDegPerS').fill('20');
  await page.getByTestId('param-travelDeg').fill('10');
  await page.getByTestId('param-offsetsDeg').fill(PERSON.offsets.join(', '));
  await page.getByTestId('param-trialsPerOffset').fill(String(PERSON.perOffset));
  // A fixed trial order, so the seeded answers (and the pictures) are the same on every run.
  await page.getByTestId('param-seed').fill('11');
  await dataTrialsOnly(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'run');
  await page.getByTestId('run-start').click();
  await passSessionInfo(page);
  await page.getByTestId('instructions').waitFor();
  await page.keyboard.press('Space');
  const sessionId = Math.max(...(db.prepare('SELECT id FROM sessions').all() as { id: number }[]).map((r) => r.id));
  const draw = random(7);
  const trials = PERSON.offsets.length * PERSON.perOffset;
  for (let i = 0; i < trials; i++) {
    await page.getByTestId('prompt').waitFor();
    const s = nextTrial(db, sessionId)!.stimulus as unknown as FlashLagStimulus;
    // "Flash ahead" is RIGHT when the bar moves right, LEFT when it moves left.
    const ahead = draw() < normalCdf((s.offsetDeg - PERSON.pseDeg) / PERSON.sigmaDeg);
    await page.keyboard.press(ahead === (s.direction === 1) ? 'ArrowRight' : 'ArrowLeft');
    for (let t = 0; trialRows(db, sessionId).length < i + 1; t++) {
      if (t > 200) throw new Error(`trial ${i + 1} of the person's session was not stored`);
      await page.waitForTimeout(50);
    }
  }
  await page.getByTestId('end-message').waitFor();
  return sessionId;
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main(): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  const dataDir = tempDir('predlab-screenshots-');
  log(`lab: ${dataDir}`);
  makeLab(dataDir);
  const app = await openApp({ dataDir, calibration: CALIBRATION });
  const { page, db } = app;
  try {
    await page.getByTestId('nav-home').click();
    await page.waitForTimeout(800);
    await shot(page, 'home');

    await page.getByTestId('nav-calibrate').click();
    await page.getByTestId('timing-seconds').fill('2');
    await page.getByTestId('timing-run').click();
    await page.getByTestId('timing-verdict').waitFor({ timeout: 60_000 });
    await page.getByTestId('timing-verdict').evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await shot(page, 'calibrate');

    const person = await personSession(app);
    log(`person: session ${person}`);

    await page.getByTestId('nav-results').click();
    await page.getByTestId('results-session').selectOption(String(person));
    await page.getByTestId('result').waitFor();
    // Headless Chromium on a loaded machine drops frames; a person's fit needs those trials back.
    await page.getByTestId('results-exclude-dropped').uncheck();
    await page.getByTestId('result').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot(page, 'results');

    // The shipped model takes the person's trials, from the Compare page.
    const shipped = listModels(db).find((m) => m.label !== 'tiny-prednet')!;
    await page.getByTestId('nav-compare').click();
    await page.getByTestId('run-protocol').selectOption(String(person));
    await page.getByTestId('run-model').selectOption(String(shipped.id));
    await page.getByTestId('run-model-go').click();
    await page.getByTestId('comparison').waitFor({ timeout: 120_000 });
    await page.getByTestId('exclude-dropped').uncheck();
    await page.getByTestId('compare-go').click();
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 60_000 }).catch(() => undefined);
    await page.getByTestId('comparison').waitFor();
    await page.getByTestId('comparison').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot(page, 'compare');

    const modelSession = Math.max(...(db.prepare('SELECT id FROM sessions').all() as { id: number }[]).map((r) => r.id));
    await page.getByTestId('inspect-session').selectOption(String(modelSession));
    await page.getByTestId('inspect-trial').fill('4');
    await page.getByTestId('inspect-go').click();
    await page.getByTestId('filmstrip').waitFor({ timeout: 60_000 });
    await page.getByTestId('filmstrip').scrollIntoViewIfNeeded();
    await shot(page, 'inspector');

    await page.getByTestId('nav-datasets').click();
    await page.waitForTimeout(1000);
    await shot(page, 'video');

    await page.getByTestId('nav-training').click();
    await page.getByTestId('training-dataset').selectOption('square');
    await page.getByTestId('training-start-point').selectOption('new:small');
    await page.locator('details summary').click();
    for (const [k, v] of Object.entries({ nt: '4', batch: '2', epochs: '3', samples: '4', val: '2' })) await page.getByTestId(`opt-${k}`).fill(v);
    await page.getByTestId('training-label').fill('square-tiny');
    await page.getByTestId('training-start').click();
    const trained = await until(async () => ((await page.getByTestId('run-state').textContent().catch(() => '')) ?? '').trim() === 'finished', OPTIONAL_STEP_MS);
    log(`training ${trained ? 'finished' : 'still running: shown running'}`);
    await page.getByTestId('training-run').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot(page, 'training');

    await page.getByTestId('nav-replicate').click();
    await page.getByTestId('replicate-setup').waitFor();
    const tiny = listModels(db).find((m) => m.label === 'tiny-prednet')!;
    for (const m of listModels(db)) {
      const box = page.getByTestId(`replicate-model-${m.id}`);
      if (await box.count()) await box.setChecked(m.id === tiny.id);
    }
    await page.getByTestId('replicate-quick').check();
    await page.getByTestId('replicate-start').click();
    const battery = await until(async () => (await page.getByTestId('replicate-progress').count()) === 0 && (await page.locator('[data-testid^=replicate-card-]').count()) > 0, OPTIONAL_STEP_MS);
    log(`paper battery ${battery ? 'finished' : 'still running: shown running'}`);
    if (battery) await page.locator('[data-testid^=replicate-card-]').first().evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot(page, 'battery');
    if (!battery) {
      await page.getByTestId('replicate-cancel').click().catch(() => undefined);
      await page.getByTestId('replicate-progress').waitFor({ state: 'detached', timeout: 30_000 }).catch(() => undefined);
    }

    await page.getByTestId('nav-data').click();
    await page.getByTestId('study-name').fill('Flash-lag pilot');
    await page.getByTestId('study-fields').fill('age, handedness');
    await page.getByTestId('study-create-button').click();
    await page.getByTestId('study-1').waitFor();
    await page.getByTestId('study-add-select-1').selectOption(String(person));
    await page.getByTestId('study-add-1').click();
    await page.getByTestId(`study-1-session-${person}`).waitFor();
    await page.getByTestId('study-1').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot(page, 'data');
    await page.getByTestId('model-download').evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await shot(page, 'data-models');
  } finally {
    await app.close();
    // The demo lab (a few MB of sessions, video and checkpoints) is only a means to the pictures.
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`screenshots: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
