/** The PredNet commands of the CLI on real files: init, info, train (worker thread), predict, import-keras. */
import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'npyjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { listModels } from '../../main/services/models.js';
import { openDatabase } from '../../main/store/db.js';
import { loadCheckpoint } from '../../native-models/checkpoint.js';
import { writeKerasWeights } from '../../native-models/keras-import.js';
import { readNpy } from '../../native-models/npy.js';
import { maxAbsDiff } from '../support/arrays.js';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';

let dir: string;
let db: string;
const H = 16;
const W = 24;

beforeAll(async () => {
  dir = tempDir('predlab-cli-model-');
  db = path.join(dir, 'lab.sqlite');
  const r = await cli('--db', db, 'data', 'moving-bars', '--out', path.join(dir, 'frames.npy'), '--recordings-out', path.join(dir, 'rec.npy'), '--height', String(H), '--width', String(W), '--recordings', '6', '--frames', '12', '--json');
  expect(r.code, r.err).toBe(0);
  const init = await cli('--db', db, 'model', 'init', '--preset', 'small', '--height', String(H), '--width', String(W), '--out', path.join(dir, 'init'), '--json');
  expect(init.code, init.err).toBe(0);
  // Sequences for predict: (2, 5, H, W, 3) uint8 from the frames.
  const frames = readNpy(path.join(dir, 'frames.npy'));
  fs.writeFileSync(path.join(dir, 'x.npy'), Buffer.from(dump(frames.data.subarray(0, 2 * 5 * H * W * 3) as Uint8Array, [2, 5, H, W, 3])));
});

describe('predlab model / train', () => {
  it('init creates and registers a checkpoint; info describes it', async () => {
    const info = await cli('--db', db, 'model', 'info', path.join(dir, 'init'), '--json');
    expect(info.json()).toMatchObject({ input: `${H}x${W}x3`, layers: 4, parameters: 771_564, training: null });
    const text = await cli('--db', db, 'model', 'info', path.join(dir, 'init'));
    expect(text.out).toMatch(/771,564 parameters/);
    const handle = openDatabase(db);
    expect(listModels(handle).map((m) => m.path)).toEqual([path.join(dir, 'init')]);
    handle.close();
    const again = await cli('--db', db, 'model', 'init', '--out', path.join(dir, 'init'));
    expect(again.err).toMatch(/already exists and is not empty/);
    for (const cmd of [['model', 'init'], ['model', 'import-keras', path.join(dir, 'x.npy')]]) {
      const onFile = await cli('--db', db, ...cmd, '--out', path.join(dir, 'x.npy'));
      expect(onFile.code).toBe(1);
      expect(onFile.err).toMatch(/x\.npy is a file; --out takes a folder for the checkpoint\.\n$/);
    }
    const odd = await cli('--db', db, 'model', 'init', '--height', '20', '--out', path.join(dir, 'odd'));
    expect(odd.err).toMatch(/divisible by 2\^\(layers-1\) = 8/);
  });

  it('trains in a worker thread, saves best and resume states, and registers the result', async () => {
    const out = path.join(dir, 'trained');
    const r = await cli('--db', db, 'train', '--checkpoint', path.join(dir, 'init'), '--data', path.join(dir, 'frames.npy'), '--recordings', path.join(dir, 'rec.npy'), '--out', out, '--epochs', '2', '--samples-per-epoch', '4', '--batch-size', '2', '--nt', '5', '--val-sequences', '2', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.json()).toMatchObject({ step: 4, finished: true, cancelled: false, checkpoint: out });
    expect(loadCheckpoint(out).manifest.training).toMatchObject({ dataset: { frames: 72, recordings: 6 } });
    expect(fs.existsSync(`${out}.resume`)).toBe(true);
    const more = await cli('--db', db, 'train', '--checkpoint', out, '--data', path.join(dir, 'frames.npy'), '--resume', '--epochs', '3', '--samples-per-epoch', '4', '--batch-size', '2', '--nt', '5', '--val-sequences', '2', '--recordings', path.join(dir, 'rec.npy'), '--json');
    expect(more.code, more.err).toBe(0);
    expect(more.json().step).toBe(6);
    const handle = openDatabase(db);
    expect(listModels(handle).find((m) => m.path === out)?.training).toBeTruthy();
    handle.close();
    const missing = await cli('--db', db, 'train', '--checkpoint', path.join(dir, 'init'), '--data', path.join(dir, 'nope.npy'));
    expect(missing.err).toMatch(/does not exist/);
  }, 120_000);

  it('predict writes float32 (N,T,...) for each output mode', async () => {
    const ck = path.join(dir, 'init');
    const run = async (mode: string) => {
      const out = path.join(dir, `y-${mode}.npy`);
      const r = await cli('--db', db, 'model', 'predict', '--checkpoint', ck, '--input', path.join(dir, 'x.npy'), '--output-mode', mode, '--out', out, '--json');
      expect(r.code, r.err).toBe(0);
      return readNpy(out);
    };
    expect((await run('prediction')).shape).toEqual([2, 5, H, W, 3]);
    const e = await run('error');
    expect(e.shape).toEqual([2, 5, 4]);
    expect(e.dtype).toBe('float32');
    expect((await run('R1')).shape).toEqual([2, 5, H / 2, W / 2, 16]);
    expect((await run('E3')).shape).toEqual([2, 5, H / 8, W / 8, 128]);
  });

  it('predict runs on ONNX Runtime by default and says so; forced tfjs gives the same output; backend reports the engine', async () => {
    const ck = path.join(dir, 'init');
    const saved = process.env.PREDLAB_INFERENCE;
    const runs: Record<string, { json: Record<string, unknown>; y: Float32Array; err: string }> = {};
    try {
      for (const engine of ['', 'tfjs']) {
        process.env.PREDLAB_INFERENCE = engine;
        const out = path.join(dir, `engine-${engine || 'default'}.npy`);
        const args = ['--db', db, 'model', 'predict', '--checkpoint', ck, '--input', path.join(dir, 'x.npy'), '--output-mode', 'R1', '--out', out];
        const r = await cli(...args, '--json');
        expect(r.code, r.err).toBe(0);
        const text = await cli(...args.slice(0, -1), `${out}.txt.npy`);
        expect(text.code, text.err).toBe(0);
        runs[engine || 'default'] = { json: r.json(), y: readNpy(out).data as Float32Array, err: text.err };
      }
      process.env.PREDLAB_INFERENCE = 'onnx';
      const bad = await cli('--db', db, 'model', 'predict', '--checkpoint', ck, '--input', path.join(dir, 'x.npy'), '--out', path.join(dir, 'never.npy'));
      expect(bad.code).not.toBe(0);
      expect(bad.err).toMatch(/^predlab: Unknown inference engine 'onnx' \(PREDLAB_INFERENCE\); choose one of onnxruntime, tfjs\.\n$/);
      expect(fs.existsSync(path.join(dir, 'never.npy'))).toBe(false);
      process.env.PREDLAB_INFERENCE = 'tfjs';
      const forced = await cli('backend');
      expect(forced.out).toMatch(/\ninference: tfjs \(wasm\); ONNX Runtime not used: PREDLAB_INFERENCE=tfjs$/m);
    } finally {
      if (saved === undefined) delete process.env.PREDLAB_INFERENCE;
      else process.env.PREDLAB_INFERENCE = saved;
    }
    const { default: onnx, tfjs } = runs as Record<string, (typeof runs)[string]>;
    expect(onnx!.json).toMatchObject({ inference: 'onnxruntime', inferenceDetail: expect.stringMatching(/^onnxruntime-node \d+\.\d+\.\d+ \(cpu/), backend: 'wasm' });
    expect(onnx!.err).toMatch(/^inference: onnxruntime-node \d/m);
    expect(tfjs!.json).toMatchObject({ inference: 'tfjs', inferenceDetail: 'tfjs (wasm)' });
    expect(tfjs!.err).toMatch(/^inference: tfjs \(wasm\); ONNX Runtime not used: PREDLAB_INFERENCE=tfjs$/m);
    expect(maxAbsDiff(onnx!.y, tfjs!.y)).toBeLessThanOrEqual(1e-4);
    const backend = await cli('backend', '--json');
    expect(backend.json().inference).toMatchObject({ name: 'onnxruntime', detail: expect.stringMatching(/^onnxruntime-node \d/), skipped: null });
    expect((await cli('backend')).out).toMatch(/^backend: wasm .*\ninference: onnxruntime-node \d+\.\d+\.\d+ \(cpu, \d+ threads?/s);
  });

  it('predict refuses wrong input with the reason', async () => {
    const ck = path.join(dir, 'init');
    const bad = path.join(dir, 'bad.npy');
    fs.writeFileSync(bad, Buffer.from(dump(new Uint8Array(2 * 3 * 8 * 8 * 3), [2, 3, 8, 8, 3])));
    const r = await cli('--db', db, 'model', 'predict', '--checkpoint', ck, '--input', bad, '--out', path.join(dir, 'o.npy'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Input frames are 8x8x3; this model takes 16x24x3/);
    const hot = path.join(dir, 'hot.npy');
    fs.writeFileSync(hot, Buffer.from(dump(new Float32Array(1 * 2 * H * W * 3).fill(3), [1, 2, H, W, 3])));
    expect((await cli('--db', db, 'model', 'predict', '--checkpoint', ck, '--input', hot, '--out', path.join(dir, 'o.npy'))).err).toMatch(/float32 input must lie in \[0, 1\]/);
    expect((await cli('--db', db, 'model', 'predict', '--checkpoint', ck, '--input', path.join(dir, 'x.npy'), '--output-mode', 'R9', '--out', path.join(dir, 'o.npy'))).err).toMatch(/layers 0..3/);
    const notNpy = path.join(dir, 'text.npy');
    fs.writeFileSync(notNpy, 'hello');
    expect((await cli('--db', db, 'model', 'predict', '--checkpoint', ck, '--input', notNpy, '--out', path.join(dir, 'o.npy'))).err).toMatch(/not a NumPy .npy file/);
    expect(fs.existsSync(path.join(dir, 'o.npy'))).toBe(false);
  });

  it('every size and seed has a stated limit', async () => {
    const cases: [string[], RegExp, number][] = [
      [['data', 'moving-bars', '--out', path.join(dir, 'big.npy'), '--height', '5000'], /--height must be from 1 to 4096; got 5000/, 1],
      [['data', 'moving-bars', '--out', path.join(dir, 'big.npy'), '--recordings', '0'], /--recordings must be from 1 to 100000; got 0/, 1],
      [['data', 'moving-bars', '--out', path.join(dir, 'big.npy'), '--height', '1024', '--width', '1024', '--recordings', '100', '--frames', '10'], /would be 2\.9 GiB; frame files are limited to 2 GiB/, 1],
      [['data', 'moving-bars', '--out', path.join(dir, 'big.npy'), '--seed', '4294967296'], /--seed must be a whole number from 0 to 4294967295/, 2],
      [['model', 'init', '--out', path.join(dir, 'seeded'), '--seed', '-1'], /--seed must be a whole number from 0 to 4294967295; got -1/, 2],
    ];
    for (const [argv, message, code] of cases) {
      const r = await cli('--db', db, ...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err).toMatch(message);
    }
    expect(fs.existsSync(path.join(dir, 'big.npy'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'seeded'))).toBe(false);
  });

  it('a checkpoint that cannot be registered is not left behind', async () => {
    const notDb = path.join(dir, 'notes.sqlite');
    fs.writeFileSync(notDb, 'this is not a database, just text that is long enough to have a header'.repeat(20));
    const out = path.join(dir, 'unregistered');
    const r = await cli('--db', notDb, 'model', 'init', '--height', String(H), '--width', String(W), '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses damaged checkpoints', async () => {
    const broken = path.join(dir, 'broken');
    fs.cpSync(path.join(dir, 'init'), broken, { recursive: true });
    const bin = path.join(broken, 'weights.bin');
    fs.truncateSync(bin, fs.statSync(bin).size - 100);
    const r = await cli('--db', db, 'model', 'predict', '--checkpoint', broken, '--input', path.join(dir, 'x.npy'), '--out', path.join(dir, 'o.npy'));
    expect(r.err).toMatch(/weights.bin is \d+ bytes; the manifest describes \d+/);
    expect((await cli('--db', db, 'model', 'info', dir)).err).toMatch(/is not a PredLab checkpoint/);
  });

  it('import-keras makes a checkpoint that predicts exactly what the source model does', async () => {
    const src = loadCheckpoint(path.join(dir, 'init'));
    const keras = src.net.kerasWeights();
    const h5 = path.join(dir, 'prednet_weights.h5');
    await writeKerasWeights(h5, new Map([...keras].map(([n, t]) => [n, { shape: t.shape, data: t.dataSync() as Float32Array }])), { layout: 'full-model' });
    src.net.dispose();
    const r = await cli('--db', db, 'model', 'import-keras', h5, '--height', String(H), '--width', String(W), '--out', path.join(dir, 'imported'), '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.json()).toMatchObject({ parameters: 771_564, source: { kind: 'keras-import', layout: 'full-model' } });
    for (const ck of ['init', 'imported'])
      expect((await cli('--db', db, 'model', 'predict', '--checkpoint', path.join(dir, ck), '--input', path.join(dir, 'x.npy'), '--out', path.join(dir, `p-${ck}.npy`))).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'p-init.npy')).equals(fs.readFileSync(path.join(dir, 'p-imported.npy')))).toBe(true);
    const refused = await cli('--db', db, 'model', 'import-keras', path.join(dir, 'frames.npy'), '--out', path.join(dir, 'nope'));
    expect(refused.err).toMatch(/not an HDF5 file/);
  });
});
