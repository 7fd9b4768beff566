/**
 * The app without Electron, wired by the app's own bootstrap (main/bootstrap.ts): the same data
 * folder layout, default model registration, service threads running the bundled
 * dist/main/service-thread.cjs, handlers and sender check. The built renderer is served on
 * 127.0.0.1 with the app's security headers (CSP), opened in Chromium, and `window.predlab` is
 * made by the preload's own createApi with its transport bound (exposeBinding) to the
 * bootstrap's handleFromPage. Only ipcMain/ipcRenderer and the window are left out.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { RENDERER_HEADERS, startServices, type AppServices } from '../../main/bootstrap.js';
import { ModelJobs } from '../../main/services/model-jobs.js';
import { openDatabase, type Db } from '../../main/store/db.js';
import { launchChromium } from './chromium.js';

const root = path.resolve(import.meta.dirname, '../..');
export const RENDERER_DIST = path.join(root, 'dist', 'renderer');
/** The bundled main-process files `npm run build` writes (the app runs these). */
export const MAIN_DIST = path.join(root, 'dist', 'main');
/** The preload's API factory compiled for the page (same source file as the Electron preload). */
async function apiInitScript(): Promise<string> {
  const out = await build({
    stdin: {
      // Events arrive as the Electron preload's do: handed to the api's listener (see openApp).
      contents:
        "import { createApi } from './preload/api.ts'; window.predlab = createApi((channel, args) => window.__predlabInvoke(channel, args), (deliver) => { window.__predlabEvent = deliver; });",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    write: false,
    platform: 'browser',
  });
  return out.outputFiles[0]!.text;
}

export async function ensureRendererBuilt(): Promise<void> {
  for (const f of [path.join(RENDERER_DIST, 'index.html'), path.join(MAIN_DIST, 'service-thread.cjs'), path.join(MAIN_DIST, 'model-session-worker.cjs')])
    if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is not built: run 'npm run build' first (npm test does).`);
}

export interface AppHarness {
  page: Page;
  context: BrowserContext;
  browser: Browser;
  /** The app's services, as main.ts builds them. */
  services: AppServices;
  /** The lab's data folder (the app's database is predlab.sqlite in it). */
  dataDir: string;
  /** A connection of the test's own, to check what the app stored. */
  db: Db;
  dbFile: string;
  exportDir: string;
  url: string;
  /** Calls the page made: [channel, args]. */
  calls: [string, unknown][];
  /** Events pushed to the page: [topic, key]. */
  events: [string, number | undefined][];
  /** Background model jobs started by the test itself (bench load), not the app's. */
  modelJobs: ModelJobs;
  /** The experimenter's window, once the page asked for it (a second page of the browser, as main.ts opens a second window). */
  experimenterPage(): Page | null;
  close(): Promise<void>;
}

export async function startServer(): Promise<{ server: PreviewServer; url: string }> {
  await ensureRendererBuilt();
  const server = await preview({
    configFile: false,
    root: path.join(root, 'renderer'),
    logLevel: 'silent',
    build: { outDir: RENDERER_DIST },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false, headers: { ...RENDERER_HEADERS } },
  });
  const address = server.httpServer.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

export async function openApp(opts: { dataDir?: string; calibration?: Record<string, unknown>; args?: string[]; chooseImportSource?: (kind: 'video' | 'images' | 'archive' | 'online-data') => Promise<string | null>; modelMirror?: () => string | null } = {}): Promise<AppHarness> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-e2e-'));
  const dataDir = opts.dataDir ?? path.join(tmp, 'data');
  const exportDir = path.join(tmp, 'export');
  const { server, url } = await startServer();
  const origin = new URL(url).origin;
  let services: AppServices;
  // The experimenter's window: a second page of the same context, on the one "screen" the harness has.
  let openSecond: () => Promise<void> = async () => undefined;
  let second: Page | null = null;
  try {
    services = await startServices({
      openExperimenterWindow: async () => {
        // Not awaited: a page opened from inside the page's own call would wait on that call.
        void openSecond().catch(() => undefined);
        return { secondScreen: false, message: "Only one screen is connected: the experimenter's view opened as a window on it; connect a second screen and press the button again to move it there." };
      },
      dataDir,
      appRoot: root,
      bundleDir: MAIN_DIST,
      chooseExportDir: async () => exportDir,
      // The import dialog's answer (the test's own file); absent, as if the dialog were cancelled.
      chooseImportSource: opts.chooseImportSource ?? (async () => null),
      // The model archive's address set outside the page (the app reads PREDLAB_MODEL_MIRROR).
      ...(opts.modelMirror ? { modelMirror: opts.modelMirror } : {}),
      // The page's origin stands in for app://predlab: only it may call in.
      isAllowedSender: (u) => {
        try {
          return !!u && new URL(u).origin === origin;
        } catch {
          return false;
        }
      },
    });
  } catch (e) {
    await server.close();
    throw e;
  }
  const dbFile = services.dbFile;
  const db = openDatabase(dbFile);
  const calls: [string, unknown][] = [];
  const modelJobs = new ModelJobs(dbFile);
  const browser = await launchChromium({ args: opts.args ?? [] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.exposeBinding('__predlabInvoke', async (source, channel: string, args: unknown) => {
    calls.push([channel, args]);
    return services.handleFromPage(source.frame.url(), channel, args);
  });
  await context.addInitScript({ content: await apiInitScript() });
  if (opts.calibration) await context.addInitScript({ content: `localStorage.setItem('predlab.calibration', ${JSON.stringify(JSON.stringify(opts.calibration))});` });
  const page = await context.newPage();
  openSecond = async () => {
    if (second && !second.isClosed()) return void (await second.bringToFront());
    second = await context.newPage();
    await second.goto(`${url}#experimenter`);
  };
  // Pushed events reach the page as webContents.send does in the app.
  const events: [string, number | undefined][] = [];
  const unsubscribe = services.subscribe((ev) => {
    events.push([ev.topic, ev.key]);
    for (const p of context.pages()) void p.evaluate((e) => (window as unknown as { __predlabEvent?: (e: unknown) => void }).__predlabEvent?.(e), ev).catch(() => undefined);
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // A CSP violation is a bug in the page, as it would be in the app.
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  await page.goto(url);
  return {
    page,
    context,
    browser,
    services,
    dataDir,
    db,
    dbFile,
    exportDir,
    url,
    calls,
    events,
    modelJobs,
    experimenterPage: () => second,
    async close() {
      unsubscribe();
      await browser.close();
      await server.close();
      await modelJobs.stopAll();
      await services.close();
      db.close();
      if (errors.length) throw new Error(`Errors in the page: ${errors.join('\n')}`);
    },
  };
}
