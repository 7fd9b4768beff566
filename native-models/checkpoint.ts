/**
 * Checkpoints: a folder with predlab-checkpoint.json (architecture, weight manifest, training
 * metadata) and weights.bin (float32, little-endian, Keras weight names). Saved to a temporary
 * folder and swapped in by rename, so an interrupted save never leaves a broken checkpoint.
 * Version 2 manifests record a SHA-256 per tensor, checked on every load: swapped offsets,
 * duplicated or overlapping entries and flipped bytes are refused instead of run scrambled.
 */
import * as tf from '@tensorflow/tfjs-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { predNetConfigSchema, type PredNetConfig } from './prednet/config.js';
import { PredNet } from './prednet/model.js';
import { makeStagingDir, staleStagingDirs } from './staging.js';

export const CHECKPOINT_FILE = 'predlab-checkpoint.json';
export const WEIGHTS_FILE = 'weights.bin';
const FORMAT = 'predlab-prednet';

/** Stated limits on what a checkpoint may be (KITTI PredNet with Adam state: about 83 MB). */
export const CHECKPOINT_LIMITS = { manifestBytes: 16 << 20, weightsBytes: 2 ** 31, entries: 10_000 } as const;

const entrySchema = z.object({
  name: z.string().min(1).max(200),
  shape: z.array(z.number().int().nonnegative().max(2 ** 31)).max(8),
  offset: z.number().int().nonnegative(),
  /** SHA-256 of the tensor's bytes (version 2 on). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
type Entry = z.infer<typeof entrySchema>;

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
  /** 1: no checksums (older checkpoints, still read); 2: a SHA-256 per tensor. */
  version: z.union([z.literal(1), z.literal(2)]),
  config: predNetConfigSchema,
  weights: z.array(entrySchema).max(CHECKPOINT_LIMITS.entries),
  optimizer: z.array(entrySchema).max(CHECKPOINT_LIMITS.entries).default([]),
  /** From this step on, runs feed the model's own prediction back as input unless told otherwise (the extrapolation-finetuned KITTI model: 10). */
  extrapStartTime: z.number().int().nonnegative().max(100_000).nullable().default(null),
  source: z.record(z.string(), z.unknown()),
  training: trainingMetaSchema.nullable().default(null),
  createdAt: z.string(),
}).superRefine((m, ctx) => {
  if (m.version === 2)
    for (const [key, list] of [['weights', m.weights], ['optimizer', m.optimizer]] as const)
      list.forEach((e, i) => {
        if (!e.sha256) ctx.addIssue({ code: 'custom', path: [key, i, 'sha256'], message: `version 2 checkpoints record a sha256 for every tensor; ${e.name} has none` });
      });
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
  /** Adam state (for resuming training), in optimizer.getWeights() order: 'iter', then '<weight>/m' for every weight, then '<weight>/v'. */
  optimizer: NamedTensor[];
  /** SHA-256 of the whole weights.bin as read (version 1 checkpoints have no per-tensor ones: the lab keeps this). */
  weightsSha256: string;
}

/** Read and validate the manifest only (cheap; no weights). */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(dir) && !recoverInterruptedSave(dir)) throw new CheckpointError(`No checkpoint at ${dir}: the folder does not exist.`);
  if (!fs.existsSync(file)) throw new CheckpointError(`${dir} is not a PredLab checkpoint (no ${CHECKPOINT_FILE}). Keras .h5 weights are imported with 'predlab model import-keras'.`);
  const size = fs.statSync(file).size;
  if (size > CHECKPOINT_LIMITS.manifestBytes) throw new CheckpointError(`${file} is ${size} bytes; manifests over ${CHECKPOINT_LIMITS.manifestBytes} bytes are refused. The checkpoint is damaged or not PredLab's.`);
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

const valuesOf = (e: Entry) => e.shape.reduce((a, b) => a * b, 1);
const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

/**
 * Which weights a checkpoint holds, from its manifest alone: the SHA-256 of its tensors' names and
 * SHA-256s in order. Recorded with a model's session, so a checkpoint folder whose weights were
 * later replaced (a new default model) is not taken for the one that answered. Null for version 1
 * checkpoints (no per-tensor checksums).
 */
export function weightsFingerprint(m: Pick<Manifest, 'weights'>): string | null {
  if (m.weights.some((e) => !e.sha256)) return null;
  return crypto.createHash('sha256').update(m.weights.map((e) => `${e.name}:${e.sha256}`).join('\n')).digest('hex');
}

/**
 * Check weights.bin against the manifest before any tensor is made: names unique, byte ranges
 * inside the file, not overlapping and covering it exactly, and each tensor's SHA-256.
 */
function verifyWeights(dir: string, manifest: Manifest): Buffer {
  const binFile = path.join(dir, WEIGHTS_FILE);
  if (!fs.existsSync(binFile)) throw new CheckpointError(`${dir} has no ${WEIGHTS_FILE}; the checkpoint is incomplete.`);
  const size = fs.statSync(binFile).size;
  if (size > CHECKPOINT_LIMITS.weightsBytes) throw new CheckpointError(`${WEIGHTS_FILE} in ${dir} is ${size} bytes; checkpoints over ${CHECKPOINT_LIMITS.weightsBytes} bytes (2 GiB) are refused.`);
  const all = [...manifest.weights.map((e) => ({ e, what: 'weight' })), ...manifest.optimizer.map((e) => ({ e, what: 'optimizer state' }))];
  // Weights are found by name, so a name listed twice is damage. (Optimizer state is restored by position.)
  const seen = new Set<string>();
  for (const e of manifest.weights) {
    if (seen.has(e.name)) throw new CheckpointError(`The manifest in ${dir} lists the weight ${e.name} twice; the checkpoint is damaged.`);
    seen.add(e.name);
  }
  const expected = all.reduce((end, { e }) => Math.max(end, e.offset + valuesOf(e) * 4), 0);
  if (size !== expected) throw new CheckpointError(`${WEIGHTS_FILE} is ${size} bytes; the manifest describes ${expected}. The checkpoint is damaged or mixed with another one.`);
  const sorted = [...all].sort((a, b) => a.e.offset - b.e.offset);
  let end = 0;
  for (const { e } of sorted) {
    if (e.offset !== end)
      throw new CheckpointError(`The manifest in ${dir} ${e.offset < end ? `has ${e.name} overlapping the tensor before it (bytes ${e.offset}..${end})` : `leaves bytes ${end}..${e.offset} of ${WEIGHTS_FILE} unaccounted for`}; the checkpoint is damaged.`);
    end = e.offset + valuesOf(e) * 4;
  }
  const buf = fs.readFileSync(binFile);
  for (const { e, what } of all) {
    if (!e.sha256) continue; // version 1
    const got = sha256(buf.subarray(e.offset, e.offset + valuesOf(e) * 4));
    if (got !== e.sha256)
      throw new CheckpointError(`${WEIGHTS_FILE} in ${dir} does not match its manifest: the ${what} ${e.name} (bytes ${e.offset}..${e.offset + valuesOf(e) * 4}) has SHA-256 ${got.slice(0, 12)}…, the manifest records ${e.sha256.slice(0, 12)}…. The checkpoint is damaged; restore it from a copy.`);
  }
  return buf;
}

function readTensors(buf: Buffer, entries: Entry[]): tf.Tensor[] {
  // Copy out (aligned) as float32; every platform Electron runs on is little-endian.
  return entries.map((e) => tf.tensor(new Float32Array(buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + valuesOf(e) * 4)), e.shape, 'float32'));
}

/** Read the manifest and verify weights.bin against it (sizes, layout, per-tensor SHA-256); no tensors are made. */
export function verifyCheckpoint(dir: string): { manifest: Manifest; checksums: boolean; weightsSha256: string } {
  const manifest = readManifest(dir);
  const buf = verifyWeights(dir, manifest);
  return { manifest, checksums: manifest.version >= 2, weightsSha256: sha256(buf) };
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const manifest = readManifest(dir);
  const buf = verifyWeights(dir, manifest);
  const weights = readTensors(buf, manifest.weights);
  const keras = new Map(manifest.weights.map((e, i) => [e.name, weights[i]!]));
  let net: PredNet;
  try {
    net = PredNet.fromKeras(manifest.config, keras);
  } catch (e) {
    throw new CheckpointError(`The weights in ${dir} do not fit its architecture: ${(e as Error).message}`);
  } finally {
    tf.dispose(weights);
  }
  const opt = readTensors(buf, manifest.optimizer);
  return { dir, manifest, net, optimizer: manifest.optimizer.map((e, i) => ({ name: e.name, tensor: opt[i]! })), weightsSha256: sha256(buf) };
}

/**
 * The extrapolation step a run over `steps` frames uses by default: the checkpoint's own
 * extrapStartTime when it falls inside the run, else none (the model never gets to extrapolate).
 */
export function defaultExtrapStartTime(manifest: Manifest, steps: number): number | null {
  return manifest.extrapStartTime !== null && manifest.extrapStartTime < steps ? manifest.extrapStartTime : null;
}

export interface SaveOptions {
  source: Record<string, unknown>;
  training?: TrainingMeta | null;
  optimizer?: NamedTensor[];
  /** Kept from the source model (an imported extrapolation model); null or absent: none. */
  extrapStartTime?: number | null;
}

export async function saveCheckpoint(dir: string, net: PredNet, options: SaveOptions): Promise<Manifest> {
  const keras = net.kerasWeights();
  const chunks: Buffer[] = [];
  let offset = 0;
  const put = async (name: string, t: tf.Tensor) => {
    // weights.bin holds float32 only: an int32 tensor (Adam's 'iter') is stored as its value, not its bytes.
    const raw = await t.data();
    const data = raw instanceof Float32Array ? raw : Float32Array.from(raw as Int32Array);
    const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    chunks.push(Buffer.from(b)); // copy: tfjs may reuse the array
    const entry = { name, shape: t.shape, offset, sha256: sha256(b) };
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
    version: 2,
    config: net.config,
    weights,
    optimizer,
    extrapStartTime: options.extrapStartTime ?? null,
    source: options.source,
    training: options.training ?? null,
    createdAt: new Date().toISOString(),
  };
  writeCheckpointFiles(dir, manifest, Buffer.concat(chunks));
  return manifest;
}

/**
 * Finish what a save killed half-way left (see writeCheckpointFiles): a new copy whose `.old`
 * twin exists was complete before the swap began, so it goes into place if the folder is
 * missing; everything else of a dead process is removed. Returns whether `dir` was restored.
 */
export function recoverInterruptedSave(dir: string): boolean {
  let restored = false;
  try {
    const stale = staleStagingDirs(dir, 'saving');
    for (const tmp of stale.filter((d) => !d.endsWith('.old'))) {
      if (stale.includes(`${tmp}.old`) && !fs.existsSync(dir)) {
        fs.renameSync(tmp, dir);
        restored = true;
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    for (const old of stale.filter((d) => d.endsWith('.old') && fs.existsSync(d))) {
      if (!fs.existsSync(dir)) {
        fs.renameSync(old, dir);
        restored = true;
      } else fs.rmSync(old, { recursive: true, force: true });
    }
  } catch {
    // Best effort: a folder we may not write to stays as it is (the caller reports what it finds).
  }
  return restored;
}

/**
 * Record a measurement in the manifest's source (e.g. `validation`), weights untouched: the new
 * manifest is validated first, then written beside the old one and renamed over it, so a failure
 * leaves the checkpoint as it was.
 */
export function updateManifestSource(dir: string, patch: Record<string, unknown>): Manifest {
  const current = readManifest(dir);
  const parsed = manifestSchema.safeParse({ ...current, source: { ...current.source, ...patch } });
  if (!parsed.success) throw new CheckpointError(`The updated manifest would be invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const text = `${JSON.stringify(parsed.data, null, 2)}\n`;
  if (Buffer.byteLength(text) > CHECKPOINT_LIMITS.manifestBytes) throw new CheckpointError(`The updated manifest would be over ${CHECKPOINT_LIMITS.manifestBytes} bytes; nothing was written.`);
  const file = path.join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new CheckpointError(`Could not update ${file}: ${(e as Error).message}. The checkpoint is unchanged.`);
  }
  return parsed.data;
}

/** Write into a sibling staging folder, then swap it in with renames. */
function writeCheckpointFiles(dir: string, manifest: Manifest, weights: Buffer): void {
  recoverInterruptedSave(dir);
  const tmp = makeStagingDir(dir, 'saving');
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

const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

export function describeCheckpoint(m: Manifest): Record<string, unknown> {
  const c: PredNetConfig = m.config;
  return {
    format: `${m.format} v${m.version}`,
    input: `${c.height}x${c.width}x${c.stackSizes[0]}`,
    layers: c.stackSizes.length,
    stackSizes: c.stackSizes,
    rStackSizes: c.rStackSizes,
    parameters: m.weights.reduce((s, w) => s + valuesOf(w), 0),
    extrapStartTime: m.extrapStartTime,
    source: m.source,
    createdAt: m.createdAt,
    // validation / heldOut ({ model, copyLastFrame }) are passed on where recorded: Compare's checkpoint warning reads them.
    training: m.training
      ? { step: m.training.step, epoch: m.training.epoch, bestValLoss: m.training.bestValLoss, finished: m.training.finished, lastLoss: m.training.history.at(-1)?.loss ?? null, ...pick(m.training, ['validation', 'heldOut']) }
      : null,
  };
}
