/**
 * Where SwiftShader's Vulkan driver is: a CPU implementation of Vulkan that Chromium ships and
 * Dawn accepts (Mesa's lavapipe it refuses). With VK_ICD_FILENAMES pointing at it, the WebGPU
 * engine runs on machines without a GPU: for correctness tests, never for speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ICD = 'vk_swiftshader_icd.json';
/** Where Debian/Ubuntu (chromium, chromium-common), Fedora and Google Chrome put it. */
const KNOWN = ['/usr/lib/chromium', '/usr/lib64/chromium-browser', '/usr/lib/chromium-browser', '/opt/google/chrome'].map((d) => `${d}/${ICD}`);

/** The path of vk_swiftshader_icd.json, or null when no installed browser package has it. */
export function swiftShaderIcd(): string | null {
  for (const pkg of ['chromium-common', 'chromium']) {
    try {
      const hit = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .find((l) => l.endsWith(`/${ICD}`));
      if (hit && existsSync(hit)) return hit;
    } catch {
      // not a Debian system, or the package is not installed
    }
  }
  return KNOWN.find((p) => existsSync(p)) ?? null;
}

/**
 * The environment a child process needs to run WebGPU on SwiftShader: the ICD, and its folder
 * first on the library path, because Chromium ships the Vulkan loader (libvulkan.so.1) there
 * too, so no system libvulkan1 is needed. Only for a new process: the loader reads both at start.
 */
export function swiftShaderEnv(icd: string, base: NodeJS.ProcessEnv = process.env): { VK_ICD_FILENAMES: string; LD_LIBRARY_PATH: string } {
  return { VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: [path.dirname(icd), base.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter) };
}
