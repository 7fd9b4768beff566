/** A model session's activations to HDF5 + TSV index: shapes, rows per trial and time step, values equal to the model's own layer outputs. */
import { CliEvents } from '../../main/cli/events.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportActivationsAction } from '../../main/cli/dataset-commands.js';
import { exportActivations } from '../../main/services/datasets-activations.js';
import { runModelSession } from '../../main/services/model-sessions.js';
import { simulateSession } from '../../main/services/simulate.js';
import { trialRows } from '../../main/services/sessions.js';
import type { Db } from '../../main/store/db.js';
import { initBackend } from '../../native-models/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../../native-models/checkpoint.js';
import { h5wasm } from '../../native-models/keras-import.js';
import { prednetPredictor } from '../../native-models/observer/predictors.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { rasterizeTrial } from '../../paradigms/rasterize.js';
import { paradigms } from '../../paradigms/index.js';
import { maxAbsDiff } from '../support/arrays.js';
import { tempDb } from '../support/db.js';

let db: Db;
let dir: string;
let sessionId: number;
let checkpoint: string;

beforeAll(async () => {
  ({ db, dir } = tempDb());
  await initBackend();
  checkpoint = path.join(dir, 'tiny');
  const net = PredNet.create(predNetConfigSchema.parse({ height: 32, width: 40, stackSizes: [3, 8], rStackSizes: [3, 8], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] }), 2);
  await saveCheckpoint(checkpoint, net, { source: { kind: 'init' } });
  net.dispose();
  const params = { design: 'constant', offsetsDeg: [-1, 0, 1], trialsPerOffset: 1 };
  const s = await runModelSession(db, { paradigmId: 'flash-lag', checkpoint, parameters: params, seed: 3, observer: { fovDeg: 20, frameRateHz: 10 } });
  sessionId = s.id;
});
afterAll(() => db.close());

describe('activations export', () => {
  it('writes the chosen layers per trial and time step, equal to the model run on the rasterized trials', async () => {
    const out = path.join(dir, 'acts.h5');
    const r = await exportActivations(db, sessionId, ['R0,E1'], out);
    const rows = trialRows(db, sessionId);
    expect(r.trials).toBe(rows.length);
    expect(r.layers.map((l) => l.name)).toEqual(['R0', 'E1']);
    expect(r.layers[0]!.shape.slice(1)).toEqual([32, 40, 3]);
    expect(r.layers[1]!.shape.slice(1)).toEqual([16, 20, 16]); // E: both signs of 8 channels at half size
    const tsv = fs.readFileSync(r.index, 'utf8').trim().split('\n');
    expect(tsv[0]).toBe('row\ttrial\tcondition\ttime_step\ttime_s\tresponse');
    expect(tsv.length - 1).toBe(r.rows);
    const first = tsv.slice(1).map((l) => l.split('\t'));
    const trial0 = first.filter((c) => c[1] === String(rows[0]!.trial_index));
    expect(trial0.map((c) => Number(c[3]))).toEqual(trial0.map((_, t) => t));
    expect(trial0[0]![2]).toBe(rows[0]!.condition);

    // The rows of trial 1 equal the model's own R0 on that trial's frames (tfjs here; the export
    // runs on the default inference engine, ONNX Runtime, equal to 1e-4).
    const paradigm = paradigms.get('flash-lag')!;
    const loaded = loadCheckpoint(checkpoint);
    const view = { width: 40, height: 32, channels: 3, fovDeg: 20, frameRateHz: 10 };
    const { frames, count } = rasterizeTrial(paradigm, JSON.parse(rows[1]!.stimulus), view);
    const expected = await prednetPredictor(loaded.net).layer!(frames, { batch: 1, T: count, height: 32, width: 40, channels: 3 }, 'R0');
    loaded.net.dispose();
    const start = first.findIndex((c) => c[1] === String(rows[1]!.trial_index));
    const h5 = await h5wasm();
    const f = new h5.File(out, 'r');
    try {
      const R0 = f.get('R0') as import('h5wasm/node').Dataset;
      expect(R0.shape).toEqual(r.layers[0]!.shape);
      const got = R0.slice([[start, start + count]]) as Float32Array;
      expect(maxAbsDiff(got, expected.data)).toBeLessThanOrEqual(1e-4);
      expect(f.attrs['inference']!.value).toMatch(/^(onnxruntime-node \d|tfjs \()/);
      expect(f.attrs['paradigm']!.value).toBe('flash-lag');
    } finally {
      f.close();
    }
  });

  it('refuses sessions without a PredNet, unknown layers and existing files, leaving nothing', async () => {
    const human = simulateSession(db, { paradigmId: 'flash-lag', parameters: { design: 'constant', offsetsDeg: [0], trialsPerOffset: 1 }, seed: 1, observer: { pse: 0, sigma: 1, guess: 0, lapse: 0 } });
    await expect(exportActivations(db, human.id, ['R0'], path.join(dir, 'h.h5'))).rejects.toThrow(/was not taken by a PredNet checkpoint/);
    await expect(exportActivations(db, sessionId, ['R5'], path.join(dir, 'x.h5'))).rejects.toThrow(/this model has layers 0\.\.1/);
    await expect(exportActivations(db, sessionId, ['prediction'], path.join(dir, 'x.h5'))).rejects.toThrow(/is not a layer/);
    await expect(exportActivations(db, sessionId, ['R0,R0'], path.join(dir, 'x.h5'))).rejects.toThrow(/named twice/);
    await expect(exportActivations(db, sessionId, ['R0'], path.join(dir, 'acts.h5'))).rejects.toThrow(/already exists/);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('x.') || f.startsWith('h.'))).toEqual([]);
  });

  it('the CLI action prints what it wrote', async () => {
    let out = '';
    const ctx = { database: () => db, emit: (_json: boolean, _v: unknown, text: string) => (out += text), err: () => undefined, events: () => new CliEvents(false, () => undefined), integer: () => Number, number: () => Number };
    await exportActivationsAction(ctx, { session: sessionId, activations: 'A1', out: path.join(dir, 'a1.h5') });
    expect(out).toMatch(/Wrote .*a1\.h5 \(A1 \(\d+, 16, 20, 8\); float32, one row per trial and time step\) and its index .*a1\.tsv/);
  });
});
