/** The `predlab` command run as a user runs it: a child process, with the environment given. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/predlab.js; `env` replaces HOME, XDG_CONFIG_HOME, PREDLAB_DATA_DIR etc. (unset: removed). */
export function predlab(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): CliRun {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.PREDLAB_DATA_DIR;
  delete base.XDG_CONFIG_HOME;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'predlab.js'), ...args], { env: base, encoding: 'utf8', timeout: timeoutMs, cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
