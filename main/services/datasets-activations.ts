/**
 * A model session's activations: every answered trial's stimulus, rasterized as the model saw it
 * (the session's field of view and frame rate, the checkpoint's size), run through the session's
 * checkpoint, and the chosen layers written to HDF5, one dataset per layer of shape
 * (rows, h, w, c) float32, one row per trial and time step; a TSV index says which trial,
 * condition and time step each row is. Written layer by layer, trial by trial (the datasets grow
 * along the rows), under `.partial` names renamed at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint } from '../../native-models/checkpoint.js';
import { h5wasm, hdf5Reason } from '../../native-models/keras-import.js';
import { observerView } from '../../native-models/observer/observer.js';
import { storedObserverSettings } from '../../paradigms/observer-settings.js';
import { inferenceEngine, type InferenceEngine } from '../../native-models/onnx/engine.js';
import { parseOutputMode } from '../../native-models/prednet/config.js';
import { modelFrameCount, rasterizeTrial } from '../../paradigms/rasterize.js';
import { isDiskFull, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { cancelled } from './datasets-ffmpeg.js';
import { tryBeginJob, tryEndJob } from './jobs.js';
import { getSession, paradigmOf, trialRows } from './sessions.js';
import { parseStored } from '../store/rows.js';

/** Stated limits: layers named at once, and the size of all activations written. */
export const ACTIVATION_LIMITS = { layers: 16, bytes: 32 * 2 ** 30 } as const;

export interface ActivationsExport {
  out: string;
  index: string;
  trials: number;
  rows: number;
  layers: { name: string; shape: [number, number, number, number] }[];
  bytes: number;
}

/** `R0,E1` -> ['R0', 'E1'], checked against the model's layers. */
function parseLayers(spec: string[], config: Parameters<typeof parseOutputMode>[1]): string[] {
  const names = spec.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new PredlabError('invalid-argument', 'Name at least one layer, e.g. --activations R0,E1.');
  if (names.length > ACTIVATION_LIMITS.layers) throw new PredlabError('invalid-argument', `At most ${ACTIVATION_LIMITS.layers} layers at once; got ${names.length}.`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new PredlabError('invalid-argument', `Layer ${dup} is named twice.`);
  for (const n of names) {
    let mode;
    try {
      mode = parseOutputMode(n, config);
    } catch (e) {
      throw new PredlabError('invalid-argument', (e as Error).message);
    }
    if (typeof mode !== 'object') throw new PredlabError('invalid-argument', `'${n}' is not a layer: name units and layers such as R0, E1, A2 or Ahat3.`);
  }
  return names;
}

const tsvCell = (v: unknown) => String(v).replace(/[\t\n\r]/g, ' ');

export async function exportActivations(db: Db, sessionId: number, layerSpec: string[], out: string, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal; ledger?: Db | null } = {}): Promise<ActivationsExport> {
  const s = getSession(db, sessionId);
  const details = s.participant.details as { type?: string; checkpoint?: string; observer?: unknown };
  if (s.participant.kind !== 'model' || details.type !== 'prednet' || !details.checkpoint)
    throw new PredlabError('invalid-argument', `Session ${sessionId} was not taken by a PredNet checkpoint; activations exist only for PredNet sessions.`);
  const rows = trialRows(db, sessionId);
  if (rows.length === 0) throw new PredlabError('invalid-argument', `Session ${sessionId} has no answered trial.`);
  const dest = path.resolve(out);
  const index = dest.replace(/\.(h5|hdf5)$/i, '') + '.tsv';
  for (const f of [dest, index]) if (fs.existsSync(f)) throw new PredlabError('conflict', `${f} already exists; choose another path or delete it first.`);
  if (!fs.existsSync(path.dirname(dest))) throw new PredlabError('not-found', `The folder ${path.dirname(dest)} does not exist.`);
  // As the session ran (older sessions sampled frames at the model's rate).
  const settings = storedObserverSettings(details.observer);
  const paradigm = paradigmOf(s.protocol.paradigmId);

  const tfBackend = (await initBackend()).choice;
  let loaded;
  try {
    loaded = loadCheckpoint(details.checkpoint);
  } catch (e) {
    throw new PredlabError('not-found', `The session's model is no longer readable: ${(e as Error).message}`);
  }
  const h5 = await h5wasm();
  const partial = `${dest}.partial`;
  const partialIndex = `${index}.partial`;
  let file: InstanceType<typeof h5.File> | null = null;
  let engine: InferenceEngine | null = null;
  // The export's job owns its partial files: a killed export's are removed at the next start-up.
  const ledger = opts.ledger !== undefined ? opts.ledger : db.readonly ? null : db;
  const job = tryBeginJob(ledger, { kind: 'export', target: dest, partials: [partial, partialIndex] });
  try {
    const c = loaded.net.config;
    const layers = parseLayers(layerSpec, c);
    const view = observerView({ width: c.width, height: c.height, channels: c.stackSizes[0]! }, settings);
    // The size is known before any work: rows from the trials' durations, units from the layer sizes.
    const steps = rows.map((r) => modelFrameCount(paradigm, parseStored(r.stimulus, `trials row ${r.id} (stimulus)`), view));
    const totalRows = steps.reduce((a, b) => a + b, 0);
    const unitsOf = (name: string) => {
      const m = parseOutputMode(name, c) as { unit: string; layer: number };
      const ch = m.unit === 'R' ? c.rStackSizes[m.layer]! : m.unit === 'E' ? 2 * c.stackSizes[m.layer]! : c.stackSizes[m.layer]!;
      return { h: c.height >> m.layer, w: c.width >> m.layer, ch };
    };
    const bytes = layers.reduce((sum, n) => {
      const u = unitsOf(n);
      return sum + totalRows * u.h * u.w * u.ch * 4;
    }, 0);
    if (bytes > ACTIVATION_LIMITS.bytes)
      throw new PredlabError('invalid-argument', `Those layers over ${totalRows} time steps would take ${(bytes / 2 ** 30).toFixed(1)} GiB; an export holds at most ${ACTIVATION_LIMITS.bytes / 2 ** 30} GiB. Choose fewer or smaller layers.`);

    try {
      engine = await inferenceEngine(loaded.net, { tfBackend });
    } catch (e) {
      throw new PredlabError('unavailable', `The inference engine could not start, so no activations were exported: ${(e as Error).message}`);
    }

    fs.rmSync(partial, { force: true });
    file = new h5.File(partial, 'w');
    file.create_attribute('session', sessionId);
    file.create_attribute('paradigm', s.protocol.paradigmId);
    file.create_attribute('checkpoint', details.checkpoint);
    file.create_attribute('frame_rate_hz', view.frameRateHz);
    file.create_attribute('fov_deg', view.fovDeg);
    file.create_attribute('inference', engine.detail);
    file.create_attribute('index', path.basename(index));
    const sets = new Map(
      layers.map((n) => {
        const u = unitsOf(n);
        return [n, file!.create_dataset({ name: n, data: new Float32Array(0), shape: [0, u.h, u.w, u.ch], maxshape: [null, u.h, u.w, u.ch], chunks: [1, u.h, u.w, u.ch], dtype: '<f' })] as const;
      }),
    );
    // As the session ran it: the checkpoint's extrapStartTime where a trial reaches it.
    const predictor = engine.predictor('PredNet', { manifest: loaded.manifest });
    const tsv = ['row\ttrial\tcondition\ttime_step\ttime_s\tresponse'];
    let row = 0;
    for (const [i, r] of rows.entries()) {
      if (opts.signal?.aborted) throw cancelled();
      const stimulus = parseStored(r.stimulus, `trials row ${r.id} (stimulus)`);
      const { frames, count } = rasterizeTrial(paradigm, stimulus, view);
      if (count !== steps[i]) throw new PredlabError('internal', `Trial ${r.trial_index} rendered ${count} frames, not the ${steps[i]} planned.`);
      const shape = { batch: 1, T: count, height: view.height, width: view.width, channels: view.channels };
      for (const n of layers) {
        const y = await predictor.layer!(frames, shape, n);
        const ds = sets.get(n)!;
        ds.resize([row + count, y.height, y.width, y.channels]);
        ds.write_slice([[row, row + count], [0, y.height], [0, y.width], [0, y.channels]], y.data);
      }
      for (let t = 0; t < count; t++) tsv.push([row + t, r.trial_index, tsvCell(r.condition), t, (t / view.frameRateHz).toFixed(6), tsvCell(r.response)].join('\t'));
      row += count;
      opts.onProgress?.(i + 1, rows.length);
      await new Promise((res) => setImmediate(res));
    }
    // Closing flushes (a full disk may show only here); the file is closed once, whatever happens.
    const closing = file;
    file = null;
    closing.close();
    fs.writeFileSync(partialIndex, `${tsv.join('\n')}\n`);
    fs.renameSync(partial, dest);
    fs.renameSync(partialIndex, index);
    tryEndJob(ledger, job, 'done');
    return { out: dest, index, trials: rows.length, rows: totalRows, layers: layers.map((n) => ({ name: n, shape: [totalRows, unitsOf(n).h, unitsOf(n).w, unitsOf(n).ch] })), bytes: fs.statSync(dest).size };
  } catch (e) {
    try {
      file?.close();
    } catch {
      /* the write already failed; its reason is the one given */
    }
    fs.rmSync(partial, { force: true });
    fs.rmSync(partialIndex, { force: true });
    tryEndJob(ledger, job, opts.signal?.aborted ? 'cancelled' : 'failed', (e as Error)?.message ?? String(e));
    if (e instanceof PredlabError) throw e;
    throw new PredlabError('storage', `Cannot write ${dest}: ${isDiskFull(e, partial) ? 'the disk is full' : hdf5Reason(e)}. Nothing was left there.`);
  } finally {
    await engine?.release();
    loaded.net.dispose();
  }
}
