/**
 * The app's wiring (main/bootstrap.ts) with the real service threads, database and engine:
 * the app and the CLI share a data folder; heavy channels run off the main thread, which never
 * loads the model engine; calls can be cancelled; only the app's own pages may call in.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type AppServices } from '../../main/bootstrap.js';
import type { AppEvent } from '../../preload/channels/events.js';
import { APP_NAME, resolveDataDir } from '../../main/paths.js';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
const APP_PAGE = 'app://predlab/index.html';

function start(dataDir: string): AppServices {
  return bootstrap({ dataDir, appRoot: root, chooseExportDir: async () => null });
}
async function call(s: AppServices, channel: string, args: unknown = {}) {
  return s.handleFromPage(APP_PAGE, channel, args);
}

describe('the data folder', () => {
  it('is the one Electron names userData after: productName PredLab in package.json and electron-builder.yml', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.productName).toBe(APP_NAME);
    expect(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')).toMatch(new RegExp(`^productName: ${APP_NAME}$`, 'm'));
    expect(resolveDataDir({ env: { HOME: '/h' }, platform: 'linux' })).toBe(path.join('/h', '.config', 'PredLab'));
    expect(resolveDataDir({ env: { HOME: '/h', XDG_CONFIG_HOME: '/x' }, platform: 'linux' })).toBe(path.join('/x', 'PredLab'));
    expect(resolveDataDir({ env: { HOME: '/h', PREDLAB_DATA_DIR: '/lab' }, platform: 'linux' })).toBe(path.resolve('/lab'));
  });

  it('a model made with `predlab model init` in the default folder is in the app\'s model list', async () => {
    const home = tempDir('predlab-home-');
    const r = predlab(['model', 'init', '--preset', 'small', '--height', '16', '--width', '16', '--out', path.join(home, 'models', 'mine'), '--json'], { HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const app = start(resolveDataDir({ env: { HOME: home } }));
    try {
      await app.ready;
      const list = await call(app, 'models:list');
      expect(list.ok).toBe(true);
      const models = (list as { value: { label: string; path: string }[] }).value;
      expect(models.map((m) => m.path)).toContain(path.join(home, 'models', 'mine'));
      // ... beside the default model the app registers at start.
      expect(models.some((m) => m.path === path.join(root, 'native-models', 'default-model'))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('PREDLAB_DATA_DIR is honoured by the CLI as by the app', async () => {
    const lab = tempDir('predlab-lab-');
    const r = predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.5', '--sigma', '0.4', '--json'], { HOME: tempDir(), PREDLAB_DATA_DIR: lab });
    expect(r.code, r.stderr).toBe(0);
    const app = start(resolveDataDir({ env: { PREDLAB_DATA_DIR: lab } }));
    try {
      const sessions = await call(app, 'sessions:list');
      expect(sessions).toMatchObject({ ok: true, value: [{ id: JSON.parse(r.stdout).sessionId, status: 'complete' }] });
    } finally {
      await app.close();
    }
  });
});

describe('the main thread', () => {
  let dataDir: string;
  let app: AppServices;
  let modelSession: number;
  beforeAll(async () => {
    dataDir = tempDir('predlab-lab-');
    const env = { PREDLAB_DATA_DIR: dataDir };
    const sim = predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.5', '--sigma', '0.4', '--param', 'trialsPerOffset=2', '--json'], env);
    expect(sim.code, sim.stderr).toBe(0);
    const init = predlab(['model', 'init', '--height', '16', '--width', '16', '--out', path.join(dataDir, 'tiny'), '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const run = predlab(['session', 'run', '--model', path.join(dataDir, 'tiny'), '--protocol', '1', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    modelSession = JSON.parse(run.stdout).sessionId;
    app = start(dataDir);
    await app.ready;
  }, 240_000);
  afterAll(async () => app?.close());

  it('answers analysis, comparison, the inspector and engine:info from a thread, and never loads the engine itself', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const before = ticks;
    // A fresh start: the inspector needs the engine, which the computing thread has started.
    const film = await call(app, 'models:inspect-trial', { sessionId: modelSession, trialIndex: 0 });
    expect(film, JSON.stringify(film).slice(0, 300)).toMatchObject({ ok: true, value: { width: 16, height: 16 } });
    const engine = await call(app, 'engine:info');
    expect(engine).toMatchObject({ ok: true, value: { backend: 'wasm' } });
    const cmp = await call(app, 'compare:sessions', { sessionIds: [1, modelSession], bootstrap: 2000 });
    expect(cmp.ok, JSON.stringify(cmp)).toBe(true);
    const a = await call(app, 'analysis:session', { sessionId: 1, bootstrap: 2000 });
    expect(a.ok).toBe(true);
    clearInterval(timer);
    // This thread kept running its timers while the work was done elsewhere...
    expect(ticks - before).toBeGreaterThan(20);
    // ... and tfjs never created its engine here (tfjs-core sets globalThis._tfengine on load).
    expect((globalThis as { _tfengine?: unknown })._tfengine).toBeUndefined();
  });

  it('a long computation shows in work:status and can be cancelled from the page; the next call starts afresh', async () => {
    expect(await call(app, 'work:status')).toEqual({ ok: true, value: { channel: null, waiting: 0, seconds: 0 } });
    // The page hears of it without asking: 'work' events as the call starts and ends, and, since
    // the computing thread's exports end with it, an empty export list.
    const events: AppEvent[] = [];
    const unsubscribe = app.subscribe((e) => events.push(e));
    const long = call(app, 'compare:sessions', { sessionIds: [1, modelSession], bootstrap: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    // Answered by the main thread while the computing thread is busy.
    const status = await call(app, 'work:status');
    expect(status).toMatchObject({ ok: true, value: { channel: 'compare:sessions', waiting: 1 } });
    expect((status as { value: { seconds: number } }).value.seconds).toBeGreaterThan(0.2);
    expect(await call(app, 'work:cancel', { now: true })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await call(app, 'work:cancel')).toEqual({ ok: true, value: { cancelled: 1 } });
    expect(await long).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/Cancelled/) } });
    await new Promise((r) => setTimeout(r, 400));
    unsubscribe();
    const work = events.filter((e) => e.topic === 'work').map((e) => (e.value as { channel: string | null }).channel);
    expect(work[0]).toBe('compare:sessions');
    expect(work.at(-1)).toBeNull();
    expect(events).toContainEqual({ topic: 'exports', value: [] });
    expect(await call(app, 'work:status')).toMatchObject({ ok: true, value: { waiting: 0 } });
    expect(await call(app, 'analysis:session', { sessionId: 1, bootstrap: 10 })).toMatchObject({ ok: true });
  });

  it('refuses calls from any page but the app\'s own, and validates arguments as the handlers do', async () => {
    expect(await app.handleFromPage('https://evil.example/', 'sessions:list', {})).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: /unknown page/ } });
    expect(await app.handleFromPage(undefined, 'sessions:list', {})).toMatchObject({ ok: false });
    expect(await call(app, 'sessions:get', { sessionId: -1 })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await call(app, 'display:fullscreen', { on: 'yes' })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(await call(app, 'no:such')).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });
});

describe('the bundled threads (what the app runs; needs `npm run build`)', () => {
  it('dist/main/service-thread.cjs answers, and its model jobs run dist/main/model-session-worker.cjs', async () => {
    const bundleDir = path.join(root, 'dist', 'main');
    for (const f of ['service-thread.cjs', 'model-session-worker.cjs']) expect(fs.existsSync(path.join(bundleDir, f)), `${f} is not built: run npm run build`).toBe(true);
    const dataDir = tempDir('predlab-lab-');
    const env = { PREDLAB_DATA_DIR: dataDir };
    expect(predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.5', '--sigma', '0.4', '--param', 'trialsPerOffset=1'], env).code).toBe(0);
    const init = predlab(['model', 'init', '--height', '16', '--width', '16', '--out', path.join(dataDir, 'tiny'), '--json'], env);
    expect(init.code, init.stderr).toBe(0);
    const app = bootstrap({ dataDir, appRoot: root, bundleDir, chooseExportDir: async () => null });
    try {
      await app.ready;
      const r = await call(app, 'models:run-session', { modelId: JSON.parse(init.stdout).modelId, protocolId: 1 });
      expect(r, JSON.stringify(r).slice(0, 300)).toMatchObject({ ok: true, value: { status: 'complete', participant: { kind: 'model' }, protocol: { id: 1 } } });
      // The bundled worker loads onnxruntime-node from node_modules (external to the bundle).
      expect((r as { value: { participant: { details: Record<string, unknown> } } }).value.participant.details).toMatchObject({ inference: 'onnxruntime', inferenceDetail: expect.stringMatching(/^onnxruntime-node \d/) });
      expect(await call(app, 'models:jobs')).toMatchObject({ ok: true, value: [{ state: 'done' }] });
    } finally {
      await app.close();
    }
  }, 120_000);
});
