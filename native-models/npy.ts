/** NumPy .npy arrays in and out (through npyjs), with errors that name the file and the problem. */
import fs from 'node:fs';
import { dump } from 'npyjs';
import { openRegularFile, readExactly } from './safe-read.js';

export type Dtype = 'uint8' | 'float32' | 'int32';

export interface NdArray {
  dtype: Dtype;
  shape: number[];
  data: Uint8Array | Float32Array | Int32Array;
}

/** A problem with a .npy file the user gave us. */
export class NpyError extends Error {
  override name = 'NpyError';
}

/** The dtypes read (little-endian, or one byte): an allow-list checked before any allocation. */
const DTYPES: Record<string, { dtype: Dtype; bytes: number }> = { u1: { dtype: 'uint8', bytes: 1 }, f4: { dtype: 'float32', bytes: 4 }, i4: { dtype: 'int32', bytes: 4 } };

/** Stated limits on the .npy files we read: the whole file, and its header (NumPy's own are far smaller). */
export const NPY_MAX_BYTES = 2 ** 31;
export const NPY_MAX_HEADER_BYTES = 64 * 1024;
const MAGIC = '\x93NUMPY';

interface NpyHeader {
  dtype: Dtype;
  bytes: number;
  shape: number[];
  count: bigint;
  offset: number;
}

/**
 * The header, checked against the allow-list before anything is allocated: magic and version,
 * a header that fits in the file, one of the allowed dtypes, C order, and a shape of whole
 * numbers whose values fill the file exactly.
 */
function readHeader(file: string, fd: number, size: number): NpyHeader {
  const notNpy = (why: string) => new NpyError(`${file} is not a NumPy .npy file (${why}).`);
  const pre = Buffer.alloc(12);
  const got = fs.readSync(fd, pre, 0, 12, 0);
  if (got < 10 || pre.toString('latin1', 0, 6) !== MAGIC) throw notNpy('no \\x93NUMPY signature');
  const major = pre[6]!;
  if (major < 1 || major > 3) throw notNpy(`format version ${major}.${pre[7]}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (got < 8 + lenBytes) throw notNpy('truncated header');
  const headerLen = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
  const offset = 8 + lenBytes + headerLen;
  if (headerLen > NPY_MAX_HEADER_BYTES) throw notNpy(`a header of ${headerLen} bytes; at most ${NPY_MAX_HEADER_BYTES} are read`);
  if (offset > size) throw notNpy(`the header runs past the end of the file: truncated`);
  const head = Buffer.alloc(headerLen);
  fs.readSync(fd, head, 0, headerLen, 8 + lenBytes);
  const text = head.toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw notNpy('its header lacks descr, fortran_order or shape');
  const kind = /^[<|=]?([a-z]\d+)$/.exec(descr);
  const allowed = kind && (descr[0] !== '|' || kind[1] === 'u1') ? DTYPES[kind[1]!] : undefined;
  if (!allowed) throw new NpyError(`${file} holds ${descr} values; PredLab reads uint8, float32 and int32 arrays (little-endian).`);
  if (fortran === 'True') throw new NpyError(`${file} is in Fortran order; save it C-ordered (numpy.ascontiguousarray).`);
  const dims = shapeText.split(',').map((d) => d.trim()).filter((d) => d !== '');
  const bad = dims.find((d) => !/^\d+L?$/.test(d));
  if (bad !== undefined) throw new NpyError(`${file} has a shape of (${dims.join(', ')}): '${bad}' is not a whole number of values. It is damaged.`);
  const big = dims.map((d) => BigInt(d.replace(/L$/, '')));
  const count = big.reduce((a, b) => a * b, 1n);
  const need = count * BigInt(allowed.bytes);
  const have = BigInt(size - offset);
  if (need !== have)
    throw new NpyError(`${file} ${have < need ? 'is truncated' : 'has data past its end'}: shape (${dims.join(', ')}) needs ${count.toLocaleString('en')} values, found ${(have / BigInt(allowed.bytes)).toLocaleString('en')}.`);
  return { dtype: allowed.dtype, bytes: allowed.bytes, shape: big.map(Number), count, offset };
}

export function readNpy(file: string): NdArray {
  let opened;
  try {
    // A regular file only (a FIFO or /dev/zero is refused before any read), of at most NPY_MAX_BYTES.
    opened = openRegularFile(file, NPY_MAX_BYTES, '.npy file');
  } catch (e) {
    throw new NpyError((e as Error).message);
  }
  const { fd, size } = opened;
  try {
    const h = readHeader(file, fd, size);
    const n = Number(h.count);
    const data = h.dtype === 'uint8' ? new Uint8Array(n) : h.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
    const got = readExactly(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), h.offset);
    if (got !== data.byteLength) throw new NpyError(`${file} is truncated (it changed while it was read).`);
    return { dtype: h.dtype, shape: h.shape, data };
  } finally {
    fs.closeSync(fd);
  }
}

export function writeNpy(file: string, a: NdArray): void {
  const n = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== n) throw new Error(`Internal: ${a.data.length} values for shape (${a.shape.join(', ')}).`);
  const tmp = `${file}.partial-${process.pid}`;
  try {
    fs.writeFileSync(tmp, Buffer.from(dump(a.data, a.shape)));
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new NpyError(`Could not write ${file}: ${err.code === 'ENOSPC' ? 'the disk is full' : err.message}`);
  }
}
