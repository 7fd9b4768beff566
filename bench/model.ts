/**
 * `npm run bench:model`: PredNet speed and memory on this machine, every engine that loads, against
 * PyTorch on the same CPU, in one run (numbers, no assertions).
 *
 * For each preset (small, kitti): inference ms/frame (batch 1, T frames) and training ms/frame
 * (batch 1 and 4, nt 10, Adam, L0 loss, as the trainer runs it) on ONNX Runtime (training: the
 * step graph of native-models/onnx/train-graph.ts),
 * TensorFlow.js wasm (1 thread), wasm data-parallel (batch 4 split over gradient threads),
 * WebGPU (on a software adapter such as SwiftShader: one short small inference, its speed
 * meaningless), tfjs-node(-gpu) where installed, the plain cpu backend (inference only), and
 * PyTorch (Debian's python3-torch) as the baseline: each time also as a ratio to PyTorch's, wall
 * and CPU. Every measurement runs in a process of its own (bench/engine-run.ts;
 * bench/torch_prednet.py for PyTorch), so its peak RSS is that engine's. Then flash-lag model
 * trials/s on a KITTI model (ONNX Runtime vs tfjs wasm: a model session's work), and the issue's
 * targets beside the measured ratios. The 1-minute load is recorded per measurement; a busy
 * machine is flagged (wall-time ratios then mean little).
 *
 * Options: --presets small,kitti  --engines <list> (default all: ENGINE_KEYS)  --quick (1 rep, 1
 * trial)  --reps N (1..20, default 3; KITTI training always 1)  --T N (inference frames, 2..100)
 * --trials N (KITTI trials/s, 0..20, 0 skips)  --timeout MIN (per measurement, 1..120, default 15)
 * --tasks infer,b1,b4 (which measurements; default all)  --cpu-training (the plain cpu backend trains for hours)  --json (the results as JSON on stdout,
 * the table on stderr)  --extras (then the wasm kernel checks and the worker's file-reading
 * section of bench/wasm-extras.ts).
 *
 * --gpu: the same table for a machine with an NVIDIA GPU, in one run (about 5 minutes): every
 * engine that can use the GPU (ONNX Runtime, which picks its CUDA provider where that was
 * installed; tfjs-node-gpu if it loads; tfjs WebGPU on a hardware adapter) against PyTorch on the
 * same GPU (torch_prednet.py --device cuda), small and KITTI, inference and training; engines
 * that do not start say why. Installs nothing.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PRESETS, type PredNetConfig, type PresetName } from '../native-models/prednet/config.js';
import { swiftShaderEnv, swiftShaderIcd } from '../native-models/webgpu-swiftshader.js';
import type { Engine, EngineJob, EngineResult } from './engine-run.js';
import { findTorchPython } from './measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** What --engines accepts: tfjs backends by initBackend's names, plus the rest. */
const ENGINE_KEYS = ['pytorch', 'onnxruntime', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'wasm-parallel', 'cpu'] as const;
type EngineKey = (typeof ENGINE_KEYS)[number];
const LABEL: Record<EngineKey, string> = {
  pytorch: 'PyTorch',
  onnxruntime: 'ONNX Runtime',
  'tensorflow-gpu': 'tfjs-node-gpu',
  tensorflow: 'tfjs-node',
  webgpu: 'tfjs webgpu',
  wasm: 'tfjs wasm 1 thread',
  'wasm-parallel': 'tfjs wasm parallel',
  cpu: 'tfjs cpu',
};
const TASKS = ['inference', 'train b1', 'train b4'] as const;
type Task = (typeof TASKS)[number];

const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'small,kitti' },
    engines: { type: 'string', default: ENGINE_KEYS.join(',') },
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    T: { type: 'string', default: '10' },
    trials: { type: 'string' },
    timeout: { type: 'string' },
    'cpu-training': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    extras: { type: 'boolean', default: false },
    gpu: { type: 'boolean', default: false },
    tasks: { type: 'string', default: 'infer,b1,b4' },
  },
});
const gpu = values.gpu!;
/** The engines that can run on a GPU (--gpu's default): the CPU-only ones would only repeat the CPU bench. */
const GPU_ENGINES: EngineKey[] = ['pytorch', 'onnxruntime', 'tensorflow-gpu', 'webgpu'];

function intOption(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= min && n <= max)) {
    console.error(`--${name} must be an integer in ${min}..${max}; got '${raw}'.`);
    process.exit(2);
  }
  return n;
}
function listOption<T extends string>(name: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw.split(',').filter(Boolean);
  const bad = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (bad.length || !items.length) {
    console.error(`--${name}: unknown ${bad.join(', ') || '(empty)'}; choose from ${allowed.join(', ')}.`);
    process.exit(2);
  }
  return items as T[];
}
const presets = listOption('presets', values.presets!, Object.keys(PRESETS) as PresetName[]);
/** --tasks: infer (inference), b1 and b4 (training at batch 1 and 4). */
const TASK_KEYS: Record<string, Task> = { infer: 'inference', b1: 'train b1', b4: 'train b4' };
const tasks = listOption('tasks', values.tasks!, Object.keys(TASK_KEYS)).map((k) => TASK_KEYS[k]!);
// PyTorch first in each preset and task: the others' ratios need its time.
const engines = listOption('engines', gpu && values.engines === ENGINE_KEYS.join(',') ? GPU_ENGINES.join(',') : values.engines!, ENGINE_KEYS).sort((a, b) => ENGINE_KEYS.indexOf(a) - ENGINE_KEYS.indexOf(b));
const reps = intOption('reps', values.reps ?? (values.quick ? '1' : '3'), 1, 20);
const T = intOption('T', values.T!, 2, 100);
const trialCount = intOption('trials', values.trials ?? (values.quick || gpu ? (gpu ? '0' : '1') : '3'), 0, 20);
// On a GPU every measurement takes seconds; a stuck driver must not eat the run's 8 minutes.
const timeoutMs = intOption('timeout', values.timeout ?? (gpu ? '2' : '15'), 1, 120) * 60_000;
const cores = os.availableParallelism();
/** The table: stdout, or stderr when stdout carries the JSON. */
const out = (s = '') => (values.json ? process.stderr : process.stdout).write(`${s}\n`);
const progress = (s: string) => process.stderr.write(`${s}\n`);

/** Multiply-adds x 2 of every convolution in one time step (forward). */
function forwardFlops(c: PredNetConfig): number {
  let f = 0;
  const L = c.stackSizes.length;
  for (let l = 0; l < L; l++) {
    const hw = (c.height / 2 ** l) * (c.width / 2 ** l);
    const inR = 2 * c.stackSizes[l]! + c.rStackSizes[l]! + (l < L - 1 ? c.rStackSizes[l + 1]! : 0);
    f += 2 * hw * c.rFiltSizes[l]! ** 2 * inR * 4 * c.rStackSizes[l]!;
    f += 2 * hw * c.ahatFiltSizes[l]! ** 2 * c.rStackSizes[l]! * c.stackSizes[l]!;
    if (l < L - 1) f += 2 * hw * c.aFiltSizes[l]! ** 2 * 2 * c.stackSizes[l]! * c.stackSizes[l + 1]!;
  }
  return f;
}

export interface BenchRow {
  preset: PresetName;
  engine: EngineKey;
  task: Task;
  /** Wall ms per frame (null: not measured, see note). */
  ms: number | null;
  /** CPU ms per frame, all threads of the process. */
  cpuMs: number | null;
  /** Convolution GFLOP/s achieved (training counts the backward pass as 2x the forward). */
  gflops: number | null;
  /** ms / PyTorch's ms for the same preset and task. */
  xPyTorch: number | null;
  /** CPU ms / PyTorch's CPU ms (steadier than wall time on a busy machine; counts every thread's work). */
  cpuXPyTorch: number | null;
  peakRssMiB: number | null;
  /** 1-minute load average when the measurement started. */
  load: number;
  note?: string;
}

interface EngineInfo {
  engine: EngineKey;
  available: boolean;
  detail: string;
  /** RSS of a process with the engine started and no model. */
  idleRssMiB: number | null;
}

function childEnv(engine: EngineKey): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Each child forces its engine; inherited choices would contradict it.
  delete env.PREDLAB_BACKEND;
  delete env.PREDLAB_INFERENCE;
  delete env.PREDLAB_TRAINING;
  if (engine === 'webgpu') Object.assign(env, webgpuEnv());
  return env;
}

/**
 * Where no GPU driver is installed, Dawn finds an adapter only through SwiftShader's Vulkan
 * driver, which Chromium ships: point the Vulkan loader at it unless the user did.
 */
function webgpuEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (!process.env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = os.tmpdir();
  const icd = process.env.VK_ICD_FILENAMES ? null : swiftShaderIcd();
  return icd ? { ...env, ...swiftShaderEnv(icd) } : env;
}

/** The line of a failed process's stderr that says what went wrong: its error, else its last line. */
function whyFailed(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^npm warn/.test(l));
  return lines.find((l) => /^(\w*Error\b|Error:)/.test(l)) ?? lines.at(-1) ?? 'no message';
}

/** Runs one EngineJob in its own node process; a crash, a timeout or a refusal becomes a reason. */
function runChild(job: EngineJob, key: EngineKey): EngineResult {
  const r = spawnSync(process.execPath, [...process.execArgv, path.join(here, 'engine-run.ts'), JSON.stringify(job)], {
    env: childEnv(key),
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 << 20,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (line) return JSON.parse(line.slice(7)) as EngineResult;
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { ok: false, reason: `timed out after ${timeoutMs / 60_000} min`, peakRssMiB: 0 };
  const err = whyFailed(r.stderr ?? '');
  // wasm32 has a 4 GB heap; running out aborts the module (and here the process).
  const oom = /Aborted|out of memory|RangeError: WebAssembly\.Memory/i.test(r.stderr ?? '');
  return { ok: false, reason: oom ? 'out of WebAssembly memory (4 GB heap)' : `the process failed (${r.signal ?? `exit ${r.status}`}): ${err}`, peakRssMiB: 0 };
}

interface TorchLine {
  mode: 'infer' | 'train';
  batch: number;
  ms_per_frame: number;
  cpu_ms_per_frame: number;
  threads: number;
  torch: string;
  peak_rss_mib: number;
}

/**
 * PyTorch for one preset and task, in its own python process, at 1 thread and at every core: the
 * faster is the baseline (with OpenMP, all-core runs slow down many-fold when another process
 * holds a core, so on a loaded machine 1 thread can win).
 */
function runTorch(python: { python: string }, preset: PresetName, task: Task, taskReps: number): { line: TorchLine; other: TorchLine | null } | { reason: string } {
  const args = [path.join(here, 'torch_prednet.py'), '--configs', JSON.stringify({ [preset]: PRESETS[preset] }), '--reps', String(taskReps), '--threads', gpu ? '0' : [...new Set([1, cores])].join(',')];
  if (gpu) args.push('--device', 'cuda');
  if (task === 'inference') args.push('--mode', 'infer', '--T', String(T));
  else args.push('--mode', 'train', '--batches', task === 'train b1' ? '1' : '4', '--nt', '10');
  const r = spawnSync(python.python, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 });
  const lines = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as TorchLine);
  if (!lines.length) return { reason: r.error ? `timed out or failed: ${r.error.message}` : `the PyTorch run failed: ${whyFailed(r.stderr ?? '')}` };
  const sorted = lines.slice().sort((a, b) => a.ms_per_frame - b.ms_per_frame);
  return { line: sorted[0]!, other: sorted[1] ?? null };
}

const rows: BenchRow[] = [];
const infos: EngineInfo[] = [];
const load1 = () => os.loadavg()[0]!;
const mib = (v: number | null) => (v === null ? '-' : `${v.toFixed(0)} MiB`);
const num = (v: number | null, d = 1) => (v === null ? '-' : v.toFixed(d));

const started = new Date();
const loadStart = os.loadavg();
progress(`PredNet engines bench: ${presets.join(', ')}; ${engines.join(', ')}; ${reps} rep(s); on ${cores} cores, load ${loadStart.map((l) => l.toFixed(1)).join(' ')}`);

// Which engines start here (and what a process with each costs before any work).
let python: { python: string } | null = null;
/** The GPU PyTorch sees (its name goes into the table's title). */
let gpuName: string | null = null;
for (const e of engines) {
  if (e === 'pytorch') {
    const found = findTorchPython();
    if ('python' in found) {
      python = found;
      const v = spawnSync(found.python, ['-c', 'import resource, torch; print(torch.__version__, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'], { encoding: 'utf8' });
      const [version, rss, ...card] = v.stdout.trim().split(' ');
      gpuName = card.join(' ') || null;
      if (gpu && !gpuName) infos.push({ engine: e, available: false, detail: `torch ${version} via ${found.python} sees no CUDA GPU`, idleRssMiB: null });
      else infos.push({ engine: e, available: true, detail: `torch ${version} via ${found.python} (${gpu ? `CUDA: ${gpuName}` : `CPU; the faster of 1 and ${cores} threads`})`, idleRssMiB: Number(rss) });
    } else infos.push({ engine: e, available: false, detail: found.reason, idleRssMiB: null });
    continue;
  }
  if (e === 'wasm-parallel') {
    const wasm = infos.find((i) => i.engine === 'wasm') ?? { available: true, idleRssMiB: null };
    infos.push({ engine: e, available: wasm.available, detail: `tfjs wasm, training only: the batch split across gradient threads (workers auto: one per core, at most one per sequence)`, idleRssMiB: null });
    continue;
  }
  const r = runChild({ kind: 'idle', engine: e as Engine }, e);
  // initBackend lists every backend it skipped; the forced one's reason is the one that matters.
  const reason = r.ok ? '' : (r.reason.split('; ').find((part) => part.startsWith(`${e}: `))?.slice(e.length + 2) ?? r.reason);
  infos.push(r.ok ? { engine: e, available: true, detail: r.detail, idleRssMiB: r.peakRssMiB } : { engine: e, available: false, detail: reason, idleRssMiB: null });
}
const info = (e: EngineKey) => infos.find((i) => i.engine === e);
const isSoftwareGpu = (e: EngineKey) => e === 'webgpu' && /software|swiftshader/i.test(info(e)?.detail ?? '');

/** The job for an engine, preset and task, or why it is not run. */
function jobFor(e: EngineKey, preset: PresetName, task: Task): EngineJob | { skip: string } {
  const batch = task === 'train b4' ? 4 : 1;
  const trainReps = preset === 'kitti' ? 1 : reps;
  if (e === 'onnxruntime') return task === 'inference' ? { kind: 'infer', engine: e, preset, T, reps } : { kind: 'train', engine: e, preset, batch, nt: 10, reps: trainReps };
  if (e === 'cpu') {
    if (task === 'inference') return preset === 'kitti' ? { kind: 'infer', engine: e, preset, T: 2, reps: 1 } : { kind: 'infer', engine: e, preset, T, reps };
    if (!values['cpu-training'] || preset === 'kitti') return { skip: 'skipped: hours (--cpu-training for small)' };
  }
  // A software adapter (SwiftShader) takes ~15 s per small frame here: one short run shows it works.
  if (isSoftwareGpu(e) && gpu) return { skip: 'software adapter: Dawn found no GPU' };
  if (isSoftwareGpu(e)) return preset === 'small' && task === 'inference' ? { kind: 'infer', engine: 'webgpu', preset, T: 2, reps: 1 } : { skip: 'software adapter: skipped (speed meaningless)' };
  if (e === 'wasm-parallel') return task === 'train b4' && cores > 1 ? { kind: 'train', engine: 'wasm', preset, batch, nt: 10, reps: trainReps, workers: 'auto' } : { skip: 'nothing to split' };
  const engine = e as Exclude<Engine, 'onnxruntime'>;
  return task === 'inference' ? { kind: 'infer', engine, preset, T, reps } : { kind: 'train', engine, preset, batch, nt: 10, reps: trainReps };
}

for (const preset of presets) {
  const flops = forwardFlops(PRESETS[preset]);
  for (const task of TASKS.filter((t) => tasks.includes(t))) {
    let torchMs: number | null = null;
    let torchCpuMs: number | null = null;
    for (const e of engines) {
      const i = info(e)!;
      if (!i.available) continue;
      const load = load1();
      const t0 = performance.now();
      let row: BenchRow;
      if (e === 'pytorch') {
        const taskReps = task !== 'inference' && preset === 'kitti' ? 1 : reps;
        const r = runTorch(python!, preset, task, taskReps);
        if ('reason' in r) row = { preset, engine: e, task, ms: null, cpuMs: null, gflops: null, xPyTorch: null, cpuXPyTorch: null, peakRssMiB: null, load, note: r.reason };
        else {
          torchMs = r.line.ms_per_frame;
          torchCpuMs = r.line.cpu_ms_per_frame;
          const other = r.other ? `; ${r.other.threads} thread${r.other.threads === 1 ? '' : 's'}: ${r.other.ms_per_frame.toFixed(1)} ms` : '';
          row = { preset, engine: e, task, ms: torchMs, cpuMs: r.line.cpu_ms_per_frame, gflops: null, xPyTorch: 1, cpuXPyTorch: 1, peakRssMiB: r.line.peak_rss_mib, load, note: `${r.line.threads} thread${r.line.threads === 1 ? '' : 's'}${other}` };
        }
      } else {
        const job = jobFor(e, preset, task);
        if ('skip' in job) {
          if (job.skip === 'inference only' || job.skip === 'nothing to split') continue;
          row = { preset, engine: e, task, ms: null, cpuMs: null, gflops: null, xPyTorch: null, cpuXPyTorch: null, peakRssMiB: null, load, note: job.skip };
        } else {
          const r = runChild(job, e);
          if (!r.ok) row = { preset, engine: e, task, ms: null, cpuMs: null, gflops: null, xPyTorch: null, cpuXPyTorch: null, peakRssMiB: r.peakRssMiB || null, load, note: r.reason };
          else {
            const ms = r.timing!.ms;
            const cpuProvider = gpu && e === 'onnxruntime' && !/\((cuda|dml|coreml),/.test(r.detail) ? 'ran on the CPU provider (see Engines)' : '';
            const notes = [r.note ?? '', job.kind === 'infer' && job.T !== T ? `T ${job.T}` : '', isSoftwareGpu(e) ? 'software adapter, speed meaningless' : '', cpuProvider];
            row = { preset, engine: e, task, ms, cpuMs: r.timing!.cpuMs, gflops: ((task === 'inference' ? 1 : 3) * flops) / ms / 1e6, xPyTorch: torchMs ? ms / torchMs : null, cpuXPyTorch: torchCpuMs ? r.timing!.cpuMs / torchCpuMs : null, peakRssMiB: r.peakRssMiB, load, note: notes.filter(Boolean).join('; ') || undefined };
          }
        }
      }
      if (e === 'pytorch' && row.ms !== null) row.gflops = ((task === 'inference' ? 1 : 3) * flops) / row.ms / 1e6;
      rows.push(row);
      progress(`  ${preset} ${LABEL[e]} ${task}: ${row.ms === null ? row.note : `${row.ms.toFixed(1)} ms/frame`} (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load.toFixed(1)})`);
    }
  }
}

// Model trials/s on a KITTI model: what a model session spends per trial.
interface TrialsRow {
  engine: 'onnxruntime' | 'wasm';
  trialsPerSec: number | null;
  peakRssMiB: number | null;
  note?: string;
}
const trialRows: TrialsRow[] = [];
if (trialCount > 0 && presets.includes('kitti'))
  for (const e of ['onnxruntime', 'wasm'] as const) {
    if (!engines.includes(e) || !info(e)?.available) continue;
    const r = runChild({ kind: 'trials', engine: e, preset: 'kitti', trials: trialCount }, e);
    trialRows.push(r.ok ? { engine: e, trialsPerSec: r.trialsPerSec!, peakRssMiB: r.peakRssMiB } : { engine: e, trialsPerSec: null, peakRssMiB: null, note: r.reason });
    progress(`  kitti trials/s ${LABEL[e]}: ${r.ok ? r.trialsPerSec!.toFixed(2) : r.reason}`);
  }

const loadEnd = os.loadavg();
/**
 * Busy: the 1-minute load went past this bench's own threads (up to one per core) plus one
 * background job (the niced PyTorch training this machine keeps running); wall-time ratios then
 * mean little.
 */
const maxLoad = Math.max(loadEnd[0]!, ...rows.map((r) => r.load));
const busy = maxLoad > cores + 1.5;

// Targets of issues 11 and 26, from this run's ratios.
interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}
const find = (p: PresetName, e: EngineKey, t: Task) => rows.find((r) => r.preset === p && r.engine === e && r.task === t);
const targets: Target[] = [];
{
  const onnx = find('kitti', 'onnxruntime', 'inference');
  targets.push({ target: 'KITTI inference on ONNX Runtime <= 1.3x PyTorch', measured: onnx?.xPyTorch ? `${onnx.xPyTorch.toFixed(2)}x` : 'not measured', met: onnx?.xPyTorch ? onnx.xPyTorch <= 1.3 : null });
  const [to, tw] = [trialRows.find((r) => r.engine === 'onnxruntime'), trialRows.find((r) => r.engine === 'wasm')];
  const trialRatio = to?.trialsPerSec && tw?.trialsPerSec ? to.trialsPerSec / tw.trialsPerSec : null;
  targets.push({
    target: "KITTI model trials/s >= 5x today's (tfjs wasm; issue: 0.10/s)",
    measured: to?.trialsPerSec ? `${to.trialsPerSec.toFixed(2)}/s = ${trialRatio ? `${trialRatio.toFixed(1)}x wasm in this run, ` : ''}${(to.trialsPerSec / 0.1).toFixed(1)}x 0.10/s` : 'not measured',
    met: to?.trialsPerSec ? (trialRatio ?? to.trialsPerSec / 0.1) >= 5 : null,
  });
  const fallback = (['wasm', 'wasm-parallel'] as const).map((e) => find('small', e, 'train b4')).filter((r): r is BenchRow => !!r?.xPyTorch);
  const best = fallback.sort((a, b) => a.xPyTorch! - b.xPyTorch!)[0];
  targets.push({ target: 'small training (batch 4, nt 10) on the wasm fallback <= 6x PyTorch', measured: best ? `${best.xPyTorch!.toFixed(1)}x (${LABEL[best.engine]})` : 'not measured', met: best ? best.xPyTorch! <= 6 : null });
  // Issue 26: training on ONNX Runtime.
  for (const p of ['small', 'kitti'] as const) {
    const r = find(p, 'onnxruntime', 'train b4');
    const ratio = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}x`);
    targets.push({
      target: `${p} training (batch 4, nt 10) on ONNX Runtime <= 1.5x PyTorch`,
      measured: r?.ms != null ? `${ratio(r.xPyTorch)} wall, ${ratio(r.cpuXPyTorch)} CPU (${r.ms.toFixed(1)} ms/frame${r.peakRssMiB ? `, peak ${mib(r.peakRssMiB)}` : ''})` : (r?.note ?? 'not measured'),
      met: r?.xPyTorch != null ? r.xPyTorch <= 1.5 : null,
    });
  }
  {
    const r = find('kitti', 'onnxruntime', 'train b4');
    targets.push({ target: 'KITTI training batch 4 on ONNX Runtime: peak memory under 4 GiB', measured: r?.peakRssMiB ? mib(r.peakRssMiB) : 'not measured', met: r?.peakRssMiB ? r.peakRssMiB < 4096 : null });
  }
  const kb4 = (['wasm', 'wasm-parallel'] as const).map((e) => find('kitti', e, 'train b4')).filter((r): r is BenchRow => !!r);
  targets.push({
    target: 'KITTI training batch 4 (nt 10) fits on the wasm fallback',
    measured: kb4.length ? kb4.map((r) => `${LABEL[r.engine]}: ${r.ms !== null ? `${r.ms.toFixed(0)} ms/frame, peak ${mib(r.peakRssMiB)}` : r.note}`).join('; ') : 'not measured',
    met: kb4.length ? kb4.some((r) => r.ms !== null) : null,
  });
}

// The table.
out(`PredNet engines (${started.toISOString()}; ${gpu ? `GPU mode: ${gpuName ?? 'no CUDA GPU found by PyTorch'}; ` : ''}${os.cpus()[0]?.model ?? 'CPU'}, ${cores} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; ${values.quick ? 'quick, ' : ''}${reps} rep(s))`);
out(`Load average ${loadStart.map((l) => l.toFixed(1)).join(' ')} at start, ${loadEnd.map((l) => l.toFixed(1)).join(' ')} at end: wall times follow the load on a shared machine${busy ? ' (BUSY: compare CPU times)' : ''}.`);
out('\nEngines (peak RSS of a process with the engine started, no model):');
for (const i of infos) out(`  ${LABEL[i.engine].padEnd(20)} ${i.available ? `${i.detail.replace(/; skipped .*\)$/, ')')}  [${mib(i.idleRssMiB)}]` : `not available: ${i.detail}`}`);
out(`\nms per frame: inference batch 1, ${T} frames; training = one Adam step on the L0 loss per batch x 10 frames (nt 10), median of ${reps} after a warm-up (KITTI training: 1).`);
out(`x PyTorch: this time / PyTorch's for the same preset and task, wall and (CPU) time (lower is better). Peak RSS: the measuring process's.`);
out(`  ${'preset'.padEnd(6)} ${'engine'.padEnd(20)} ${'task'.padEnd(9)} ${'ms/frame'.padStart(9)} ${'CPU ms'.padStart(8)} ${'GFLOP/s'.padStart(8)} ${'xPyTorch'.padStart(8)} ${'(CPU)'.padStart(6)} ${'peak RSS'.padStart(9)} ${'load'.padStart(5)}  note`);
for (const r of rows)
  out(`  ${r.preset.padEnd(6)} ${LABEL[r.engine].padEnd(20)} ${r.task.padEnd(9)} ${num(r.ms).padStart(9)} ${num(r.cpuMs).padStart(8)} ${num(r.gflops).padStart(8)} ${num(r.xPyTorch, 2).padStart(8)} ${num(r.cpuXPyTorch, 2).padStart(6)} ${mib(r.peakRssMiB).padStart(9)} ${r.load.toFixed(1).padStart(5)}  ${r.note ?? ''}`);
if (trialRows.length) {
  out(`\nFlash-lag model trials/s on a KITTI-size model (16 frames a trial, rasterizing included; ${trialCount} trial(s) after one warm-up):`);
  for (const t of trialRows) out(`  ${LABEL[t.engine].padEnd(20)} ${t.trialsPerSec === null ? t.note : `${t.trialsPerSec.toFixed(2)} trials/s  peak ${mib(t.peakRssMiB)}`}`);
}
out(`\nTargets (issues 11 and 26)${busy ? `: the machine was busy (load up to ${maxLoad.toFixed(1)} on ${cores} cores), so wall-time ratios are unreliable; run again when it is quiet` : ''}:`);
for (const t of targets) out(`  ${(t.met === null ? '-' : t.met ? 'met' : 'NOT met').padEnd(8)} ${t.target}: ${t.measured}`);

if (values.json)
  process.stdout.write(
    `${JSON.stringify(
      { date: started.toISOString(), machine: { cpu: os.cpus()[0]?.model ?? null, cores, memGiB: os.totalmem() / 2 ** 30, node: process.version, platform: `${os.platform()} ${os.release()}` }, loadStart, loadEnd, busy, options: { presets, engines, reps, T, trials: trialCount, quick: values.quick }, engines: infos, rows, trials: trialRows, targets },
      null,
      2,
    )}\n`,
  );

if (values.extras) {
  const r = spawnSync(process.execPath, [...process.execArgv, path.join(here, 'wasm-extras.ts')], { stdio: ['ignore', values.json ? 2 : 'inherit', 'inherit'], env: childEnv('wasm') });
  if (r.status !== 0) progress(`bench/wasm-extras.ts failed (${r.signal ?? `exit ${r.status}`})`);
}
