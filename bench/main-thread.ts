/**
 * `npm run bench` (part): how late a timer on the app's main thread runs while heavy channels
 * are answered (analysis with 5,000 bootstrap samples, a 3-session comparison, the trial
 * inspector, engine:info), through the app's own wiring (main/bootstrap.ts, bundled service
 * thread), against the same analysis run on the main thread itself (the old wiring).
 * Sessions are made with the CLI, as a user would. Numbers, not assertions.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bootstrap } from '../main/bootstrap.js';
import { predlab } from '../test/support/cli-child.js';
import { tempDir } from '../test/support/db.js';

const root = path.resolve(import.meta.dirname, '..');
const f = (x: number, d = 1) => x.toFixed(d);

/** Runs `work` while a 10 ms interval timer records how late each tick fired. */
async function lateness<T>(work: () => Promise<T>): Promise<{ maxMs: number; p99Ms: number; ticks: number; wallMs: number; value: T }> {
  const late: number[] = [];
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    late.push(Math.max(0, now - expected));
    expected = now + 10;
  }, 10);
  const t0 = performance.now();
  const value = await work();
  const wallMs = performance.now() - t0;
  // One more tick, so a block at the very end counts too.
  await new Promise((r) => setTimeout(r, 15));
  clearInterval(timer);
  const s = late.slice().sort((a, b) => a - b);
  return { maxMs: s.at(-1) ?? wallMs, p99Ms: s[Math.floor(s.length * 0.99)] ?? wallMs, ticks: late.length, wallMs, value };
}

function must(r: { code: number | null; stdout: string; stderr: string }): { sessionId: number } {
  if (r.code !== 0) throw new Error(`predlab failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const dataDir = tempDir('predlab-bench-');
const env = { PREDLAB_DATA_DIR: dataDir };
const sims = [1, 2, 3].map((seed) => must(predlab(['session', 'simulate', '--paradigm', 'flash-lag', '--pse', '0.6', '--sigma', '0.4', '--seed', String(seed), '--param', 'trialsPerOffset=30', '--json'], env)).sessionId);
must(predlab(['model', 'init', '--out', path.join(dataDir, 'small'), '--json'], env));
const model = must(predlab(['session', 'run', '--model', path.join(dataDir, 'small'), '--seed', '1', '--param', 'trialsPerOffset=1', '--json'], env)).sessionId;

console.log('5. Main-thread timer lateness (10 ms interval) while heavy channels run, app wiring (service threads)');
const app = bootstrap({ dataDir, appRoot: root, bundleDir: path.join(root, 'dist', 'main'), chooseExportDir: async () => null });
await app.ready;
const idle = await lateness(() => new Promise((r) => setTimeout(r, 3000)));
console.log(`   ${'idle, 3 s (this machine\'s own noise)'.padEnd(48)} timer late by max ${f(idle.maxMs)} ms, p99 ${f(idle.p99Ms)} ms`);
const calls: [string, string, unknown][] = [
  ['engine:info (first: starts the engine thread)', 'engine:info', {}],
  ['analysis:session, 5,000 bootstrap samples', 'analysis:session', { sessionId: sims[0], bootstrap: 5000 }],
  ['compare:sessions, 3 sessions, 5,000 samples', 'compare:sessions', { sessionIds: sims, bootstrap: 5000 }],
  ['models:inspect-trial (small PredNet)', 'models:inspect-trial', { sessionId: model, trialIndex: 0 }],
];
for (const [label, channel, args] of calls) {
  const r = await lateness(() => app.handleFromPage('app://predlab/index.html', channel, args));
  const ok = r.value.ok ? '' : `  FAILED: ${r.value.ok ? '' : r.value.error.message}`;
  console.log(`   ${label.padEnd(48)} took ${f(r.wallMs, 0).padStart(6)} ms; timer late by max ${f(r.maxMs)} ms, p99 ${f(r.p99Ms)} ms (${r.ticks} ticks)${ok}`);
}
await app.close();

// The same analysis on this thread, as the main process did before the service threads.
const { analyseSession } = await import('../main/services/analysis.js');
const { openDatabase } = await import('../main/store/db.js');
const db = openDatabase(path.join(dataDir, 'predlab.sqlite'));
const inline = await lateness(async () => analyseSession(db, sims[0]!, { bootstrap: 5000 }));
db.close();
console.log(`   for contrast, analysis:session on the main thread itself: timer late by ${f(inline.maxMs, 0)} ms\n`);
