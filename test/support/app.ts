/**
 * The app without Electron: the built renderer served on 127.0.0.1, opened in Chromium, with
 * `window.predlab` made by the preload's own createApi and its transport bound (exposeBinding)
 * to the real handlers over a real database file. Only ipcMain/ipcRenderer are left out.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { createHandlers } from '../../main/ipc/handlers.js';
import { registerDefaultModel } from '../../main/services/default-model.js';
import { ModelJobs } from '../../main/services/model-jobs.js';
import { openDatabase, type Db } from '../../main/store/db.js';
import { launchChromium } from './chromium.js';

const root = path.resolve(import.meta.dirname, '../..');
export const RENDERER_DIST = path.join(root, 'dist', 'renderer');

/** The preload's API factory compiled for the page (same source file as the Electron preload). */
async function apiInitScript(): Promise<string> {
  const out = await build({
    stdin: {
      contents: "import { createApi } from './preload/api.ts'; window.predlab = createApi((channel, args) => window.__predlabInvoke(channel, args));",
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
  if (!fs.existsSync(path.join(RENDERER_DIST, 'index.html')))
    throw new Error("The renderer is not built: run 'npm run build' first (npm test does).");
}

export interface AppHarness {
  page: Page;
  context: BrowserContext;
  browser: Browser;
  db: Db;
  dbFile: string;
  exportDir: string;
  url: string;
  /** Calls the handlers made: [channel, args]. */
  calls: [string, unknown][];
  modelJobs: ModelJobs;
  close(): Promise<void>;
}

export async function startServer(): Promise<{ server: PreviewServer; url: string }> {
  await ensureRendererBuilt();
  const server = await preview({
    configFile: false,
    root: path.join(root, 'renderer'),
    logLevel: 'silent',
    build: { outDir: RENDERER_DIST },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

export async function openApp(opts: { dbFile?: string; calibration?: Record<string, unknown>; args?: string[]; defaultModel?: boolean } = {}): Promise<AppHarness> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-e2e-'));
  const dbFile = opts.dbFile ?? path.join(tmp, 'lab.sqlite');
  const exportDir = path.join(tmp, 'export');
  const db = openDatabase(dbFile);
  const calls: [string, unknown][] = [];
  const modelJobs = new ModelJobs(dbFile);
  if (opts.defaultModel) registerDefaultModel(db, root);
  const { invoke } = createHandlers({ db, chooseExportDir: async () => exportDir, modelJobs });
  const { server, url } = await startServer();
  const browser = await launchChromium({ args: opts.args ?? [] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.exposeBinding('__predlabInvoke', async (_source, channel: string, args: unknown) => {
    calls.push([channel, args]);
    return invoke(channel, args);
  });
  await context.addInitScript({ content: await apiInitScript() });
  if (opts.calibration) await context.addInitScript({ content: `localStorage.setItem('predlab.calibration', ${JSON.stringify(JSON.stringify(opts.calibration))});` });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return {
    page,
    context,
    browser,
    db,
    dbFile,
    exportDir,
    url,
    calls,
    modelJobs,
    async close() {
      await browser.close();
      await server.close();
      await modelJobs.stopAll();
      db.close();
      if (errors.length) throw new Error(`Errors in the page: ${errors.join('\n')}`);
    },
  };
}
