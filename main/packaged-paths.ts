/**
 * Where an installed app's parts are, for the Electron entry (and ffmpeg's path), kept free of
 * Electron so it can be tested: process.resourcesPath holds app.asar (the app, read through
 * Electron's fs) and app.asar.unpacked (native parts the OS loads or runs from real files:
 * better-sqlite3, onnxruntime-node and its shared library, Dawn, resvg, ffmpeg, wasm; see
 * electron-builder.yml), and on Linux the integrity manifest.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { INTEGRITY_FILE } from './app-integrity.js';

export interface PackagedPaths {
  /** process.resourcesPath. */
  resources: string;
  /** The app's files (app.getAppPath()): resources/app.asar. */
  appRoot: string;
  /** Native parts, beside the archive. */
  unpacked: string;
  /** SHA-256 of every file, written at packaging (Linux builds). */
  integrityManifest: string;
}

export function packagedPaths(resourcesPath: string): PackagedPaths {
  return {
    resources: resourcesPath,
    appRoot: path.join(resourcesPath, 'app.asar'),
    unpacked: path.join(resourcesPath, 'app.asar.unpacked'),
    integrityManifest: path.join(resourcesPath, INTEGRITY_FILE),
  };
}

/**
 * A path inside app.asar as the OS must see it to run or load it: the copy unpacked beside the
 * archive. Paths outside an archive (a checkout, the CLI) are returned as they are.
 */
export function unpackedPath(p: string): string {
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/** The default model's files, at most (a checkpoint is a manifest and one weights file). */
const MAX_DEFAULT_MODEL_BYTES = 256 * 1024 * 1024;

/**
 * The default model shipped inside the app, copied once into the data folder under a name made
 * from its content (default-model/<sha256 prefix>), and that folder returned. The lab records a
 * model by its folder's path: the app's own folder moves (an AppImage is mounted at a new path
 * every run, macOS may run an app from a randomised path, an update replaces it), while this one
 * stays, and a release with other weights gets a folder of its own instead of changing the
 * model behind sessions already recorded. Written to a temporary folder, then renamed.
 */
export async function installDefaultModel(sourceDir: string, dataDir: string): Promise<string> {
  const names = (await fs.promises.readdir(sourceDir)).sort();
  const hash = crypto.createHash('sha256');
  let total = 0;
  const contents: [string, Buffer][] = [];
  for (const name of names) {
    const file = path.join(sourceDir, name);
    if (!(await fs.promises.stat(file)).isFile()) continue;
    const data = await fs.promises.readFile(file);
    total += data.length;
    if (total > MAX_DEFAULT_MODEL_BYTES) throw new Error(`the default model in ${sourceDir} is larger than ${MAX_DEFAULT_MODEL_BYTES} bytes`);
    hash.update(name).update('\0').update(data);
    contents.push([name, data]);
  }
  const dest = path.join(dataDir, 'default-model', hash.digest('hex').slice(0, 16));
  if (fs.existsSync(dest)) return dest;
  const partial = `${dest}.partial-${process.pid}`;
  await fs.promises.rm(partial, { recursive: true, force: true });
  await fs.promises.mkdir(partial, { recursive: true });
  for (const [name, data] of contents) await fs.promises.writeFile(path.join(partial, name), data);
  try {
    await fs.promises.rename(partial, dest);
  } catch (e) {
    await fs.promises.rm(partial, { recursive: true, force: true });
    if (!fs.existsSync(dest)) throw e; // else: another start wrote the same content first
  }
  return dest;
}
