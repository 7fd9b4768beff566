/**
 * The paper battery's unit experiments on models with a known answer (hand-made Responders in
 * test/support/battery-responders.ts), the receptive-field mapping and its cache, the feedback
 * ablation in PredNet itself, and one run of each experiment on a small random PredNet made with
 * the CLI, as a user makes one.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { EXPERIMENTS } from '../../native-models/battery/index.js';
import { lengthSuppression } from '../../native-models/battery/length-suppression.js';
import { onOff } from '../../native-models/battery/on-off.js';
import { PredNetResponder } from '../../native-models/battery/prednet-responder.js';
import { measureReceptiveFields, receptiveFields } from '../../native-models/battery/receptive-fields.js';
import { sequenceLearning } from '../../native-models/battery/sequence-learning.js';
import { referencesFor } from '../../native-models/battery/references.js';
import type { ExperimentResult, References, Responder } from '../../paradigms/battery-types.js';
import { barImage, objectImage, sequenceOf } from '../../paradigms/battery-unit-stimuli.js';
import { endStopped, onOffUnits, pairLearner } from '../support/battery-responders.js';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';

const sumAbsDiff = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s;
};
const maxDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** A hand-made null beside a hand-made responder: what its architecture does without the feature tested. */
const beside = (untrained: Responder | null): References => ({ untrained, copyLast: null, oracle: null, missing: untrained ? {} : { untrained: 'none given' } });
const ctxOf = (responder: Responder, extra: { cacheDir?: string | null; quick?: boolean; untrained?: Responder | null; references?: References } = {}) => ({
  responder,
  seed: 7,
  quick: extra.quick ?? true,
  cacheDir: extra.cacheDir ?? null,
  references: extra.references ?? beside(extra.untrained ?? null),
});

function wellFormed(res: ExperimentResult): void {
  expect(res.verdict.text.length).toBeGreaterThan(10);
  expect(res.published).toMatch(/Lotter et al\. 2020/);
  for (const s of res.series) {
    expect(s.x.length).toBe(s.y.length);
    expect(s.y.every(Number.isFinite)).toBe(true);
  }
  for (const row of res.table.rows) expect(row.length).toBe(res.table.columns.length);
  for (const a of res.arrays ?? []) expect(a.data.length).toBe(a.shape.reduce((p, q) => p * q, 1));
  if (res.verdict.statistic) {
    expect(Number.isFinite(res.verdict.statistic.value)).toBe(true);
    expect(res.verdict.statistic.ci!.every(Number.isFinite)).toBe(true);
  }
}

describe('stimuli', () => {
  it('draws a bar of the asked length and orientation, and sequences replicate grey over channels', () => {
    const size = { height: 32, width: 32, channels: 3 };
    const h = barImage(size, { x: 16, y: 16.5, length: 10, width: 1, orientationDeg: 0 });
    const v = barImage(size, { x: 16.5, y: 16, length: 10, width: 1, orientationDeg: 90 });
    // Horizontal: row 16 lit over columns 11-20; vertical: column 16 over rows 11-20.
    expect(Array.from({ length: 32 }, (_, j) => h.data[16 * 32 + j]!).filter((x) => x > 0.9).length).toBe(10);
    expect(Array.from({ length: 32 }, (_, i) => v.data[i * 32 + 16]!).filter((x) => x > 0.9).length).toBe(10);
    const seq = sequenceOf(size, [h, null]);
    expect(seq.length).toBe(2 * 32 * 32 * 3);
    expect([seq[(16 * 32 + 16) * 3], seq[(16 * 32 + 16) * 3 + 2]]).toEqual([1, 1]);
    expect(seq[32 * 32 * 3 + (16 * 32 + 16) * 3]).toBe(0.5);
    expect(() => sequenceOf(size, [])).toThrow(/1 to 200 frames/);
  });

  it('makes seeded, distinct natural-like objects on grey', () => {
    const size = { height: 32, width: 40, channels: 1 };
    const a = objectImage(size, 1);
    expect(objectImage(size, 1).data).toEqual(a.data);
    const b = objectImage(size, 2);
    expect(a.data.some((x, k) => x !== b.data[k])).toBe(true);
    expect(a.data.filter((x) => x !== 0.5).length).toBeGreaterThan(50);
    expect(a.data[0]).toBe(0.5);
  });
});

describe('receptive fields', () => {
  it('finds the preferred orientation and centre of line detectors, and caches by weights key', async () => {
    const r = endStopped(0);
    const map = await measureReceptiveFields(r, { quick: true });
    const e1 = map.units.filter((u) => u.layer === 1 && u.type === 'E');
    expect(e1.map((u) => u.orientationDeg)).toEqual([0, 45, 90, 135, 0, 45, 90, 135]);
    for (const u of e1) {
      expect(Math.abs(u.x - 17)).toBeLessThanOrEqual(1);
      expect(Math.abs(u.y - 17)).toBeLessThanOrEqual(1);
    }
    const dir = tempDir('predlab-rf-');
    const keyed = Object.assign(Object.create(Object.getPrototypeOf(r)), r, { cacheKey: 'abc123' }) as Responder;
    const first = await receptiveFields({ responder: keyed, quick: true, cacheDir: dir });
    expect(first.cached).toBe(false);
    expect(fs.existsSync(path.join(dir, 'rf-abc123-quick.json'))).toBe(true);
    const second = await receptiveFields({ responder: keyed, quick: true, cacheDir: dir });
    expect(second.cached).toBe(true);
    expect(second.units).toEqual(first.units);
    // A damaged cache is remeasured, not trusted.
    fs.writeFileSync(path.join(dir, 'rf-abc123-quick.json'), '{"format":');
    expect((await receptiveFields({ responder: keyed, quick: true, cacheDir: dir })).cached).toBe(false);
  });
});

describe('length suppression', () => {
  it('says yes for end-stopped units beside units without end zones, and that removing feedback weakens it', async () => {
    const res = await lengthSuppression.run(ctxOf(endStopped(1), { untrained: endStopped(0) }));
    wellFormed(res);
    expect(res.verdict.effect).toBe(true);
    expect(res.verdict.statistic!.value).toBeLessThan(0.5);
    expect(res.verdict.text).toMatch(/^length suppression in E1: yes; beyond the untrained network: yes, weaker without feedback: yes\. Response at the longest bar .*x peak \[.*\]/);
    expect(res.verdict.comparisons!.map((c) => [c.rule, c.holds])).toEqual([['CI below 0', true], ['CI above 0', true]]);
    expect(res.verdict.beside![0]!.statistic!.value).toBeGreaterThan(0.9);
    // The untrained network's rows beside the model's.
    expect(new Set(res.table.rows.map((r) => r[0]))).toEqual(new Set(['model', 'untrained']));
    expect(res.arrays!.map((a) => a.name)).toContain('untrained/length_suppression/responses');
  });

  it('says no for units without end zones, and a null beside itself cannot pass', async () => {
    const res = await lengthSuppression.run(ctxOf(endStopped(0), { untrained: endStopped(0) }));
    wellFormed(res);
    expect(res.verdict.effect).toBe(false);
    expect(res.verdict.statistic!.value).toBeGreaterThan(0.9);
    const same = await lengthSuppression.run(ctxOf(endStopped(1), { untrained: endStopped(1) }));
    expect(same.verdict.effect).toBe(false);
    expect(same.verdict.text).toMatch(/beyond the untrained network: no, weaker without feedback: yes/);
  });

  it('is undetermined without an untrained network to compare with', async () => {
    const res = await lengthSuppression.run(ctxOf(endStopped(1)));
    expect(res.verdict.effect).toBeNull();
    expect(res.verdict.comparisons![0]!.rule).toMatch(/not determined: no untrained network beside/);
  });
});

describe('on/off dynamics', () => {
  it('says yes for units with onset and offset transients beside sustained-only ones', async () => {
    const res = await onOff.run(ctxOf(onOffUnits(true), { untrained: onOffUnits(false) }));
    wellFormed(res);
    expect(res.verdict.effect).toBe(true);
    expect(res.verdict.text).toMatch(/^on\/off dynamics in E1: yes; onset transient beyond the untrained network: yes, offset transient beyond it: yes\./);
    expect(res.verdict.comparisons!.every((c) => c.holds === true)).toBe(true);
  });

  it('says no for sustained-only units, and for transients no larger than the untrained network\'s', async () => {
    const res = await onOff.run(ctxOf(onOffUnits(false), { untrained: onOffUnits(false) }));
    wellFormed(res);
    expect(res.verdict.effect).toBe(false);
    expect(res.verdict.statistic!.value).toBeCloseTo(1, 5);
    const same = await onOff.run(ctxOf(onOffUnits(true), { untrained: onOffUnits(true) }));
    expect(same.verdict.effect).toBe(false);
    expect(same.verdict.text).toMatch(/onset transient beyond the untrained network: no, offset transient beyond it: no/);
  });
});

describe('sequence learning', () => {
  it('says yes when error units respond less to trained pairs, with the paired increase over before training', async () => {
    const res = await sequenceLearning.run(ctxOf(pairLearner(true), { untrained: pairLearner(false) }));
    wellFormed(res);
    expect(res.verdict.effect).toBe(true);
    expect(res.verdict.statistic!.ci![0]).toBeGreaterThan(1);
    expect(res.verdict.comparisons!.map((c) => c.holds)).toEqual([true, true]);
    // The untrained network trained the same way, beside (not a test).
    expect(res.verdict.beside![0]!.who).toBe('untrained');
    expect(res.notes.at(-1)).toMatch(/not a null here/);
  });

  it('says no when training teaches nothing, and is skipped for a responder that cannot train', async () => {
    const res = await sequenceLearning.run(ctxOf(pairLearner(false)));
    wellFormed(res);
    expect(res.verdict.effect).toBe(false);
    const fixed = endStopped(0);
    const skipped = await sequenceLearning.run(ctxOf(fixed));
    expect(skipped.verdict.effect).toBeNull();
    expect(skipped.verdict.text).toMatch(/cannot be trained/);
  });
});

describe('on a small random PredNet made with the CLI', () => {
  let responder: PredNetResponder;
  const dataDir = tempDir('predlab-battery-');
  const ckpt = path.join(dataDir, 'tiny');

  beforeAll(async () => {
    const r = predlab(['model', 'init', '--height', '32', '--width', '40', '--seed', '3', '--out', ckpt, '--json'], { PREDLAB_DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    await initBackend();
    responder = PredNetResponder.fromCheckpoint(ckpt);
  }, 120_000);

  it('lists the experiments in the paper order', () => {
    expect(EXPERIMENTS.map((e) => e.id).slice(0, 3)).toEqual(['length-suppression', 'on-off', 'sequence-learning']);
  });

  it('ablating feedback changes R below the top layer, not the top layer\'s first non-zero step', async () => {
    const seq = sequenceOf({ height: 32, width: 40, channels: 3 }, Array.from({ length: 3 }, () => objectImage({ height: 32, width: 40, channels: 3 }, 5)));
    const probes = [{ layer: 0, type: 'R' as const }, { layer: 3, type: 'R' as const }];
    const [intact] = await responder.run([seq], 3, { probes });
    const [ablated] = await responder.run([seq], 3, { probes, ablateFeedback: true });
    const diff = (k: number, t: number) => {
      const per = intact![k]!.data.length / 3;
      let s = 0;
      for (let i = t * per; i < (t + 1) * per; i++) s += Math.abs(intact![k]!.data[i]! - ablated![k]!.data[i]!);
      return s;
    };
    // All R are 0 at step 0 (zero states and biases); at step 1 R0 takes R1(1), which the ablation zeroes.
    expect(diff(0, 1)).toBeGreaterThan(1e-4);
    // The top layer has no top-down input: at step 1 (its first non-zero step) it cannot change.
    expect(intact![1]!.data.subarray(intact![1]!.data.length / 3, (2 * intact![1]!.data.length) / 3).some((v) => v !== 0)).toBe(true);
    expect(diff(1, 1)).toBe(0);
    // The plain run (no ablation) is PredNet.run's output (tfjs; the responder recorded on ONNX Runtime).
    expect(await responder.engine()).toMatch(/^onnxruntime-node /);
    const x = tf.tensor5d(seq, [1, 3, 32, 40, 3]);
    const y = responder.net.run(x, { unit: 'R', layer: 0 });
    const want = tf.transpose(y.squeeze([0]), [0, 3, 1, 2]);
    expect(maxDiff(intact![0]!.data, (await want.data()) as Float32Array)).toBeLessThan(1e-5);
    tf.dispose([x, y, want]);
  });

  it('records every unit type the same on ONNX Runtime as on tfjs step by step, with and without feedback', async () => {
    const size = { height: 32, width: 40, channels: 3 };
    const seqs = [3, 9].map((s) => sequenceOf(size, Array.from({ length: 4 }, (_, t) => objectImage(size, s + t))));
    const probes = [0, 2, 3].flatMap((layer) => (['R', 'E', 'A', 'Ahat'] as const).map((type) => ({ layer, type })));
    expect(await responder.engine()).toMatch(/^onnxruntime-node /);
    const saved = process.env.PREDLAB_INFERENCE;
    process.env.PREDLAB_INFERENCE = 'tfjs';
    const onTfjs = PredNetResponder.fromCheckpoint(ckpt);
    try {
      expect(await onTfjs.engine()).toBe('tfjs (PREDLAB_INFERENCE=tfjs)');
      const run = (r: PredNetResponder, ablateFeedback: boolean) => r.run(seqs, 4, { probes, ablateFeedback });
      const [onnxIntact, onnxAblated, tfjsIntact, tfjsAblated] = [await run(responder, false), await run(responder, true), await run(onTfjs, false), await run(onTfjs, true)];
      probes.forEach((p, k) => {
        const at = (recs: typeof onnxIntact) => recs.map((r) => r[k]!.data);
        const dist = (a: Float32Array[], b: Float32Array[]) => a.reduce((s, x, n) => s + sumAbsDiff(x, b[n]!), 0);
        expect(onnxIntact[0]![k]!.shape).toEqual(tfjsIntact[0]![k]!.shape);
        // The engines agree far more closely than the ablation changes the units (below the top layer).
        const ablation = dist(at(tfjsIntact), at(tfjsAblated));
        const engines = Math.max(dist(at(onnxIntact), at(tfjsIntact)), dist(at(onnxAblated), at(tfjsAblated)));
        // (A0 is the frame itself; the top layer's R has no feedback to lose.)
        if (p.layer < 3 && !(p.type === 'A' && p.layer === 0)) expect(ablation, `${p.type}${p.layer}`).toBeGreaterThan(0.1);
        expect(engines, `${p.type}${p.layer}`).toBeLessThan(1e-4 * Math.max(1, ablation));
      });
    } finally {
      if (saved === undefined) delete process.env.PREDLAB_INFERENCE;
      else process.env.PREDLAB_INFERENCE = saved;
      onTfjs.dispose();
    }
  });

  it('trains a copy (sequence learning) on ONNX Runtime to the units tfjs training gives, and leaves itself untouched', async () => {
    const size = { height: 32, width: 40, channels: 3 };
    const seqs = [4, 11, 17].map((s) => sequenceOf(size, Array.from({ length: 4 }, (_, t) => objectImage(size, s + t))));
    const probes = [{ layer: 1, type: 'E' as const }, { layer: 0, type: 'Ahat' as const }];
    const before = await responder.run([seqs[0]!], 4, { probes });
    const saved = process.env.PREDLAB_TRAINING;
    const units: Float32Array[][] = [];
    try {
      for (const engine of ['onnxruntime', 'tfjs']) {
        process.env.PREDLAB_TRAINING = engine;
        const trained = (await responder.trainOn(seqs, 4, 3)) as PredNetResponder;
        expect(trained.trainedWith).toMatch(engine === 'tfjs' ? /^tfjs / : /^onnxruntime-node /);
        const [rec] = await trained.run([seqs[0]!], 4, { probes });
        units.push(rec!.map((r) => r.data));
        trained.dispose?.();
      }
    } finally {
      if (saved === undefined) delete process.env.PREDLAB_TRAINING;
      else process.env.PREDLAB_TRAINING = saved;
    }
    const [onnx, tfjs] = units as [Float32Array[], Float32Array[]];
    probes.forEach((p, k) => {
      const moved = maxDiff(tfjs[k]!, before[0]![k]!.data);
      // Training changed the units; both engines changed them alike.
      expect(moved, `${p.type}${p.layer}`).toBeGreaterThan(1e-3);
      expect(maxDiff(onnx[k]!, tfjs[k]!), `${p.type}${p.layer}`).toBeLessThan(0.05 * moved);
    });
    // The responder itself is not trained.
    expect(maxDiff((await responder.run([seqs[0]!], 4, { probes }))[0]![0]!.data, before[0]![0]!.data)).toBe(0);
  });

  it('runs each experiment to a well-formed, finite result beside an untrained network of its architecture, and shows no effect (it is itself untrained)', async () => {
    const cacheDir = tempDir('predlab-battery-cache-');
    const references = referencesFor(responder);
    expect(references.untrained!.name).toBe('untrained PredNet (seed 1)');
    for (const e of [lengthSuppression, onOff, sequenceLearning]) {
      const res = await e.run({ ...ctxOf(responder, { cacheDir, references }) });
      expect(res.id).toBe(e.id);
      wellFormed(res);
      expect(res.verdict.statistic).not.toBeNull();
      expect(res.verdict.effect, res.verdict.text).not.toBe(true);
    }
    // One map for the checkpoint, one for the untrained network (its key: architecture and seed).
    expect(fs.readdirSync(cacheDir).filter((f) => f.startsWith('rf-'))).toHaveLength(2);
    expect(fs.readdirSync(cacheDir).filter((f) => f.startsWith('rf-untrained-'))).toHaveLength(1);
  }, 600_000);
});
