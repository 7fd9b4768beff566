/**
 * Import of the original PredNet weights saved by Keras (HDF5), read with h5wasm: both the
 * save_weights layout (layer_names at the root) and the full-model layout (a model_weights
 * group), Keras 2 (layer_i_0/kernel:0) and Keras 1 (layer_i_0_W) names. The architecture is
 * inferred from the kernel shapes and, when a model JSON is given, checked against it.
 * Theano-ordered, truncated and unrelated files are refused with what they are.
 */
import * as tf from '@tensorflow/tfjs-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { predNetConfigSchema, type PredNetConfig } from './prednet/config.js';

export class KerasImportError extends Error {
  override name = 'KerasImportError';
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const WEIGHT_NAME = /layer_(i|f|c|o|ahat|a)_(\d+)(?:\/|_)(kernel|W|bias|b)(?::\d+)?$/;

type H5 = typeof import('h5wasm/node').default;
type H5Group = import('h5wasm/node').Group;
type H5Dataset = import('h5wasm/node').Dataset;

let h5: H5 | null = null;
async function h5wasm(): Promise<H5> {
  if (!h5) {
    const mod = (await import('h5wasm/node')).default;
    await mod.ready;
    h5 = mod;
  }
  return h5;
}

export interface KerasImport {
  config: PredNetConfig;
  weights: Map<string, tf.Tensor>;
  info: { layout: 'save_weights' | 'full-model'; kerasVersion: string | null; backend: string | null; layer: string; sha256: string; notes: string[] };
}

function attr(g: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  return name in g.attrs ? g.attrs[name]!.value : undefined;
}
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

function hasSignature(file: string): boolean {
  // The superblock may sit at 0, 512, 1024, 2048, ... (HDF5 spec); Keras writes it at 0.
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size && off <= 1 << 20; off = off === 0 ? 512 : off * 2) {
      fs.readSync(fd, buf, 0, 8, off);
      if (buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

interface ModelJsonArch {
  stackSizes?: number[];
  rStackSizes?: number[];
  aFiltSizes?: number[];
  ahatFiltSizes?: number[];
  rFiltSizes?: number[];
  height?: number;
  width?: number;
}

/** The PredNet layer's settings and the input size from a Keras model JSON (model.to_json()). */
export function readModelJson(file: string): ModelJsonArch {
  let json: { config?: { layers?: { class_name?: string; config?: Record<string, unknown> }[] } };
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KerasImportError(`Cannot read the model JSON ${file}: ${(e as Error).message}`);
  }
  const layers = json.config?.layers ?? [];
  const prednet = layers.find((l) => l.class_name === 'PredNet')?.config;
  if (!prednet) throw new KerasImportError(`${file} describes no PredNet layer (layers: ${layers.map((l) => l.class_name).join(', ') || 'none'}).`);
  const input = (layers[0]?.config?.batch_input_shape ?? prednet.batch_input_shape) as (number | null)[] | undefined;
  const nums = (v: unknown) => (Array.isArray(v) ? v.map(Number) : undefined);
  return {
    stackSizes: nums(prednet.stack_sizes),
    rStackSizes: nums(prednet.R_stack_sizes),
    aFiltSizes: nums(prednet.A_filt_sizes),
    ahatFiltSizes: nums(prednet.Ahat_filt_sizes),
    rFiltSizes: nums(prednet.R_filt_sizes),
    ...(input && input.length === 5 ? { height: Number(input[2]), width: Number(input[3]) } : {}),
  };
}

export async function importKerasWeights(file: string, options: { modelJson?: string; height?: number; width?: number } = {}): Promise<KerasImport> {
  if (!fs.existsSync(file)) throw new KerasImportError(`${file} does not exist.`);
  if (!hasSignature(file)) throw new KerasImportError(`${file} is not an HDF5 file, so not Keras weights.`);
  const bytes = fs.readFileSync(file);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const lib = await h5wasm();
  let f: InstanceType<H5['File']>;
  try {
    f = new lib.File(file, 'r');
  } catch (e) {
    throw new KerasImportError(`${file} cannot be read as HDF5 (truncated or damaged?): ${String((e as Error)?.message ?? e)}`);
  }
  const notes: string[] = [];
  try {
    const mw = f.get('model_weights');
    const layout = mw && mw instanceof lib.Group ? 'full-model' : 'save_weights';
    const root = (layout === 'full-model' ? mw : f) as H5Group;
    const layerNames = strings(attr(root, 'layer_names'));
    if (layerNames.length === 0) throw new KerasImportError(`${file} is an HDF5 file but not a Keras weights file (no 'layer_names' attribute${layout === 'full-model' ? ' in model_weights' : ''}).`);
    const backend = (attr(f, 'backend') ?? attr(root, 'backend') ?? null) as string | null;
    const kerasVersion = (attr(f, 'keras_version') ?? attr(root, 'keras_version') ?? null) as string | null;
    if (backend === 'theano')
      throw new KerasImportError(`${file} holds Theano-trained weights (backend 'theano': flipped kernels, channels-first). PredLab imports the TensorFlow-ordered weights only.`);
    const layer = layerNames.find((n) => {
      const g = root.get(n);
      return g instanceof lib.Group && strings(attr(g, 'weight_names')).some((w) => WEIGHT_NAME.test(w));
    });
    if (!layer) throw new KerasImportError(`${file} is a Keras weights file without a PredNet layer (layers: ${layerNames.join(', ')}).`);
    const group = root.get(layer) as H5Group;
    const raw = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const wn of strings(attr(group, 'weight_names'))) {
      const m = WEIGHT_NAME.exec(wn);
      if (!m) throw new KerasImportError(`Unexpected weight '${wn}' in layer ${layer}: not a PredNet weight.`);
      const ds = group.get(wn);
      if (!(ds instanceof lib.Dataset)) throw new KerasImportError(`${file} is truncated or damaged: weight '${wn}' listed in ${layer} has no data.`);
      let value;
      try {
        value = (ds as H5Dataset).value;
      } catch (e) {
        throw new KerasImportError(`${file} is truncated or damaged: cannot read '${wn}' (${String((e as Error)?.message ?? e)}).`);
      }
      const shape = (ds as H5Dataset).shape ?? [];
      if (!(value instanceof Float32Array || value instanceof Float64Array)) throw new KerasImportError(`Weight '${wn}' is not floating-point data.`);
      const kind = m[3] === 'W' ? 'kernel' : m[3] === 'b' ? 'bias' : m[3]!;
      raw.set(`layer_${m[1]}_${m[2]}/${kind}`, { shape, data: Float32Array.from(value) });
    }
    const config = inferConfig(raw, file, options, notes);
    const weights = new Map([...raw].map(([k, v]) => [k, tf.tensor(v.data, v.shape, 'float32')]));
    return { config, weights, info: { layout, kerasVersion, backend, layer, sha256, notes } };
  } catch (e) {
    if (e instanceof KerasImportError) throw e;
    // h5wasm throws strings or bare errors from inside the HDF5 library.
    throw new KerasImportError(`${file} cannot be read completely; it is truncated or damaged (${String((e as Error)?.message ?? e)}).`);
  } finally {
    f.close();
  }
}

function inferConfig(raw: Map<string, { shape: number[] }>, file: string, options: { modelJson?: string; height?: number; width?: number }, notes: string[]): PredNetConfig {
  const kernels = [...raw].filter(([k]) => k.endsWith('/kernel')).map(([, v]) => v.shape);
  if (kernels.some((s) => s.length !== 4)) throw new KerasImportError(`${file}: PredNet kernels must be 4-D; found shapes ${kernels.map((s) => `(${s})`).join(' ')}.`);
  const tfOrder = kernels.every((s) => s[0] === s[1]);
  if (!tfOrder && kernels.every((s) => s[2] === s[3]))
    throw new KerasImportError(`${file} has kernels in Theano order (out, in, h, w): these are Theano-trained weights with flipped kernels. Use the TensorFlow weights.`);
  const L = [...raw.keys()].filter((k) => /^layer_ahat_\d+\/kernel$/.test(k)).length;
  if (L === 0) throw new KerasImportError(`${file}: no layer_ahat kernels; not a complete PredNet.`);
  const shape = (name: string) => {
    const s = raw.get(name);
    if (!s) throw new KerasImportError(`${file} is missing the weight ${name}; the PredNet is incomplete.`);
    return s.shape;
  };
  const stackSizes: number[] = [];
  const rStackSizes: number[] = [];
  const ahatFiltSizes: number[] = [];
  const rFiltSizes: number[] = [];
  const aFiltSizes: number[] = [];
  for (let l = 0; l < L; l++) {
    const ah = shape(`layer_ahat_${l}/kernel`);
    ahatFiltSizes.push(ah[0]!);
    rStackSizes.push(ah[2]!);
    stackSizes.push(ah[3]!);
    rFiltSizes.push(shape(`layer_i_${l}/kernel`)[0]!);
    if (l < L - 1) aFiltSizes.push(shape(`layer_a_${l}/kernel`)[0]!);
  }
  const arch = options.modelJson ? readModelJson(options.modelJson) : {};
  for (const [key, fromWeights] of Object.entries({ stackSizes, rStackSizes, aFiltSizes, ahatFiltSizes, rFiltSizes })) {
    const fromJson = arch[key as keyof ModelJsonArch] as number[] | undefined;
    if (fromJson && fromJson.join() !== fromWeights.join())
      throw new KerasImportError(`The model JSON says ${key} = [${fromJson}], the weights say [${fromWeights}]: they belong to different models.`);
  }
  const height = options.height ?? arch.height ?? 128;
  const width = options.width ?? arch.width ?? 160;
  if (options.height === undefined && arch.height === undefined) notes.push('Input size not given (no --model-json, --height/--width): assumed KITTI 128x160.');
  const parsed = predNetConfigSchema.safeParse({ height, width, stackSizes, rStackSizes, aFiltSizes, ahatFiltSizes, rFiltSizes, pixelMax: 1 });
  if (!parsed.success) throw new KerasImportError(`The inferred architecture is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** Write weights in Keras's layout (for tests and for exporting back to the Python code). */
export async function writeKerasWeights(file: string, weights: Map<string, { shape: number[]; data: Float32Array }>, options: { layout?: 'save_weights' | 'full-model'; backend?: string; layerName?: string; keras1Names?: boolean } = {}): Promise<void> {
  const lib = await h5wasm();
  const layer = options.layerName ?? 'prednet_1';
  const f = new lib.File(file, 'w');
  try {
    f.create_attribute('backend', options.backend ?? 'tensorflow');
    f.create_attribute('keras_version', '2.0.8');
    const root = options.layout === 'full-model' ? f.create_group('model_weights') : f;
    root.create_attribute('layer_names', ['input_1', layer]);
    root.create_group('input_1').create_attribute('weight_names', [] as string[]);
    const g = root.create_group(layer);
    const names: string[] = [];
    for (const [name, w] of weights) {
      const [unit, kind] = name.split('/') as [string, string];
      const wn = options.keras1Names ? `${unit}_${kind === 'kernel' ? 'W' : 'b'}` : `${layer}/${unit}/${kind}:0`;
      names.push(wn);
      const parts = wn.split('/');
      for (let i = 1; i < parts.length; i++) {
        const p = parts.slice(0, i).join('/');
        if (!g.get(p)) g.create_group(p);
      }
      g.create_dataset({ name: wn, data: w.data, shape: w.shape, dtype: '<f' });
    }
    g.create_attribute('weight_names', names);
  } finally {
    f.close();
  }
}
