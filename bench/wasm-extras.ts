/**
 * Checks of the wasm training path that are not engine comparisons (`npm run bench:model -- --extras`,
 * or alone: npx tsx bench/wasm-extras.ts [--worker-steps N]):
 *  - plain tfjs-backend-wasm cannot train (it lacks Conv2DBackpropFilter), our kernels can;
 *  - our wasm Conv2DBackpropInput against the stock kernel;
 *  - training through the worker: frames/s of the same run with its video in memory (.npy) and
 *    read from a dataset's recording files sequence by sequence, as a ratio; and the raw cost of
 *    reading batches from files vs memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startTraining, startTrainingWorker, type TrainingJob } from '../main/services/training.js';
import { initBackend } from '../native-models/backend.js';
import { saveCheckpoint } from '../native-models/checkpoint.js';
import { writeNpy } from '../native-models/npy.js';
import { PRESETS } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { batchOf, frameBytesOf, sequenceStarts } from '../native-models/training/data.js';
import { openRecordingFiles } from '../native-models/training/file-frames.js';
import { movingBarVideo } from '../native-models/training/synthetic.js';
import { trainOptionsSchema } from '../native-models/training/trainer.js';
import { registerWasmGradientKernels, useStockWasmKernels } from '../native-models/wasm-kernels.js';

const { values } = parseArgs({ options: { 'worker-steps': { type: 'string', default: '8' } } });
const workerSteps = Number(values['worker-steps']);
if (!(Number.isInteger(workerSteps) && workerSteps >= 2 && workerSteps <= 100)) {
  console.error(`--worker-steps must be an integer in 2..100; got '${values['worker-steps']}'.`);
  process.exit(2);
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

/**
 * Training frames/s through the worker, the video in memory (.npy loaded by the worker) vs read
 * from recording files on demand (a dataset), same model, options and seed. Frames/s counts the
 * steps after the first (warm-up and the video's loading left out).
 */
async function workerTraining(): Promise<void> {
  const steps = workerSteps;
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


const backend = await initBackend({ force: 'wasm' });
console.log(`\nwasm training kernels (${backend.detail}):`);
console.log(`  plain tfjs-backend-wasm: ${plainWasmCanTrain()}`);
console.log(`  Conv2DBackpropInput (1x128x160, 15->12 ch, 3x3): ${backpropInputRatio()}`);
await workerTraining();
