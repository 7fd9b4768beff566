/**
 * electron-builder's afterPack hook (loaded through after-pack.mjs), run once per platform build
 * after app.asar is written and before signing:
 *   1. better-sqlite3 built for Electron's ABI (.electron-native, made by scripts/electron-native.mjs)
 *      replaces the Node build in app.asar.unpacked (electron-builder's own rebuild is off: it
 *      rebuilds inside node_modules);
 *   2. on Linux, where Electron's ASAR integrity fuse is not enforced, the SHA-256 of every file of
 *      the app (inside app.asar and unpacked) goes to resources/app-integrity.json, which the app
 *      checks at start-up (main/app-integrity.ts). macOS and Windows builds are signed after this
 *      hook (signing rewrites binaries), and Electron checks their archive itself.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { INTEGRITY_FILE, INTEGRITY_FORMAT, sha256, type IntegrityManifest } from '../../main/app-integrity.js';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '../..');

interface AsarEntry {
  files?: Record<string, AsarEntry>;
  link?: string;
  unpacked?: boolean;
}
interface Asar {
  getRawHeader(archive: string): { header: AsarEntry };
  extractFile(archive: string, filename: string): Buffer;
}
/** The @electron/asar that electron-builder writes archives with. */
function asarLibrary(): Asar {
  const fromBuilder = createRequire(require.resolve('app-builder-lib/package.json'));
  return fromBuilder('@electron/asar') as Asar;
}

/** Hashes of every file in an archive, unpacked ones read from beside it (as Electron reads them). */
export function manifestFromAsar(archive: string): IntegrityManifest {
  const asar = asarLibrary();
  const files: Record<string, string> = {};
  const walk = (entry: AsarEntry, rel: string) => {
    for (const [name, child] of Object.entries(entry.files ?? {})) {
      const r = rel ? `${rel}/${name}` : name;
      if (child.files) walk(child, r);
      else if (!child.link) files[r] = sha256(asar.extractFile(archive, r));
    }
  };
  walk(asar.getRawHeader(archive).header, '');
  return { format: INTEGRITY_FORMAT, algorithm: 'sha256', files };
}

export function resourcesDir(appOutDir: string, platform: string, productFilename: string): string {
  return platform === 'darwin' ? path.join(appOutDir, `${productFilename}.app`, 'Contents', 'Resources') : path.join(appOutDir, 'resources');
}

/** Where scripts/electron-native.mjs builds it (PREDLAB_ELECTRON_NATIVE_DIR, as there). */
export function electronSqlite(): string {
  const dir = path.resolve(root, process.env.PREDLAB_ELECTRON_NATIVE_DIR ?? '.electron-native');
  return path.join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

interface AfterPackContext {
  appOutDir: string;
  electronPlatformName: string;
  packager: { appInfo: { productFilename: string } };
}

export async function afterPack(context: AfterPackContext): Promise<void> {
  const resources = resourcesDir(context.appOutDir, context.electronPlatformName, context.packager.appInfo.productFilename);
  const built = electronSqlite();
  if (!fs.existsSync(built)) throw new Error(`better-sqlite3 is not built for Electron (${built} missing): run node scripts/electron-native.mjs (npm run dist does)`);
  fs.copyFileSync(built, path.join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'));
  if (context.electronPlatformName === 'linux') {
    const manifest = manifestFromAsar(path.join(resources, 'app.asar'));
    fs.writeFileSync(path.join(resources, INTEGRITY_FILE), JSON.stringify(manifest));
    console.log(`  • app integrity  files=${Object.keys(manifest.files).length} manifest=${path.join(resources, INTEGRITY_FILE)}`);
  }
}
