/**
 * One measurement of bench/model.ts in a process of its own, so the process's peak RSS is that
 * engine's for that preset and task (engines are not unloaded within a process, and a wasm
 * module that ran out of memory cannot be used again). Called as
 *   tsx bench/engine-run.ts '<EngineJob as JSON>'
 * and prints one line `RESULT {...}` (an EngineResult) on stdout; progress goes to stderr.
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { initBackend } from '../native-models/backend.js';
import { answerTrials, observerSettingsSchema } from '../native-models/observer/observer.js';
import { PRESETS, type PresetName } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { measureTraining } from '../native-models/training/measure.js';
import { flashLag } from '../paradigms/flash-lag/index.js';
import { planFromHistory } from '../paradigms/types.js';
import { z } from 'zod';
import { perFrame, type Timing } from './measure.js';

const preset = z.enum(Object.keys(PRESETS) as [PresetName, ...PresetName[]]);
const tfjsEngine = z.enum(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
/** tfjs backends by initBackend's names, plus ONNX Runtime. */
const engine = z.union([z.literal('onnxruntime'), tfjsEngine]);
export type Engine = z.infer<typeof engine>;

/** One measurement; the limits keep a hand-made job from running for hours or out of memory. */
const jobSchema = z.discriminatedUnion('kind', [
  /** Start the engine, no model: what the process costs before any work. */
  z.object({ kind: z.literal('idle'), engine }),
  z.object({ kind: z.literal('infer'), engine, preset, T: z.number().int().min(1).max(100), reps: z.number().int().min(1).max(20) }),
  /** workers: gradient threads (default 1; 'auto': one per core, at most one per sequence). */
  z.object({
    kind: z.literal('train'),
    engine,
    preset,
    batch: z.number().int().min(1).max(16),
    nt: z.number().int().min(2).max(20),
    reps: z.number().int().min(1).max(20),
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(16)]).optional(),
  }),
  /** Flash-lag trials answered by the model, as a model session does (rasterizing included). */
  z.object({ kind: z.literal('trials'), engine: z.enum(['onnxruntime', 'wasm']), preset, trials: z.number().int().min(1).max(20) }),
]);
export type EngineJob = z.infer<typeof jobSchema>;

export type EngineResult =
  | { ok: true; detail: string; timing: Timing | null; trialsPerSec?: number; note?: string; peakRssMiB: number; /** Since the process started. */ seconds: number }
  | { ok: false; reason: string; peakRssMiB: number };

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** The tfjs backend for this job: ONNX Runtime's weights come from a PredNet on the plain cpu backend (no wasm heap in its RSS). */
async function startTfjs(engine: Engine): Promise<string> {
  const r = await initBackend({ force: engine === 'onnxruntime' ? 'cpu' : engine });
  return r.detail;
}

async function infer(job: Extract<EngineJob, { kind: 'infer' }>, net: PredNet): Promise<{ detail: string; timing: Timing }> {
  const c = net.config;
  const shape = [1, job.T, c.height, c.width, c.stackSizes[0]!] as [number, number, number, number, number];
  const x = tf.tidy(() => tf.randomUniform(shape, 0, 1, 'float32', 2).dataSync() as Float32Array).slice();
  if (job.engine === 'onnxruntime') {
    const { OnnxPredNet, describeOnnx } = await import('../native-models/onnx/session.js');
    const onnx = await OnnxPredNet.fromPredNet(net);
    const timing = await perFrame(async () => void (await onnx.run(x, shape, 'prediction')), job.T, job.reps);
    await onnx.release();
    return { detail: describeOnnx(onnx.report), timing };
  }
  const xt = tf.tensor5d(x, shape);
  const run = async () => {
    const y = net.run(xt, 'prediction');
    await y.data();
    y.dispose();
  };
  // The plain cpu backend takes seconds per KITTI frame: warm up on one frame.
  const one = tf.slice(xt, [0, 0, 0, 0, 0], [1, 1, ...shape.slice(2)]) as tf.Tensor5D;
  const timing = await perFrame(run, job.T, job.reps, async () => void (await net.run(one, 'prediction').data()));
  tf.dispose([xt, one]);
  return { detail: '', timing };
}

/**
 * Training as the trainer runs it (measureTraining: gradient threads, checkpointing over time
 * steps when a thread's activations would not fit, Adam on the L0 loss), `workers` threads.
 * CPU time counts the warm-up step too (the same work as a timed one).
 */
async function train(job: Extract<EngineJob, { kind: 'train' }>): Promise<{ timing: Timing; note: string; detail?: string }> {
  if (job.engine === 'onnxruntime') return trainOnnx(job);
  const c0 = process.cpuUsage();
  const m = await measureTraining(PRESETS[job.preset], { batch: job.batch, nt: job.nt, workers: job.workers ?? 1, steps: job.reps });
  const c = process.cpuUsage(c0);
  const frames = (m.steps + 1) * job.batch * job.nt;
  const heaps = m.wasmHeapBytes.filter((h): h is number => h !== null);
  const note = [
    m.threads > 1 ? `${m.threads} threads` : '',
    m.checkpointSteps !== null ? `checkpointing every ${m.checkpointSteps} steps` : '',
    heaps.length ? `wasm heap${heaps.length > 1 ? 's' : ''} ${heaps.map((h) => `${(h / 2 ** 30).toFixed(1)}`).join('+')} GiB` : '',
  ];
  return { timing: { ms: m.msPerFrame, cpuMs: (c.user + c.system) / 1000 / frames }, note: note.filter(Boolean).join('; ') };
}

/**
 * Training on ONNX Runtime as the trainer runs it there: the step graph of onnx/train-graph.ts
 * (forward, backward and Adam in one session run, L0 loss) on random frames, after one warm-up
 * step (its session creation is not timed; its CPU time is counted, as for tfjs).
 */
async function trainOnnx(job: Extract<EngineJob, { kind: 'train' }>): Promise<{ timing: Timing; note: string; detail: string }> {
  const { OnnxTrainer } = await import('../native-models/onnx/train-session.js');
  const { describeOnnx } = await import('../native-models/onnx/session.js');
  const cfg = PRESETS[job.preset];
  const net = PredNet.create(cfg, 1);
  const trainer = await OnnxTrainer.create(cfg, { batch: job.batch, nt: job.nt, layerLoss: 'L0' });
  trainer.setWeights(net.trainableVariables.map((v) => ({ name: net.stableNames.get(v.name)!, shape: v.shape, data: v.dataSync() as Float32Array })));
  net.dispose();
  const x = tf.tidy(() => tf.randomUniform([job.batch, job.nt, cfg.height, cfg.width, cfg.stackSizes[0]!], 0, 1, 'float32', 2).dataSync() as Float32Array).slice();
  const timing = await perFrame(async () => void (await trainer.step(x, 1e-3)), job.batch * job.nt, job.reps);
  return { timing, note: '', detail: describeOnnx(trainer.report) };
}

async function trials(job: Extract<EngineJob, { kind: 'trials' }>, net: PredNet): Promise<{ detail: string; trialsPerSec: number }> {
  const { inferenceEngine } = await import('../native-models/onnx/engine.js');
  const engine = await inferenceEngine(net, { force: job.engine === 'wasm' ? 'tfjs' : 'onnxruntime', tfBackend: 'wasm' });
  const params = flashLag.parameterSchema.parse({});
  const plan = (n: number, from = 0) => [...Array(n).keys()].map((i) => planFromHistory(flashLag, params, 1, from + i)!);
  const view = { width: net.config.width, height: net.config.height, channels: 3, fovDeg: 20, frameRateHz: 10 };
  const settings = observerSettingsSchema.parse({});
  await answerTrials(flashLag, plan(1), engine.predictor(), view, settings); // warm-up
  const t0 = performance.now();
  await answerTrials(flashLag, plan(job.trials, 1), engine.predictor(), view, settings);
  const s = (performance.now() - t0) / 1000;
  await engine.release();
  return { detail: engine.detail, trialsPerSec: job.trials / s };
}

async function run(job: EngineJob): Promise<EngineResult> {
  const backendDetail = await startTfjs(job.engine);
  if (job.kind === 'idle') {
    let detail = backendDetail;
    if (job.engine === 'onnxruntime') {
      const { onnxRuntimeStatus, describeOnnx } = await import('../native-models/onnx/session.js');
      const s = await onnxRuntimeStatus();
      if (!s.ok) throw new Error(s.reason);
      detail = describeOnnx(s.report);
    }
    return { ok: true, detail, timing: null, peakRssMiB: peakRssMiB(), seconds: performance.now() / 1000 };
  }
  if (job.kind === 'train') {
    const { timing, note, detail } = await train(job);
    return { ok: true, detail: detail ?? backendDetail, timing, note, peakRssMiB: peakRssMiB(), seconds: performance.now() / 1000 };
  }
  const net = PredNet.create(PRESETS[job.preset], 1);
  let detail = backendDetail;
  let timing: Timing | null = null;
  let trialsPerSec: number | undefined;
  if (job.kind === 'infer') {
    const r = await infer(job, net);
    timing = r.timing;
    detail = r.detail || detail;
  } else ({ detail, trialsPerSec } = await trials(job, net));
  net.dispose();
  return { ok: true, detail, timing, ...(trialsPerSec === undefined ? {} : { trialsPerSec }), peakRssMiB: peakRssMiB(), seconds: performance.now() / 1000 };
}

function parseJob(arg: string | undefined): EngineJob {
  const usage = "usage: tsx bench/engine-run.ts '<job as JSON>' (an EngineJob; bench/model.ts writes them)";
  if (!arg) throw new Error(usage);
  let raw: unknown;
  try {
    raw = JSON.parse(arg);
  } catch {
    throw new Error(`The job is not JSON: ${arg.slice(0, 80)}. ${usage}`);
  }
  const r = jobSchema.safeParse(raw);
  if (!r.success) throw new Error(`Bad job: ${r.error.issues.map((i) => `${i.path.join('.') || 'job'}: ${i.message}`).join('; ')}`);
  return r.data;
}

let job: EngineJob;
try {
  job = parseJob(process.argv[2]);
} catch (e) {
  log((e as Error).message);
  process.exit(2);
}
log(`${job.kind} ${job.engine} ${'preset' in job ? job.preset : ''} on ${os.availableParallelism()} cores`);
let result: EngineResult;
try {
  result = await run(job);
} catch (e) {
  const msg = (e as Error).message.split('\n')[0]!;
  // tfjs-backend-wasm aborts when its 4 GB heap (wasm32) cannot grow further.
  const reason = /^Aborted\(/.test(msg) ? `the wasm module aborted: out of its 4 GB heap (${msg})` : msg;
  result = { ok: false, reason, peakRssMiB: peakRssMiB() };
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
// ONNX Runtime's and the wasm module's threads must not keep the process alive.
process.exit(0);
