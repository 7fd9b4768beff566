/**
 * Budgets per job, and files that never end (issue 21, items 6 and 10), through the CLI:
 * - a zip bomb given to `model download --from` is refused from its central directory, before a
 *   byte is extracted (the release's files may take 512 MiB together);
 * - a release folder whose file is a link to /dev/zero, or a FIFO, is refused at once (it was
 *   hashed for ever);
 * - `model import-keras` on an .h5 whose weight is an external link to a FIFO is refused (HDF5
 *   opened the FIFO and waited for ever), and one that declares more weight values in all than
 *   an import reads is refused before any tensor is read.
 * Each: one line, no stack, nothing left behind, within a time limit.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { KITTI_RELEASE } from '../../native-models/released/kitti.js';
import { h5wasm, KERAS_LIMITS, writeKerasWeights } from '../../native-models/keras-import.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';
import { randomWeights, RELEASE_FILES, writeReleaseFolder } from '../unit/model-download.fixture.js';

const cfg = predNetConfigSchema.parse({ height: 8, width: 12, stackSizes: [3, 4, 6], rStackSizes: [3, 5, 6], aFiltSizes: [3, 3], ahatFiltSizes: [3, 3, 3], rFiltSizes: [3, 3, 3] });

function refusedInOneLine(r: { code: number | null; stdout: string; stderr: string }, says: RegExp): void {
  expect(r.code, `exit ${r.code} (null: killed by the time limit): ${r.stderr}`).toBe(1);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr + r.stdout).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(says);
}

describe('model download --from: the job has a budget, and reads only regular files', () => {
  it('a zip bomb is refused from its declared sizes before anything is extracted', () => {
    const dir = tempDir('predlab-zip-bomb-');
    // Five release files of 110 MiB of zeros each: 550 MiB declared, about 0.5 MiB of zip.
    const zeros = new Uint8Array(110 * 2 ** 20);
    const entries = Object.fromEntries(Object.values(RELEASE_FILES).map((p) => [`model_data_keras2/${p}`, zeros]));
    const zip = path.join(dir, 'model_data_keras2.zip');
    fs.writeFileSync(zip, zipSync(entries, { level: 6 }));
    expect(fs.statSync(zip).size).toBeLessThan(5 * 2 ** 20);
    const out = path.join(dir, 'models', 'k');
    const r = predlab(['--db', path.join(dir, 'lab.sqlite'), 'model', 'download', 'kitti', '--from', zip, '--out', out], {}, 120_000);
    refusedInOneLine(r, new RegExp(`declares ${5 * 110 * 2 ** 20} bytes for the release's files; at most ${KITTI_RELEASE.maxExtractBytes} are extracted .*Nothing was written`));
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(path.join(dir)).filter((f) => f !== 'model_data_keras2.zip' && f !== 'lab.sqlite' && !f.startsWith('lab.sqlite') && f !== 'backups')).toEqual([]);
  });

  for (const kind of ['a link to /dev/zero', 'a FIFO'] as const) {
    it(`a release folder whose file is ${kind} is refused at once`, async () => {
      const dir = tempDir('predlab-release-fifo-');
      const folder = path.join(dir, 'model_data_keras2');
      await writeReleaseFolder(folder, cfg);
      const victim = path.join(folder, RELEASE_FILES.weightsLall);
      fs.rmSync(victim);
      if (kind === 'a FIFO') expect(spawnSync('mkfifo', [victim]).status).toBe(0);
      else fs.symlinkSync('/dev/zero', victim);
      const out = path.join(dir, 'models', 'k');
      const r = predlab(['--db', path.join(dir, 'lab.sqlite'), 'model', 'download', 'kitti', '--from', folder, '--out', out], {}, 60_000);
      refusedInOneLine(r, new RegExp(`prednet_kitti_weights-Lall\\.hdf5 is ${kind === 'a FIFO' ? 'a named pipe \\(FIFO\\)' : 'a character device'}, not a regular file`));
      expect(fs.existsSync(out)).toBe(false);
    });
  }
});

describe('model import-keras: the whole file has a budget, and never follows a link out of it', () => {
  it('a weight that is an external link to a FIFO is refused (not waited on for ever)', async () => {
    const dir = tempDir('predlab-h5-fifo-');
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const file = path.join(dir, 'w.h5');
    const weights = randomWeights(cfg);
    weights.delete('layer_a_0/kernel');
    await writeKerasWeights(file, weights);
    const lib = await h5wasm();
    const f = new lib.File(file, 'a');
    const g = f.get('prednet_1') as InstanceType<typeof lib.Group>;
    const names = (g.get_attribute('weight_names', false) as string[]).concat('prednet_1/layer_a_0/kernel:0');
    g.create_external_link(fifo, '/x', 'prednet_1/layer_a_0/kernel:0');
    g.delete_attribute('weight_names');
    g.create_attribute('weight_names', names);
    f.close();
    const r = predlab(['--db', path.join(dir, 'lab.sqlite'), 'model', 'import-keras', file, '--out', path.join(dir, 'imported')], {}, 60_000);
    refusedInOneLine(r, /w\.h5 links \/prednet_1\/prednet_1\/layer_a_0\/kernel:0 to another file \(.*fifo\); .*external links are refused/);
    expect(fs.existsSync(path.join(dir, 'imported'))).toBe(false);
  });

  it('a file declaring more weight values in all than an import reads is refused before any is read', async () => {
    const dir = tempDir('predlab-h5-budget-');
    const file = path.join(dir, 'w.h5');
    const lib = await h5wasm();
    const f = new lib.File(file, 'w');
    f.create_attribute('backend', 'tensorflow');
    f.create_attribute('keras_version', '2.0.8');
    f.create_attribute('layer_names', ['input_1', 'prednet_1']);
    f.create_group('input_1').create_attribute('weight_names', [] as string[]);
    const g = f.create_group('prednet_1');
    // Each tensor within the per-tensor limit, compressed to almost nothing; together over the budget.
    const per = 2 ** 22;
    const n = Math.floor(KERAS_LIMITS.totalValues / per) + 1;
    const zeros = new Float32Array(per);
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const wn = `layer_i_${i}/kernel:0`;
      g.create_group(`layer_i_${i}`);
      g.create_dataset({ name: wn, data: zeros, shape: [per], dtype: '<f', chunks: [2 ** 18], compression: 'gzip', compression_opts: 9 });
      names.push(wn);
    }
    g.create_attribute('weight_names', names);
    f.close();
    expect(fs.statSync(file).size).toBeLessThan(8 * 2 ** 20);
    const r = predlab(['--db', path.join(dir, 'lab.sqlite'), 'model', 'import-keras', file, '--out', path.join(dir, 'imported')], {}, 60_000);
    refusedInOneLine(r, new RegExp(`declares ${(n * per).toLocaleString('en')} weight values in prednet_1; an import reads at most ${KERAS_LIMITS.totalValues.toLocaleString('en')} \\(nothing was read\\)`));
  });
});
