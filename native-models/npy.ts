/** NumPy .npy arrays in and out (through npyjs), with errors that name the file and the problem. */
import fs from 'node:fs';
import { dump, parse, type NpyArray } from 'npyjs';

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

const DTYPES: Record<string, Dtype> = { u1: 'uint8', f4: 'float32', i4: 'int32' };

/** Stated limit on the .npy files we read (one Buffer, whole, in memory). */
export const NPY_MAX_BYTES = 2 ** 31;

export function readNpy(file: string): NdArray {
  let buf: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > NPY_MAX_BYTES) throw new NpyError(`${file} is ${size} bytes; .npy files over ${NPY_MAX_BYTES} bytes (2 GiB) are refused. Split it into smaller files.`);
    buf = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof NpyError) throw e;
    throw new NpyError(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let arr: NpyArray;
  try {
    arr = parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  } catch (e) {
    throw new NpyError(`${file} is not a NumPy .npy file (${(e as Error).message}).`);
  }
  const dtype = DTYPES[arr.dtype.replace(/^[<|=]/, '')];
  if (!dtype) throw new NpyError(`${file} holds ${arr.dtype} values; PredLab reads uint8, float32 and int32 arrays.`);
  if (arr.fortranOrder) throw new NpyError(`${file} is in Fortran order; save it C-ordered (numpy.ascontiguousarray).`);
  // Counted exactly: a damaged header can claim a shape whose product no float can hold.
  const n = arr.shape.reduce((a, b) => a * BigInt(b), 1n);
  const data = arr.data as NdArray['data'];
  if (BigInt(data.length) !== n) throw new NpyError(`${file} ${BigInt(data.length) < n ? 'is truncated' : 'has data past its end'}: shape (${arr.shape.join(', ')}) needs ${n.toLocaleString('en')} values, found ${data.length.toLocaleString('en')}.`);
  return { dtype, shape: arr.shape, data };
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
