/**
 * Terminating a worker thread while ONNX Runtime runs in it aborts the whole process ("terminate
 * called after throwing an instance of 'Napi::Error'"): the app's service threads, model sessions,
 * battery runs and training stop through main/thread-stop.ts instead, which closes the thread's
 * gate and terminates it only between model calls. Run in a child process, since an abort would
 * take the test runner with it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const child = (mode: 'gated' | 'terminate', times: number) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.resolve('test/support/ort-stop-child.ts'), mode, String(times)], { encoding: 'utf8', timeout: 120_000 });

describe('stopping a thread that runs ONNX Runtime', () => {
  it('terminating it mid-run aborts the process (what the gate prevents)', () => {
    const r = child('terminate', 5);
    expect(r.signal ?? r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Napi::Error/);
  });

  it('through its gate: 8 stops mid-run, the model call under way ends, the next is refused, no abort', () => {
    const r = child('gated', 8);
    expect(r.stderr).not.toMatch(/Napi::Error/);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(8);
    // A thread given time ends by itself after its next call is refused; one stopped at once may be
    // terminated before it says so (but never inside a call: no abort above).
    for (const l of lines.filter((l) => l.includes('waiting'))) expect(l).toMatch(/^stopped \d waiting: refused after \d+ runs: Stopped: this work was cancelled/);
    expect(lines.filter((l) => l.includes('at once'))).toHaveLength(4);
  });
});
