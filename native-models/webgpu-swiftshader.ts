/**
 * Where SwiftShader's Vulkan driver is: a CPU implementation of Vulkan that Chromium ships and
 * Dawn accepts (Mesa's lavapipe it refuses). With VK_ICD_FILENAMES pointing at it, the WebGPU
 * engine runs on machines without a GPU: for correctness tests, never for speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
