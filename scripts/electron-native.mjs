// Builds better-sqlite3 for Electron's ABI into .electron-native/, beside (never over) the copy in
// node_modules that plain Node uses for the CLI and the tests. The app passes that file to
// better-sqlite3 as `nativeBinding`. Packaged apps don't need this: electron-builder rebuilds.
// The build happens in a scratch folder whose project root is itself (projectRootPath), so
// @electron/rebuild cannot walk up to ./node_modules; the result is renamed into place.
import { rebuild } from '@electron/rebuild';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
const sqliteVersion = require('better-sqlite3/package.json').version;
const target = path.resolve(process.env.PREDLAB_ELECTRON_NATIVE_DIR ?? '.electron-native');
const scratch = `${target}.building`;
const stamp = path.join(target, 'stamp.json');
const wanted = JSON.stringify({ electronVersion, sqliteVersion });

if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) {
  console.log(`better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}: up to date`);
  process.exit(0);
}
fs.rmSync(scratch, { recursive: true, force: true });
const src = path.dirname(require.resolve('better-sqlite3/package.json'));
const dest = path.join(scratch, 'node_modules', 'better-sqlite3');
fs.cpSync(src, dest, { recursive: true, filter: (p) => !p.startsWith(path.join(src, 'build')) });
fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'predlab-electron-native', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }));
console.log(`building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} in ${path.relative(process.cwd(), scratch)} ...`);
try {
  // PREDLAB_ELECTRON_HEADERS_URL: a mirror of https://www.electronjs.org/headers (offline builds).
  const headerURL = process.env.PREDLAB_ELECTRON_HEADERS_URL;
  await rebuild({ buildPath: scratch, projectRootPath: scratch, electronVersion, onlyModules: ['better-sqlite3'], force: true, ...(headerURL ? { headerURL } : {}) });
} catch (e) {
  fs.rmSync(scratch, { recursive: true, force: true });
  console.error(
    `\nCould not build better-sqlite3 for Electron ${electronVersion}: ${e.message}\n` +
      "This step downloads Electron's headers (or a prebuilt binary) once; check the network connection,\n" +
      'or point PREDLAB_ELECTRON_HEADERS_URL at a mirror of https://www.electronjs.org/headers.\n' +
      'The CLI (npx predlab) and the tests do not need it: they use the copy built for Node.',
  );
  process.exit(1);
}
fs.writeFileSync(path.join(scratch, 'stamp.json'), wanted);
fs.rmSync(target, { recursive: true, force: true });
fs.renameSync(scratch, target);
console.log('done: .electron-native/node_modules/better-sqlite3');
