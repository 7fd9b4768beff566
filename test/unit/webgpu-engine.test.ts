/**
 * The WebGPU engine on Dawn, run for real on SwiftShader (Chromium's CPU Vulkan): PredNet's
 * outputs and one training step equal tfjs-cpu's, and `predlab backend` reports the choice.
 * Each case is its own process: the backend is chosen once per process, and VK_ICD_FILENAMES
 * must be in the environment before Dawn loads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeAdapter, NO_SYNC_READ, softwareAdapter } from '../../native-models/webgpu.js';
import { swiftShaderEnv, swiftShaderIcd } from '../../native-models/webgpu-swiftshader.js';
import { predlab } from '../support/cli-child.js';

const icd = swiftShaderIcd();
const chromiumInstalled = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).status === 0;
// CI installs chromium, so SwiftShader must be there; locally, only a machine without chromium may skip.
if (!icd && (process.env.CI || chromiumInstalled))
  throw new Error("SwiftShader's vk_swiftshader_icd.json was not found (dpkg -L chromium-common, /usr/lib/chromium): the WebGPU engine cannot be tested");
const maybe = icd ? describe : describe.skip;
if (!icd) console.warn('webgpu-engine: skipped, chromium (and so SwiftShader) is not installed here');

const runtimeDir = mkdtempSync(path.join(os.tmpdir(), 'predlab-xdg-'));
afterAll(() => rmSync(runtimeDir, { recursive: true, force: true }));
// XDG_RUNTIME_DIR: without it the Vulkan loader's window-system probe complains on stderr.
const gpuEnv = { ...(icd ? swiftShaderEnv(icd) : {}), XDG_RUNTIME_DIR: runtimeDir, PREDLAB_BACKEND: undefined as string | undefined };

interface Compared {
  key: string;
  n: number;
  maxAbsDiff: number;
  scale: number;
  moved: number | null;
}

maybe('WebGPU engine (Dawn on SwiftShader)', () => {
  it('PredNet outputs in every mode and one Adam step equal tfjs-cpu', () => {
    const child = path.join(import.meta.dirname, 'webgpu-engine.child.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, ...gpuEnv, PREDLAB_BACKEND: 'webgpu' }, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { report: { choice: string; detail: string }; ranOn: string; syncRead: { uploaded: number[]; computedAsync: number[]; syncError: string }; compared: Compared[] };
    expect(out.syncRead).toEqual({ uploaded: [1, 2, 3], computedAsync: [4, 6, 4, 6, 9, 6, 4, 6, 4], syncError: NO_SYNC_READ });
    expect(out.report.choice).toBe('webgpu');
    expect(out.ranOn).toBe('webgpu');
    expect(out.report.detail).toMatch(/WebGPU via Dawn: SwiftShader.*software/);
    const byKey = new Map(out.compared.map((c) => [c.key, c]));
    const modes = ['prediction', 'error', 'prediction, extrap_start_time 2', ...[0, 1, 2].flatMap((l) => ['R', 'E', 'A', 'Ahat'].map((u) => `${u}${l}`))];
    for (const m of modes) {
      const c = byKey.get(m)!;
      expect(c, m).toBeDefined();
      expect(c.scale, `${m} is not all zeros`).toBeGreaterThan(0.05);
      expect(c.maxAbsDiff, m).toBeLessThan(1e-4);
    }
    // float32 sums in another order: gradients agree to 1e-5 of their largest value (measured: 7e-7).
    const grads = out.compared.filter((c) => c.key.startsWith('gradient '));
    expect(grads.length).toBe(16);
    for (const g of grads) expect(g.maxAbsDiff / g.scale, g.key).toBeLessThan(1e-5);
    expect(byKey.get('loss')!.maxAbsDiff).toBeLessThan(1e-6);
    // Adam's first step moves every weight by about lr = 1e-3 (the sign of its gradient): a step
    // that moved nothing, or the other way, shows as a difference of 1e-3 to 2e-3.
    const updated = out.compared.filter((c) => c.key.startsWith('updated '));
    expect(updated.length).toBe(34);
    for (const u of updated) {
      expect(u.moved!, u.key).toBeGreaterThan(9e-4);
      expect(u.maxAbsDiff, u.key).toBeLessThan(1e-5);
    }
  }, 330_000);

  it('predlab backend skips a software adapter in automatic choice, and says why', () => {
    const r = predlab(['backend'], gpuEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/skipped webgpu: the WebGPU adapter \(SwiftShader[^)]*\) is a fallback \(software\) adapter, slower than the CPU paths \(PREDLAB_BACKEND=webgpu forces it\)/);
    expect(r.stdout).not.toMatch(/^backend: webgpu/m);
  });

  it('PREDLAB_BACKEND=webgpu uses the software adapter and names it', () => {
    const r = predlab(['backend', '--json'], { ...gpuEnv, PREDLAB_BACKEND: 'webgpu' });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { choice: string; tfBackend: string; detail: string };
    expect(j.choice).toBe('webgpu');
    expect(j.tfBackend).toBe('webgpu');
    expect(j.detail).toMatch(/^WebGPU via Dawn: SwiftShader driver [\d.]+ \(google\), software$/);
  });

  it('predlab train runs on WebGPU (reads awaited, one thread) and reaches the validation loss wasm reaches', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'predlab-webgpu-train-'));
    try {
      const lab = { PREDLAB_DATA_DIR: path.join(dir, 'lab') };
      expect(predlab(['model', 'init', '--height', '16', '--width', '24', '--seed', '3', '--out', path.join(dir, 'm')], lab).code).toBe(0);
      const data = predlab(['data', 'moving-bars', '--out', path.join(dir, 'f.npy'), '--recordings-out', path.join(dir, 'r.npy'), '--height', '16', '--width', '24', '--recordings', '6', '--frames', '12'], lab);
      expect(data.code, data.stderr).toBe(0);
      const train = (backend: string, out: string) =>
        predlab(['train', '--checkpoint', path.join(dir, 'm'), '--data', path.join(dir, 'f.npy'), '--recordings', path.join(dir, 'r.npy'), '--out', path.join(dir, out), '--epochs', '1', '--samples-per-epoch', '2', '--batch-size', '2', '--nt', '3', '--val-sequences', '1', '--workers', '1', '--json'], { ...gpuEnv, ...lab, PREDLAB_BACKEND: backend }, 240_000);
      const gpu = train('webgpu', 'gpu');
      expect(gpu.code, gpu.stderr).toBe(0);
      expect(gpu.stderr).not.toMatch(/OffscreenCanvas|synchronous/);
      const cpu = train('wasm', 'wasm');
      expect(cpu.code, cpu.stderr).toBe(0);
      const [g, w] = [gpu, cpu].map((r) => JSON.parse(r.stdout) as { step: number; bestValLoss: number }) as [{ step: number; bestValLoss: number }, { step: number; bestValLoss: number }];
      expect(g.step).toBe(1);
      expect(g.bestValLoss).toBeGreaterThan(0);
      expect(Math.abs(g.bestValLoss - w.bestValLoss) / w.bestValLoss).toBeLessThan(1e-4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('no adapter at all: skipped with the reason; forced, a clear error', () => {
    const none = { ...gpuEnv, VK_ICD_FILENAMES: path.join(runtimeDir, 'no-such-icd.json') };
    const auto = predlab(['backend'], none);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stdout).toMatch(/skipped webgpu: no WebGPU adapter: Dawn found no usable GPU/);
    const forced = predlab(['backend'], { ...none, PREDLAB_BACKEND: 'webgpu' });
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toMatch(/^predlab: PREDLAB_BACKEND=webgpu, but it cannot start: no WebGPU adapter: Dawn found no usable GPU \(Dawn: .+\)$/m);
    expect(forced.stderr).not.toMatch(/^\s+at |unexpected error/m);
  });
});

describe('software adapters', () => {
  const gpu = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false };
  it('a hardware adapter is a GPU; one Dawn flags as fallback, or named llvmpipe/lavapipe/SwiftShader, is software', () => {
    expect(softwareAdapter(gpu)).toBeNull();
    expect(describeAdapter(gpu)).toBe('NVIDIA GeForce RTX 3060 (ampere), GPU');
    expect(softwareAdapter({ ...gpu, isFallbackAdapter: true })).toBe('a fallback (software) adapter');
    const llvmpipe = { vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', isFallbackAdapter: false };
    expect(softwareAdapter(llvmpipe)).toBe('a software renderer (llvmpipe (LLVM 15.0.6, 256 bits))');
    expect(describeAdapter(llvmpipe)).toBe('llvmpipe (LLVM 15.0.6, 256 bits) (mesa), software');
    expect(softwareAdapter({ ...gpu, description: '', architecture: 'swiftshader' })).toMatch(/software renderer \(swiftshader\)/);
  });
});
