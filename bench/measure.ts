/**
 * Timing helpers shared by the model benches (bench/onnx.ts, bench/model.ts and its per-engine
 * child bench/engine-run.ts). Imports nothing heavy, so a child's peak memory is its engine's.
 */
import { spawnSync } from 'node:child_process';

export interface Timing {
  ms: number;
  cpuMs: number;
}

export const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median wall and CPU ms per frame of `run` (which processes T frames), after one warm-up run
 * (`warmUp`, default `run` itself).
 */
export async function perFrame(run: () => Promise<void>, T: number, reps: number, warmUp: () => Promise<void> = run): Promise<Timing> {
  await warmUp();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    wall.push((performance.now() - t0) / T);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / T);
  }
  return { ms: median(wall), cpuMs: median(cpu) };
}

/** A python that imports torch: $PREDLAB_PYTHON, python3, or Debian's own (python3-torch) behind a pyenv/venv python3. */
export function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [...new Set([process.env.PREDLAB_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p))];
  const reasons: string[] = [];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return { python };
    reasons.push(`${python}: ${probe.error ? 'not found' : probe.stderr.trim().split('\n').at(-1)}`);
  }
  return { reason: `no python can import torch (${reasons.join('; ')}); Debian: apt-get install python3-torch, or set PREDLAB_PYTHON` };
}

