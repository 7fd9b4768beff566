// `npm start` after the build: find (or fetch once) Electron's binary, build better-sqlite3 for it
// (scripts/electron-native.mjs), then run the app.
// Without network the electron package's own download ends in a stack trace ("fetch failed");
// here it ends in what to do instead.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('electron/package.json'));
const version = require('electron/package.json').version;
const pathFile = path.join(pkgDir, 'path.txt');
const installed = () => fs.existsSync(pathFile) && fs.existsSync(path.join(pkgDir, 'dist', fs.readFileSync(pathFile, 'utf8')));

if (!process.env.ELECTRON_OVERRIDE_DIST_PATH && !installed()) {
  console.log(`Downloading Electron ${version} (once) ...`);
  const r = spawnSync(process.execPath, [path.join(pkgDir, 'install.js')], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status !== 0 || !installed()) {
    const reason = (r.stderr ?? '').split('\n').find((l) => /error|fail/i.test(l))?.trim() ?? `exit code ${r.status}`;
    console.error(
      `\nCould not get the Electron ${version} binary (${reason}).\n` +
        'PredLab needs it once, from the network. Either:\n' +
        '  - connect and run `npm start` again;\n' +
        '  - use a mirror: ELECTRON_MIRROR=https://<mirror>/electron/ npm start;\n' +
        `  - or use a copy you have: put electron-v${version}-<platform>-<arch>.zip in the cache\n` +
        '    (ELECTRON_CACHE, see https://github.com/electron/get) or set ELECTRON_OVERRIDE_DIST_PATH to\n' +
        '    the folder holding the unpacked electron executable.\n' +
        'Everything except the app window works without it: the CLI (`npx predlab --help`) and `npm test`.',
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
