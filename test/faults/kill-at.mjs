/**
 * Preloaded into a CLI child (node --import ./test/faults/kill-at.mjs bin/predlab.js ...): the
 * process SIGKILLs itself the moment it writes (writeFileSync, or opens for writing) a path
 * matching PREDLAB_KILL_AT, after PREDLAB_KILL_SKIP such writes (default 0). A kill at an exact
 * point of a job, as a crash or the task manager would do it, without timing races.
 */
import fs from 'node:fs';

const pattern = process.env.PREDLAB_KILL_AT ? new RegExp(process.env.PREDLAB_KILL_AT) : null;
let skip = Number(process.env.PREDLAB_KILL_SKIP ?? 0);
const hit = (file) => pattern && typeof file === 'string' && pattern.test(file) && skip-- <= 0;
const die = () => process.kill(process.pid, 'SIGKILL');

const writeFileSync = fs.writeFileSync;
fs.writeFileSync = function (file, ...rest) {
  if (hit(file)) die();
  return writeFileSync.call(this, file, ...rest);
};
const openSync = fs.openSync;
fs.openSync = function (file, flags, ...rest) {
  if (typeof flags === 'string' && /[wa+]/.test(flags) && hit(file)) die();
  return openSync.call(this, file, flags, ...rest);
};
