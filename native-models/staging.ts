/**
 * Hidden work folders beside a destination, `.<name>.<what>-<pid>-XXXXXX`, filled and then
 * renamed into place. A process killed on the way (SIGKILL, power) leaves one behind: its pid
 * lets the next writer to the same place tell it from the work of a process still running.
 */
import fs from 'node:fs';
import path from 'node:path';

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

/** A new, empty staging folder for `dest` (its parent is created). */
export function makeStagingDir(dest: string, what: string): string {
  const parent = path.dirname(path.resolve(dest));
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, `.${path.basename(dest)}.${what}-${process.pid}-`));
}

/** Staging folders (and anything named after them, e.g. `<folder>.old`) for `dest` left by processes that no longer run. */
export function staleStagingDirs(dest: string, what: string): string[] {
  const parent = path.dirname(path.resolve(dest));
  const prefix = `.${path.basename(dest)}.${what}-`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .filter((n) => {
      const pid = /^(\d+)-/.exec(n.slice(prefix.length));
      return n.startsWith(prefix) && pid !== null && !alive(Number(pid[1]));
    })
    .map((n) => path.join(parent, n));
}
