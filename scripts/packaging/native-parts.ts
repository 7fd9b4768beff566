/**
 * What electron-builder would put in the packaged app for one target, computed without packaging:
 * the app's own files (electron-builder.yml `files`) and the production dependency tree, filtered
 * as electron-builder filters them (its own FileMatcher for `files` and `asarUnpack`, its default
 * exclusions), each file marked as inside app.asar or unpacked beside it. Every native part (node
 * addon, shared library, executable, wasm; recognised by its bytes) must be unpacked (the OS cannot
 * load or run a file inside the archive) and built for the target's OS and CPU.
 * Used by test/unit/native-parts.test.ts (in `npm test`) and by scripts/dist.ts before packaging.
 * Checked once against a real `electron-builder --linux dir` (a stand-in Electron binary): the same
 * 12,932 files and the same unpacked ones; electron-builder only hoists some nested packages
 * (node_modules/a/node_modules/b -> node_modules/b), so every unpack pattern matches at any depth.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import yaml from 'js-yaml';
import { classifyFile, type BinaryOs, type NativePart } from './binary-kind.js';

const require = createRequire(import.meta.url);

export interface Target {
  platform: BinaryOs;
  arch: 'x64' | 'arm64';
}

/** The release builds (.github/workflows/release.yml): ONNX Runtime has no macOS x64 build. */
export const RELEASE_TARGETS: readonly Target[] = [
  { platform: 'linux', arch: 'x64' },
  { platform: 'darwin', arch: 'arm64' },
  { platform: 'win32', arch: 'x64' },
];

/** electron-builder's key for a platform's own options in its configuration. */
const CONFIG_KEY: Record<BinaryOs, 'linux' | 'mac' | 'win'> = { linux: 'linux', darwin: 'mac', win32: 'win' };

type Patterns = string | string[] | undefined;
export interface BuilderConfig {
  files?: Patterns;
  asarUnpack?: Patterns;
  asar?: boolean | { smartUnpack?: boolean };
  linux?: { files?: Patterns; asarUnpack?: Patterns };
  mac?: { files?: Patterns; asarUnpack?: Patterns };
  win?: { files?: Patterns; asarUnpack?: Patterns };
  [key: string]: unknown;
}

export function readBuilderConfig(root: string, file = 'electron-builder.yml'): BuilderConfig {
  return yaml.load(fs.readFileSync(path.join(root, file), 'utf8')) as BuilderConfig;
}

// electron-builder's own pieces, so patterns mean exactly what they mean when packaging.
interface Stat {
  moduleFullFilePath?: string;
  isDirectory(): boolean;
}
type Filter = (file: string, stat: Stat) => boolean;
interface FileMatcherLike {
  isEmpty(): boolean;
  prependPattern(p: string): void;
  addPattern(p: string): void;
  createFilter(): Filter;
}
const { FileMatcher, excludedNames, excludedExts } = require('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns?: string[]) => FileMatcherLike;
  excludedNames: string;
  excludedExts: string;
};

const asArray = (p: Patterns): string[] => (p === undefined ? [] : Array.isArray(p) ? p : [p]);

/** ${arch}, ${os} and ${platform} as electron-builder expands them building this target on its own OS. */
function expander(target: Target): (s: string) => string {
  return (s) => s.replace(/\$\{arch\}/g, target.arch).replace(/\$\{os\}/g, CONFIG_KEY[target.platform]).replace(/\$\{platform\}/g, target.platform);
}

// NodeModuleCopyHelper's exclusions (app-builder-lib/out/util/NodeModuleCopyHelper.js).
const EXCLUDED_ANYWHERE = new Set(['.DS_Store', 'CHANGELOG.md', 'ChangeLog', 'changelog.md', 'Changelog.md', 'Changelog', 'binding.gyp', '.npmignore', 'node_gyp_bins', ...excludedNames.split(',')]);
const EXCLUDED_TOP = new Set(['karma.conf.js', '.coveralls.yml', 'README.md', 'readme.markdown', 'README', 'readme.md', 'Readme.md', 'Readme', 'readme', 'test', 'tests', '__tests__', 'powered-test', 'example', 'examples', '.bin']);
function excludedExtensions(target: Target): string[] {
  const exts = ['.o', '.obj', ...excludedExts.split(',').map((e) => `.${e}`), '.pdb'];
  // electron-builder drops .dll and .exe from node_modules except for Windows builds.
  return target.platform === 'win32' ? exts : [...exts, '.dll', '.exe'];
}
function excludedInModule(dir: string, name: string, top: boolean, exts: string[]): boolean {
  if (EXCLUDED_ANYWHERE.has(name) || name.startsWith('._')) return true;
  if (exts.some((e) => name.endsWith(e))) return true;
  if (top && EXCLUDED_TOP.has(name)) return true;
  if (dir.endsWith('build')) return name === 'gyp-mac-tool' || name === 'Makefile' || name.endsWith('.mk') || name.endsWith('.gypi') || name.endsWith('.Makefile');
  if (dir.endsWith('Release')) return name === '.deps' || name === 'obj.target';
  return false;
}

export interface ProductionPackage {
  name: string;
  dir: string;
  /** Where it lands in the app: node_modules/a[/node_modules/b]. */
  dest: string;
  os?: string[];
  cpu?: string[];
}

function readPkg(dir: string): { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; os?: string[]; cpu?: string[] } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

/** Node's lookup: the nearest node_modules/<name> from `from` up to the root. */
function resolvePackageDir(name: string, from: string, root: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return null;
  }
}

/**
 * The production dependency tree as installed: dependencies, optional dependencies (those npm
 * installed here) and peers, each package once.
 */
export function productionPackages(root: string): ProductionPackage[] {
  const seen = new Map<string, ProductionPackage>();
  const visit = (dir: string): void => {
    const pkg = readPkg(dir);
    const wanted: [string, boolean][] = [
      ...Object.keys(pkg.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(pkg.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(pkg.peerDependencies ?? {}).map((n): [string, boolean] => [n, true]),
    ];
    for (const [name, optional] of wanted) {
      const found = resolvePackageDir(name, dir, root);
      if (!found) {
        if (optional) continue;
        throw new Error(`${name} (a production dependency of ${path.relative(root, dir) || 'the app'}) is not installed: run npm ci`);
      }
      const real = fs.realpathSync(found);
      if (seen.has(real)) continue;
      const meta = readPkg(found);
      seen.set(real, { name, dir: found, dest: path.relative(root, found).split(path.sep).join('/'), ...(meta.os ? { os: meta.os } : {}), ...(meta.cpu ? { cpu: meta.cpu } : {}) });
      visit(found);
    }
  };
  visit(root);
  return [...seen.values()].sort((a, b) => a.dest.localeCompare(b.dest));
}

/** npm's os/cpu fields: is the package installed on this target? */
function installsOn(pkg: ProductionPackage, target: Target): boolean {
  const allows = (list: string[] | undefined, value: string) => {
    if (!list?.length) return true;
    if (list.includes(`!${value}`)) return false;
    const positive = list.filter((v) => !v.startsWith('!'));
    return positive.length === 0 || positive.includes(value);
  };
  return allows(pkg.os, target.platform) && allows(pkg.cpu, target.arch);
}

export interface PackagedFile {
  /** Path inside the app (as in app.asar or app.asar.unpacked), with '/'. */
  path: string;
  source: string;
  size: number;
  unpacked: boolean;
  native: NativePart | null;
  /** Compiled at install time (node-gyp's build/): each release runner builds its own for its OS. */
  builtAtInstall: boolean;
}

export interface PackagePlan {
  target: Target;
  files: PackagedFile[];
  asarBytes: number;
  unpackedBytes: number;
  /** Packages installed here only for another OS/CPU: the target installs its own variant (their size stands in). */
  standIns: { name: string; bytes: number }[];
  /** Native parts left inside app.asar or built for another OS/CPU, one line each. */
  problems: string[];
}

function walk(dir: string, rel: string, onEntry: (abs: string, rel: string, st: fs.Stats, top: boolean, parent: string) => 'skip' | 'keep', top = true): void {
  for (const name of fs.readdirSync(dir).sort()) {
    const abs = path.join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(abs);
    if (onEntry(abs, r, st, top, dir) === 'skip') continue;
    if (st.isDirectory()) walk(abs, r, onEntry, false);
  }
}

const HOST: Target = { platform: process.platform as BinaryOs, arch: process.arch as Target['arch'] };
const WHY_UNPACK: Record<NativePart['kind'], string> = {
  'node addon': 'the OS loads it from a real file',
  'shared library': 'the OS loads it from a real file, beside the addon that needs it',
  executable: 'the OS cannot run a file inside the archive',
  wasm: 'inside the archive only a plain fs read reaches it',
};

function describeProblem(f: PackagedFile, target: Target): string | null {
  const n = f.native;
  if (!n) return null;
  const label = `${f.path} (${n.kind}${n.os ? `, ${n.os}/${n.arches.join('+')}` : ''})`;
  // Compiled here for this machine: a runner for another target compiles its own in that place.
  const sameAsHost = target.platform === HOST.platform && target.arch === HOST.arch;
  const checkOs = n.os && (sameAsHost || !f.builtAtInstall);
  if (checkOs && (n.os !== target.platform || !n.arches.includes(target.arch))) return `${label}: built for another platform, shipped in the ${target.platform}-${target.arch} build`;
  if (!f.unpacked) return `${label}: left inside app.asar (${WHY_UNPACK[n.kind]}): add it to asarUnpack`;
  return null;
}

/** Every file of the packaged app for one target, with the problems of its native parts. */
export function planPackage(root: string, config: BuilderConfig, target: Target, packages = productionPackages(root)): PackagePlan {
  const expand = expander(target);
  const own = config[CONFIG_KEY[target.platform]] as { files?: Patterns; asarUnpack?: Patterns } | undefined;
  // electron-builder 26 normalises the top-level `files` into a file set but not a platform's, and
  // then packs the whole project (a real --dir build showed it): refuse rather than model that.
  if (own?.files !== undefined) throw new Error(`electron-builder.yml: ${CONFIG_KEY[target.platform]}.files makes electron-builder ignore the top-level files list and pack the whole project; use \${platform} and \${arch} in the top-level list`);
  const filePatterns = asArray(config.files);
  const unpackMatcher = new FileMatcher(root, root, expand, [...asArray(config.asarUnpack), ...asArray(own?.asarUnpack)]);
  const unpack = unpackMatcher.isEmpty() ? () => false : unpackMatcher.createFilter();
  if (typeof config.asar !== 'object' || config.asar.smartUnpack !== false) throw new Error('electron-builder.yml: set asar.smartUnpack: false, so that asarUnpack alone says what is unpacked (this check reads it)');

  const files: PackagedFile[] = [];
  const add = (source: string, rel: string, st: fs.Stats, builtAtInstall = false) => {
    const stat: Stat = { moduleFullFilePath: rel, isDirectory: () => false };
    files.push({ path: rel, source, size: st.size, unpacked: unpack(source, stat), native: classifyFile(source, st.mode), builtAtInstall });
  };

  // The app's own files: `files` plus electron-builder's defaults (package.json always; no node_modules here).
  const appMatcher = new FileMatcher(root, root, expand, [...filePatterns, 'package.json', '!**/node_modules/**', `!**/*.{${excludedExts},pdb}`, `!**/{${excludedNames}}`]);
  const appFilter = appMatcher.createFilter();
  walk(root, '', (abs, rel, st) => {
    if (rel === 'node_modules' || rel === '.git') return 'skip';
    if (!appFilter(abs, { isDirectory: () => st.isDirectory() })) return 'skip';
    if (st.isFile()) add(abs, rel, st);
    return 'keep';
  });

  // The dependencies: only negative `files` patterns apply to them (getNodeModuleFileMatcher).
  const moduleMatcher = new FileMatcher(root, root, expand, filePatterns.filter((p) => p.startsWith('!')));
  if (!moduleMatcher.isEmpty()) moduleMatcher.prependPattern('**/*');
  const moduleFilter = moduleMatcher.isEmpty() ? null : moduleMatcher.createFilter();
  const exts = excludedExtensions(target);
  const standIns: PackagePlan['standIns'] = [];
  for (const pkg of packages) {
    if (!installsOn(pkg, target)) {
      if (moduleFilter && !moduleFilter(pkg.dir, { moduleFullFilePath: pkg.dest, isDirectory: () => true })) continue;
      let bytes = 0;
      walk(pkg.dir, '', (_abs, rel, st) => {
        if (rel === 'node_modules') return 'skip';
        if (st.isFile()) bytes += st.size;
        return 'keep';
      });
      standIns.push({ name: pkg.name, bytes });
      continue;
    }
    const gyp = fs.existsSync(path.join(pkg.dir, 'binding.gyp'));
    walk(pkg.dir, pkg.dest, (abs, rel, st, top, parent) => {
      const name = path.basename(abs);
      if (name === 'node_modules' || excludedInModule(parent, name, top, exts)) return 'skip';
      if (moduleFilter && !moduleFilter(abs, { moduleFullFilePath: rel, isDirectory: () => st.isDirectory() })) return 'skip';
      if (st.isFile()) add(abs, rel, st, gyp && rel.startsWith(`${pkg.dest}/build/`));
      return 'keep';
    });
  }

  let asarBytes = 0;
  let unpackedBytes = 0;
  for (const f of files) {
    if (f.unpacked) unpackedBytes += f.size;
    else asarBytes += f.size;
  }
  const problems = files.map((f) => describeProblem(f, target)).filter((p): p is string => p !== null);
  return { target, files, asarBytes, unpackedBytes, standIns, problems };
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** One line per target: what the app adds to Electron, inside the archive and beside it. */
export function describeSize(plan: PackagePlan): string {
  const stand = plan.standIns.reduce((s, p) => s + p.bytes, 0);
  const natives = plan.files.filter((f) => f.native).length;
  return (
    `${plan.target.platform}-${plan.target.arch}: app ${mb(plan.asarBytes + plan.unpackedBytes + stand)} ` +
    `(app.asar ${mb(plan.asarBytes)}, unpacked ${mb(plan.unpackedBytes + stand)}, ${natives} native parts` +
    `${plan.standIns.length ? `; ${plan.standIns.map((p) => p.name).join(', ')} measured from this machine's variant` : ''}), plus Electron's own runtime`
  );
}

/** electron-builder's own schema check of the configuration (an unknown or misplaced key is an error). */
export async function validateBuilderConfig(config: BuilderConfig): Promise<void> {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (c: unknown, logger: unknown) => Promise<void> };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  await validateConfiguration(config, new DebugLogger(false));
}
