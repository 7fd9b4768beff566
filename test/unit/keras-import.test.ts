/** Import of Keras-layout PredNet weights (files written here with h5wasm), and refusal of wrong files. */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { spawnSync } from 'node:child_process';
import { runCli } from '../../main/cli/index.js';
import { listModels } from '../../main/services/models.js';
import { openDatabase } from '../../main/store/db.js';
import { importKerasWeights, readModelJson, writeKerasWeights } from '../../native-models/keras-import.js';
import { parameterCount, predNetConfigSchema, PRESETS, type PredNetConfig } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { tempDir } from '../support/db.js';
import { randomWeights, releaseModelJson, RELEASE_FILES, writeReleaseFolder, writeReleaseWeights } from './model-download.fixture.js';

const cfg: PredNetConfig = predNetConfigSchema.parse({ height: 8, width: 12, stackSizes: [3, 4, 6], rStackSizes: [3, 5, 6], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3] });
let weights: Map<string, { shape: number[]; data: Float32Array }>;
let source: PredNet;
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = tempDir('predlab-keras-');
  source = PredNet.create(cfg, 4);
  const k = source.kerasWeights();
  weights = new Map([...k].map(([n, t]) => [n, { shape: t.shape, data: t.dataSync() as Float32Array }]));
  // Non-zero biases, so a bias mix-up cannot pass.
  for (const [n, w] of weights) if (n.endsWith('bias')) w.data = w.data.map((_, i) => 0.01 * (i + 1) * (n.length % 5));
  tf.dispose([...k.values()]);
});

/** Largest difference between the predictions of the source weights and the imported ones. */
async function predictionDiff(source: { config: PredNetConfig; weights: Map<string, { shape: number[]; data: Float32Array }> }, imported: Map<string, tf.Tensor>, config: PredNetConfig) {
  const expected = PredNet.fromKeras(source.config, new Map([...source.weights].map(([n, w]) => [n, tf.tensor(w.data, w.shape)])));
  const got = PredNet.fromKeras(config, imported);
  const x = tf.randomUniform([2, 3, source.config.height, source.config.width, 3], 0, 1, 'float32', 7) as tf.Tensor5D;
  const a = expected.run(x, 'prediction');
  const b = got.run(x, 'prediction');
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  tf.dispose([x, a, b]);
  expected.dispose();
  got.dispose();
  return diff;
}
const sameOutputs = (imported: Map<string, tf.Tensor>, config: PredNetConfig) => predictionDiff({ config: cfg, weights }, imported, config);

describe('Keras weight import', () => {
  for (const layout of ['save_weights', 'full-model'] as const)
    it(`reads the ${layout} layout and infers the architecture from the kernels`, async () => {
      const file = path.join(dir, `${layout}.h5`);
      await writeKerasWeights(file, weights, { layout });
      const r = await importKerasWeights(file, { height: 8, width: 12 });
      expect(r.info).toMatchObject({ layout, backend: 'tensorflow', layer: 'prednet_1' });
      expect(r.config).toEqual(cfg);
      expect(await sameOutputs(r.weights, r.config)).toBe(0);
    });

  it('reads Keras 1 names (layer_i_0_W, layer_i_0_b)', async () => {
    const file = path.join(dir, 'keras1.h5');
    await writeKerasWeights(file, weights, { keras1Names: true });
    const r = await importKerasWeights(file, { height: 8, width: 12 });
    expect(await sameOutputs(r.weights, r.config)).toBe(0);
  });

  it('takes the input size from the model JSON and checks the architecture against it', async () => {
    const file = path.join(dir, 'json.h5');
    await writeKerasWeights(file, weights);
    const json = (stack: number[]) => ({
      class_name: 'Model',
      config: { layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 10, 8, 12, 3] } }, { class_name: 'PredNet', config: { stack_sizes: stack, R_stack_sizes: [3, 5, 6], A_filt_sizes: [3, 3], Ahat_filt_sizes: [3, 3, 3], R_filt_sizes: [3, 3, 3] } }] },
    });
    const good = path.join(dir, 'model.json');
    fs.writeFileSync(good, JSON.stringify(json([3, 4, 6])));
    const r = await importKerasWeights(file, { modelJson: good });
    expect([r.config.height, r.config.width]).toEqual([8, 12]);
    const bad = path.join(dir, 'other.json');
    fs.writeFileSync(bad, JSON.stringify(json([3, 48, 96])));
    await expect(importKerasWeights(file, { modelJson: bad })).rejects.toThrow(/model JSON says stackSizes = \[3,48,96\], the weights say \[3,4,6\]/);
  });

  it('without a size it assumes KITTI and says so', async () => {
    const file = path.join(dir, 'nosize.h5');
    await writeKerasWeights(file, weights);
    const r = await importKerasWeights(file);
    expect([r.config.height, r.config.width]).toEqual([128, 160]);
    expect(r.info.notes.join(' ')).toMatch(/assumed KITTI 128x160/);
    tf.dispose([...r.weights.values()]);
  });

  it('refuses Theano-trained weights', async () => {
    const file = path.join(dir, 'theano.h5');
    await writeKerasWeights(file, weights, { backend: 'theano' });
    await expect(importKerasWeights(file, { height: 8, width: 12 })).rejects.toThrow(/Theano-trained weights/);
    // Channels-first kernels (out, in, h, w) without the backend tag are recognised by their shapes.
    const th = new Map([...weights].map(([n, w]) => {
      if (!n.endsWith('kernel')) return [n, w];
      const [kh, kw, ci, co] = w.shape as [number, number, number, number];
      const t = tf.transpose(tf.tensor(w.data, w.shape), [3, 2, 0, 1]);
      return [n, { shape: [co, ci, kh, kw], data: t.dataSync() as Float32Array }];
    }));
    const file2 = path.join(dir, 'theano-order.h5');
    await writeKerasWeights(file2, th);
    await expect(importKerasWeights(file2, { height: 8, width: 12 })).rejects.toThrow(/Theano order/);
  });

  it('refuses truncated, unrelated and non-HDF5 files, saying what they are', async () => {
    const full = path.join(dir, 'full.h5');
    await writeKerasWeights(full, weights);
    const bytes = fs.readFileSync(full);
    const truncated = path.join(dir, 'truncated.h5');
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(importKerasWeights(truncated, { height: 8, width: 12 })).rejects.toThrow(/truncated or damaged/);

    const { default: h5 } = await import('h5wasm/node');
    await h5.ready;
    const other = path.join(dir, 'other.h5');
    const f = new h5.File(other, 'w');
    f.create_dataset({ name: 'temperature', data: new Float32Array([20, 21]), shape: [2] });
    f.close();
    await expect(importKerasWeights(other)).rejects.toThrow(/HDF5 file but not a Keras weights file/);

    const noPredNet = path.join(dir, 'dense.h5');
    await writeKerasWeights(noPredNet, new Map([['dense_1/kernel', { shape: [2, 2], data: new Float32Array(4) }]]), { layerName: 'dense_1' });
    await expect(importKerasWeights(noPredNet)).rejects.toThrow(/without a PredNet layer|not a PredNet weight/);

    const text = path.join(dir, 'notes.h5');
    fs.writeFileSync(text, 'not hdf5 at all');
    await expect(importKerasWeights(text)).rejects.toThrow(/not an HDF5 file/);
    await expect(importKerasWeights(path.join(dir, 'missing.h5'))).rejects.toThrow(/does not exist/);
  });
});

describe('the coxlab/prednet release files as they are (model_data_keras2)', () => {
  // A small PredNet in the release's exact layout; 8x16 keeps the channels-first JSON unambiguous.
  const small: PredNetConfig = predNetConfigSchema.parse({ height: 8, width: 16, stackSizes: [3, 4, 6], rStackSizes: [3, 5, 6], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3] });
  let rel: string;
  beforeAll(async () => {
    rel = path.join(dir, 'model_data_keras2');
    await writeReleaseFolder(rel, small);
  });

  const samePredictions = (imported: Map<string, tf.Tensor>, config: PredNetConfig, seed: number) => predictionDiff({ config: small, weights: randomWeights(small, seed) }, imported, config);

  it('KITTI: prednet_kitti_weights.hdf5 with prednet_kitti_model.json (channels_first, [null, 10, 3, 128, 160])', async () => {
    const kitti = predNetConfigSchema.parse(PRESETS.kitti);
    const jsonFile = path.join(dir, 'kitti-model.json');
    fs.writeFileSync(jsonFile, releaseModelJson(kitti, 'L0'));
    expect(JSON.parse(fs.readFileSync(jsonFile, 'utf8')).config.layers[0].config.batch_input_shape).toEqual([null, 10, 3, 128, 160]);
    const h5 = path.join(dir, 'kitti-weights.hdf5');
    await writeReleaseWeights(h5, kitti, randomWeights(kitti, 9), 'L0');
    const r = await importKerasWeights(h5, { modelJson: jsonFile });
    expect(r.config).toEqual(kitti);
    expect(parameterCount(r.config)).toBe(6_915_948);
    expect(r.extrapStartTime).toBeNull();
    expect(r.info).toMatchObject({ layout: 'full-model', kerasVersion: '2.0.6', backend: 'tensorflow', layer: 'prednet_1', dataFormat: 'channels_first', timesteps: 10, layerLossWeights: [1, 0, 0, 0], training: { optimizer: 'Adam', loss: 'mean_absolute_error' } });
    expect(r.info.optimizerTensors).toBe(1 + 2 * 46); // iterations + two Adam moments per weight
    tf.dispose([...r.weights.values()]);
  }, 120_000);

  it('KITTI: prednet_kitti_model-extrapfinetuned.json reads as [null, 15, 3, 128, 160] extrapolating from step 10', () => {
    const jsonFile = path.join(dir, 'kitti-extrap.json');
    fs.writeFileSync(jsonFile, releaseModelJson(predNetConfigSchema.parse(PRESETS.kitti), 'extrap'));
    expect(readModelJson(jsonFile)).toMatchObject({ timesteps: 15, channels: 3, height: 128, width: 160, dataFormat: 'channels_first', extrapStartTime: 10, kerasVersion: '2.0.6', stackSizes: [3, 48, 96, 192], rStackSizes: [3, 48, 96, 192] });
  });

  it('L0 weights with prednet_kitti_model.json: the exact weights, L0 loss recorded', async () => {
    const r = await importKerasWeights(path.join(rel, RELEASE_FILES.weights), { modelJson: path.join(rel, RELEASE_FILES.json) });
    expect([r.config.height, r.config.width, r.extrapStartTime]).toEqual([8, 16, null]);
    expect(r.info.layerLossWeights).toEqual([1, 0, 0]);
    expect(r.info.notes.join(' ')).toMatch(/optimizer state \(69 tensors\) is not imported/);
    expect(await samePredictions(r.weights, r.config, 1)).toBe(0);
  });

  it('L_all weights: layer loss weights [1, 0.1, 0.1]', async () => {
    const r = await importKerasWeights(path.join(rel, RELEASE_FILES.weightsLall), { modelJson: path.join(rel, RELEASE_FILES.json) });
    expect(r.info.layerLossWeights).toEqual([1, 0.1, 0.1]);
    expect(await samePredictions(r.weights, r.config, 3)).toBe(0);
  });

  it('extrapolation-finetuned weights with their JSON: extrap_start_time 10 kept, 15 steps', async () => {
    const r = await importKerasWeights(path.join(rel, RELEASE_FILES.weightsExtrap), { modelJson: path.join(rel, RELEASE_FILES.jsonExtrap) });
    expect(r.extrapStartTime).toBe(10);
    expect(r.info).toMatchObject({ timesteps: 15, dataFormat: 'channels_first', layerLossWeights: null, training: { loss: 'extrap_loss' } });
    expect(await samePredictions(r.weights, r.config, 2)).toBe(0);
    // The same weights read as a one-step predictor when the plain JSON is given: the JSON decides.
    const plain = await importKerasWeights(path.join(rel, RELEASE_FILES.weightsExtrap), { modelJson: path.join(rel, RELEASE_FILES.json) });
    expect(plain.extrapStartTime).toBeNull();
    tf.dispose([...plain.weights.values()]);
  });

  it('--height/--width that differ from the model JSON are used, with a note', async () => {
    const r = await importKerasWeights(path.join(rel, RELEASE_FILES.weights), { modelJson: path.join(rel, RELEASE_FILES.json), height: 16 });
    expect([r.config.height, r.config.width]).toEqual([16, 16]);
    expect(r.info.notes.join(' ')).toMatch(/Input size 16x16 \(--height\/--width\) replaces the 8x16 the model was trained at/);
    tf.dispose([...r.weights.values()]);
  });

  it("without --model-json, a full-model file's own model_config gives the size, layout and extrap_start_time", async () => {
    const r = await importKerasWeights(path.join(rel, RELEASE_FILES.weightsExtrap));
    expect([r.config.height, r.config.width, r.extrapStartTime, r.info.dataFormat]).toEqual([8, 16, 10, 'channels_first']);
    expect(r.info.notes.join(' ')).not.toMatch(/assumed KITTI/);
    tf.dispose([...r.weights.values()]);
  });

  it('refuses a JSON of another model, and the theano_weights/ copies pointing to tensorflow_weights/', async () => {
    const other = path.join(dir, 'other-model.json');
    fs.writeFileSync(other, releaseModelJson(predNetConfigSchema.parse(PRESETS.kitti), 'L0'));
    await expect(importKerasWeights(path.join(rel, RELEASE_FILES.weights), { modelJson: other })).rejects.toThrow(/says stackSizes = \[3,48,96,192\].*different models/);
    const theano = path.join(rel, 'theano_weights', 'prednet_kitti_weights.hdf5');
    await expect(importKerasWeights(theano)).rejects.toThrow(new RegExp(`theano_weights/.*Use the TensorFlow copy: ${path.join(rel, 'tensorflow_weights', 'prednet_kitti_weights.hdf5').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // Moved elsewhere, the backend attribute still tells.
    const moved = path.join(dir, 'moved-theano.hdf5');
    fs.copyFileSync(theano, moved);
    await expect(importKerasWeights(moved)).rejects.toThrow(/Theano-trained weights.*tensorflow_weights/);
  });

  it('a damaged HDF5 file gives one clear line, no HDF5-DIAG dump on stderr', async () => {
    const bytes = fs.readFileSync(path.join(rel, RELEASE_FILES.weights));
    const truncated = path.join(dir, 'release-truncated.hdf5');
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const root = path.resolve(import.meta.dirname, '../..');
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'predlab.js'), '--db', path.join(dir, 'diag.sqlite'), 'model', 'import-keras', truncated, '--out', path.join(dir, 'diag-out')], { encoding: 'utf8', cwd: root, timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/HDF5-DIAG|#00\d|\n\s+at /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/truncated or damaged \(truncated file: eof = \d+/);
    expect(fs.existsSync(path.join(dir, 'diag-out'))).toBe(false);
  });

  it('a table of damaged HDF5 and JSON inputs: each exits 1 with one clear line, no stack, nothing written', async () => {
    const weights = path.join(rel, RELEASE_FILES.weights);
    const json = path.join(rel, RELEASE_FILES.json);
    const bytes = fs.readFileSync(weights);
    const put = (name: string, data: Buffer | string) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, data);
      return f;
    };
    const { default: h5 } = await import('h5wasm/node');
    // A PredNet layer whose weight_names list a weight that was never stored.
    const noData = path.join(dir, 'listed-not-stored.hdf5');
    const nf = new h5.File(noData, 'w');
    const mw = nf.create_group('model_weights');
    mw.create_attribute('layer_names', ['prednet_1']);
    const pg = mw.create_group('prednet_1');
    pg.create_attribute('weight_names', ['prednet_1/layer_i_0/kernel:0']);
    nf.close();
    const shape = JSON.parse(releaseModelJson(small, 'L0'));
    shape.config.layers[0].config.batch_input_shape = [null, 10, 128, 160];
    const withPrednet = (name: string, change: Record<string, unknown>) => {
      const j = JSON.parse(releaseModelJson(small, 'L0'));
      Object.assign(j.config.layers[1].config, change);
      return put(name, JSON.stringify(j));
    };
    // Weights that do not make one PredNet: a gate kernel of another width, a bias left out, a weight too many.
    const reshaped = randomWeights(small, 1);
    const f0 = reshaped.get('layer_f_0/kernel')!;
    reshaped.set('layer_f_0/kernel', { shape: [3, 3, f0.shape[2]!, f0.shape[3]! + 1], data: new Float32Array(9 * f0.shape[2]! * (f0.shape[3]! + 1)) });
    const missing = randomWeights(small, 1);
    missing.delete('layer_o_1/bias');
    const extra = randomWeights(small, 1);
    extra.set('layer_i_5/bias', { shape: [2], data: new Float32Array(2) });
    const mixed: Record<string, string> = {};
    for (const [name, w] of Object.entries({ reshaped, missing, extra })) await writeKerasWeights((mixed[name] = path.join(dir, `mixed-${name}.h5`)), w);
    const cases: [string, string[], RegExp][] = [
      ['a gate kernel of another shape', [mixed.reshaped!, '--model-json', json], /the weight layer_f_0\/kernel is \(3, 3, \d+, \d+\), the rest of the PredNet needs \(3, 3, \d+, \d+\); the file is damaged or mixes models/],
      ['a bias left out', [mixed.missing!, '--model-json', json], /is missing the weight layer_o_1\/bias; the PredNet is incomplete/],
      ['a weight too many', [mixed.extra!, '--model-json', json], /holds a weight layer_i_5\/bias that a 3-layer PredNet does not have/],
      ['the weights given as --model-json', [weights, '--model-json', weights], /is an HDF5 file, not a model JSON: give the weights as the first argument and the \.json with --model-json/],
      ['the model JSON given as the weights', [json], /prednet_kitti_model\.json is not an HDF5 file, so not Keras weights\. \(A model JSON goes with --model-json/],
      ['binary garbage as --model-json', [weights, '--model-json', put('binary.json', Buffer.from([0x7b, 0x0a, 0x01, 0x02, 0x0a, 0xff]))], /binary\.json is not valid JSON \([ -~]*\)\.$/m],
      ['sigmoid gates', [weights, '--model-json', withPrednet('sigmoid.json', { LSTM_inner_activation: 'sigmoid' })], /LSTM_inner_activation is "sigmoid"; PredLab's PredNet computes the reference's hard_sigmoid there/],
      ['linear error units', [weights, '--model-json', withPrednet('linear-e.json', { error_activation: 'linear' })], /error_activation is "linear"; .* relu there/],
      ['pixel_max 255', [weights, '--model-json', withPrednet('pixel255.json', { pixel_max: 255 })], /pixel_max is 255; PredLab runs PredNets on frames scaled to 0-1/],
      ['empty file', [put('empty.hdf5', '')], /not an HDF5 file/],
      ['HDF5 signature then garbage', [put('garbage.hdf5', Buffer.concat([bytes.subarray(0, 8), Buffer.alloc(4096, 7)]))], /cannot be read as HDF5; it is truncated or damaged \(/],
      ['truncated to 10 %', [put('tenth.hdf5', bytes.subarray(0, bytes.length / 10))], /truncated or damaged \(truncated file: eof = \d+/],
      ['weight listed but not stored', [noData], /truncated or damaged: weight 'prednet_1\/layer_i_0\/kernel:0' is listed but has no data/],
      ['model JSON not JSON', [weights, '--model-json', put('bad.json', '{"class_name": "Model", ')], /The model JSON .*bad\.json is not valid JSON/],
      ['model JSON of no PredNet', [weights, '--model-json', put('dense.json', JSON.stringify({ config: { layers: [{ class_name: 'Dense', config: {} }] } }))], /describes no PredNet layer \(layers: Dense\)/],
      ['batch_input_shape of 4 axes', [weights, '--model-json', put('axes.json', JSON.stringify(shape))], /batch_input_shape \[null,10,128,160\] is not 5-D/],
      ['a 17 MB model JSON', [weights, '--model-json', put('huge.json', Buffer.alloc(17 << 20, 32))], /model JSON .*huge\.json is 17 MiB; PredLab reads at most 16 MiB/],
      ['missing model JSON', [weights, '--model-json', path.join(dir, 'nope.json')], /Cannot read the model JSON .*no such file/],
    ];
    const db = path.join(dir, 'damaged.sqlite');
    for (const [what, args, message] of cases) {
      const out = path.join(dir, `out-${what.replace(/\W+/g, '-')}`);
      let err = '';
      const code = await runCli(['--db', db, 'model', 'import-keras', ...args, '--out', out], { out: () => {}, err: (s) => (err += s) });
      expect(code, `${what}: ${err}`).toBe(1);
      expect(err, what).toMatch(message);
      expect(err.trim().split('\n'), what).toHaveLength(1);
      expect(err, what).not.toMatch(/HDF5-DIAG|unexpected error|\n\s+at /);
      expect(fs.existsSync(out), what).toBe(false);
    }
    const h = openDatabase(db);
    expect(listModels(h)).toEqual([]);
    h.close();
  });
});
