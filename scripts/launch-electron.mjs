// `npm start` after the build: find (or fetch once) Electron's binary, build better-sqlite3 for it
// (scripts/electron-native.mjs), then run the app.
// Without network the electron package's own download ends in a stack trace ("fetch failed");
// here it ends in what to do instead.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('electron/package.json'));
const version = require('electron/package.json').version;
const pathFile = path.join(pkgDir, 'path.txt');
const installed = () => fs.existsSync(pathFile) && fs.existsSync(path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8')));

/**
 * A zip put by hand in the cache folder (electron_config_cache, else Electron's default cache) is
 * moved to where @electron/get looks: a subfolder named by the SHA-256 of the download folder's URL.
 * The electron package checks it against the checksums it ships, so no network is needed.
 */
function adoptCachedZip() {
  const zipName = `electron-v${version}-${process.platform}-${process.arch}.zip`;
  const home = os.homedir();
  const root =
    process.env.electron_config_cache ||
    (process.platform === 'darwin'
      ? path.join(home, 'Library', 'Caches', 'electron')
      : process.platform === 'win32'
        ? path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'electron', 'Cache')
        : path.join(process.env.XDG_CACHE_HOME || path.join(home, '.cache'), 'electron'));
  const loose = path.join(root, zipName);
  if (!fs.existsSync(loose)) return root;
  const mirror = process.env.ELECTRON_MIRROR || 'https://github.com/electron/electron/releases/download/';
  const folderUrl = `${mirror.endsWith('/') ? mirror : `${mirror}/`}${process.env.ELECTRON_CUSTOM_DIR || `v${version}`}`;
  const dir = path.join(root, crypto.createHash('sha256').update(folderUrl).digest('hex'));
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(loose, path.join(dir, zipName));
  return root;
}

if (!process.env.ELECTRON_OVERRIDE_DIST_PATH && !installed()) {
  const cacheRoot = adoptCachedZip();
  console.log(`Downloading Electron ${version} (once) ...`);
  const r = spawnSync(process.execPath, [path.join(pkgDir, 'install.js')], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, electron_config_cache: cacheRoot } });
  if (r.status !== 0 || !installed()) {
    const reason = (r.stderr ?? '').split('\n').find((l) => /error|fail/i.test(l))?.trim() ?? `exit code ${r.status}`;
    // One line: what it needs, and what works without it.
    console.error(
      `Could not get the Electron ${version} binary (${reason}): connect and run npm start again, set ELECTRON_MIRROR=https://<mirror>/electron/, ` +
        `put electron-v${version}-${process.platform}-${process.arch}.zip in ${cacheRoot} (electron_config_cache), or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron; ` +
        'the CLI (npx predlab) and npm test work without it.',
    );
    process.exit(1);
  }
}
// better-sqlite3 for Electron's ABI (built once; says what to do if it cannot be).
const native = spawnSync(process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), 'electron-native.mjs')], { stdio: 'inherit' });
if (native.status !== 0) process.exit(native.status ?? 1);
const electron = require('electron'); // the executable's path
const child = spawn(electron, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
