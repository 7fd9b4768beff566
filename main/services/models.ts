/** Model checkpoints known to the lab: the database holds their metadata, the folder their weights. */
import path from 'node:path';
import { CheckpointError, describeCheckpoint, loadCheckpoint, readManifest, verifyCheckpoint, type LoadedCheckpoint } from '../../native-models/checkpoint.js';
import { evenlySpaced, sequenceStarts } from '../../native-models/training/data.js';
import { naturalVideo, PURE_PANS } from '../../native-models/training/natural.js';
import { proceduralVideo } from '../../native-models/training/procedural.js';
import { predictionScores } from '../../native-models/training/score.js';
import type { ModelInfo } from '../../preload/contract.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { decodeImage, listNaturalImages } from './datasets-natural.js';
import { parseStored } from '../store/rows.js';

/** As the contract describes a model to the renderer. */
export type ModelRecord = ModelInfo;

interface Row {
  id: number;
  path: string;
  label: string;
  parameters: number;
  config: string;
  source: string;
  training: string | null;
  registered_at: string;
  updated_at: string;
  weights_sha256: string | null;
}

const toRecord = (r: Row): ModelRecord => ({
  id: r.id,
  path: r.path,
  label: r.label,
  parameters: r.parameters,
  config: parseStored(r.config, `models row ${r.id} (config)`),
  source: parseStored(r.source, `models row ${r.id} (source)`),
  training: r.training ? parseStored(r.training, `models row ${r.id} (training)`) : null,
  registeredAt: r.registered_at,
  updatedAt: r.updated_at,
});

/**
 * Add or refresh a checkpoint folder's entry (by absolute path), with the SHA-256 of its
 * weights.bin. `keepWeights`: a folder already registered keeps the weights it was registered
 * with (a model session registering the folder it ran; checkRegisteredWeights refused a change
 * before); otherwise the folder's present weights are recorded (a checkpoint just written).
 */
export function registerCheckpoint(db: Db, dir: string, label?: string, opts: { weightsSha256?: string; keepWeights?: boolean } = {}): ModelRecord {
  const abs = path.resolve(dir);
  let manifest;
  let weightsSha256 = opts.weightsSha256;
  try {
    if (weightsSha256 === undefined) ({ manifest, weightsSha256 } = verifyCheckpoint(abs));
    else manifest = readManifest(abs);
  } catch (e) {
    throw new PredlabError(e instanceof CheckpointError ? 'invalid-argument' : 'internal', (e as Error).message);
  }
  const info = describeCheckpoint(manifest);
  db.prepare(
    `INSERT INTO models (path, label, config, parameters, source, training, weights_sha256) VALUES (@path, @label, @config, @parameters, @source, @training, @sha)
     ON CONFLICT(path) DO UPDATE SET config = @config, parameters = @parameters, source = @source, training = @training,
       label = COALESCE(@explicitLabel, label), weights_sha256 = ${opts.keepWeights ? 'COALESCE(weights_sha256, @sha)' : '@sha'},
       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  ).run({
    path: abs,
    label: label ?? path.basename(abs),
    explicitLabel: label ?? null,
    config: JSON.stringify(manifest.config),
    parameters: info.parameters as number,
    source: JSON.stringify(manifest.source),
    training: manifest.training ? JSON.stringify(info.training) : null,
    sha: weightsSha256,
  });
  return toRecord(db.prepare('SELECT * FROM models WHERE path = ?').get(abs) as Row);
}

/**
 * Refuses weights that are not those the lab registered for this folder: a version 1 manifest
 * has no checksums of its own, so an edited manifest (or a copied-over weights.bin) would
 * otherwise answer as the registered model. A folder the lab does not know, or registered before
 * weights were recorded, passes.
 */
export function checkRegisteredWeights(db: Db, dir: string, weightsSha256: string): void {
  const row = db.prepare('SELECT id, label, weights_sha256, updated_at FROM models WHERE path = ?').get(path.resolve(dir)) as Pick<Row, 'id' | 'label' | 'weights_sha256' | 'updated_at'> | undefined;
  if (!row?.weights_sha256 || row.weights_sha256 === weightsSha256) return;
  throw new PredlabError(
    'invalid-argument',
    `${path.join(path.resolve(dir), 'weights.bin')} is not the file registered as model ${row.id} ('${row.label}', ${row.updated_at.slice(0, 10)}): its SHA-256 is ${weightsSha256.slice(0, 12)}…, the lab recorded ${row.weights_sha256.slice(0, 12)}…. Restore the checkpoint from a copy; new weights belong in a new folder.`,
  );
}

/** loadCheckpoint, refused (what it made freed) when the folder's weights are not those the lab registered for it. */
export function loadRegisteredCheckpoint(db: Db, dir: string): LoadedCheckpoint {
  const loaded = loadCheckpoint(dir);
  try {
    checkRegisteredWeights(db, dir, loaded.weightsSha256);
  } catch (e) {
    loaded.net.dispose();
    for (const o of loaded.optimizer) o.tensor.dispose();
    throw e;
  }
  return loaded;
}

export function getModel(db: Db, id: number): ModelRecord {
  const row = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw new PredlabError('not-found', `No model with id ${id}.`);
  return toRecord(row);
}

export function listModels(db: Db): ModelRecord[] {
  return (db.prepare('SELECT * FROM models ORDER BY id').all() as Row[]).map(toRecord);
}

/** Stated limits of a prediction score on fresh video (it runs the model on every sequence). */
export const SCORE_LIMITS = { maxRecordings: 200, maxSequences: 2000, framesPerRecording: 30, nt: 10 } as const;

export interface ScoreOptions {
  recordings?: number;
  seed?: number;
  maxSequences?: number;
  /**
   * Natural-image motion over these photographs (a folder, as `dataset natural` takes) instead of
   * procedural video; `pans`: camera pans only (no cut-outs, zooms, turns or blur).
   */
  images?: { folder: string; pans: boolean };
}

export interface FreshVideoScore {
  model: number;
  copyLastFrame: number;
  ratio: number;
  sequences: number;
  recordings: number;
  seed: number;
  /** What the video was, in words. */
  data: string;
  /** Per colour channel: mean absolute errors and mean values of the frames and of the predictions. */
  perChannel: { modelAbsError: number[]; copyLastAbsError: number[]; frameMean: number[]; predictionMean: number[] };
}

/**
 * How a checkpoint predicts on video it never saw, at its own size, against copying the last
 * frame: procedural video (the generator the procedural default trained on) or natural-image
 * motion over a folder of photographs. Mean |E0| over frames 1..nt-1, as the training loss. The
 * caller initialises the tensor backend; this is heavy work (a worker or the CLI, not the main thread).
 */
export async function scoreOnFreshVideo(dir: string, options: ScoreOptions = {}): Promise<FreshVideoScore> {
  const recordings = options.recordings ?? 40;
  if (!Number.isInteger(recordings) || recordings < 1 || recordings > SCORE_LIMITS.maxRecordings)
    throw new PredlabError('invalid-argument', `recordings must be a whole number from 1 to ${SCORE_LIMITS.maxRecordings}; got ${recordings}.`);
  const seed = options.seed ?? 20261135;
  // Measured: about 0.25 s per frame for the default model's size on this loaded 2-core machine.
  const maxSequences = options.maxSequences ?? 120;
  if (!Number.isInteger(maxSequences) || maxSequences < 1 || maxSequences > SCORE_LIMITS.maxSequences)
    throw new PredlabError('invalid-argument', `maxSequences must be a whole number from 1 to ${SCORE_LIMITS.maxSequences}; got ${maxSequences}.`);
  // Photographs are listed and decoded (each checked) before the model is loaded.
  const photos = options.images ? await Promise.all(listNaturalImages(options.images.folder).map(async (f) => (await decodeImage(f)).image)) : null;
  let loaded;
  try {
    loaded = loadCheckpoint(dir);
  } catch (e) {
    throw new PredlabError(e instanceof CheckpointError ? 'invalid-argument' : 'internal', (e as Error).message);
  }
  try {
    const { height, width, stackSizes } = loaded.manifest.config;
    const channels = stackSizes[0]!;
    if (photos && channels !== 3) throw new PredlabError('invalid-argument', `${dir} takes ${channels}-channel frames; natural-image video is in colour (3 channels). Score it without --images.`);
    const common = { height, width, recordings, framesPerRecording: SCORE_LIMITS.framesPerRecording, seed };
    const video = photos ? naturalVideo(photos, { ...common, ...(options.images!.pans ? PURE_PANS : {}) }) : proceduralVideo({ ...common, channels });
    const data = photos
      ? `${options.images!.pans ? 'camera pans' : 'natural-image motion (pans, zooms, turns, moving cut-outs)'} over the ${photos.length} photograph(s) in ${options.images!.folder}`
      : 'procedural video (moving shapes) the model never saw';
    // Evenly spaced over every recording when there are more than maxSequences.
    const starts = evenlySpaced(sequenceStarts(video.recordings, SCORE_LIMITS.nt), maxSequences);
    const s = await predictionScores(video, starts, SCORE_LIMITS.nt, loaded.net);
    const pc = s.perChannel;
    return { model: s.model!, copyLastFrame: s.copyLastFrame, ratio: s.model! / s.copyLastFrame, sequences: s.sequences, recordings, seed, data, perChannel: { modelAbsError: pc.modelAbsError!, copyLastAbsError: pc.copyLastAbsError, frameMean: pc.frameMean, predictionMean: pc.predictionMean! } };
  } finally {
    loaded.net.dispose();
  }
}
