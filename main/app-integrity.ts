/**
 * The installed app's own files, checked against the SHA-256 hashes written when it was packaged
 * (scripts/packaging/after-pack.ts writes resources/app-integrity.json). Electron's ASAR integrity
 * fuse is enforced only on macOS and Windows, and never covers the files unpacked beside app.asar;
 * on Linux the Electron entry runs this check at start-up (in a worker thread) and refuses to
 * start on any difference. Plain Node: inside Electron, fs reads app.asar as a folder, so the same
 * walk works on the archive there and on an ordinary folder in the tests.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const INTEGRITY_FILE = 'app-integrity.json';
export const INTEGRITY_FORMAT = 'predlab-app-integrity/1';
/** The manifest is read whole: a packaged app lists about 13,000 files (about 1.5 MB of JSON). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
/** Problems named in full; the rest are counted. */
const MAX_LISTED = 20;

const manifestSchema = z.strictObject({
  format: z.literal(INTEGRITY_FORMAT),
  algorithm: z.literal('sha256'),
  /** Path inside the app (as under app.asar, '/'-separated) -> hex SHA-256. */
  files: z.record(z.string().min(1), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type IntegrityManifest = z.infer<typeof manifestSchema>;

export function sha256(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export async function hashFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Every file under `dir`, as '/'-separated paths relative to it. Plain readdir and lstat: the
 * calls Electron's fs answers for paths inside an archive too. Symbolic links are neither listed
 * nor followed, as the manifest holds none (a link put in place of a listed file is read through,
 * and its content differs).
 */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of fs.readdirSync(abs)) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(abs, name));
      if (st.isDirectory()) walk(path.join(abs, name), r);
      else if (!st.isSymbolicLink()) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

export function readManifest(file: string): IntegrityManifest {
  const st = fs.statSync(file);
  if (st.size > MAX_MANIFEST_BYTES) throw new Error(`${file} is ${st.size} bytes (at most ${MAX_MANIFEST_BYTES})`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not a PredLab integrity manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export interface VerifyOptions {
  /** The app's root as the app reads it (resources/app.asar inside Electron). */
  appRoot: string;
  manifest: IntegrityManifest;
  /** resources/app.asar.unpacked: files put there but never packaged are reported too. */
  unpackedDir?: string;
}

/** Differences between the files and the manifest, one line each (empty: all as packaged). */
export async function verifyAppFiles({ appRoot, manifest, unpackedDir }: VerifyOptions): Promise<string[]> {
  const problems: string[] = [];
  for (const [rel, want] of Object.entries(manifest.files)) {
    let got: string;
    try {
      got = await hashFile(path.join(appRoot, ...rel.split('/')));
    } catch (e) {
      problems.push(`${rel}: missing (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      continue;
    }
    if (got !== want) problems.push(`${rel}: changed since packaging`);
  }
  const present = new Set([...listFiles(appRoot), ...(unpackedDir && fs.existsSync(unpackedDir) ? listFiles(unpackedDir) : [])]);
  for (const rel of present) if (!(rel in manifest.files)) problems.push(`${rel}: not part of the packaged app`);
  return problems;
}

/** One paragraph for the refusal dialog. */
export function describeIntegrityFailure(problems: string[], manifestFile: string): string {
  const listed = problems.slice(0, MAX_LISTED).join('\n');
  const more = problems.length > MAX_LISTED ? `\n... and ${problems.length - MAX_LISTED} more` : '';
  return `PredLab's files are not the ones it was installed with (checked against ${manifestFile}):\n${listed}${more}\n\nReinstall PredLab from its release page (and check the download's SHA-256 sum). Your lab data is untouched.`;
}

/**
 * The check as the app runs it, in a worker thread (integrity-worker.cjs beside the main bundle):
 * the problems, or a single one when the manifest is missing or unreadable.
 */
export async function checkInstalledApp(paths: { appRoot: string; unpacked: string; integrityManifest: string }, bundleDir: string): Promise<string[]> {
  if (!fs.existsSync(paths.integrityManifest)) return [`${paths.integrityManifest}: missing (every Linux build writes it)`];
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(path.join(bundleDir, 'integrity-worker.cjs'), { workerData: { appRoot: paths.appRoot, manifestFile: paths.integrityManifest, unpackedDir: paths.unpacked } });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      worker.once('message', (m: { problems: string[] }) => resolve(m.problems));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the integrity check stopped (exit code ${code})`)));
    });
  } finally {
    void worker.terminate();
  }
}
