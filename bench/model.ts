/**
 * `npm run bench:model`: PredNet speed on this machine, as numbers and ratios (no assertions).
 * For each preset and backend: inference ms/frame, training ms/frame (batch 1 and 4, nt 10),
 * achieved GFLOP/s (convolutions only), peak RSS; ratios to the plain cpu backend; and our wasm
 * Conv2DBackpropInput against the stock wasm kernel. Plain tfjs-backend-wasm cannot train at all
 * (it lacks Conv2DBackpropFilter); that is checked and reported.
 * Last, training through the worker: frames/s of the same run with its video in memory (.npy)
 * and read from a dataset's recording files sequence by sequence, as a ratio; and the raw cost of
 * reading batches from files vs memory.
 * Options: --presets small,kitti  --backends wasm,cpu  --quick (fewer repetitions)  --cpu-training (hours)
 *  --only worker-training (just the last section)  --worker-steps N (steps per worker run, default 8)
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startTraining, startTrainingWorker, type TrainingJob } from '../main/services/training.js';
import { saveCheckpoint } from '../native-models/checkpoint.js';
import { writeNpy } from '../native-models/npy.js';
import { batchOf, frameBytesOf, sequenceStarts } from '../native-models/training/data.js';
import { openRecordingFiles } from '../native-models/training/file-frames.js';
import { movingBarVideo } from '../native-models/training/synthetic.js';
import { trainOptionsSchema } from '../native-models/training/trainer.js';
import { BACKENDS, initBackend, type BackendChoice } from '../native-models/backend.js';
import { PRESETS, type PredNetConfig, type PresetName } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { layerWeights, sequenceLoss, timeWeights } from '../native-models/training/loss.js';
import { registerWasmGradientKernels, useStockWasmKernels } from '../native-models/wasm-kernels.js';

const { values } = parseArgs({ options: { presets: { type: 'string', default: 'small,kitti' }, backends: { type: 'string', default: 'tensorflow-gpu,tensorflow,wasm,cpu' }, quick: { type: 'boolean', default: false }, 'cpu-training': { type: 'boolean', default: false }, only: { type: 'string' }, 'worker-steps': { type: 'string', default: '8' } } });
const presets = values.presets!.split(',') as PresetName[];
const wanted = values.backends!.split(',') as BackendChoice[];

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

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function inferenceMsPerFrame(net: PredNet, T: number, reps: number): number {
  const c = net.config;
  const x = tf.randomUniform([1, T, c.height, c.width, c.stackSizes[0]!]) as tf.Tensor5D;
  tf.dispose(net.run(x, 'prediction')); // warm-up
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const y = net.run(x, 'prediction');
    y.dataSync();
    times.push((performance.now() - t0) / T);
    y.dispose();
  }
  x.dispose();
  return median(times);
}

function trainMsPerFrame(net: PredNet, batch: number, nt: number, reps: number): number {
  const c = net.config;
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, nt, c.height, c.width, c.stackSizes[0]!]) as tf.Tensor5D;
  const lw = layerWeights('L0', net.layers);
  const tw = timeWeights(nt);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => sequenceLoss(net, x, lw, tw), net.trainableVariables);
      opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
      value.dataSync();
    });
  step(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / (batch * nt));
  }
  x.dispose();
  opt.dispose();
  return median(times);
}

/** Our Conv2DBackpropInput vs the stock wasm kernel, on a KITTI-layer-0-sized gradient. */
function backpropInputRatio(): string {
  const dy = tf.randomNormal([1, 128, 160, 12]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 15, 12]) as tf.Tensor4D;
  const time = () => {
    tf.dispose(tf.conv2dTranspose(dy, w, [1, 128, 160, 15], 1, 'same'));
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) tf.conv2dTranspose(dy, w, [1, 128, 160, 15], 1, 'same').dataSync();
    return (performance.now() - t0) / 3;
  };
  const ours = time();
  useStockWasmKernels();
  const stock = time();
  registerWasmGradientKernels();
  tf.dispose([dy, w]);
  return `ours ${ours.toFixed(1)} ms, stock ${stock.toFixed(1)} ms: ours is ${(stock / ours).toFixed(1)}x faster`;
}

function plainWasmCanTrain(): string {
  useStockWasmKernels();
  let verdict: string;
  try {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')));
    tf.dispose(g([tf.ones([1, 4, 4, 1]), tf.ones([3, 3, 1, 1])]));
    verdict = 'trains (unexpected)';
  } catch (e) {
    verdict = `cannot train: ${(e as Error).message.split('\n')[0]}`;
  }
  registerWasmGradientKernels();
  return verdict;
}

interface Row {
  backend: string;
  preset: string;
  what: string;
  msPerFrame: number | null;
  gflops: number | null;
  note?: string;
}
const rows: Row[] = [];
const reps = values.quick ? 1 : 3;

/**
 * Training frames/s through the worker, the video in memory (.npy loaded by the worker) vs read
 * from recording files on demand (a dataset), same model, options and seed. Frames/s counts the
 * steps after the first (warm-up and the video's loading left out).
 */
async function workerTraining(): Promise<void> {
  const steps = Number(values['worker-steps']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-bench-train-'));
  const cfg = PRESETS.small;
  await initBackend({ force: 'wasm' });
  const net = PredNet.create(cfg, 1);
  await saveCheckpoint(path.join(dir, 'init'), net, { source: { kind: 'init' } });
  net.dispose();
  // 40 recordings of 50 frames of 64x80 RGB: 31 MB.
  const v = movingBarVideo({ height: cfg.height, width: cfg.width, channels: 3, recordings: 40, framesPerRecording: 50, seed: 7 });
  const fb = frameBytesOf(v);
  writeNpy(path.join(dir, 'frames.npy'), { dtype: 'uint8', shape: [v.count, v.height, v.width, 3], data: v.frames });
  writeNpy(path.join(dir, 'rec.npy'), { dtype: 'int32', shape: [v.count], data: v.recordings });
  const recordings = Array.from({ length: 40 }, (_, r) => {
    const file = path.join(dir, `rec-${r}.u8`);
    fs.writeFileSync(file, v.frames.subarray(r * 50 * fb, (r + 1) * 50 * fb));
    return { file, frames: 50 };
  });
  const options = trainOptionsSchema.parse({ nt: 10, batchSize: 4, epochs: 1, samplesPerEpoch: 4 * steps, valSequences: 4, seed: 3 });
  const framesPerSec = async (job: TrainingJob): Promise<number> => {
    let t1 = 0;
    let tLast = 0;
    let last = 0;
    job.on('event', (e) => {
      if (e.type !== 'progress') return;
      if (e.step === 1) t1 = performance.now();
      tLast = performance.now();
      last = e.step;
    });
    await job.done;
    return ((last - 1) * options.batchSize * options.nt) / ((tLast - t1) / 1000);
  };
  const memory = await framesPerSec(startTraining({ from: path.join(dir, 'init'), outDir: path.join(dir, 'out-mem'), framesFile: path.join(dir, 'frames.npy'), recordingsFile: path.join(dir, 'rec.npy'), options, backend: 'wasm' }));
  const files = await framesPerSec(
    startTrainingWorker({ from: path.join(dir, 'init'), outDir: path.join(dir, 'out-files'), video: { kind: 'files', recordings, height: v.height, width: v.width, channels: 3, describe: { kind: 'bench' } }, options, backend: 'wasm' }),
  );
  console.log(`\nTraining through the worker (small, 64x80, wasm, batch 4, nt 10, ${steps} steps; frames/s after the first step):`);
  console.log(`  video in memory (.npy):          ${memory.toFixed(1).padStart(7)} frames/s`);
  console.log(`  dataset files read per sequence: ${files.toFixed(1).padStart(7)} frames/s   ratio files/memory ${(files / memory).toFixed(2)}`);
  // What the reading itself costs: every training sequence of the video as float32 batches of 4.
  const reader = openRecordingFiles(recordings, v);
  const starts = sequenceStarts(v.recordings, 10);
  const time = (src: Parameters<typeof batchOf>[0]) => {
    const t0 = performance.now();
    for (let i = 0; i + 4 <= starts.length; i += 4) batchOf(src, starts.slice(i, i + 4), 10);
    return (performance.now() - t0) / 1000;
  };
  const tm = time(v);
  const tFiles = time(reader);
  const frames = Math.floor(starts.length / 4) * 40;
  console.log(`  batches alone: memory ${(frames / tm).toFixed(0)} frames/s, files ${(frames / tFiles).toFixed(0)} frames/s (ratio ${(tm / tFiles).toFixed(2)}); reader buffer ${(reader.bufferBytes() / 1024).toFixed(0)} KiB for a ${(v.frames.length / 2 ** 20).toFixed(0)} MiB video`);
  fs.rmSync(dir, { recursive: true, force: true });
}

if (values.only === 'worker-training') {
  await workerTraining();
  process.exit(0);
}

console.log(`PredNet bench (${new Date().toISOString()}, node ${process.version}, ${values.quick ? 'quick' : 'full'})`);
for (const b of BACKENDS) {
  if (!wanted.includes(b)) continue;
  let report;
  try {
    report = await initBackend({ force: b });
  } catch (e) {
    console.log(`\n${b}: not available (${(e as Error).message.split(';').at(-1)!.trim()})`);
    continue;
  }
  console.log(`\n${b}: ${report.detail}`);
  if (b === 'wasm') {
    console.log(`  plain tfjs-backend-wasm: ${plainWasmCanTrain()}`);
    console.log(`  Conv2DBackpropInput (1x128x160, 15->12 ch, 3x3): ${backpropInputRatio()}`);
  }
  for (const p of presets) {
    const cfg = PRESETS[p];
    const net = PredNet.create(cfg, 1);
    const fwd = forwardFlops(cfg);
    const slowCpu = b === 'cpu' && p === 'kitti';
    const inf = inferenceMsPerFrame(net, slowCpu ? 2 : 10, slowCpu ? 1 : reps);
    rows.push({ backend: b, preset: p, what: 'inference', msPerFrame: inf, gflops: fwd / inf / 1e6 });
    console.log(`  ${p.padEnd(5)} inference       ${inf.toFixed(1).padStart(8)} ms/frame  ${(fwd / inf / 1e6).toFixed(1).padStart(6)} GFLOP/s`);
    for (const batch of [1, 4]) {
      // Training on the plain cpu backend takes hours per measurement (its backward convolutions
      // run at well under 1 GFLOP/s): measured only with --cpu-training.
      if (slowCpu || (b === 'cpu' && !values['cpu-training'])) {
        rows.push({ backend: b, preset: p, what: `train b${batch}`, msPerFrame: null, gflops: null, note: 'skipped (hours on this backend)' });
        console.log(`  ${p.padEnd(5)} train batch ${batch}   skipped (would take hours on ${b})`);
        continue;
      }
      const nt = 10;
      let ms: number;
      try {
        ms = trainMsPerFrame(net, batch, nt, p === 'kitti' || b === 'cpu' ? 1 : reps);
      } catch (e) {
        // wasm32 has a 4 GB heap: a KITTI-size batch of 4 x 10 frames does not fit on the tape.
        const why = /Aborted/.test(String((e as Error).message)) ? 'out of WebAssembly memory (4 GB heap)' : (e as Error).message;
        rows.push({ backend: b, preset: p, what: `train b${batch}`, msPerFrame: null, gflops: null, note: why });
        console.log(`  ${p.padEnd(5)} train batch ${batch}   failed: ${why}`);
        if (b === 'wasm') break; // an aborted wasm module cannot be used again in this process
        continue;
      }
      // Backward pass ~ 2x forward: 3x forward FLOPs per trained frame.
      rows.push({ backend: b, preset: p, what: `train b${batch}`, msPerFrame: ms, gflops: (3 * fwd) / ms / 1e6 });
      console.log(`  ${p.padEnd(5)} train batch ${batch}   ${ms.toFixed(1).padStart(8)} ms/frame  ${((3 * fwd) / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s  (nt ${nt})`);
    }
    net.dispose();
  }
}

console.log('\nRatios (cpu backend time / this backend time; higher is better):');
for (const r of rows) {
  if (r.backend === 'cpu' || r.msPerFrame === null) continue;
  const cpu = rows.find((c) => c.backend === 'cpu' && c.preset === r.preset && c.what === r.what);
  console.log(`  ${r.backend} ${r.preset} ${r.what}: ${cpu?.msPerFrame ? `${(cpu.msPerFrame / r.msPerFrame).toFixed(1)}x` : 'n/a (cpu not measured)'}`);
}
console.log('\nTargets (issue): small train b1 <= 150 ms/frame, small inference <= 25 ms/frame, kitti inference <= 500 ms/frame (wasm, 1 thread).');
console.log(`Peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);

await workerTraining();
