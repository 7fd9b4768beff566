/**
 * Reading a file someone gave us, safely: only a regular file (a FIFO, a device such as
 * /dev/zero, a socket or a folder, or a link to one, is refused before any byte is read, so no
 * read can wait or run for ever), opened without blocking (opening a FIFO otherwise waits for a
 * writer), and only up to a stated size. A regular file's read ends at its size.
 */
import fs from 'node:fs';
import { PredlabError } from './errors.js';

export interface OpenedFile {
  fd: number;
  size: number;
}

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

const mib = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 1 : 0)} GiB` : `${Math.round(n / 2 ** 20)} MiB`);

/**
 * Open `file` for reading if it is a regular file (links are followed: a link to a FIFO or a
 * device is refused as what it points to) of at most `maxBytes`. `what` names it in messages.
 */
export function openRegularFile(file: string, maxBytes: number, what = 'file'): OpenedFile {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PredlabError(code === 'ENOENT' ? 'not-found' : 'invalid-argument', `Cannot read the ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}.`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new PredlabError('invalid-argument', `The ${what} ${file} is ${kindOf(st)}, not a regular file; PredLab reads only regular files (nothing was read).`);
  }
  if (st.size > maxBytes) {
    fs.closeSync(fd);
    throw new PredlabError('invalid-argument', `The ${what} ${file} is ${mib(st.size)}; PredLab reads at most ${mib(maxBytes)} from one such file (nothing was read).`);
  }
  return { fd, size: st.size };
}

/** Is this path a regular file (following links)? Refuses FIFOs and devices without opening them. */
export function checkRegularFile(file: string, maxBytes: number, what = 'file'): number {
  const { fd, size } = openRegularFile(file, maxBytes, what);
  fs.closeSync(fd);
  return size;
}

/** Read `length` bytes at `position` into `into` (from offset 0); fewer only at the end of the file. */
export function readExactly(fd: number, into: Uint8Array, position: number): number {
  let got = 0;
  while (got < into.length) {
    const n = fs.readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** The whole of a regular file of at most `maxBytes`. */
export function readRegularFile(file: string, maxBytes: number, what = 'file'): Buffer {
  const { fd, size } = openRegularFile(file, maxBytes, what);
  try {
    const buf = Buffer.alloc(size);
    readExactly(fd, buf, 0);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}
