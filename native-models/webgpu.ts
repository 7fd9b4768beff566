/**
 * The WebGPU engine for tfjs in Node: @tensorflow/tfjs-backend-webgpu on Dawn's dawn.node (the
 * `webgpu` npm package), for GPUs that tfjs-node-gpu cannot use (no CUDA 11.2 + cuDNN 8.1).
 *
 * It first looks for an adapter in a child process (in-process under Electron, see
 * probeWebGpuAdapter): a broken GPU driver can crash the process that enumerates it, and Dawn
 * writes its Vulkan complaints straight to stderr. Only then is the
 * adapter opened in this process; a software one (SwiftShader, llvmpipe) is slower than the wasm
 * backend and is skipped unless forced (PREDLAB_BACKEND=webgpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn's own flag for a CPU implementation (adapter.info.isFallbackAdapter). */
  isFallbackAdapter: boolean;
}

const require = createRequire(import.meta.url);
/** Names of CPU implementations of Vulkan/D3D that do not set isFallbackAdapter everywhere. */
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|basic render driver/i;
/** Longest wait for the child that looks for an adapter (Dawn starts in well under a second). */
const PROBE_TIMEOUT_MS = 20_000;

/** Why this adapter is a software one (slower than the CPU paths), or null for a real GPU. */
export function softwareAdapter(info: WebGpuAdapterInfo): string | null {
  if (info.isFallbackAdapter) return 'a fallback (software) adapter';
  const named = [info.vendor, info.architecture, info.device, info.description].find((s) => SOFTWARE_NAMES.test(s));
  return named !== undefined ? `a software renderer (${named})` : null;
}

export function describeAdapter(info: WebGpuAdapterInfo): string {
  const name = info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  const extra = [info.vendor, info.architecture].filter((s) => s && !name.toLowerCase().includes(s.toLowerCase()));
  return `${name}${extra.length ? ` (${extra.join(' ')})` : ''}, ${softwareAdapter(info) ? 'software' : 'GPU'}`;
}

function webgpuEntry(): string {
  try {
    return require.resolve('webgpu');
  } catch {
    throw new Error('the webgpu package (Dawn for Node) is not installed');
  }
}

/** adapter.info as Dawn fills it (the hoisted @webgpu/types predates the `info` attribute). */
type RawAdapterInfo = Partial<WebGpuAdapterInfo>;
const rawInfo = (adapter: GPUAdapter): RawAdapterInfo => (adapter as unknown as { info: RawAdapterInfo }).info;

function adapterInfo(adapter: GPUAdapter): WebGpuAdapterInfo {
  const i = rawInfo(adapter);
  return { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '', isFallbackAdapter: Boolean(i.isFallbackAdapter) };
}

// Run in a plain Node child: load dawn.node, ask for the adapter tfjs would ask for, print it.
const PROBE_SCRIPT = `
const { create } = await import(process.argv[1]);
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = adapter && adapter.info;
process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: !!i.isFallbackAdapter } : null));
process.exit(0);
`;

/** Dawn's first complaint on stderr (e.g. why it refused a Vulkan driver), for the reason shown. */
function dawnComplaint(stderr: string): string {
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => /^(warning|error)\b/i.test(l) && !/XDG_RUNTIME_DIR/.test(l));
  return line ? ` (Dawn: ${line.replace(/^(warning|error):\s*/i, '')})` : '';
}

let probed: Promise<WebGpuAdapterInfo> | null = null;

/**
 * The adapter Dawn offers on this machine, looked for once per process: in a child Node process,
 * except under Electron, whose packaged build cannot start one (its runAsNode fuse is off: the
 * child would be a second PredLab), so there in this process.
 */
export function probeWebGpuAdapter(): Promise<WebGpuAdapterInfo> {
  probed ??= process.versions.electron ? probeHere() : probeInChild();
  return probed;
}

async function probeHere(): Promise<WebGpuAdapterInfo> {
  const { create } = await loadDawn();
  const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter: Dawn found no usable GPU');
  return adapterInfo(adapter);
}

function probeInChild(): Promise<WebGpuAdapterInfo> {
  return new Promise((resolve, reject) => {
    const entry = pathToFileURL(webgpuEntry()).href;
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    execFile(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, entry], { env, timeout: PROBE_TIMEOUT_MS, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
        if (e.killed) return reject(new Error(`Dawn found no adapter within ${PROBE_TIMEOUT_MS / 1000} s`));
        if (e.signal) return reject(new Error(`dawn.node crashed while looking for an adapter (${e.signal})`));
        const msg = stderr.split('\n').find((l) => /Error/.test(l)) ?? e.message.split('\n')[0]!;
        return reject(new Error(`dawn.node failed to load: ${msg.trim()}`));
      }
      let info: WebGpuAdapterInfo | null;
      try {
        info = JSON.parse(stdout) as WebGpuAdapterInfo | null;
      } catch {
        return reject(new Error(`the adapter probe printed no answer: ${stdout.slice(0, 200) || stderr.slice(0, 200)}`));
      }
      if (!info) return reject(new Error(`no WebGPU adapter: Dawn found no usable GPU${dawnComplaint(stderr)}`));
      resolve(info);
    });
  });
}

interface Dawn {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

async function loadDawn(): Promise<Dawn> {
  const entry = webgpuEntry();
  try {
    return (await import(pathToFileURL(entry).href)) as Dawn;
  } catch (e) {
    throw new Error(`dawn.node failed to load: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * tfjs-backend-webgpu expects a browser: `navigator.gpu` (Node 20 has no navigator, Node 22 one
 * without gpu) and the WebGPU constants (GPUBufferUsage, GPUMapMode, ...) as globals.
 */
function exposeGpu(gpu: GPU | undefined, globals: Record<string, unknown>): void {
  const g = globalThis as { navigator?: object } & Record<string, unknown>;
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  for (const [name, value] of Object.entries(globals)) if (!(name in g)) g[name] = value;
}

export const NO_SYNC_READ = 'the WebGPU engine cannot read a GPU result synchronously in Node (dataSync/arraySync); the caller must await data()';

function softwareRefusal(info: WebGpuAdapterInfo, why: string): Error {
  return new Error(`the WebGPU adapter (${info.description || info.device || info.vendor}) is ${why}, slower than the CPU paths (PREDLAB_BACKEND=webgpu forces it)`);
}

/**
 * Opens the adapter in this process and makes 'webgpu' the tfjs backend; returns the detail line.
 * `allowSoftware` false (automatic choice) refuses a software adapter with the reason.
 */
export async function startWebGpu(options: { allowSoftware: boolean }): Promise<string> {
  // Forced too: outside Electron, a crash or Dawn's complaints about drivers stay in the child.
  const probe = await probeWebGpuAdapter();
  const why = softwareAdapter(probe);
  if (why && !options.allowSoftware) throw softwareRefusal(probe, why);
  const { create, globals } = await loadDawn();
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter: Dawn found no usable GPU');
  const info = adapterInfo(adapter);
  if (softwareAdapter(info) && !options.allowSoftware) throw softwareRefusal(info, softwareAdapter(info)!);
  // tfjs asks for the adapter's own limits so large convolutions fit in one binding.
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  let lost: string | null = null;
  void device.lost.then((d) => void (lost = d.message || d.reason || 'device lost'));
  try {
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    // Its synchronous read (dataSync, arraySync) goes through a browser canvas, which Node lacks:
    // say so instead of "OffscreenCanvas is not defined". Values already on the CPU still read.
    class NodeWebGPUBackend extends WebGPUBackend {
      override readSync(dataId: object): tf.backend_util.BackendValues {
        if (typeof OffscreenCanvas === 'undefined' && this.tensorMap.get(dataId)?.values == null) throw new Error(NO_SYNC_READ);
        return super.readSync(dataId);
      }
    }
    exposeGpu(gpu, globals);
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new NodeWebGPUBackend(device, rawInfo(adapter) as never), 3);
    if (!(await tf.setBackend('webgpu'))) throw new Error('the WebGPU backend did not initialise');
    // A real convolution, read back: a device that compiles no shader or is lost fails here, not mid-job.
    const y = tf.tidy(() => tf.conv2d(tf.ones([1, 3, 3, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'same'));
    const got = Array.from(await y.data());
    y.dispose();
    if (lost) throw new Error(`the WebGPU device was lost: ${lost}`);
    const want = [8, 12, 8, 12, 18, 12, 8, 12, 8];
    if (got.join() !== want.join()) throw new Error(`the WebGPU device computed a 3x3 convolution of ones as ${got.join(', ')}, not ${want.join(', ')}`);
  } catch (e) {
    if (tf.findBackend('webgpu') || tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    exposeGpu(undefined, {});
    device.destroy();
    throw e;
  }
  return `WebGPU via Dawn: ${describeAdapter(info)}`;
}
