/**
 * Import of the original PredNet weights saved by Keras (HDF5), read with h5wasm: both the
 * save_weights layout (layer_names at the root) and the full-model layout written by
 * ModelCheckpoint (model_weights + optimizer_weights groups, model_config/training_config
 * attributes), Keras 2 (layer_i_0/kernel:0) and Keras 1 (layer_i_0_W) names. The architecture
 * is inferred from the kernel shapes and checked against the model JSON (or the file's own
 * model_config): channels-first or channels-last input, and the extrapolation model's
 * extrap_start_time. Theano-trained, truncated and unrelated files are refused with what they are.
 */
import * as tf from '@tensorflow/tfjs-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { checkRegularFile, readRegularFile } from './safe-read.js';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { saveCheckpoint, type Manifest } from './checkpoint.js';
import { kerasWeightShapes, predNetConfigSchema, type PredNetConfig } from './prednet/config.js';
import { PredNet } from './prednet/model.js';

export class KerasImportError extends Error {
  override name = 'KerasImportError';
}

/** Stated limits on what we read: the KITTI release files are far below them. */
/**
 * Stated limits of a Keras import: the file, the model JSON, one weight tensor, and every weight
 * tensor of the file together, counted from their declared shapes before any is read (a small
 * compressed file can declare gigabytes; the KITTI PredNet has 6.9 million values).
 */
export const KERAS_LIMITS = { fileBytes: 1 << 30, jsonBytes: 16 << 20, tensorValues: 1 << 26, totalValues: 1 << 26 } as const;

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const WEIGHT_NAME = /layer_(i|f|c|o|ahat|a)_(\d+)(?:\/|_)(kernel|W|bias|b)(?::\d+)?$/;

type H5 = typeof import('h5wasm/node').default;
type H5Group = import('h5wasm/node').Group;
type H5Dataset = import('h5wasm/node').Dataset;

let h5: H5 | null = null;
/** h5wasm, with HDF5's error stack turned into thrown errors instead of HDF5-DIAG lines on stderr. */
export async function h5wasm(): Promise<H5> {
  if (!h5) {
    const mod = (await import('h5wasm/node')).default;
    const module = await mod.ready;
    module.activate_throwing_error_handler();
    h5 = mod;
  }
  return h5;
}

type SafeGet = (parent: H5Group | InstanceType<H5['File']>, name: string) => ReturnType<H5Group['get']>;

/**
 * Group.get that never follows a link out of the file: HDF5 opens an external link's target
 * while merely asking what the link is (a FIFO there blocks for ever, a device is read without
 * end), so every component of the path is checked first and an external link is refused.
 */
function linkSafeGet(f: InstanceType<H5['File']>, file: string): SafeGet {
  return (parent, name) => {
    const full = name.startsWith('/') ? name : `${parent.path === '/' ? '' : parent.path}/${name}`;
    const parts = full.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join('/')}`;
      let target: { filename?: string } | null = null;
      try {
        target = f.get_external_link(prefix) as { filename?: string };
      } catch {
        return null; // not there: as Group.get
      }
      if (target?.filename)
        throw new KerasImportError(`${file} links ${prefix} to another file (${target.filename}); PredLab reads weights only from the file given (external links are refused, nothing else was read).`);
    }
    return parent.get(name);
  };
}

/** The innermost cause of an HDF5 error stack ("truncated file: eof = ..."), or the message itself. */
export function hdf5Reason(e: unknown): string {
  const text = String((e as Error)?.message ?? e);
  const causes = [...text.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)/g)].map((m) => m[1]!.trim());
  return causes.at(-1) ?? text.split('\n')[0]!.slice(0, 300);
}

export interface KerasImportInfo {
  layout: 'save_weights' | 'full-model';
  kerasVersion: string | null;
  backend: string | null;
  layer: string;
  sha256: string;
  /** Input layout of the Keras model (ours is always channels-last); null when not stated. */
  dataFormat: 'channels_first' | 'channels_last' | null;
  /** Sequence length the Keras model was built for (batch_input_shape[1]). */
  timesteps: number | null;
  /** The weights of the loss over layers ([1,0,0,0] = "L0", [1,0.1,0.1,0.1] = "L_all"), when the file holds them. */
  layerLossWeights: number[] | null;
  /** Optimizer tensors in a full-model file: not imported (Keras's Adam state does not map onto ours). */
  optimizerTensors: number;
  training: { optimizer: string | null; loss: unknown } | null;
  modelJson: { file: string; sha256: string } | null;
  notes: string[];
}

export interface KerasImport {
  config: PredNetConfig;
  weights: Map<string, tf.Tensor>;
  /** From this step on the model feeds its own prediction back (the extrapolation-finetuned model: 10). */
  extrapStartTime: number | null;
  info: KerasImportInfo;
}

function attr(g: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  return name in g.attrs ? g.attrs[name]!.value : undefined;
}
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : null);

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

export interface ModelJsonArch {
  stackSizes?: number[];
  rStackSizes?: number[];
  aFiltSizes?: number[];
  ahatFiltSizes?: number[];
  rFiltSizes?: number[];
  height?: number;
  width?: number;
  channels?: number;
  timesteps?: number | null;
  dataFormat?: 'channels_first' | 'channels_last';
  extrapStartTime?: number | null;
  kerasVersion?: string;
}

/** The activations of prednet.py's defaults, which is what PredNet (native-models/prednet) computes. */
const REFERENCE_ACTIVATIONS = { error_activation: 'relu', A_activation: 'relu', LSTM_activation: 'tanh', LSTM_inner_activation: 'hard_sigmoid' } as const;

/** The PredNet layer's settings and the input layout from a Keras model JSON (model.to_json() or a file's model_config). */
export function parseModelJson(source: string, what: string): ModelJsonArch {
  let json: { keras_version?: unknown; config?: { layers?: { class_name?: string; config?: Record<string, unknown> }[] } };
  try {
    json = JSON.parse(source);
  } catch (e) {
    if (source.startsWith('\uFFFDHDF')) throw new KerasImportError(`${what} is an HDF5 file, not a model JSON: give the weights as the first argument and the .json with --model-json.`);
    // JSON.parse quotes the text it stopped at: keep the message to one printable line.
    throw new KerasImportError(`${what} is not valid JSON (${(e as Error).message.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 200)}).`);
  }
  const layers = Array.isArray(json?.config?.layers) ? json.config.layers : [];
  const prednet = layers.find((l) => l?.class_name === 'PredNet')?.config;
  if (!prednet) throw new KerasImportError(`${what} describes no PredNet layer (layers: ${layers.map((l) => l?.class_name).join(', ') || 'none'}).`);
  const nums = (v: unknown) => (Array.isArray(v) ? v.map(Number) : undefined);
  // Keras 2 says data_format; Keras 1 said dim_ordering 'th' (channels first) or 'tf'.
  const fmt = prednet.data_format ?? (prednet.dim_ordering === 'th' ? 'channels_first' : prednet.dim_ordering === 'tf' ? 'channels_last' : undefined);
  if (fmt !== undefined && fmt !== 'channels_first' && fmt !== 'channels_last') throw new KerasImportError(`${what}: unknown data_format ${JSON.stringify(fmt)}.`);
  const dataFormat = fmt as ModelJsonArch['dataFormat'];
  const input = (layers[0]?.config?.batch_input_shape ?? prednet.batch_input_shape) as (number | null)[] | undefined;
  let size: Pick<ModelJsonArch, 'height' | 'width' | 'channels' | 'timesteps'> = {};
  if (input !== undefined && !(Array.isArray(input) && input.length === 5)) throw new KerasImportError(`${what}: batch_input_shape ${JSON.stringify(input)} is not 5-D (batch, time, ...): not a PredNet input.`);
  if (Array.isArray(input)) {
    const [, t, a, b, c] = input.map((x) => (x === null ? null : Number(x)));
    size = dataFormat === 'channels_first' ? { timesteps: t ?? null, channels: a!, height: b!, width: c! } : { timesteps: t ?? null, height: a!, width: b!, channels: c! };
    if (![size.height, size.width, size.channels].every((x) => Number.isInteger(x) && x! > 0))
      throw new KerasImportError(`${what}: batch_input_shape [${input}] is not (batch, time, ${dataFormat === 'channels_first' ? 'channels, height, width' : 'height, width, channels'}).`);
  }
  // PredLab's PredNet computes the reference's activations only; another one would run silently wrong.
  for (const [key, want] of Object.entries(REFERENCE_ACTIVATIONS)) {
    const got = prednet[key];
    if (got !== undefined && got !== want) throw new KerasImportError(`${what}: ${key} is ${JSON.stringify(got)}; PredLab's PredNet computes the reference's ${want} there, so this model cannot be imported.`);
  }
  // Frames reach PredLab's PredNet scaled to 0-1, as the release's models were trained (pixel_max 1.0).
  if (prednet.pixel_max !== undefined && prednet.pixel_max !== 1)
    throw new KerasImportError(`${what}: pixel_max is ${JSON.stringify(prednet.pixel_max)}; PredLab runs PredNets on frames scaled to 0-1 (pixel_max 1, as the released KITTI models), so this model cannot be imported.`);
  const extrap = prednet.extrap_start_time;
  if (extrap != null && !(Number.isInteger(extrap) && (extrap as number) >= 0)) throw new KerasImportError(`${what}: extrap_start_time must be a whole number; got ${JSON.stringify(extrap)}.`);
  return {
    stackSizes: nums(prednet.stack_sizes),
    rStackSizes: nums(prednet.R_stack_sizes),
    aFiltSizes: nums(prednet.A_filt_sizes),
    ahatFiltSizes: nums(prednet.Ahat_filt_sizes),
    rFiltSizes: nums(prednet.R_filt_sizes),
    ...size,
    ...(dataFormat ? { dataFormat } : {}),
    extrapStartTime: (extrap as number | null | undefined) ?? null,
    ...(typeof json.keras_version === 'string' ? { kerasVersion: json.keras_version } : {}),
  };
}

/** Read a model JSON file (size-limited). */
export function readModelJson(file: string): ModelJsonArch {
  return parseModelJson(readJsonText(file), `The model JSON ${file}`);
}

function readJsonText(file: string): string {
  try {
    // A regular file only (never a FIFO or a device), of at most KERAS_LIMITS.jsonBytes.
    return readRegularFile(file, KERAS_LIMITS.jsonBytes, 'model JSON').toString('utf8');
  } catch (e) {
    throw new KerasImportError((e as Error).message);
  }
}

/** The release ships Theano-trained copies under theano_weights/ beside tensorflow_weights/. */
function refuseTheanoFolder(file: string): void {
  const parts = path.resolve(file).split(path.sep);
  const i = parts.lastIndexOf('theano_weights');
  if (i < 0) return;
  const tfCopy = [...parts.slice(0, i), 'tensorflow_weights', ...parts.slice(i + 1)].join(path.sep);
  throw new KerasImportError(
    `${file} is from theano_weights/: Theano-trained weights (flipped kernels) that PredLab does not import. Use the TensorFlow copy: ${fs.existsSync(tfCopy) ? tfCopy : 'the same file under tensorflow_weights/'}.`,
  );
}

export interface KerasImportOptions {
  /** The model JSON saved beside the weights; without it, a full-model file's own model_config is used. */
  modelJson?: string;
  height?: number;
  width?: number;
}

export async function importKerasWeights(file: string, options: KerasImportOptions = {}): Promise<KerasImport> {
  if (!fs.existsSync(file)) throw new KerasImportError(`${file} does not exist.`);
  refuseTheanoFolder(file);
  try {
    // A regular file (a FIFO or a device, or a link to one, is refused without blocking) of at most 1 GiB.
    checkRegularFile(file, KERAS_LIMITS.fileBytes, 'Keras weights file');
  } catch (e) {
    throw new KerasImportError((e as Error).message);
  }
  if (!hasSignature(file))
    throw new KerasImportError(`${file} is not an HDF5 file, so not Keras weights.${/\.json$/i.test(file) ? ' (A model JSON goes with --model-json, beside the .h5/.hdf5 weights.)' : ''}`);
  // Read the JSON first: a bad JSON is refused before any HDF5 work.
  const jsonText = options.modelJson ? readJsonText(options.modelJson) : null;
  const fromJson = jsonText !== null ? parseModelJson(jsonText, `The model JSON ${options.modelJson}`) : null;
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash); // streamed: the file is not held twice in memory
  const sha256 = hash.digest('hex');
  const lib = await h5wasm();
  let f: InstanceType<H5['File']>;
  try {
    f = new lib.File(file, 'r');
  } catch (e) {
    throw new KerasImportError(`${file} cannot be read as HDF5; it is truncated or damaged (${hdf5Reason(e)}).`);
  }
  const notes: string[] = [];
  try {
    const get = linkSafeGet(f, file);
    const mw = get(f, 'model_weights');
    const layout = mw && mw instanceof lib.Group ? 'full-model' : 'save_weights';
    const root = (layout === 'full-model' ? mw : f) as H5Group;
    const layerNames = strings(attr(root, 'layer_names'));
    if (layerNames.length === 0) throw new KerasImportError(`${file} is an HDF5 file but not a Keras weights file (no 'layer_names' attribute${layout === 'full-model' ? ' in model_weights' : ''}).`);
    const backend = text(attr(f, 'backend') ?? attr(root, 'backend'));
    const kerasVersion = text(attr(f, 'keras_version') ?? attr(root, 'keras_version'));
    if (backend === 'theano')
      throw new KerasImportError(`${file} holds Theano-trained weights (backend 'theano': flipped kernels). PredLab imports the TensorFlow-ordered weights only (the release's tensorflow_weights/ folder).`);
    const layer = layerNames.find((n) => {
      const g = get(root, n);
      return g instanceof lib.Group && strings(attr(g, 'weight_names')).some((w) => WEIGHT_NAME.test(w));
    });
    if (!layer) throw new KerasImportError(`${file} is a Keras weights file without a PredNet layer (layers: ${layerNames.join(', ')}).`);
    const group = get(root, layer) as H5Group;
    const raw = new Map<string, { shape: number[]; data: Float32Array }>();
    const listed = strings(attr(group, 'weight_names'));
    // The budget of the whole import, from the declared shapes, before any tensor is read.
    let declared = 0;
    for (const wn of listed) {
      const ds = get(group, wn);
      if (ds instanceof lib.Dataset) declared += ((ds as H5Dataset).shape ?? []).reduce((a, b) => a * b, 1);
    }
    if (declared > KERAS_LIMITS.totalValues)
      throw new KerasImportError(`${file} declares ${declared.toLocaleString('en')} weight values in ${layer}; an import reads at most ${KERAS_LIMITS.totalValues.toLocaleString('en')} (nothing was read).`);
    for (const wn of listed) {
      const m = WEIGHT_NAME.exec(wn);
      if (!m) throw new KerasImportError(`Unexpected weight '${wn}' in layer ${layer}: not a PredNet weight.`);
      const kind = m[3] === 'W' ? 'kernel' : m[3] === 'b' ? 'bias' : m[3]!;
      const name = `layer_${m[1]}_${m[2]}/${kind}`;
      if (raw.has(name)) throw new KerasImportError(`${file} lists the weight ${name} twice in ${layer}; the file is damaged.`);
      raw.set(name, readFloats(lib, group, wn, file, get));
    }
    // Full-model files carry their own model JSON and the training setup.
    const configText = text(attr(f, 'model_config'));
    const fromFile = configText ? parseModelJson(configText, `The model_config attribute of ${file}`) : null;
    const trainingText = text(attr(f, 'training_config'));
    let training: KerasImportInfo['training'] = null;
    if (trainingText) {
      try {
        const t = JSON.parse(trainingText) as { optimizer_config?: { class_name?: string }; loss?: unknown };
        training = { optimizer: t.optimizer_config?.class_name ?? null, loss: t.loss ?? null };
      } catch {
        notes.push('The training_config attribute is not valid JSON; ignored.');
      }
    }
    const opt = get(f, 'optimizer_weights');
    const optimizerTensors = opt instanceof lib.Group ? strings(attr(opt, 'weight_names')).length : 0;
    if (optimizerTensors > 0) notes.push(`The file's optimizer state (${optimizerTensors} tensors) is not imported; training from this checkpoint starts a fresh Adam.`);
    const arch = fromJson ?? fromFile ?? {};
    if (fromJson && fromFile) compareArch(fromJson, fromFile, options.modelJson!, file);
    const config = inferConfig(raw, file, options, arch, notes);
    checkWeightShapes(raw, config, file);
    const extrapStartTime = arch.extrapStartTime ?? null;
    const weights = new Map([...raw].map(([k, v]) => [k, tf.tensor(v.data, v.shape, 'float32')]));
    return {
      config,
      weights,
      extrapStartTime,
      info: {
        layout,
        kerasVersion: kerasVersion ?? arch.kerasVersion ?? null,
        backend,
        layer,
        sha256,
        dataFormat: arch.dataFormat ?? null,
        timesteps: arch.timesteps ?? null,
        layerLossWeights: readLayerLossWeights(lib, root, layerNames, layer, config.stackSizes.length, get),
        optimizerTensors,
        training,
        modelJson: jsonText !== null ? { file: path.resolve(options.modelJson!), sha256: crypto.createHash('sha256').update(jsonText).digest('hex') } : null,
        notes,
      },
    };
  } catch (e) {
    if (e instanceof KerasImportError) throw e;
    // h5wasm throws HDF5's error stack (or bare errors) from inside the library.
    throw new KerasImportError(`${file} cannot be read completely; it is truncated or damaged (${hdf5Reason(e)}).`);
  } finally {
    try {
      f.close();
    } catch {
      /* a damaged file may fail to close; nothing was written */
    }
  }
}

function readFloats(lib: H5, group: H5Group, wn: string, file: string, get: SafeGet): { shape: number[]; data: Float32Array } {
  const ds = get(group, wn);
  if (!(ds instanceof lib.Dataset)) throw new KerasImportError(`${file} is truncated or damaged: weight '${wn}' is listed but has no data.`);
  const shape = (ds as H5Dataset).shape ?? [];
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > KERAS_LIMITS.tensorValues) throw new KerasImportError(`Weight '${wn}' has ${n} values (shape ${shape}); weights over ${KERAS_LIMITS.tensorValues} values are refused.`);
  // Declared type checked before reading (H5T_FLOAT is class 1): a string or compound tensor is never loaded.
  if ((ds as H5Dataset).metadata?.type !== 1) throw new KerasImportError(`Weight '${wn}' in ${file} is not floating-point data.`);
  let value;
  try {
    value = (ds as H5Dataset).value;
  } catch (e) {
    throw new KerasImportError(`${file} is truncated or damaged: cannot read '${wn}' (${hdf5Reason(e)}).`);
  }
  if (!(value instanceof Float32Array || value instanceof Float64Array)) throw new KerasImportError(`Weight '${wn}' is not floating-point data.`);
  if (value.length !== n) throw new KerasImportError(`${file} is damaged: weight '${wn}' has ${value.length} values for shape (${shape}).`);
  return { shape, data: Float32Array.from(value) };
}

/**
 * kitti_train.py weighs the layers' errors with a frozen TimeDistributed(Dense(1)) after the
 * PredNet layer: its kernel tells an "L0" model ([1,0,0,0]) from an "L_all" one ([1,0.1,0.1,0.1]).
 */
function readLayerLossWeights(lib: H5, root: H5Group, layerNames: string[], prednetLayer: string, L: number, get: SafeGet): number[] | null {
  for (const n of layerNames.slice(layerNames.indexOf(prednetLayer) + 1)) {
    const g = get(root, n);
    if (!(g instanceof lib.Group)) continue;
    const kernel = strings(attr(g, 'weight_names')).find((w) => /kernel(:\d+)?$|_W$/.test(w));
    if (!kernel) continue;
    const ds = get(g, kernel);
    if (!(ds instanceof lib.Dataset) || (ds.shape ?? []).join() !== `${L},1`) return null;
    const v = ds.value;
    return v instanceof Float32Array || v instanceof Float64Array ? [...v].map((x) => Math.round(x * 1e6) / 1e6) : null;
  }
  return null;
}

const ARCH_KEYS = ['stackSizes', 'rStackSizes', 'aFiltSizes', 'ahatFiltSizes', 'rFiltSizes'] as const;

function compareArch(json: ModelJsonArch, own: ModelJsonArch, jsonFile: string, file: string): void {
  for (const key of ARCH_KEYS)
    if (json[key] && own[key] && json[key]!.join() !== own[key]!.join())
      throw new KerasImportError(`The model JSON ${jsonFile} says ${key} = [${json[key]}], the model_config in ${file} says [${own[key]}]: they belong to different models.`);
}

function inferConfig(raw: Map<string, { shape: number[] }>, file: string, options: KerasImportOptions, arch: ModelJsonArch, notes: string[]): PredNetConfig {
  const kernels = [...raw].filter(([k]) => k.endsWith('/kernel')).map(([, v]) => v.shape);
  if (kernels.some((s) => s.length !== 4)) throw new KerasImportError(`${file}: PredNet kernels must be 4-D; found shapes ${kernels.map((s) => `(${s})`).join(' ')}.`);
  const tfOrder = kernels.every((s) => s[0] === s[1]);
  if (!tfOrder && kernels.every((s) => s[2] === s[3]))
    throw new KerasImportError(`${file} has kernels in Theano order (out, in, h, w): these are Theano-trained weights with flipped kernels. Use the TensorFlow weights (tensorflow_weights/).`);
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
  const what = options.modelJson ? 'The model JSON' : `The model_config in ${file}`;
  for (const [key, fromWeights] of Object.entries({ stackSizes, rStackSizes, aFiltSizes, ahatFiltSizes, rFiltSizes })) {
    const fromJson = arch[key as keyof ModelJsonArch] as number[] | undefined;
    if (fromJson && fromJson.join() !== fromWeights.join())
      throw new KerasImportError(`${what} says ${key} = [${fromJson}], the weights say [${fromWeights}]: they belong to different models.`);
  }
  if (arch.channels !== undefined && arch.channels !== stackSizes[0])
    throw new KerasImportError(`${what} says the input has ${arch.channels} channels (${arch.dataFormat ?? 'channels_last'}), the weights take ${stackSizes[0]}: they belong to different models.`);
  const height = options.height ?? arch.height ?? 128;
  const width = options.width ?? arch.width ?? 160;
  // PredNet is convolutional: it runs at other sizes, but say so when the given size replaces the model's.
  if ((options.height !== undefined && arch.height !== undefined && options.height !== arch.height) || (options.width !== undefined && arch.width !== undefined && options.width !== arch.width))
    notes.push(`Input size ${height}x${width} (--height/--width) replaces the ${arch.height}x${arch.width} the model was trained at.`);
  if (options.height === undefined && arch.height === undefined) notes.push('Input size not given (no --model-json, --height/--width): assumed KITTI 128x160.');
  const parsed = predNetConfigSchema.safeParse({ height, width, stackSizes, rStackSizes, aFiltSizes, ahatFiltSizes, rFiltSizes, pixelMax: 1 });
  if (!parsed.success) throw new KerasImportError(`The inferred architecture is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** Every weight of the inferred PredNet present with its shape, and no other: a clear error instead of one from deep in the model. */
function checkWeightShapes(raw: Map<string, { shape: number[] }>, config: PredNetConfig, file: string): void {
  const expected = kerasWeightShapes(config);
  for (const [name, shape] of expected) {
    const got = raw.get(name);
    if (!got) throw new KerasImportError(`${file} is missing the weight ${name}; the PredNet is incomplete.`);
    if (got.shape.join() !== shape.join())
      throw new KerasImportError(`${file}: the weight ${name} is (${got.shape.join(', ')}), the rest of the PredNet needs (${shape.join(', ')}); the file is damaged or mixes models.`);
  }
  for (const name of raw.keys()) if (!expected.has(name)) throw new KerasImportError(`${file} holds a weight ${name} that a ${config.stackSizes.length}-layer PredNet does not have; the file is damaged or mixes models.`);
}

/**
 * Import a Keras file into a new checkpoint folder (written whole or not at all). The source
 * records where the weights came from (file, SHA-256, Keras version, data format, loss, ...)
 * plus anything the caller adds (a release's URL and checksums).
 */
export async function importToCheckpoint(file: string, outDir: string, options: KerasImportOptions & { source?: Record<string, unknown>; beforeWrite?: () => void } = {}): Promise<{ manifest: Manifest; imported: KerasImport }> {
  const { source, beforeWrite, ...importOptions } = options;
  const r = await importKerasWeights(file, importOptions);
  let net: PredNet;
  try {
    net = PredNet.fromKeras(r.config, r.weights);
  } finally {
    tf.dispose([...r.weights.values()]);
  }
  try {
    // The file is read and checked: only now may the caller create anything (e.g. its database).
    beforeWrite?.();
    const manifest = await saveCheckpoint(outDir, net, { source: { kind: 'keras-import', file: path.resolve(file), ...r.info, ...source }, extrapStartTime: r.extrapStartTime });
    return { manifest, imported: r };
  } finally {
    net.dispose();
  }
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
