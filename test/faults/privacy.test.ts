/**
 * Nothing is written outside the data folder and the OS temp folder (issue 21, item 8): a CLI
 * round through the engine (ONNX Runtime inference included) with a fresh HOME leaves HOME as it
 * was. ONNX Runtime's telemetry (a device id and a database under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/) is off unless PREDLAB_ONNX_TELEMETRY=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';

const DEFAULT_MODEL = path.resolve(import.meta.dirname, '../../native-models/default-model');

function npyZeros(file: string, shape: number[]): void {
  const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const padded = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head);
  head[6] = 1;
  head.writeUInt16LE(padded.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(padded, 'latin1'), Buffer.alloc(shape.reduce((a, b) => a * b, 1))]));
}

const filesUnder = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();

describe('no file outside the data folder and the temp folder', () => {
  it('a CLI round with ONNX Runtime inference leaves HOME untouched (its telemetry is off)', () => {
    const home = tempDir('predlab-home-');
    const data = tempDir('predlab-data-');
    const work = tempDir('predlab-work-');
    const env = { HOME: home, XDG_CONFIG_HOME: undefined, XDG_CACHE_HOME: undefined, PREDLAB_DATA_DIR: data, ORT_DISABLE_TELEMETRY: undefined, PREDLAB_ONNX_TELEMETRY: undefined };
    npyZeros(path.join(work, 'in.npy'), [1, 4, 64, 80, 3]);
    const round = [
      ['session', 'simulate', '--paradigm', 'flash-lag', '--sigma', '0.5'],
      ['model', 'predict', '--checkpoint', DEFAULT_MODEL, '--input', path.join(work, 'in.npy'), '--out', path.join(work, 'out.npy')],
      ['session', 'list'],
    ];
    for (const args of round) {
      const r = predlab(args, env, 300_000);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(fs.readFileSync(path.join(work, 'out.npy')).length).toBeGreaterThan(0);
    expect(filesUnder(home)).toEqual([]);
  });
});
