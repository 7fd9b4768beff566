/**
 * Checkpoints: a folder with predlab-checkpoint.json (architecture, weight manifest, training
 * metadata) and weights.bin (float32, little-endian, Keras weight names). Saved to a temporary
 * folder and swapped in by rename, so an interrupted save never leaves a broken checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { predNetConfigSchema, type PredNetConfig } from './prednet/config.js';
import { PredNet } from './prednet/model.js';

export const CHECKPOINT_FILE = 'predlab-checkpoint.json';
export const WEIGHTS_FILE = 'weights.bin';
const FORMAT = 'predlab-prednet';

const entrySchema = z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), offset: z.number().int().nonnegative() });

export const trainingMetaSchema = z
  .object({
    step: z.number().int().nonnegative(),
    epoch: z.number().int().nonnegative(),
    seed: z.number().int(),
    dataset: z.record(z.string(), z.unknown()),
    options: z.record(z.string(), z.unknown()),
    history: z.array(z.object({ epoch: z.number(), step: z.number(), loss: z.number(), valLoss: z.number().nullable(), lr: z.number() })),
    bestValLoss: z.number().nullable(),
    finished: z.boolean(),
  })
  .passthrough();
export type TrainingMeta = z.infer<typeof trainingMetaSchema>;

const manifestSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  config: predNetConfigSchema,
  weights: z.array(entrySchema),
  optimizer: z.array(entrySchema).default([]),
  source: z.record(z.string(), z.unknown()),
  training: trainingMetaSchema.nullable().default(null),
  createdAt: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface LoadedCheckpoint {
  dir: string;
  manifest: Manifest;
  net: PredNet;
  /** Adam state (for resuming training), in tfjs's optimizer.getWeights() naming. */
  optimizer: NamedTensor[];
}

/** Read and validate the manifest only (cheap; no weights). */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(dir)) throw new CheckpointError(`No checkpoint at ${dir}: the folder does not exist.`);
  if (!fs.existsSync(file)) throw new CheckpointError(`${dir} is not a PredLab checkpoint (no ${CHECKPOINT_FILE}). Keras .h5 weights are imported with 'predlab model import-keras'.`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`${file} is not valid JSON (${(e as Error).message}); the checkpoint is damaged.`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new CheckpointError(`${file} is not a PredLab checkpoint manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function readTensors(buf: Buffer, entries: z.infer<typeof entrySchema>[], what: string): tf.Tensor[] {
  return entries.map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + n * 4 > buf.length) throw new CheckpointError(`${WEIGHTS_FILE} is truncated: ${what} ${e.name} needs bytes ${e.offset}..${e.offset + n * 4}, the file has ${buf.length}.`);
    // Copy out (aligned) as float32; every platform Electron runs on is little-endian.
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + n * 4));
    return tf.tensor(data, e.shape, 'float32');
  });
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const manifest = readManifest(dir);
  const binFile = path.join(dir, WEIGHTS_FILE);
  if (!fs.existsSync(binFile)) throw new CheckpointError(`${dir} has no ${WEIGHTS_FILE}; the checkpoint is incomplete.`);
  const buf = fs.readFileSync(binFile);
  const expected = [...manifest.weights, ...manifest.optimizer].reduce((end, e) => Math.max(end, e.offset + e.shape.reduce((a, b) => a * b, 1) * 4), 0);
  if (buf.length !== expected) throw new CheckpointError(`${WEIGHTS_FILE} is ${buf.length} bytes; the manifest describes ${expected}. The checkpoint is damaged or mixed with another one.`);
  const weights = readTensors(buf, manifest.weights, 'weight');
  const keras = new Map(manifest.weights.map((e, i) => [e.name, weights[i]!]));
  let net: PredNet;
  try {
    net = PredNet.fromKeras(manifest.config, keras);
  } catch (e) {
    throw new CheckpointError(`The weights in ${dir} do not fit its architecture: ${(e as Error).message}`);
  } finally {
    tf.dispose(weights);
  }
  const opt = readTensors(buf, manifest.optimizer, 'optimizer state');
  return { dir, manifest, net, optimizer: manifest.optimizer.map((e, i) => ({ name: e.name, tensor: opt[i]! })) };
}

export interface SaveOptions {
  source: Record<string, unknown>;
  training?: TrainingMeta | null;
  optimizer?: NamedTensor[];
}

export async function saveCheckpoint(dir: string, net: PredNet, options: SaveOptions): Promise<Manifest> {
  const keras = net.kerasWeights();
  const chunks: Buffer[] = [];
  let offset = 0;
  const put = async (name: string, t: tf.Tensor) => {
    const data = (await t.data()) as Float32Array;
    const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    chunks.push(Buffer.from(b)); // copy: tfjs may reuse the array
    const entry = { name, shape: t.shape, offset };
    offset += b.length;
    return entry;
  };
  const weights = [];
  for (const [name, t] of keras) weights.push(await put(name, t));
  tf.dispose([...keras.values()]);
  const optimizer = [];
  for (const o of options.optimizer ?? []) optimizer.push(await put(o.name, o.tensor));
  const manifest: Manifest = {
    format: FORMAT,
    version: 1,
    config: net.config,
    weights,
    optimizer,
    source: options.source,
    training: options.training ?? null,
    createdAt: new Date().toISOString(),
  };
  writeCheckpointFiles(dir, manifest, Buffer.concat(chunks));
  return manifest;
}

/** Write into a sibling temporary folder, then swap it in with renames. */
function writeCheckpointFiles(dir: string, manifest: Manifest, weights: Buffer): void {
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.saving-`));
  try {
    fs.writeFileSync(path.join(tmp, WEIGHTS_FILE), weights);
    fs.writeFileSync(path.join(tmp, CHECKPOINT_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    if (fs.existsSync(dir)) {
      if (!fs.existsSync(path.join(dir, CHECKPOINT_FILE)) && fs.readdirSync(dir).length > 0)
        throw new CheckpointError(`${dir} exists and is not a PredLab checkpoint; refusing to overwrite it.`);
      const old = `${tmp}.old`;
      fs.renameSync(dir, old);
      fs.renameSync(tmp, dir);
      fs.rmSync(old, { recursive: true, force: true });
    } else fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (e instanceof CheckpointError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new CheckpointError(`Could not save the checkpoint to ${dir}: ${err.code === 'ENOSPC' ? 'the disk is full' : err.message}. Any earlier checkpoint there is unchanged.`);
  }
}

export function describeCheckpoint(m: Manifest): Record<string, unknown> {
  const c: PredNetConfig = m.config;
  return {
    format: `${m.format} v${m.version}`,
    input: `${c.height}x${c.width}x${c.stackSizes[0]}`,
    layers: c.stackSizes.length,
    stackSizes: c.stackSizes,
    rStackSizes: c.rStackSizes,
    parameters: m.weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0),
    source: m.source,
    createdAt: m.createdAt,
    training: m.training ? { step: m.training.step, epoch: m.training.epoch, bestValLoss: m.training.bestValLoss, finished: m.training.finished, lastLoss: m.training.history.at(-1)?.loss ?? null } : null,
  };
}
