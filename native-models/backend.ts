/**
 * Chooses the compute backend at start-up, fastest first, and says why others were skipped:
 *   @tensorflow/tfjs-node-gpu (CUDA) -> WebGPU (Dawn, a hardware adapter only) -> @tensorflow/tfjs-node
 *   -> wasm (+ our gradient kernels) -> cpu.
 * PREDLAB_BACKEND=tensorflow-gpu|webgpu|tensorflow|wasm|cpu forces one (webgpu then also on a
 * software adapter such as SwiftShader, which is how the tests run it).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node build registers no gradients; the umbrella package's Node build registers
// them all into the same tfjs-core (and tfjs-node loads it anyway).
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PredlabError } from './errors.js';
import { registerWasmGradientKernels } from './wasm-kernels.js';
import { startWebGpu } from './webgpu.js';
import { registerCpuKernelFixes } from './cpu-kernels.js';

export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendReport {
  /** Our name for it. */
  choice: BackendChoice;
  /** tfjs's backend name ('tensorflow', 'webgpu', 'wasm', 'cpu'). */
  tfBackend: string;
  detail: string;
  skipped: { choice: BackendChoice; reason: string }[];
  patchedKernels: string[];
}

const require = createRequire(import.meta.url);
// Production mode: no "install tfjs-node" banner from the cpu backend, no debug-only checks.
tf.env().set('PROD', true);
let current: BackendReport | null = null;
// The cpu backend is the last resort and every test's reference: its upsampling gradient must be right.
registerCpuKernelFixes();

/**
 * Why a TensorFlow binding is missing: both are optional dependencies whose install scripts fetch
 * libtensorflow from Google's storage; where that fails (offline, an unsupported platform) npm
 * leaves the package out and goes on.
 */
const NOT_INSTALLED: Record<string, string> = {
  '@tensorflow/tfjs-node': "an optional dependency: npm leaves it out where its install script cannot fetch libtensorflow, e.g. offline",
  '@tensorflow/tfjs-node-gpu': "an optional dependency: npm leaves it out where its install script cannot fetch libtensorflow's GPU build, made for Linux x64 with CUDA 11.2 and cuDNN 8.1",
};

async function tryNode(pkg: string): Promise<string> {
  // Both packages register a backend named 'tensorflow'; only one may ever load.
  if (tf.findBackend('tensorflow')) throw new Error('another TensorFlow binding is already loaded');
  try {
    await import(pkg);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    throw new Error((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? `${pkg} is not installed (${NOT_INSTALLED[pkg] ?? 'npm install it'})` : `${pkg} failed to load: ${msg}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialise`);
  return pkg;
}

async function tryWasm(): Promise<string> {
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(`${dist}${path.sep}`);
  if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly backend did not initialise');
  return '@tensorflow/tfjs-backend-wasm (SIMD, 1 thread)';
}

const attempts: Record<BackendChoice, (forced: boolean) => Promise<string>> = {
  'tensorflow-gpu': () => tryNode('@tensorflow/tfjs-node-gpu'),
  webgpu: (forced) => startWebGpu({ allowSoftware: forced }),
  tensorflow: () => tryNode('@tensorflow/tfjs-node'),
  wasm: tryWasm,
  cpu: async () => {
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
    return '@tensorflow/tfjs-backend-cpu (plain JavaScript)';
  },
};

/** Initialise once per process (later calls return the same report unless `force` differs). */
export async function initBackend(options: { force?: string } = {}): Promise<BackendReport> {
  const forced = options.force ?? process.env.PREDLAB_BACKEND;
  if (forced !== undefined && !(BACKENDS as readonly string[]).includes(forced))
    throw new PredlabError('invalid-argument', `Unknown backend '${forced}' (PREDLAB_BACKEND); choose one of ${BACKENDS.join(', ')}.`);
  if (current && (!forced || current.choice === forced)) return current;
  const order = forced ? [forced as BackendChoice] : BACKENDS;
  const skipped: BackendReport['skipped'] = forced ? BACKENDS.filter((b) => b !== forced).map((choice) => ({ choice, reason: `PREDLAB_BACKEND=${forced}` })) : [];
  for (const choice of order) {
    try {
      const detail = await attempts[choice](Boolean(forced));
      await tf.ready();
      const patchedKernels = choice === 'wasm' ? registerWasmGradientKernels() : [];
      current = { choice, tfBackend: tf.getBackend(), detail, skipped, patchedKernels };
      return current;
    } catch (e) {
      if (forced) throw new PredlabError('unavailable', `PREDLAB_BACKEND=${forced}, but it cannot start: ${(e as Error).message}`);
      skipped.push({ choice, reason: (e as Error).message });
    }
  }
  throw new PredlabError('unavailable', `No compute backend could be started: ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')}`);
}

export function describeBackend(r: BackendReport): string {
  const lines = [`backend: ${r.choice} (${r.detail})`];
  if (r.patchedKernels.length) lines.push(`  with PredLab kernels: ${r.patchedKernels.join(', ')}`);
  for (const s of r.skipped) lines.push(`  skipped ${s.choice}: ${s.reason}`);
  return lines.join('\n');
}
