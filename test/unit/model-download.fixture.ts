/**
 * Files in the exact layout of coxlab/prednet's model_data_keras2 release, with random weights:
 * the Keras 2.0.6 model JSONs (channels_first, batch_input_shape [null, nt, C, H, W], the
 * extrapolation model with extrap_start_time), and full-model HDF5 files as ModelCheckpoint
 * writes them (model_weights + optimizer_weights groups, model_config/training_config attributes,
 * h5py's fixed-length byte strings), for the L0, L_all and extrapolation-finetuned models.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { h5wasm } from '../../native-models/keras-import.js';
import { kerasWeightShapes, type PredNetConfig } from '../../native-models/prednet/config.js';

export type Weights = Map<string, { shape: number[]; data: Float32Array }>;
export type ReleaseKind = 'L0' | 'Lall' | 'extrap';

/** Seeded random weights for a configuration (biases non-zero so a bias mix-up shows). */
export function randomWeights(c: PredNetConfig, seed = 1): Weights {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  return new Map([...kerasWeightShapes(c)].map(([n, shape]) => [n, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd) }]));
}

/** model.to_json() of kitti_train.py (L0/L_all: PredNet + loss layers) or kitti_extrap_finetune.py. */
export function releaseModelJson(c: PredNetConfig, kind: ReleaseKind): string {
  const nt = kind === 'extrap' ? 15 : 10;
  const prednet = {
    name: 'prednet_1',
    class_name: 'PredNet',
    config: {
      name: 'prednet_1', trainable: true, return_sequences: true, go_backwards: false, stateful: false, unroll: false, implementation: 0,
      stack_sizes: c.stackSizes, R_stack_sizes: c.rStackSizes, A_filt_sizes: c.aFiltSizes, Ahat_filt_sizes: c.ahatFiltSizes, R_filt_sizes: c.rFiltSizes,
      pixel_max: 1.0, error_activation: 'relu', A_activation: 'relu', LSTM_activation: 'tanh', LSTM_inner_activation: 'hard_sigmoid',
      data_format: 'channels_first', extrap_start_time: kind === 'extrap' ? 10 : null, output_mode: kind === 'extrap' ? 'prediction' : 'error',
    },
    inbound_nodes: [[['input_1', 0, 0, {}]]],
  };
  const input = { name: 'input_1', class_name: 'InputLayer', config: { batch_input_shape: [null, nt, c.stackSizes[0], c.height, c.width], dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [] };
  const dense = (name: string, inbound: string) => ({ name, class_name: 'Dense', config: { name, trainable: false, units: 1, activation: 'linear', use_bias: true }, inbound_nodes: [[[inbound, 0, 0, {}]]] });
  const lossLayers = [
    { name: 'time_distributed_1', class_name: 'TimeDistributed', config: { name: 'time_distributed_1', trainable: false, layer: dense('dense_1', 'prednet_1') }, inbound_nodes: [[['prednet_1', 0, 0, {}]]] },
    { name: 'flatten_1', class_name: 'Flatten', config: { name: 'flatten_1', trainable: false }, inbound_nodes: [[['time_distributed_1', 0, 0, {}]]] },
    dense('dense_2', 'flatten_1'),
  ];
  const layers = kind === 'extrap' ? [input, prednet] : [input, prednet, ...lossLayers];
  return JSON.stringify({
    class_name: 'Model',
    config: { name: 'model_1', layers, input_layers: [['input_1', 0, 0]], output_layers: [[kind === 'extrap' ? 'prednet_1' : 'dense_2', 0, 0]] },
    keras_version: '2.0.6',
    backend: 'tensorflow',
  });
}

/** h5py writes bytes as fixed-length strings: 'A<n>' in h5wasm. */
function fixed(values: string[]): { data: string[]; dtype: string } {
  return { data: values, dtype: `A${Math.max(1, ...values.map((v) => Buffer.byteLength(v)))}` };
}

/** A full-model file as ModelCheckpoint (Keras 2.0.6, TensorFlow backend) saves it. */
export async function writeReleaseWeights(file: string, c: PredNetConfig, weights: Weights, kind: ReleaseKind, options: { backend?: string } = {}): Promise<void> {
  const lib = await h5wasm();
  const backend = options.backend ?? 'tensorflow';
  const f = new lib.File(file, 'w');
  const setText = (g: { create_attribute: (n: string, d: string, s?: number[] | null, t?: string) => void }, name: string, value: string) => {
    const x = fixed([value]);
    g.create_attribute(name, value, [], x.dtype);
  };
  const setNames = (g: { create_attribute: (n: string, d: string[], s?: number[] | null, t?: string) => void }, name: string, values: string[]) => {
    if (values.length === 0) g.create_attribute(name, [] as string[]);
    else {
      const x = fixed(values);
      g.create_attribute(name, x.data, [values.length], x.dtype);
    }
  };
  const put = (g: import('h5wasm/node').Group, name: string, shape: number[], data: Float32Array) => {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!g.get(p)) g.create_group(p);
    }
    g.create_dataset({ name, data, shape, dtype: '<f' });
  };
  try {
    setText(f, 'keras_version', '2.0.6');
    setText(f, 'backend', backend);
    setText(f, 'model_config', releaseModelJson(c, kind));
    setText(f, 'training_config', JSON.stringify({ optimizer_config: { class_name: 'Adam', config: { lr: 0.0001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8, decay: 0 } }, loss: kind === 'extrap' ? 'extrap_loss' : 'mean_absolute_error', metrics: [], sample_weight_mode: null, loss_weights: null }));
    const mw = f.create_group('model_weights');
    const L = c.stackSizes.length;
    const layerNames = kind === 'extrap' ? ['input_1', 'prednet_1'] : ['input_1', 'prednet_1', 'time_distributed_1', 'flatten_1', 'dense_2'];
    setNames(mw, 'layer_names', layerNames);
    setText(mw, 'backend', backend);
    setText(mw, 'keras_version', '2.0.6');
    for (const n of ['input_1', 'flatten_1']) if (layerNames.includes(n)) setNames(mw.create_group(n), 'weight_names', []);
    // PredNet.build adds the convs' weights in sorted unit order (a, ahat, c, f, i, o), layer by layer.
    const g = mw.create_group('prednet_1');
    const order = [...weights.keys()].sort((a, b) => {
      const [ua, la, ka] = /layer_(\w+?)_(\d+)\/(\w+)/.exec(a)!.slice(1);
      const [ub, lb, kb] = /layer_(\w+?)_(\d+)\/(\w+)/.exec(b)!.slice(1);
      return ua! < ub! ? -1 : ua! > ub! ? 1 : Number(la) - Number(lb) || (ka === 'kernel' ? -1 : kb === 'kernel' ? 1 : 0);
    });
    const names = order.map((n) => `prednet_1/${n}:0`);
    setNames(g, 'weight_names', names);
    order.forEach((n, i) => put(g, names[i]!, weights.get(n)!.shape, weights.get(n)!.data));
    if (kind !== 'extrap') {
      const lw = kind === 'Lall' ? [1, ...Array(L - 1).fill(0.1)] : [1, ...Array(L - 1).fill(0)];
      const td = mw.create_group('time_distributed_1');
      setNames(td, 'weight_names', ['time_distributed_1/kernel:0', 'time_distributed_1/bias:0']);
      put(td, 'time_distributed_1/kernel:0', [L, 1], Float32Array.from(lw));
      put(td, 'time_distributed_1/bias:0', [1], new Float32Array(1));
      const d2 = mw.create_group('dense_2');
      setNames(d2, 'weight_names', ['dense_2/kernel:0', 'dense_2/bias:0']);
      put(d2, 'dense_2/kernel:0', [10, 1], Float32Array.from({ length: 10 }, (_, t) => (t === 0 ? 0 : 1 / 9)));
      put(d2, 'dense_2/bias:0', [1], new Float32Array(1));
    }
    // Adam's state: iterations, then one first and one second moment per trainable weight.
    const og = f.create_group('optimizer_weights');
    const optNames = ['iterations:0', ...order.flatMap((_, i) => [`Variable_${i}:0`]), ...order.map((_, i) => `Variable_${order.length + i}:0`)];
    setNames(og, 'weight_names', optNames);
    put(og, 'iterations:0', [], Float32Array.of(18750));
    [...order, ...order].forEach((n, i) => put(og, optNames[i + 1]!, weights.get(n)!.shape, new Float32Array(weights.get(n)!.data.length).fill(1e-4)));
  } finally {
    f.close();
  }
}

/** Relative paths of the release, as in the zip (under model_data_keras2/). */
export const RELEASE_FILES = {
  json: 'prednet_kitti_model.json',
  jsonExtrap: 'prednet_kitti_model-extrapfinetuned.json',
  weights: 'tensorflow_weights/prednet_kitti_weights.hdf5',
  weightsExtrap: 'tensorflow_weights/prednet_kitti_weights-extrapfinetuned.hdf5',
  weightsLall: 'tensorflow_weights/prednet_kitti_weights-Lall.hdf5',
} as const;

/** The five release files (plus Theano copies) in a folder; returns their git blob SHA-1s. */
export async function writeReleaseFolder(dir: string, c: PredNetConfig): Promise<Record<string, string>> {
  fs.mkdirSync(path.join(dir, 'tensorflow_weights'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'theano_weights'), { recursive: true });
  fs.writeFileSync(path.join(dir, RELEASE_FILES.json), releaseModelJson(c, 'L0'));
  fs.writeFileSync(path.join(dir, RELEASE_FILES.jsonExtrap), releaseModelJson(c, 'extrap'));
  await writeReleaseWeights(path.join(dir, RELEASE_FILES.weights), c, randomWeights(c, 1), 'L0');
  await writeReleaseWeights(path.join(dir, RELEASE_FILES.weightsExtrap), c, randomWeights(c, 2), 'extrap');
  await writeReleaseWeights(path.join(dir, RELEASE_FILES.weightsLall), c, randomWeights(c, 3), 'Lall');
  for (const f of ['prednet_kitti_weights.hdf5', 'prednet_kitti_weights-Lall.hdf5'])
    await writeReleaseWeights(path.join(dir, 'theano_weights', f), c, randomWeights(c, 4), 'L0', { backend: 'theano' });
  return Object.fromEntries(Object.values(RELEASE_FILES).map((p) => [p, gitBlobSha1(fs.readFileSync(path.join(dir, p)))]));
}

/** What `git hash-object` prints, computed independently of the code under test. */
export function gitBlobSha1(bytes: Buffer): string {
  return crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Zip a release folder as model_data_keras2.zip is laid out (everything under model_data_keras2/). */
export function zipReleaseFolder(dir: string): Buffer {
  const entries: Record<string, Uint8Array> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else entries[`model_data_keras2/${rel}${e.name}`] = fs.readFileSync(path.join(d, e.name));
    }
  };
  walk(dir, '');
  return Buffer.from(zipSync(entries, { level: 1 }));
}
