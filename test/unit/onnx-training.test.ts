/**
 * The ONNX Runtime training step (native-models/onnx/train-graph.ts) against the tfjs trainer:
 * the same gradients (tfjs's tape over the trainer's loss) and the same weights and Adam moments
 * after 5 Adam steps, to 1e-5 of each tensor's largest value, for the L0 and L_all losses at
 * batch 1 and 2, on a tiny 3-layer PredNet with odd and even filter sizes.
 */
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { loadOrt } from '../../native-models/onnx/session.js';
import { paramIO, TRAIN_C1, TRAIN_C2, TRAIN_FRAMES, TRAIN_LOSS, TRAIN_LR, trainableParams, trainStepModel } from '../../native-models/onnx/train-graph.js';
import { OnnxTrainer, type NamedArray } from '../../native-models/onnx/train-session.js';
import { PRESETS, predNetConfigSchema, type PredNetConfig } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { lossAndGrads } from '../../native-models/training/gradients.js';
import { layerWeights, timeWeights, type LayerLoss } from '../../native-models/training/loss.js';
import { GradientPool } from '../../native-models/training/parallel.js';
import { forcedTrainingEngine, onnxMemoryProblem } from '../../native-models/training/step-engine.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import { resumeDirOf, runTraining, trainOptionsSchema, type TrainEvent } from '../../native-models/training/trainer.js';
import { loadCheckpoint, saveCheckpoint } from '../../native-models/checkpoint.js';
import { maxAbsDiff } from '../support/arrays.js';
import { tempDir } from '../support/db.js';

// Filter sizes 2 and 3: TensorFlow's 'same' padding puts an even filter's extra row after.
const cfg: PredNetConfig = predNetConfigSchema.parse({ height: 8, width: 12, stackSizes: [1, 3, 4], rStackSizes: [2, 3, 4], aFiltSizes: [3, 2], ahatFiltSizes: [3, 2, 3], rFiltSizes: [3, 2, 3] });
const nt = 4;

beforeAll(async () => {
  await initBackend();
});

/** A PredNet with Glorot kernels and random non-zero biases (seeded), so no mix-up can pass. */
function randomNet(seed: number): PredNet {
  const net = PredNet.create(cfg, seed);
  let s = seed * 7919;
  // Mostly positive, so no layer's relu is dead from the start.
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.4 - 0.1;
  for (const v of net.trainableVariables) if (v.shape.length === 1) v.assign(tf.tensor1d(Array.from({ length: v.size }, rand)));
  return net;
}

function frames(batch: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform([batch, nt, cfg.height, cfg.width, cfg.stackSizes[0]!], 0, 1, 'float32', seed).dataSync() as Float32Array).slice();
}

function netWeights(net: PredNet): NamedArray[] {
  return net.trainableVariables.map((v) => ({ name: net.stableNames.get(v.name)!, shape: v.shape, data: (v.dataSync() as Float32Array).slice() }));
}

/** Largest difference relative to the larger of the two tensors' largest values. */
function relDiff(a: Float32Array, b: Float32Array): number {
  const scale = Math.max(...a.map(Math.abs), ...b.map(Math.abs), 1e-30);
  return maxAbsDiff(a, b) / scale;
}

describe('ONNX Runtime training step', () => {
  it.each([
    ['L0', 1],
    ['L_all', 2],
  ] as [LayerLoss, number][])('gives the tfjs tape\'s loss and gradients (%s, batch %i)', async (layerLoss, batch) => {
    const ort = await loadOrt();
    const net = randomNet(3);
    const x = frames(batch, 5);
    const lw = layerWeights(layerLoss, 3);
    const tw = timeWeights(nt);
    const ref = tf.tidy(() => {
      const r = lossAndGrads(net, tf.tensor5d(x, [batch, nt, cfg.height, cfg.width, cfg.stackSizes[0]!]), lw, tw, null);
      return [r.loss, ...r.grads];
    });
    const refLoss = ref[0]!.dataSync()[0]!;
    const refGrads = ref.slice(1).map((t) => t.dataSync() as Float32Array);
    const session = await ort.InferenceSession.create(trainStepModel(cfg, { batch, nt, layerLoss, gradients: true }));
    const trainer = await OnnxTrainer.create(cfg, { batch, nt, layerLoss });
    trainer.setWeights(netWeights(net));
    const onnxWeights = (trainer as unknown as { weights: Float32Array[] }).weights;
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { [TRAIN_FRAMES]: new ort.Tensor('float32', x, [batch, nt, cfg.height, cfg.width, cfg.stackSizes[0]!]) };
    for (const n of [TRAIN_LR, TRAIN_C1, TRAIN_C2]) feeds[n] = new ort.Tensor('float32', Float32Array.of(0.1), []);
    trainableParams(cfg).forEach((p, i) => {
      const io = paramIO(p.name);
      feeds[io.w] = new ort.Tensor('float32', onnxWeights[i]!, p.shape);
      for (const k of [io.m, io.v]) feeds[k] = new ort.Tensor('float32', new Float32Array(onnxWeights[i]!.length), p.shape);
    });
    const out = await session.run(feeds);
    expect(Math.abs((out[TRAIN_LOSS]!.data as Float32Array)[0]! - refLoss) / refLoss).toBeLessThan(1e-5);
    // The graph's gradients are in ONNX layout: bring them to tfjs's through a trainer.
    const probe = await OnnxTrainer.create(cfg, { batch, nt, layerLoss });
    (probe as unknown as { weights: Float32Array[] }).weights = trainableParams(cfg).map((p) => out[paramIO(p.name).grad]!.data as Float32Array);
    const grads = probe.getWeights();
    grads.forEach((g, i) => {
      expect(g.shape).toEqual(ref[i + 1]!.shape);
      expect(relDiff(g.data, refGrads[i]!), g.name).toBeLessThan(1e-5);
      expect(Math.max(...g.data.map(Math.abs)), `${g.name} is not all zeros`).toBeGreaterThan(0);
    });
    tf.dispose(ref);
    net.dispose();
    await session.release();
  });

  it.each([
    ['L0', 1],
    ['L_all', 2],
  ] as [LayerLoss, number][])('equals the tfjs trainer after 5 Adam steps (%s, batch %i)', async (layerLoss, batch) => {
    const net = randomNet(7);
    const trainer = await OnnxTrainer.create(cfg, { batch, nt, layerLoss });
    trainer.setWeights(netWeights(net));
    const pool = await GradientPool.open(net, 1, layerWeights(layerLoss, 3), timeWeights(nt));
    const adam = tf.train.adam(1e-2);
    try {
      for (let step = 0; step < 5; step++) {
        const x = frames(batch, 100 + step);
        const tfLoss = await pool.trainStep(adam, x, batch, nt, () => null);
        const onnxLoss = await trainer.step(x, 1e-2);
        expect(Math.abs(onnxLoss - tfLoss) / tfLoss).toBeLessThan(1e-5);
      }
    } finally {
      await pool.close();
    }
    const tfWeights = netWeights(net);
    const onnx = trainer.getWeights();
    onnx.forEach((w, i) => expect(relDiff(w.data, tfWeights[i]!.data), w.name).toBeLessThan(1e-5));
    // Adam's moments too, under the names the checkpoint stores them by.
    const state = await adam.getWeights();
    const { m, v, iterations } = trainer.getAdam();
    expect(iterations).toBe(5);
    expect((await state[0]!.tensor.data())[0]).toBe(5);
    [...m, ...v].forEach((w, i) => expect(relDiff(w.data, state[i + 1]!.tensor.dataSync() as Float32Array), w.name).toBeLessThan(1e-5));
    adam.dispose();
    net.dispose();
  });

  it("continues a tfjs run's resume state (the checkpoint format is the engines' common one) and says which engine trains", async () => {
    const data = movingBarVideo({ height: 8, width: 12, recordings: 6, framesPerRecording: 8, seed: 3 });
    const dir = tempDir('predlab-onnx-train-');
    const init = path.join(dir, 'init');
    const net = randomNet(11);
    await saveCheckpoint(init, net, { source: { kind: 'init' } });
    net.dispose();
    const options = (epochs: number) => trainOptionsSchema.parse({ nt, batchSize: 2, epochs, samplesPerEpoch: 6, valSequences: 2, lr: 1e-2 });
    const starts: TrainEvent[] = [];
    const onEvent = (e: TrainEvent) => void (e.type === 'start' && starts.push(e));
    const [ref, mixed] = [path.join(dir, 'ref'), path.join(dir, 'mixed')];
    await runTraining({ engine: 'tfjs', from: init, outDir: ref, data, dataset: {}, options: options(2) }, onEvent);
    await runTraining({ engine: 'tfjs', from: init, outDir: mixed, data, dataset: {}, options: options(1) }, onEvent);
    await runTraining({ engine: 'onnxruntime', from: resumeDirOf(mixed), outDir: mixed, data, dataset: {}, options: options(2) }, onEvent);
    expect(starts.map((e) => e.type === 'start' && [e.engine, e.startStep])).toEqual([['tfjs', 0], ['tfjs', 0], ['onnxruntime', 3]]);
    expect(starts[0]).toMatchObject({ engineDetail: expect.stringMatching(/^tfjs \(\w+\); ONNX Runtime not used: the job asked for tfjs$/) });
    expect(starts[2]).toMatchObject({ engineDetail: expect.stringMatching(/^onnxruntime-node [\d.]+ \(cpu/) });
    const a = loadCheckpoint(resumeDirOf(ref));
    const b = loadCheckpoint(resumeDirOf(mixed));
    expect(b.manifest.training).toMatchObject({ step: 6, epoch: 2, finished: true });
    expect(b.optimizer.map((w) => w.name)).toEqual(a.optimizer.map((w) => w.name));
    const wa = netWeights(a.net);
    netWeights(b.net).forEach((w, i) => expect(relDiff(w.data, wa[i]!.data), w.name).toBeLessThan(1e-5));
    b.optimizer.slice(1).forEach((w, i) => expect(relDiff(w.tensor.dataSync() as Float32Array, a.optimizer[i + 1]!.tensor.dataSync() as Float32Array), w.name).toBeLessThan(1e-5));
    expect(b.optimizer[0]!.tensor.dataSync()[0]).toBe(6);
    for (const c of [a, b]) {
      c.net.dispose();
      tf.dispose(c.optimizer.map((w) => w.tensor));
    }
  });

  it('leaves a step whose activations would not fit half the memory to tfjs (which checkpoints over time), saying why', () => {
    const kitti = PRESETS.kitti;
    expect(onnxMemoryProblem(kitti, 4, 10, 16 * 2 ** 30)).toBe(null);
    expect(onnxMemoryProblem(kitti, 16, 20, 16 * 2 ** 30)).toBe('its training step would hold about 27.2 GiB of activations, more than half this machine\'s 16.0 GiB (lower the batch size or nt)');
  });

  it('PREDLAB_TRAINING names an engine or is refused in one line', () => {
    expect(forcedTrainingEngine(undefined)).toBe(null);
    expect(forcedTrainingEngine('tfjs')).toBe('tfjs');
    expect(() => forcedTrainingEngine('cuda')).toThrow("Unknown training engine 'cuda' (PREDLAB_TRAINING); choose one of onnxruntime, tfjs.");
  });
});
