/**
 * The Electron entry: one window, locked down, wired to the same handlers the CLI and the tests
 * use. This is the only module (with the preload) that imports 'electron'.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { channels } from '../../preload/contract.js';
import { createHandlers } from '../ipc/handlers.js';
import { registerDefaultModel } from '../services/default-model.js';
import { ModelJobs } from '../services/model-jobs.js';
import { openDatabase } from '../store/db.js';
import { APP_HOST, APP_SCHEME, CSP, isAllowedPermission, isAppUrl } from './security.js';

const SCHEME = APP_SCHEME;
const ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) app.quit();

const root = app.getAppPath();
const rendererDir = path.join(root, 'dist', 'renderer');

/** Where better-sqlite3 built for Electron's ABI lives in a development checkout (see README). */
function nativeBinding(): string | undefined {
  if (app.isPackaged) return undefined; // electron-builder rebuilt node_modules for Electron
  return path.join(root, '.electron-native', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

async function createWindow(): Promise<void> {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    backgroundColor: '#808080',
    title: 'PredLab',
    webPreferences: {
      preload: path.join(root, 'dist', 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      backgroundThrottling: false, // stimulus timing must not be throttled
    },
  });
  await win.loadURL(`${ORIGIN}/index.html`);
  if (process.env.PREDLAB_SMOKE_TEST) {
    // Used by test/unit/electron-smoke.test.ts where an Electron binary exists: report and quit.
    const report = await win.webContents.executeJavaScript('({ api: typeof window.predlab, require: typeof require, process: typeof process, title: document.title })');
    console.log(`PREDLAB_SMOKE ${JSON.stringify(report)}`);
    app.exit(0);
  }
}

app.whenReady().then(async () => {
  // Serve the built renderer from app://predlab with the CSP header; nothing else is reachable.
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = path.normalize(path.join(rendererDir, decodeURIComponent(url.pathname)));
    if (url.host !== APP_HOST || !file.startsWith(rendererDir + path.sep)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(isAllowedPermission(permission, (details as { mediaTypes?: string[] }).mediaTypes)));
  ses.setPermissionCheckHandler((_wc, permission) => isAllowedPermission(permission, ['video']));

  const dbFile = path.join(app.getPath('userData'), 'predlab.sqlite');
  const binding = nativeBinding();
  const db = openDatabase(dbFile, { nativeBinding: binding });
  registerDefaultModel(db, root);
  const modelJobs = new ModelJobs(dbFile, binding);
  const { invoke } = createHandlers({
    db,
    modelJobs,
    chooseExportDir: async (suggestedName) => {
      const win = BrowserWindow.getFocusedWindow();
      const options = { title: 'Export to folder', defaultPath: path.join(app.getPath('documents'), suggestedName), properties: ['openDirectory', 'createDirectory'] as const };
      const r = win ? await dialog.showOpenDialog(win, { ...options, properties: [...options.properties] }) : await dialog.showOpenDialog({ ...options, properties: [...options.properties] });
      return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
    },
    setFullScreen: (on) => {
      const win = BrowserWindow.getAllWindows()[0];
      win?.setFullScreen(on);
      return win?.isFullScreen() ?? false;
    },
    log: (m) => console.error(m),
  });
  for (const channel of channels)
    ipcMain.handle(channel, (event, args) => {
      // Only our own page may call in.
      if (!isAppUrl(event.senderFrame?.url))
        return { ok: false, error: { code: 'invalid-argument', message: 'Request from an unknown page refused.' } };
      return invoke(channel, args);
    });
  app.on('before-quit', () => {
    void modelJobs.stopAll();
    db.close();
  });
  await createWindow();
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the system browser, never in the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

app.on('window-all-closed', () => app.quit());
