/**
 * PredNet inference speed on ONNX Runtime against TensorFlow.js (wasm) in the same process, and
 * against a PyTorch forward pass of the same architecture (bench/torch_prednet.py) where a python
 * can import torch. Batch 1, T steps, medians of repetitions, with 1 thread and with every core;
 * wall and CPU milliseconds per frame, and ratios. On a shared machine wall time follows the load;
 * CPU time with 1 thread is the fairest comparison of the engines' efficiency.
 * The closer look behind `npm run bench:model`'s ONNX Runtime rows (which share its timing,
 * bench/measure.ts): npx tsx bench/onnx.ts [--presets small,kitti] [--reps 3] [--T 10] [--variants]
 * (also times the unrolled graph and a step graph called T times).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../native-models/backend.js';
import { stepModel, stepStates, unrolledModel, type KerasWeights } from '../native-models/onnx/prednet-graph.js';
import { baseSessionOptions, OnnxPredNet } from '../native-models/onnx/session.js';
import { PRESETS, type PredNetConfig, type PresetName } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { findTorchPython, perFrame, type Timing } from './measure.js';

export interface OnnxBenchRow {
  preset: PresetName;
  engine: 'onnxruntime' | 'onnxruntime unrolled' | 'onnxruntime step x T' | 'tfjs wasm' | 'pytorch';
  threads: number;
  /** Wall-clock ms per frame (null: not measured, see note). */
  ms: number | null;
  /** CPU ms per frame, all threads of the process. */
  cpuMs: number | null;
  note?: string;
}

export interface OnnxBenchOptions {
  presets?: PresetName[];
  /** Time steps per sequence (frames per measurement). */
  T?: number;
  reps?: number;
  /** Also time the unrolled graph and a step graph called T times (every core). */
  variants?: boolean;
  log?: (line: string) => void;
}

function weightsOf(net: PredNet): KerasWeights {
  const k = net.kerasWeights();
  const w: KerasWeights = new Map([...k].map(([n, t]) => [n, { shape: t.shape, data: t.dataSync() as Float32Array }]));
  tf.dispose([...k.values()]);
  return w;
}

/** The graphs the engine does not use, timed to justify the Scan graph. */
async function variantTimings(cfg: PredNetConfig, net: PredNet, x: Float32Array, T: number, reps: number): Promise<[OnnxBenchRow['engine'], Timing][]> {
  const opts = { ...baseSessionOptions(), executionProviders: ['cpu'] };
  const w = weightsOf(net);
  const C = cfg.stackSizes[0]!;
  const extrap = new ort.Tensor('int64', BigInt64Array.of(BigInt(T)), []);
  const unrolled = await ort.InferenceSession.create(unrolledModel(cfg, w, 'prediction', T), opts);
  const feeds = { frames: new ort.Tensor('float32', x, [1, T, cfg.height, cfg.width, C]), extrap_from: extrap };
  const u = await perFrame(async () => void (await unrolled.run(feeds)), T, reps);
  await unrolled.release();

  const step = await ort.InferenceSession.create(stepModel(cfg, w, 'prediction'), opts);
  const states = stepStates(cfg);
  const zero = (key: string, dims: number[]) => (key === 't' ? new ort.Tensor('int64', BigInt64Array.of(0n), []) : new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), [1, ...dims]));
  const frame = cfg.height * cfg.width * C;
  const runSteps = async () => {
    let state: ort.InferenceSession.OnnxValueMapType | null = null;
    for (let t = 0; t < T; t++) {
      const f: Record<string, ort.Tensor> = { frame: new ort.Tensor('float32', x.subarray(t * frame, (t + 1) * frame), [1, cfg.height, cfg.width, C]), extrap_from: extrap };
      for (const { key, dims } of states) f[`in_${key}`] = state ? (state[`out_${key}`] as ort.Tensor) : zero(key, dims);
      state = await step.run(f);
    }
  };
  const s = await perFrame(runSteps, T, reps);
  await step.release();
  return [
    ['onnxruntime unrolled', u],
    ['onnxruntime step x T', s],
  ];
}

/** PyTorch rows for one preset and each thread count (run just before the other engines, so they see similar load). */
function torchRows(python: { python: string } | { reason: string }, preset: PresetName, threads: number[], T: number, reps: number): OnnxBenchRow[] {
  const missing = (note: string) => threads.map((n) => ({ preset, engine: 'pytorch' as const, threads: n, ms: null, cpuMs: null, note }));
  if ('reason' in python) return missing(python.reason);
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_prednet.py');
  const r = spawnSync(python.python, [script, '--configs', JSON.stringify({ [preset]: PRESETS[preset] }), '--T', String(T), '--reps', String(reps), '--threads', threads.join(',')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return missing(`the PyTorch run failed: ${(r.stderr || String(r.error)).trim().split('\n').at(-1)}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((line) => {
      const j = JSON.parse(line) as { ms_per_frame: number; cpu_ms_per_frame: number; threads: number; torch: string; peak_rss_mib: number };
      return { preset, engine: 'pytorch' as const, threads: j.threads, ms: j.ms_per_frame, cpuMs: j.cpu_ms_per_frame, note: `torch ${j.torch}; python peak RSS ${j.peak_rss_mib.toFixed(0)} MiB` };
    });
}

/** The process's peak RSS so far (engines run one after another: ONNX Runtime before tfjs, per preset). */
const peakRss = () => `process peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`;

const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(1)).padStart(8);

export async function benchOnnx(o: OnnxBenchOptions = {}): Promise<OnnxBenchRow[]> {
  const presets = o.presets ?? ['small', 'kitti'];
  const T = o.T ?? 10;
  const reps = o.reps ?? 3;
  const log = o.log ?? ((s: string) => console.log(s));
  const threads = [...new Set([1, os.availableParallelism()])];
  const rows: OnnxBenchRow[] = [];
  const backend = await initBackend({ force: 'wasm' });
  const python = findTorchPython();
  log(`PredNet inference: batch 1, ${T} steps, median of ${reps}; ms per frame (wall, and CPU of all threads).`);
  log(`tfjs: ${backend.detail}; onnxruntime-node ${ort.env.versions.common}; ${'python' in python ? `PyTorch via ${python.python}` : 'no PyTorch'}.`);
  log(`Load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores: on a shared machine wall times follow the load.`);
  for (const p of presets) {
    const cfg = PRESETS[p];
    rows.push(...torchRows(python, p, threads, T, reps));
    const net = PredNet.create(cfg, 1);
    const shape = [1, T, cfg.height, cfg.width, cfg.stackSizes[0]!];
    const x = tf.tidy(() => tf.randomUniform(shape, 0, 1, 'float32', 2).dataSync() as Float32Array).slice();
    for (const n of threads) {
      const t0 = performance.now();
      const onnx = await OnnxPredNet.fromPredNet(net, { threads: n });
      const setup = performance.now() - t0;
      const t = await perFrame(async () => void (await onnx.run(x, shape, 'prediction')), T, reps);
      rows.push({ preset: p, engine: 'onnxruntime', threads: n, ...t, note: `${onnx.report.provider}; graph + session ${setup.toFixed(0)} ms; ${peakRss()}` });
      await onnx.release();
    }
    if (o.variants) for (const [engine, t] of await variantTimings(cfg, net, x, T, reps)) rows.push({ preset: p, engine, threads: threads.at(-1)!, ...t });
    const xt = tf.tensor5d(x, shape as [number, number, number, number, number]);
    const tfRun = async () => {
      const y = net.run(xt, 'prediction');
      await y.data();
      y.dispose();
    };
    rows.push({ preset: p, engine: 'tfjs wasm', threads: 1, ...(await perFrame(tfRun, T, p === 'kitti' ? Math.min(reps, 2) : reps)), note: peakRss() });
    xt.dispose();
    net.dispose();
  }
  log(`  ${'preset'.padEnd(6)} ${'engine'.padEnd(22)} threads     wall      CPU  (ms/frame)`);
  for (const r of rows) log(`  ${r.preset.padEnd(6)} ${r.engine.padEnd(22)} ${String(r.threads).padStart(7)} ${fmt(r.ms)} ${fmt(r.cpuMs)}${r.note ? `  ${r.note}` : ''}`);
  log('Ratios:');
  const find = (p: PresetName, e: OnnxBenchRow['engine'], n: number) => rows.find((r) => r.preset === p && r.engine === e && r.threads === n);
  for (const p of presets)
    for (const n of threads) {
      const on = find(p, 'onnxruntime', n);
      const pt = find(p, 'pytorch', n);
      const tw = find(p, 'tfjs wasm', 1);
      const parts: string[] = [];
      if (on?.ms && tw?.ms) parts.push(`tfjs wasm (1 thread) / onnxruntime = ${(tw.ms / on.ms).toFixed(1)}x wall`);
      if (on?.ms && pt?.ms && on.cpuMs && pt.cpuMs) parts.push(`onnxruntime / pytorch = ${(on.ms / pt.ms).toFixed(2)}x wall, ${(on.cpuMs / pt.cpuMs).toFixed(2)}x CPU${p === 'kitti' ? ' (target <= 1.3x)' : ''}`);
      if (parts.length) log(`  ${p.padEnd(6)} ${n} thread${n === 1 ? ' ' : 's'}: ${parts.join('; ')}`);
    }
  log(`Load average at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { presets: { type: 'string', default: 'small,kitti' }, reps: { type: 'string', default: '3' }, T: { type: 'string', default: '10' }, variants: { type: 'boolean', default: false } } });
  const presets = values.presets!.split(',');
  for (const p of presets) if (!(p in PRESETS)) throw new Error(`Unknown preset '${p}'; choose from ${Object.keys(PRESETS).join(', ')}.`);
  const [reps, T] = [Number(values.reps), Number(values.T)];
  if (!(Number.isInteger(reps) && reps >= 1 && reps <= 100)) throw new Error(`--reps must be an integer in 1..100; got ${values.reps}.`);
  if (!(Number.isInteger(T) && T >= 1 && T <= 100)) throw new Error(`--T must be an integer in 1..100; got ${values.T}.`);
  await benchOnnx({ presets: presets as PresetName[], reps, T, variants: values.variants });
}
