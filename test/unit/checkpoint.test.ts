/**
 * Damaged checkpoints and bad predict arguments, through the CLI as a user meets them: each
 * exits non-zero with one clear line, no stack trace, and changes nothing (files, database).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'npyjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint, WEIGHTS_FILE } from '../../native-models/checkpoint.js';
import { readNpy } from '../../native-models/npy.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';

const cfg = predNetConfigSchema.parse({ height: 8, width: 8, stackSizes: [3, 4], rStackSizes: [3, 4], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] });
let dir: string;
let good: string;
let db: string;
let input: string;

/** Every file under a folder with its SHA-256, to show that nothing changed. */
function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(d, { recursive: true, withFileTypes: true }))
    if (e.isFile()) out[path.join(e.parentPath, e.name)] = crypto.createHash('sha256').update(fs.readFileSync(path.join(e.parentPath, e.name))).digest('hex');
  return out;
}

beforeAll(async () => {
  await initBackend();
  dir = tempDir('predlab-checkpoint-');
  db = path.join(dir, 'lab.sqlite');
  good = path.join(dir, 'good');
  const net = PredNet.create(cfg, 5);
  await saveCheckpoint(good, net, { source: { kind: 'test' } });
  net.dispose();
  input = path.join(dir, 'x.npy');
  fs.writeFileSync(input, Buffer.from(dump(Uint8Array.from({ length: 2 * 4 * 8 * 8 * 3 }, (_, i) => (i * 37) % 256), [2, 4, 8, 8, 3])));
});

type Damage = (d: string, m: { weights: { name: string; shape: number[]; offset: number; sha256?: string }[]; version: number } & Record<string, unknown>) => void;

const damages: [string, Damage, RegExp][] = [
  [
    'two same-shape tensors with swapped offsets',
    (_d, m) => {
      const a = m.weights.find((w) => w.name === 'layer_i_0/kernel')!;
      const b = m.weights.find((w) => w.name === 'layer_f_0/kernel')!;
      [a.offset, b.offset] = [b.offset, a.offset];
    },
    /does not match its manifest: the weight layer_(i|f)_0\/kernel .* has SHA-256 .*damaged/,
  ],
  ['a weight listed twice', (_d, m) => void (m.weights[1]!.name = m.weights[0]!.name), /lists the weight \S+ twice; the checkpoint is damaged/],
  ['overlapping byte ranges', (_d, m) => void (m.weights[1]!.offset -= 4), /overlapping the tensor before it|unaccounted for|describes \d+/],
  [
    'one flipped byte in weights.bin',
    (d) => {
      const f = path.join(d, WEIGHTS_FILE);
      const b = fs.readFileSync(f);
      b[100]! ^= 0x40;
      fs.writeFileSync(f, b);
    },
    /does not match its manifest: the weight \S+ \(bytes \d+\.\.\d+\)/,
  ],
  ['a truncated weights.bin', (d) => fs.truncateSync(path.join(d, WEIGHTS_FILE), fs.statSync(path.join(d, WEIGHTS_FILE)).size - 8), /weights\.bin is \d+ bytes; the manifest describes \d+/],
  ['no weights.bin', (d) => fs.rmSync(path.join(d, WEIGHTS_FILE)), /has no weights\.bin; the checkpoint is incomplete/],
  ['a version 2 entry without its checksum', (_d, m) => void delete m.weights[2]!.sha256, /record a sha256 for every tensor/],
  ['a manifest that is not JSON', (d) => fs.writeFileSync(path.join(d, CHECKPOINT_FILE), '{"format": "predlab-prednet", '), /is not valid JSON .*damaged/],
  ['a 17 MB manifest', (d) => fs.truncateSync(path.join(d, CHECKPOINT_FILE), 17 << 20), /manifests over 16777216 bytes are refused/],
];

describe('damaged checkpoints are refused by every command, changing nothing', () => {
  for (const [what, damage, message] of damages)
    it(what, async () => {
      const d = path.join(dir, what.replace(/\W+/g, '-'));
      fs.cpSync(good, d, { recursive: true });
      const mf = path.join(d, CHECKPOINT_FILE);
      const m = JSON.parse(fs.readFileSync(mf, 'utf8'));
      const orig = JSON.stringify(m);
      damage(d, m);
      if (JSON.stringify(m) !== orig) fs.writeFileSync(mf, JSON.stringify(m));
      const before = snapshot(dir);
      const out = path.join(dir, 'y.npy');
      for (const argv of [
        ['model', 'info', d],
        ['model', 'predict', '--checkpoint', d, '--input', input, '--out', out],
        ['train', '--checkpoint', d, '--data', input, '--epochs', '1'],
      ]) {
        const r = await cli('--db', db, ...argv);
        expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(1);
        expect(r.err).toMatch(message);
        expect(r.err).not.toMatch(/unexpected error|\n\s+at /);
        expect(r.err.trim().split('\n')).toHaveLength(1);
      }
      expect(fs.existsSync(out)).toBe(false);
      const after = snapshot(dir);
      delete after[db]; // opened (WAL) but not written: compared by its models below
      delete before[db];
      expect(after).toEqual(before);
    });

  it('a version 1 checkpoint (no checksums) still loads; info says what was verified', async () => {
    const d = path.join(dir, 'v1');
    fs.cpSync(good, d, { recursive: true });
    const mf = path.join(d, CHECKPOINT_FILE);
    const m = JSON.parse(fs.readFileSync(mf, 'utf8'));
    m.version = 1;
    for (const w of m.weights) delete w.sha256;
    fs.writeFileSync(mf, JSON.stringify(m));
    loadCheckpoint(d).net.dispose();
    const r = await cli('--db', db, 'model', 'info', d);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/weights verified: sizes only \(version 1 checkpoint, no checksums\)/);
    expect((await cli('--db', db, 'model', 'info', good)).out).toMatch(/weights verified: sha256 per tensor/);
  });
});

describe('model predict: sizes of work', () => {
  const bad: [string, string[], RegExp, number][] = [
    ['N = 0 sequences', [], /no sequences \(N = 0\)/, 1],
    ['--batch-size 0', ['--batch-size', '0'], /--batch-size must be a whole number from 1 to 256; got 0/, 2],
    ['--batch-size -5', ['--batch-size', '-5'], /--batch-size must be a whole number from 1 to 256; got -5/, 2],
    ['--batch-size 257', ['--batch-size', '257'], /from 1 to 256/, 2],
    ['--extrap-start-time soon', ['--extrap-start-time', 'soon'], /step number .* or 'none'/, 2],
    ['--extrap-start-time past the last step', ['--extrap-start-time', '4'], /The step to start extrapolating from must be one of the input's time steps, 0\.\.3; got 4/, 1],
    ['an input with data past its end', [], /long\.npy has data past its end: shape \(2, 4, 8, 8, 3\) needs 1,536 values, found 1,540/, 1],
  ];
  for (const [what, args, message, code] of bad)
    it(`refuses ${what}`, async () => {
      const empty = path.join(dir, 'empty.npy');
      fs.writeFileSync(empty, Buffer.from(dump(new Uint8Array(0), [0, 4, 8, 8, 3])));
      const long = path.join(dir, 'long.npy');
      fs.writeFileSync(long, Buffer.concat([fs.readFileSync(input), Buffer.alloc(4)]));
      const out = path.join(dir, 'never.npy');
      const r = await cli('--db', db, 'model', 'predict', '--checkpoint', good, '--input', what.startsWith('N = 0') ? empty : what.includes('past its end') ? long : input, '--out', out, ...args);
      expect(r.code).toBe(code);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(out)).toBe(false);
    });

  it("uses the checkpoint's extrapStartTime by default; 'none' or a step overrides it", async () => {
    const ex = path.join(dir, 'extrap');
    const net = PredNet.create(cfg, 5);
    await saveCheckpoint(ex, net, { source: { kind: 'test' }, extrapStartTime: 2 });
    net.dispose();
    expect((await cli('--db', db, 'model', 'info', ex)).out).toMatch(/extrapolates from step 2/);
    const run = async (...extra: string[]) => {
      const out = path.join(dir, `p${extra.join('')}.npy`);
      const r = await cli('--db', db, 'model', 'predict', '--checkpoint', ex, '--input', input, '--out', out, '--json', ...extra);
      expect(r.code, r.err).toBe(0);
      return { json: JSON.parse(r.out), data: readNpy(out).data as Float32Array };
    };
    const byDefault = await run();
    const explicit = await run('--extrap-start-time', '2');
    const off = await run('--extrap-start-time', 'none');
    const plain = path.join(dir, 'plain.npy');
    expect((await cli('--db', db, 'model', 'predict', '--checkpoint', good, '--input', input, '--out', plain)).code).toBe(0);
    expect(byDefault.json.extrapStartTime).toBe(2);
    expect(off.json.extrapStartTime).toBeNull();
    expect(byDefault.data).toEqual(explicit.data);
    expect(off.data).toEqual(readNpy(plain).data); // same seed, same weights
    expect(off.data).not.toEqual(byDefault.data);
  });

  it('a save killed half-way (SIGKILL) is finished on the next read or save: never a registered checkpoint gone missing', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const save = async (d: string, seed: number) => {
      const net = PredNet.create(cfg, seed);
      await saveCheckpoint(d, net, { source: { kind: 'test', seed } });
      net.dispose();
    };
    const load = (d: string) => loadCheckpoint(d);
    // Killed between the two renames of a swap: the old copy moved aside, the complete new one not yet in place.
    const ck = path.join(dir, 'swap', 'ck');
    await save(ck, 1);
    await save(path.join(dir, 'swap', 'new'), 2);
    const tmp = path.join(dir, 'swap', `.ck.saving-${deadPid}-abc123`);
    fs.renameSync(ck, `${tmp}.old`);
    fs.renameSync(path.join(dir, 'swap', 'new'), tmp);
    const loaded = load(ck);
    expect(loaded.manifest.source.seed).toBe(2);
    loaded.net.dispose();
    expect(fs.readdirSync(path.join(dir, 'swap'))).toEqual(['ck']);
    // Killed while writing the new copy: the checkpoint is untouched and the partial copy is removed by the next save;
    // a running process's staging folder is left alone.
    const partial = path.join(dir, 'swap', `.ck.saving-${deadPid}-def456`);
    fs.mkdirSync(partial);
    fs.writeFileSync(path.join(partial, WEIGHTS_FILE), Buffer.alloc(10));
    const live = path.join(dir, 'swap', `.ck.saving-${process.pid}-live00`);
    fs.mkdirSync(live);
    const before = load(ck);
    expect(before.manifest.source.seed).toBe(2);
    before.net.dispose();
    await save(ck, 3);
    expect(fs.readdirSync(path.join(dir, 'swap')).sort()).toEqual(['.ck.saving-' + process.pid + '-live00', 'ck']);
    const after = load(ck);
    expect(after.manifest.source.seed).toBe(3);
    after.net.dispose();
  });
});
