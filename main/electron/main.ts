/**
 * The Electron entry: one window, locked down, with the services main/bootstrap.ts builds (the
 * test harness builds the same). This is the only module (with the preload) that imports
 * 'electron'. Nothing heavy runs on this thread: the handlers and the model engine live in
 * service threads.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, screen, session, shell, systemPreferences } from 'electron';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { channels, type ExperimenterWindowResult } from '../../preload/contract.js';
import { EVENT_CHANNEL } from '../../preload/channels/events.js';
import { checkInstalledApp, describeIntegrityFailure } from '../app-integrity.js';
import { RENDERER_HEADERS, startServices, type AppServices } from '../bootstrap.js';
import { installDefaultModel, packagedPaths } from '../packaged-paths.js';
import { resolveDataDir } from '../paths.js';
import { defaultSetDirs } from '../services/default-set.js';
import { startOrExplain } from '../startup.js';
import { APP_HOST, APP_SCHEME, externalLinkFor, isAllowedPermission, isAppUrl, rendererFileFor } from './security.js';
import { smokeFailure, smokeSteps } from './smoke.js';

const ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

const root = app.getAppPath();
const rendererDir = path.join(root, 'dist', 'renderer');
/**
 * `--smoke` (the release workflow; PREDLAB_SMOKE_TEST for test/unit/electron-smoke.test.ts): open
 * the lab in a new temporary data folder, run main/electron/smoke.ts in the page, print its report
 * and quit (status 0 when it passed). Problems go to stderr instead of dialogs.
 */
const smoke = process.argv.includes('--smoke') || !!process.env.PREDLAB_SMOKE_TEST;
// The same folder the CLI uses (PREDLAB_DATA_DIR, else userData for productName PredLab).
const dataDir = smoke ? fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-smoke-')) : resolveDataDir();
if (smoke) app.setPath('userData', path.join(dataDir, 'electron'));
const showError = (title: string, detail: string) => (smoke ? console.error(`${title}: ${detail}`) : dialog.showErrorBox(title, detail));

/** Where better-sqlite3 built for Electron's ABI lives in a development checkout (see README). */
function nativeBinding(): string | undefined {
  if (app.isPackaged) return undefined; // electron-builder rebuilt node_modules for Electron
  return path.join(root, '.electron-native', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

/** Every window of the app: isolated, sandboxed, no Node (written out here, where the security lint reads it). */
function appWindow(options: { x?: number; y?: number; width: number; height: number; title: string; backgroundColor: string }): BrowserWindow {
  return new BrowserWindow({
    ...options,
    webPreferences: {
      preload: path.join(root, 'dist', 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      // Middle-click must not open links in new windows.
      disableBlinkFeatures: 'Auxclick',
      backgroundThrottling: false, // stimulus timing must not be throttled
    },
  });
}

let mainWindow: BrowserWindow | null = null;
let experimenterWindow: BrowserWindow | null = null;

/**
 * The experimenter's view in a window of its own (the same page, #experimenter), on a screen
 * other than the participant's when there is one (screen.getAllDisplays()); brought forward if open.
 */
async function openExperimenterWindow(): Promise<ExperimenterWindowResult> {
  const participantScreen = mainWindow ? screen.getDisplayMatching(mainWindow.getBounds()) : screen.getPrimaryDisplay();
  const other = screen.getAllDisplays().find((d) => d.id !== participantScreen.id) ?? null;
  const where = (other ?? participantScreen).workArea;
  if (experimenterWindow && !experimenterWindow.isDestroyed()) {
    experimenterWindow.setBounds({ x: where.x, y: where.y, width: Math.min(1000, where.width), height: Math.min(800, where.height) });
    experimenterWindow.focus();
  } else {
    experimenterWindow = appWindow({ x: where.x, y: where.y, width: Math.min(1000, where.width), height: Math.min(800, where.height), title: 'PredLab: experimenter', backgroundColor: '#ffffff' });
    experimenterWindow.on('closed', () => (experimenterWindow = null));
    await experimenterWindow.loadURL(`${ORIGIN}/index.html#experimenter`);
  }
  return other
    ? { secondScreen: true, message: `The experimenter's view is open on the other screen (${other.size.width} × ${other.size.height}).` }
    : { secondScreen: false, message: "Only one screen is connected: the experimenter's view opened as a window on it; connect a second screen and press the button again to move it there." };
}

async function createWindow(): Promise<void> {
  const win = appWindow({ width: 1280, height: 800, backgroundColor: '#808080', title: 'PredLab' });
  mainWindow = win;
  win.on('closed', () => {
    mainWindow = null;
    // The experimenter's window goes with the participant's.
    if (experimenterWindow && !experimenterWindow.isDestroyed()) experimenterWindow.close();
  });
  await win.loadURL(`${ORIGIN}/index.html`);
  if (smoke) {
    // The steps run in the page, through window.predlab and the real IPC; quitting closes the services.
    try {
      const report = await win.webContents.executeJavaScript(`(${smokeSteps.toString()})(window.predlab)`);
      console.log(`PREDLAB_SMOKE ${JSON.stringify(report)}`);
      const failure = smokeFailure(report);
      if (failure) throw new Error(failure);
      app.quit();
    } catch (e) {
      console.error(`PredLab smoke run failed: ${(e as Error).message}`);
      app.exit(1);
    }
  }
}

function serveRenderer(): void {
  // Serve the built renderer from app://predlab with the CSP header; nothing else is reachable.
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFileFor(request.url, rendererDir);
    if (!file) return new Response('not found', { status: 404 });
    let res: Response;
    try {
      res = await net.fetch(pathToFileURL(file).toString());
    } catch {
      return new Response('not found', { status: 404 });
    }
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(RENDERER_HEADERS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, headers });
  });
}

/**
 * macOS asks the person once per app before any camera frame reaches it (Info.plist's
 * NSCameraUsageDescription says why); a refusal made in System Settings is final until changed there.
 */
async function osCameraAccess(): Promise<boolean> {
  if (process.platform !== 'darwin') return true;
  const status = systemPreferences.getMediaAccessStatus('camera');
  if (status === 'granted') return true;
  if (status === 'not-determined') return systemPreferences.askForMediaAccess('camera');
  return false;
}

function restrictPermissions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((wc, permission, callback, details) => {
    if (!isAllowedPermission(permission, (details as { mediaTypes?: string[] }).mediaTypes, details.requestingUrl ?? wc.getURL())) return callback(false);
    // Only the camera gets here: the operating system's permission comes before the capture starts.
    void osCameraAccess().then(callback, () => callback(false));
  });
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) =>
    isAllowedPermission(permission, (details as { mediaType?: string }).mediaType ? [(details as { mediaType: string }).mediaType] : [], requestingOrigin),
  );
}

async function startApp(): Promise<AppServices> {
  // An installed app's default set is copied into the data folder: the app's own path may change.
  // Instance 1 must install; the set's others are skipped (and logged) if they cannot.
  const defaultModelDirs = app.isPackaged
    ? (
        await Promise.all(
          defaultSetDirs(root).map(async (d) => {
            try {
              return { instance: d.instance, dir: await installDefaultModel(d.dir, dataDir) };
            } catch (e) {
              if (d.instance === 1) throw e;
              console.error(`PredLab: the default set's instance ${d.instance} was not installed: ${(e as Error).message}`);
              return null;
            }
          }),
        )
      ).filter((d) => d !== null)
    : undefined;
  return startServices({
    dataDir,
    appRoot: root,
    ...(defaultModelDirs ? { defaultModelDirs } : {}),
    bundleDir: __dirname, // service-thread.cjs is bundled beside main.cjs
    ...(nativeBinding() ? { nativeBinding: nativeBinding()! } : {}),
    chooseExportDir: async (suggestedName) => {
      if (smoke) return path.join(dataDir, 'exports', suggestedName); // no dialog in a smoke run
      const win = BrowserWindow.getFocusedWindow();
      const options = { title: 'Export to folder', defaultPath: path.join(app.getPath('documents'), suggestedName), properties: ['openDirectory' as const, 'createDirectory' as const] };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
    },
    chooseImportSource: async (kind) => {
      const win = BrowserWindow.getFocusedWindow();
      const options =
        kind === 'video'
          ? { title: 'Import a video', properties: ['openFile' as const], filters: [{ name: 'Video', extensions: ['mp4', 'webm', 'mov'] }] }
          : kind === 'archive'
            ? { title: "The paper's model: model_data_keras2.zip", properties: ['openFile' as const], filters: [{ name: 'Zip archive', extensions: ['zip'] }] }
            : kind === 'online-data'
              ? { title: "An online study's data", properties: ['openFile' as const], filters: [{ name: 'jsPsych data or JATOS results', extensions: ['json', 'csv', 'txt', 'zip'] }] }
              : { title: 'Import a folder of images (png or jpg)', properties: ['openDirectory' as const] };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
    },
    // Another address for the model archive is set only outside the page: here, the environment.
    modelMirror: () => process.env.PREDLAB_MODEL_MIRROR || null,
    openExperimenterWindow,
    setFullScreen: (on) => {
      // The participant's window, not whichever has focus (the experimenter's may).
      const win = mainWindow ?? BrowserWindow.getAllWindows()[0];
      win?.setFullScreen(on);
      return win?.isFullScreen() ?? false;
    },
    log: (m) => console.error(m),
  });
}

if (!app.requestSingleInstanceLock()) app.quit();
else
  void app.whenReady().then(async () => {
    serveRenderer();
    restrictPermissions();
    // Linux: Electron's ASAR integrity fuse is not enforced there; the app checks its own files.
    if (app.isPackaged && process.platform === 'linux') {
      const paths = packagedPaths(process.resourcesPath);
      const problems = await checkInstalledApp(paths, __dirname).catch((e: Error) => [e.message]);
      if (problems.length) {
        showError('PredLab will not start', describeIntegrityFailure(problems, paths.integrityManifest));
        app.releaseSingleInstanceLock();
        app.exit(1);
        return;
      }
    }
    const services = await startOrExplain(startApp, { showError, releaseSingleInstanceLock: () => app.releaseSingleInstanceLock(), exit: (c) => app.exit(c) }, dataDir);
    if (!services) return;
    for (const channel of channels) ipcMain.handle(channel, (event, args) => services.handleFromPage(event.senderFrame?.url, channel, args));
    // Pushed progress goes to the app's own pages only (the same check as the invoke side).
    services.subscribe((ev) => {
      for (const win of BrowserWindow.getAllWindows()) if (!win.isDestroyed() && isAppUrl(win.webContents.getURL())) win.webContents.send(EVENT_CHANNEL, ev);
    });
    // Quitting waits (bounded: QUIT_WAIT_MS per service thread) for every job to cancel, clean up
    // and close its database, then quits for real.
    let closing: Promise<void> | null = null;
    let closed = false;
    app.on('before-quit', (event) => {
      if (closed) return;
      event.preventDefault();
      closing ??= services.close().finally(() => {
        closed = true;
        app.quit();
      });
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
    // Only the allow-listed pages open, in the system browser (never in the app), each by its
    // literal address (the same as EXTERNAL_LINKS in security.ts).
    switch (externalLinkFor(url)) {
      case 'paper':
        void shell.openExternal('https://doi.org/10.1038/s42256-020-0170-9');
        break;
      case 'prednet':
        void shell.openExternal('https://github.com/coxlab/prednet');
        break;
    }
    return { action: 'deny' };
  });
});

app.on('window-all-closed', () => app.quit());
