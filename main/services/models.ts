/** Model checkpoints known to the lab: the database holds their metadata, the folder their weights. */
import path from 'node:path';
import { CheckpointError, describeCheckpoint, readManifest } from '../../native-models/checkpoint.js';
import type { ModelInfo } from '../../preload/contract.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';

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
}

const toRecord = (r: Row): ModelRecord => ({
  id: r.id,
  path: r.path,
  label: r.label,
  parameters: r.parameters,
  config: JSON.parse(r.config),
  source: JSON.parse(r.source),
  training: r.training ? JSON.parse(r.training) : null,
  registeredAt: r.registered_at,
  updatedAt: r.updated_at,
});

/** Add or refresh a checkpoint folder's entry (by absolute path). */
export function registerCheckpoint(db: Db, dir: string, label?: string): ModelRecord {
  const abs = path.resolve(dir);
  let manifest;
  try {
    manifest = readManifest(abs);
  } catch (e) {
    throw new PredlabError(e instanceof CheckpointError ? 'invalid-argument' : 'internal', (e as Error).message);
  }
  const info = describeCheckpoint(manifest);
  db.prepare(
    `INSERT INTO models (path, label, config, parameters, source, training) VALUES (@path, @label, @config, @parameters, @source, @training)
     ON CONFLICT(path) DO UPDATE SET config = @config, parameters = @parameters, source = @source, training = @training,
       label = COALESCE(@explicitLabel, label), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  ).run({
    path: abs,
    label: label ?? path.basename(abs),
    explicitLabel: label ?? null,
    config: JSON.stringify(manifest.config),
    parameters: info.parameters as number,
    source: JSON.stringify(manifest.source),
    training: manifest.training ? JSON.stringify(info.training) : null,
  });
  return toRecord(db.prepare('SELECT * FROM models WHERE path = ?').get(abs) as Row);
}

export function getModel(db: Db, id: number): ModelRecord {
  const row = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw new PredlabError('not-found', `No model with id ${id}.`);
  return toRecord(row);
}

export function listModels(db: Db): ModelRecord[] {
  return (db.prepare('SELECT * FROM models ORDER BY id').all() as Row[]).map(toRecord);
}
