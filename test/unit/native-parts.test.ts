/**
 * The native parts of the packaged app, checked before packaging (issue 23): for every release
 * target, each node addon, shared library, executable and wasm file of the production tree that
 * electron-builder.yml ships is unpacked beside app.asar and built for that target's OS and CPU,
 * and no other platform's binaries are shipped. Prints the estimated size per platform.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { describeSize, planPackage, productionPackages, readBuilderConfig, RELEASE_TARGETS, validateBuilderConfig, type BuilderConfig, type ProductionPackage } from '../../scripts/packaging/native-parts.js';

const root = path.resolve(import.meta.dirname, '../..');
let config: BuilderConfig;
let packages: ProductionPackage[];

beforeAll(() => {
  config = readBuilderConfig(root);
  packages = productionPackages(root);
});

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own schema', async () => {
    await validateBuilderConfig(config);
    await expect(validateBuilderConfig({ ...config, smartUnpack: false })).rejects.toThrow(/unknown property 'smartUnpack'/);
  });

  for (const target of RELEASE_TARGETS) {
    it(`${target.platform}-${target.arch}: every native part unpacked and built for the target`, () => {
      const plan = planPackage(root, config, target, packages);
      console.log(`packaged size, estimated: ${describeSize(plan)}`);
      expect(plan.problems, plan.problems.join('\n')).toEqual([]);
      // Not filtered too hard: the target's own ONNX Runtime and Dawn are there, unpacked.
      const own = plan.files.filter((f) => f.native?.os === target.platform && f.native.arches.includes(target.arch));
      for (const want of [/onnxruntime-node\/bin\/napi-v6\/[^/]+\/[^/]+\/onnxruntime_binding\.node$/, /onnxruntime-node\/bin\/.*(libonnxruntime|onnxruntime\.dll)/, /webgpu\/dist\/.*\/dawn\.node$/]) {
        expect(own.find((f) => want.test(f.path))?.unpacked, `${want} for ${target.platform}-${target.arch}`).toBe(true);
      }
    });
  }

  it('fails on a native file left in the asar and on another platform’s binaries', () => {
    const win = RELEASE_TARGETS.find((t) => t.platform === 'win32')!;
    const noWasmUnpack = planPackage(root, { ...config, asarUnpack: (config.asarUnpack as string[]).filter((p) => p !== '**/*.wasm') }, win, packages);
    expect(noWasmUnpack.problems.join('\n')).toMatch(/tfjs-backend-wasm\.wasm \(wasm\): left inside app\.asar/);
    const noPlatformFilter = planPackage(root, { ...config, files: (config.files as string[]).filter((p) => !p.includes('${platform}')) }, win, packages);
    expect(noPlatformFilter.problems.join('\n')).toMatch(/onnxruntime-node\/bin\/napi-v6\/darwin\/arm64\/libonnxruntime\.1\.dylib \(shared library, darwin\/arm64\): built for another platform/);
    expect(noPlatformFilter.problems.join('\n')).toMatch(/webgpu\/dist\/linux-x64\/dawn\.node \(node addon, linux\/x64\)/);
    // A platform's own `files` list makes electron-builder 26 pack the whole project: refused.
    expect(() => planPackage(root, { ...config, win: { files: ['!**/x'] } }, win, packages)).toThrow(/win\.files makes electron-builder ignore the top-level files list/);
  });
});
