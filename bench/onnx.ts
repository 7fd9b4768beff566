/**
 * PredNet inference speed on ONNX Runtime against TensorFlow.js (wasm) in the same process, and
 * against a PyTorch forward pass of the same architecture (bench/torch_prednet.py) where python3
 * can import torch. Prints ms/frame (batch 1, T steps, median of repetitions) and ratios.
 * `benchOnnx` is for bench/model.ts; run alone: npx tsx bench/onnx.ts [--presets small,kitti]
 * [--reps 3] [--variants] (also times the unrolled graph and a step graph called T times).
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
import { OnnxPredNet } from '../native-models/onnx/session.js';
import { PRESETS, type PredNetConfig, type PresetName } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';

export interface OnnxBenchRow {
  preset: PresetName;
  engine: string;
  msPerFrame: number | null;
  note?: string;
}

export interface OnnxBenchOptions {
  presets?: PresetName[];
  /** Time steps per sequence (frames per measurement). */
  T?: number;
  reps?: number;
  /** Also time the unrolled graph and a step graph called T times. */
  variants?: boolean;
  log?: (line: string) => void;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median ms per frame of `run` (which processes T frames), after one warm-up run. */
async function msPerFrame(run: () => Promise<void>, T: number, reps: number): Promise<number> {
  await run();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / T);
  }
  return median(times);
}

function weightsOf(net: PredNet): KerasWeights {
  const k = net.kerasWeights();
  const w: KerasWeights = new Map([...k].map(([n, t]) => [n, { shape: t.shape, data: t.dataSync() as Float32Array }]));
  tf.dispose([...k.values()]);
  return w;
}

/** The variants the engine does not use, timed for the choice of the Scan graph. */
async function variantRows(cfg: PredNetConfig, net: PredNet, x: Float32Array, T: number, reps: number, opts: ort.InferenceSession.SessionOptions) {
  const w = weightsOf(net);
  const rows: { engine: string; ms: number }[] = [];
  const dims = [1, T, cfg.height, cfg.width, cfg.stackSizes[0]!];
  const unrolled = await ort.InferenceSession.create(unrolledModel(cfg, w, 'prediction', T), opts);
  const feeds = { frames: new ort.Tensor('float32', x, dims), extrap_from: new ort.Tensor('int64', BigInt64Array.of(BigInt(T)), []) };
  rows.push({ engine: 'onnxruntime, unrolled graph', ms: await msPerFrame(async () => void (await unrolled.run(feeds)), T, reps) });
  await unrolled.release();

  const step = await ort.InferenceSession.create(stepModel(cfg, w, 'prediction'), opts);
  const states = stepStates(cfg);
  const zeros = (k: string, dims: number[]) => (k === 't' ? new ort.Tensor('int64', BigInt64Array.of(0n), []) : new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), [1, ...dims]));
  const frame = cfg.height * cfg.width * cfg.stackSizes[0]!;
  const runSteps = async () => {
    let state: Record<string, ort.Tensor> | null = null;
    for (let t = 0; t < T; t++) {
      const f: Record<string, ort.Tensor> = { frame: new ort.Tensor('float32', x.subarray(t * frame, (t + 1) * frame), [1, cfg.height, cfg.width, cfg.stackSizes[0]!]), extrap_from: feeds.extrap_from };
      for (const { key, dims } of states) f[`in_${key}`] = state ? state[`out_${key}`]! : zeros(key, dims);
      state = (await step.run(f)) as Record<string, ort.Tensor>;
    }
  };
  rows.push({ engine: 'onnxruntime, step graph x T', ms: await msPerFrame(runSteps, T, reps) });
  await step.release();
  return rows;
}

interface TorchResult {
  ms: number;
  threads: number;
  version: string;
  rssMiB: number;
}

/** A python that imports torch: $PREDLAB_PYTHON, python3, or Debian's own (python3-torch) behind a pyenv/venv python3. */
function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [...new Set([process.env.PREDLAB_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p))];
  const reasons: string[] = [];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return { python };
    reasons.push(`${python}: ${probe.error ? 'not found' : probe.stderr.trim().split('\n').at(-1)}`);
  }
  return { reason: `no python can import torch (${reasons.join('; ')}); Debian: apt-get install python3-torch, or set PREDLAB_PYTHON` };
}

/** PyTorch's ms/frame per preset and thread count, or the reason it was not measured. */
function torchRuns(presets: PresetName[], threads: number[], T: number, reps: number): { results: Map<string, TorchResult>; reason: string | null } {
  const results = new Map<string, TorchResult>();
  const found = findTorchPython();
  if ('reason' in found) return { results, reason: found.reason };
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_prednet.py');
  const configs = JSON.stringify(Object.fromEntries(presets.map((p) => [p, PRESETS[p]])));
  const r = spawnSync(found.python, [script, '--configs', configs, '--T', String(T), '--reps', String(reps), '--threads', threads.join(',')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const j = JSON.parse(line) as { preset: PresetName; ms_per_frame: number; threads: number; torch: string; peak_rss_mib: number };
    results.set(`${j.preset}/${j.threads}`, { ms: j.ms_per_frame, threads: j.threads, version: j.torch, rssMiB: j.peak_rss_mib });
  }
  const failed = r.status !== 0 ? `the PyTorch run failed: ${(r.stderr || String(r.error)).trim().split('\n').at(-1)}` : null;
  return { results, reason: failed };
}

export async function benchOnnx(o: OnnxBenchOptions = {}): Promise<OnnxBenchRow[]> {
  const presets = o.presets ?? ['small', 'kitti'];
  const T = o.T ?? 10;
  const reps = o.reps ?? 3;
  const log = o.log ?? ((s: string) => console.log(s));
  // One thread, and every core (ONNX Runtime's default is the physical cores).
  const threads = [...new Set([1, os.availableParallelism()])];
  const rows: OnnxBenchRow[] = [];
  const backend = await initBackend({ force: 'wasm' });
  log(`PredNet inference, batch 1, ${T} steps, median of ${reps} (ms per frame). tfjs: ${backend.detail}; onnxruntime-node ${ort.env.versions.common}.`);
  log(`Load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores: on a shared machine the numbers are noisy; compare ratios within one run.`);
  const torch = torchRuns(presets, threads, T, reps);
  for (const p of presets) {
    const cfg = PRESETS[p];
    const net = PredNet.create(cfg, 1);
    const x = tf.tidy(() => tf.randomUniform([1, T, cfg.height, cfg.width, cfg.stackSizes[0]!], 0, 1, 'float32', 2).dataSync() as Float32Array).slice();
    const shape = [1, T, cfg.height, cfg.width, cfg.stackSizes[0]!];

    for (const n of threads) {
      const t0 = performance.now();
      const onnx = await OnnxPredNet.fromPredNet(net, { threads: n });
      const setup = performance.now() - t0;
      const ms = await msPerFrame(async () => void (await onnx.run(x, shape, 'prediction')), T, reps);
      rows.push({ preset: p, engine: `onnxruntime ${onnx.report.provider} ${n}t`, msPerFrame: ms, note: `graph + session ${setup.toFixed(0)} ms` });
      await onnx.release();
    }
    if (o.variants) {
      const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: 3 };
      for (const v of await variantRows(cfg, net, x, T, reps, sessionOptions)) rows.push({ preset: p, engine: v.engine, msPerFrame: v.ms });
    }

    const xt = tf.tensor5d(x, shape as [number, number, number, number, number]);
    const tfRun = async () => {
      const y = net.run(xt, 'prediction');
      await y.data();
      y.dispose();
    };
    const tfMs = await msPerFrame(tfRun, T, Math.min(reps, p === 'kitti' ? 2 : reps));
    rows.push({ preset: p, engine: 'tfjs wasm 1t', msPerFrame: tfMs });
    xt.dispose();
    net.dispose();

    for (const n of threads) {
      const t = torch.results.get(`${p}/${n}`);
      if (!t) rows.push({ preset: p, engine: `pytorch ${n}t`, msPerFrame: null, note: torch.reason ?? 'not measured' });
      else rows.push({ preset: p, engine: `pytorch ${n}t`, msPerFrame: t.ms, note: `torch ${t.version}, peak RSS ${t.rssMiB.toFixed(0)} MiB` });
    }
  }
  for (const r of rows) log(`  ${r.preset.padEnd(5)} ${r.engine.padEnd(30)} ${r.msPerFrame === null ? '       -' : r.msPerFrame.toFixed(1).padStart(8)} ms/frame${r.note ? `  (${r.note})` : ''}`);
  log('Ratios (time / time):');
  const ms = (p: PresetName, prefix: string) => rows.find((r) => r.preset === p && r.engine.startsWith(prefix))?.msPerFrame ?? null;
  for (const p of presets) {
    const tfw = ms(p, 'tfjs');
    for (const n of threads) {
      const on = rows.find((r) => r.preset === p && r.engine.startsWith('onnxruntime ') && r.engine.endsWith(` ${n}t`))?.msPerFrame ?? null;
      const pt = ms(p, `pytorch ${n}t`);
      if (on && tfw) log(`  ${p.padEnd(5)} ${n}t  tfjs wasm / onnxruntime = ${(tfw / on).toFixed(1)}x`);
      if (on && pt) log(`  ${p.padEnd(5)} ${n}t  onnxruntime / pytorch = ${(on / pt).toFixed(2)}x${p === 'kitti' ? '  (target <= 1.3x)' : ''}`);
    }
  }
  log(`Peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { presets: { type: 'string', default: 'small,kitti' }, reps: { type: 'string', default: '3' }, T: { type: 'string', default: '10' }, variants: { type: 'boolean', default: false } } });
  const presets = values.presets!.split(',');
  for (const p of presets) if (!(p in PRESETS)) throw new Error(`Unknown preset '${p}'; choose from ${Object.keys(PRESETS).join(', ')}.`);
  await benchOnnx({ presets: presets as PresetName[], reps: Number(values.reps), T: Number(values.T), variants: values.variants });
}
