/**
 * The packaged app's own files against the hashes written at packaging (issue 23, item 4): the
 * afterPack hook on a real archive made by electron-builder's @electron/asar, then the start-up
 * check. A folder with the app's files stands in for app.asar as Electron's fs shows it.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { checkInstalledApp, INTEGRITY_FILE, readManifest, verifyAppFiles } from '../../main/app-integrity.js';
import { afterPack } from '../../scripts/packaging/after-pack.js';
import { tempDir } from '../support/db.js';

const require = createRequire(import.meta.url);
const asar = createRequire(require.resolve('app-builder-lib/package.json'))('@electron/asar') as {
  createPackageWithOptions(src: string, dest: string, options: { unpack?: string }): Promise<void>;
};

function write(root: string, rel: string, data: string | Buffer) {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), data);
}

let app: string; // the app's files, as packaged
let resources: string;
let nativeDir: string;
const saved = process.env.PREDLAB_ELECTRON_NATIVE_DIR;

beforeEach(async () => {
  app = tempDir();
  write(app, 'package.json', '{"name":"predlab","main":"dist/main/main.cjs"}');
  write(app, 'dist/main/main.cjs', 'console.log("main")');
  write(app, 'native-models/default-model/weights.bin', Buffer.alloc(4096, 7));
  write(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node abi build');
  write(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1', Buffer.alloc(1000, 1));
  const out = tempDir();
  resources = path.join(out, 'resources');
  fs.mkdirSync(resources);
  await asar.createPackageWithOptions(app, path.join(resources, 'app.asar'), { unpack: '{*.node,*.so.1}' });
  nativeDir = tempDir();
  write(nativeDir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'electron abi build');
  process.env.PREDLAB_ELECTRON_NATIVE_DIR = nativeDir;
  await afterPack({ appOutDir: out, electronPlatformName: 'linux', packager: { appInfo: { productFilename: 'PredLab' } } });
  // What the app reads from then on: the Electron build of better-sqlite3, unpacked.
  fs.copyFileSync(path.join(nativeDir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), path.join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
});

afterEach(() => {
  if (saved === undefined) delete process.env.PREDLAB_ELECTRON_NATIVE_DIR;
  else process.env.PREDLAB_ELECTRON_NATIVE_DIR = saved;
});

describe('app integrity', () => {
  it('afterPack puts the Electron build of better-sqlite3 into the package and hashes every file, packed and unpacked', async () => {
    const unpacked = path.join(resources, 'app.asar.unpacked');
    expect(fs.readFileSync(path.join(unpacked, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), 'utf8')).toBe('electron abi build');
    const manifest = readManifest(path.join(resources, INTEGRITY_FILE));
    expect(Object.keys(manifest.files).sort()).toEqual([
      'dist/main/main.cjs',
      'native-models/default-model/weights.bin',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'package.json',
    ]);
    expect(await verifyAppFiles({ appRoot: app, manifest, unpackedDir: unpacked })).toEqual([]);
  });

  it('names each file changed, missing or added since packaging', async () => {
    const unpacked = path.join(resources, 'app.asar.unpacked');
    const manifest = readManifest(path.join(resources, INTEGRITY_FILE));
    write(app, 'dist/main/main.cjs', 'console.log("patched")');
    fs.rmSync(path.join(app, 'native-models/default-model/weights.bin'));
    write(unpacked, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libevil.so', 'x');
    expect(await verifyAppFiles({ appRoot: app, manifest, unpackedDir: unpacked })).toEqual([
      'dist/main/main.cjs: changed since packaging',
      'native-models/default-model/weights.bin: missing (ENOENT)',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libevil.so: not part of the packaged app',
    ]);
  });

  it('runs in a worker thread as the app runs it, and refuses a missing manifest', async () => {
    const bundleDir = tempDir();
    await build({ entryPoints: [path.resolve(import.meta.dirname, '../../main/integrity-worker.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(bundleDir, 'integrity-worker.cjs'), logLevel: 'warning' });
    const paths = { appRoot: app, unpacked: path.join(resources, 'app.asar.unpacked'), integrityManifest: path.join(resources, INTEGRITY_FILE) };
    expect(await checkInstalledApp(paths, bundleDir)).toEqual([]);
    write(app, 'package.json', '{"name":"predlab","main":"evil.js"}');
    expect(await checkInstalledApp(paths, bundleDir)).toEqual(['package.json: changed since packaging']);
    fs.rmSync(paths.integrityManifest);
    expect((await checkInstalledApp(paths, bundleDir))[0]).toMatch(/app-integrity\.json: missing/);
  });

  it('refuses a manifest that is not one, in one line', () => {
    write(resources, 'bad.json', JSON.stringify({ format: 'predlab-app-integrity/1', algorithm: 'sha256', files: { 'a.js': 'nothex' } }));
    expect(() => readManifest(path.join(resources, 'bad.json'))).toThrow(/^.*bad\.json is not a PredLab integrity manifest: [^\n]+$/);
  });
});
