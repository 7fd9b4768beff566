/**
 * `npm run dist [-- electron-builder options]`: the installers for this machine's OS.
 * Before electron-builder starts (it would spend two minutes and end offline in a raw stack trace):
 *   1. Electron's zip for the target: from -c.electronDist, from Electron's download cache
 *      (electron_config_cache, else the default cache folder), or reachable at ELECTRON_MIRROR /
 *      GitHub; otherwise one line saying what to provide, exit 1;
 *   2. the native-parts check (scripts/packaging/native-parts.ts), with the estimated size;
 *   3. better-sqlite3 built for Electron's ABI in .electron-native (scripts/electron-native.mjs,
 *      as `npm start` does): electron-builder's own npmRebuild is off because it rebuilds inside
 *      node_modules (deleting the Node build the CLI and the tests use, for minutes); the afterPack
 *      hook (scripts/packaging/after-pack.mjs) puts the Electron build into the package.
 * electron-builder's own output passes through without stack traces; a failure ends in one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { describeSize, planPackage, readBuilderConfig, type Target } from './packaging/native-parts.js';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
// --dry-run: every check, then print the electron-builder command instead of running it.
const dryRun = process.argv.includes('--dry-run');
const args = process.argv.slice(2).filter((a) => a !== '--dry-run');
const electronVersion = (require('electron/package.json') as { version: string }).version;
const PROBE_TIMEOUT_MS = 15_000;

function fail(line: string): never {
  console.error(`npm run dist: ${line}`);
  process.exit(1);
}

function targetFromArgs(): Target {
  const has = (...flags: string[]) => args.some((a) => flags.includes(a) || flags.some((f) => a.startsWith(`${f}=`)));
  const platform = has('--linux', '-l') ? 'linux' : has('--mac', '-m', '--macos') ? 'darwin' : has('--win', '-w', '--windows') ? 'win32' : (process.platform as Target['platform']);
  const arch = has('--arm64') ? 'arm64' : has('--x64') ? 'x64' : (process.arch as Target['arch']);
  if (platform !== process.platform) fail(`build the ${platform} installers on ${platform} (native modules are compiled, and platform binaries chosen, on the building OS; the release workflow builds each OS on its own runner).`);
  return { platform, arch };
}

/** Electron's download cache (@electron/get: env-paths('electron').cache), as electron-builder reads it. */
function electronCacheRoots(): string[] {
  const home = os.homedir();
  const fallback =
    process.platform === 'darwin'
      ? path.join(home, 'Library', 'Caches', 'electron')
      : process.platform === 'win32'
        ? path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'electron', 'Cache')
        : path.join(process.env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'electron');
  // The first one set, as @electron/get takes it: a cache named explicitly replaces the default.
  return [process.env.electron_config_cache || process.env.ELECTRON_CACHE || fallback];
}

/** The zip in a cache folder: directly in it, or in one of @electron/get's per-mirror subfolders. */
function findCachedZip(roots: string[], zipName: string): string | null {
  for (const dir of roots) {
    if (fs.existsSync(path.join(dir, zipName))) return path.join(dir, zipName);
    if (!fs.existsSync(dir)) continue;
    for (const sub of fs.readdirSync(dir)) {
      const candidate = path.join(dir, sub, zipName);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  return null;
}

async function electronSource(target: Target): Promise<string[]> {
  if (args.some((a) => a.startsWith('-c.electronDist=') || a.startsWith('--config.electronDist='))) return [];
  const zipName = `electron-v${electronVersion}-${target.platform}-${target.arch}.zip`;
  const roots = electronCacheRoots();
  const cached = findCachedZip(roots, zipName);
  if (cached) {
    console.log(`Electron ${electronVersion}: ${cached}`);
    return [`-c.electronDist=${path.dirname(cached)}`];
  }
  const mirror = process.env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/';
  const url = `${mirror.endsWith('/') ? mirror : `${mirror}/`}${process.env.ELECTRON_CUSTOM_DIR ?? `v${electronVersion}`}/${zipName}`;
  let reason: string | null = null;
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'follow' });
    if (!res.ok) reason = `${new URL(url).host} answered ${res.status}`;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    reason = `${new URL(url).host}: ${cause?.code ?? cause?.message ?? (e as Error).message}`;
  }
  if (reason) {
    fail(
      `cannot get Electron ${electronVersion} for ${target.platform}-${target.arch} (${reason}): put ${zipName} in the folder named by electron_config_cache (or in ${roots[roots.length - 1]}), ` +
        `or set ELECTRON_MIRROR to a mirror that has it (README: "Building installers offline").`,
    );
  }
  return [];
}

function nativePartsCheck(target: Target): void {
  const plan = planPackage(root, readBuilderConfig(root), target);
  if (plan.problems.length) {
    console.error(plan.problems.join('\n'));
    fail(`${plan.problems.length} native part(s) would break in the packaged app (listed above): fix electron-builder.yml.`);
  }
  console.log(`native parts checked; ${describeSize(plan)}`);
}

/** electron-builder, its lines passed through without stack frames; resolves to its exit code and last error. */
function runBuilder(builderArgs: string[]): Promise<{ code: number; error: string | null }> {
  const cli = path.join(path.dirname(require.resolve('electron-builder/package.json')), 'cli.js');
  const child = spawn(process.execPath, [cli, ...builderArgs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let error: string | null = null;
  const pass = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) =>
    readline.createInterface({ input: stream }).on('line', (line) => {
      if (/^\s+at\s/.test(line)) return;
      const failed = /⨯\s*(.*?)(\s+failedTask=.*)?$/.exec(line);
      if (failed) error = failed[1]!.replace(/\s+stackTrace=.*$/, '').trim();
      out.write(`${line.replace(/\s+stackTrace=.*$/, '')}\n`);
    });
  pass(child.stdout, process.stdout);
  pass(child.stderr, process.stderr);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, error })));
}

const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|fetch failed|getaddrinfo|socket hang up/i;

/** scripts/electron-native.mjs, its output passed through; a failure ends in one line. */
function electronNative(): void {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'electron-native.mjs')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.status === 0) return;
  const reason = /Could not build better-sqlite3 for Electron [^:]+: (.*)/.exec(r.stderr ?? '')?.[1] ?? `exit code ${r.status}`;
  fail(`cannot build better-sqlite3 for Electron ${electronVersion} (${reason}): it needs Electron's headers once; connect, or set PREDLAB_ELECTRON_HEADERS_URL to a mirror of https://www.electronjs.org/headers.`);
}

const target = targetFromArgs();
const builderArgs = [...args, ...(await electronSource(target)), '--publish', 'never'];
nativePartsCheck(target);
if (dryRun) {
  console.log(`would run: electron-builder ${builderArgs.join(' ')} (after scripts/electron-native.mjs)`);
  process.exit(0);
}
electronNative();
const result = await runBuilder(builderArgs);
if (result.code !== 0) {
  const what = result.error ?? `electron-builder exited with code ${result.code}`;
  fail(
    NETWORK.test(what)
      ? `electron-builder could not download a packaging tool (${what}): set ELECTRON_BUILDER_BINARIES_MIRROR to a mirror of electron-builder-binaries, or make only the unpacked app: npm run dist -- --dir`
      : what,
  );
}
const outArg = args.find((a) => a.startsWith('-c.directories.output='));
console.log(`installers in ${path.resolve(root, outArg ? outArg.slice('-c.directories.output='.length) : 'release')}`);
