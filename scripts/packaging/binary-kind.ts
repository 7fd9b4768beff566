/**
 * What kind of native part a file is, read from its first bytes (not trusted from its name):
 * ELF (Linux), Mach-O (macOS, thin or universal) and PE (Windows) binaries with their CPU
 * architectures, and WebAssembly modules. Used by the native-parts check before packaging.
 */
import fs from 'node:fs';
import path from 'node:path';

export type BinaryOs = 'linux' | 'darwin' | 'win32';
export type NativeKind = 'node addon' | 'shared library' | 'executable' | 'wasm';

export interface NativePart {
  kind: NativeKind;
  /** The operating system that can load it; absent for wasm (any). */
  os?: BinaryOs;
  /** CPU architectures it holds (Node's names: x64, arm64, ia32, arm); several for a universal Mach-O. */
  arches: string[];
}

// Enough for a PE header after a DOS stub and Rich header.
const HEADER_BYTES = 4096;
const ELF_MACHINES: Record<number, string> = { 0x03: 'ia32', 0x28: 'arm', 0x3e: 'x64', 0xb7: 'arm64' };
const MACHO_CPUS: Record<number, string> = { 0x07: 'ia32', 0x01000007: 'x64', 0x0c: 'arm', 0x0100000c: 'arm64' };
const PE_MACHINES: Record<number, string> = { 0x14c: 'ia32', 0x8664: 'x64', 0x1c4: 'arm', 0xaa64: 'arm64' };

/** Names that say "native" whatever the bytes: a .node that is not a binary is still a problem to look at. */
export function nativeByName(file: string): NativeKind | null {
  const base = path.basename(file).toLowerCase();
  if (base.endsWith('.node')) return 'node addon';
  if (base.endsWith('.wasm')) return 'wasm';
  if (/\.(so(\.\d+)*|dylib|dll)$/.test(base) || /\.so\.\d/.test(base)) return 'shared library';
  if (base.endsWith('.exe')) return 'executable';
  return null;
}

function kindFor(file: string, fallback: NativeKind): NativeKind {
  const byName = nativeByName(file);
  return byName && byName !== 'wasm' ? byName : fallback;
}

/** Classify a header (the file's first bytes); null for anything that is not a binary or wasm. */
export function classifyHeader(file: string, b: Buffer): NativePart | null {
  if (b.length >= 4 && b.readUInt32BE(0) === 0x0061736d) return { kind: 'wasm', arches: [] };
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const le = b[5] === 1;
    const type = le ? b.readUInt16LE(16) : b.readUInt16BE(16);
    const machine = le ? b.readUInt16LE(18) : b.readUInt16BE(18);
    return { kind: kindFor(file, type === 3 ? 'shared library' : 'executable'), os: 'linux', arches: [ELF_MACHINES[machine] ?? `elf-${machine}`] };
  }
  if (b.length >= 8) {
    const magicLE = b.readUInt32LE(0);
    if (magicLE === 0xfeedfacf || magicLE === 0xfeedface) {
      const cpu = b.readUInt32LE(4);
      const type = b.readUInt32LE(12);
      return { kind: kindFor(file, type === 2 ? 'executable' : 'shared library'), os: 'darwin', arches: [MACHO_CPUS[cpu] ?? `macho-${cpu}`] };
    }
    // Universal binary (big-endian header). Java class files share the magic; their "count" is a version (>= 45).
    const n = b.readUInt32BE(4);
    if (b.readUInt32BE(0) === 0xcafebabe && n > 0 && n < 16 && b.length >= 8 + n * 20) {
      const arches = Array.from({ length: n }, (_, i) => MACHO_CPUS[b.readUInt32BE(8 + i * 20)] ?? 'unknown');
      return { kind: kindFor(file, 'shared library'), os: 'darwin', arches };
    }
  }
  if (b.length >= 0x40 && b[0] === 0x4d && b[1] === 0x5a) {
    const pe = b.readUInt32LE(0x3c);
    if (pe + 6 <= b.length && b.readUInt32BE(pe) === 0x50450000) {
      const machine = b.readUInt16LE(pe + 4);
      return { kind: kindFor(file, 'executable'), os: 'win32', arches: [PE_MACHINES[machine] ?? `pe-${machine}`] };
    }
    return { kind: kindFor(file, 'executable'), os: 'win32', arches: ['unknown'] };
  }
  return null;
}

/**
 * The native part a file is, or null. Only files that could be one are opened: those with a
 * native name, no extension, or an executable bit (a binary named like text is not looked for).
 */
export function classifyFile(file: string, mode: number): NativePart | null {
  const byName = nativeByName(file);
  const noExt = path.extname(file) === '';
  const exec = (mode & 0o111) !== 0;
  if (!byName && !noExt && !exec) return null;
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(HEADER_BYTES);
    const n = fs.readSync(fd, b, 0, HEADER_BYTES, 0);
    const part = classifyHeader(file, b.subarray(0, n));
    if (part) return part;
  } finally {
    fs.closeSync(fd);
  }
  // A native name with unreadable content (empty, text): still reported by its name.
  return byName ? { kind: byName, arches: [] } : null;
}
