/**
 * The Kanizsa model readouts, validated on cases with known answers: a decoder trained on real
 * contours reads them near ceiling at large rotations and at chance when the rotation is
 * invisible; the contour index rises one frame after the real contour appears (copy-last-frame)
 * and stays flat where nothing is drawn. Then a PredNet checkpoint takes a Kanizsa protocol.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli/index.js';
import { analyseSession } from '../../main/services/analysis.js';
import { trialRows } from '../../main/services/sessions.js';
import { openDatabase } from '../../main/store/db.js';
import { initBackend } from '../../native-models/backend.js';
import { saveCheckpoint } from '../../native-models/checkpoint.js';
import { answerTrials, observerSettingsSchema } from '../../native-models/observer/observer.js';
import { copyLastFrame } from '../../native-models/observer/predictors.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { contourIndexRise, kanizsa, kanizsaParamsSchema, trainLogistic, decide, type KanizsaStimulus } from '../../paradigms/kanizsa/index.js';
import { planFromHistory, type AnsweredTrial, type ModelView } from '../../paradigms/types.js';
import { tempDb, tempDir } from '../support/db.js';

// Authored at the model's rate (phases of whole model frames): sample mode.
const view: ModelView = { width: 80, height: 64, channels: 1, fovDeg: 20, frameRateHz: 10, temporal: { mode: 'sample', exposure: 1, subSamples: 1 } };

async function observe(over: Record<string, unknown>, seed = 3) {
  const params = kanizsaParamsSchema.parse({ preMs: 300, presentationMs: 400, ...over });
  const trials = Array.from({ length: kanizsa.design.trialCount(params) }, (_, i) => planFromHistory(kanizsa, params, seed, i)!);
  const answers = await answerTrials(kanizsa, trials, copyLastFrame, view, observerSettingsSchema.parse({ layer: 'prediction', decisionNoiseDeg: 0.1, temporalMode: 'sample' }), { parameters: params, seed });
  return trials.map((t, i): AnsweredTrial<KanizsaStimulus> => ({ index: i, stimulus: t.stimulus, response: answers[i]!.response, extra: answers[i]!.extra }));
}

const accuracy = (ts: AnsweredTrial<KanizsaStimulus>[]) => ts.filter((t) => (t.response === 'fat') === t.stimulus.alphaDeg > 0).length / ts.length;

describe('logistic regression', () => {
  it('separates separable data and generalises the direction', () => {
    const xs = Array.from({ length: 40 }, (_, i) => Float32Array.from([i % 2 ? 1 + (i % 5) * 0.1 : -1 - (i % 3) * 0.1, (i % 7) - 3, 5]));
    const ys = xs.map((x) => (x[0]! > 0 ? 1 : 0));
    const fit = trainLogistic(xs, ys);
    expect(xs.every((x, i) => decide(fit, x) > 0 === ys[i]! > 0)).toBe(true);
    expect(decide(fit, Float32Array.from([3, 0, 5]))).toBeGreaterThan(0);
    expect(decide(fit, Float32Array.from([-3, 0, 5]))).toBeLessThan(0);
  });
});

describe('Kanizsa decoder readout (trained on real contours)', () => {
  it('reads real contours near ceiling at large rotations', async () => {
    const trials = await observe({ conditions: ['real'], alphasDeg: [8], trialsPerLevel: 10 });
    expect(trials[0]!.extra!.decoderTrainAccuracy).toBeGreaterThan(0.95);
    expect(accuracy(trials)).toBeGreaterThanOrEqual(0.95);
    // The perceived rotation has the right sign and roughly the right size.
    const fat = trials.filter((t) => t.stimulus.alphaDeg > 0).map((t) => t.extra!.perceivedAlphaDeg as number);
    expect(Math.min(...fat)).toBeGreaterThan(2);
  });

  it('is at chance when the rotation is too small to show', async () => {
    const trials = await observe({ conditions: ['real'], alphasDeg: [0.01, 8], trialsPerLevel: 30 });
    const tiny = trials.filter((t) => Math.abs(t.stimulus.alphaDeg) === 0.01);
    expect(accuracy(tiny)).toBeGreaterThan(0.3);
    expect(accuracy(tiny)).toBeLessThan(0.7);
    expect(accuracy(trials.filter((t) => Math.abs(t.stimulus.alphaDeg) === 8))).toBeGreaterThanOrEqual(0.95);
  });

  it('stores a contour index that rises one frame after a real contour appears and stays flat for illusory ones', async () => {
    const trials = await observe({ conditions: ['real', 'illusory'], alphasDeg: [4], trialsPerLevel: 2 });
    const rise = contourIndexRise(trials);
    expect(rise.get('real')!.riseStep).toBe(1); // copy-last-frame predicts one frame late
    const real = rise.get('real')!.mean;
    const illusory = rise.get('illusory')!.mean;
    // Pixels between the pac-men stay background: no index in the image itself.
    expect(Math.max(...illusory)).toBeLessThan(0.05 * Math.max(...real));
    // The analysis carries the time courses (aligned at the onset) and the rise steps.
    const a = kanizsa.analyse(kanizsaParamsSchema.parse({ conditions: ['real', 'illusory'], alphasDeg: [4], trialsPerLevel: 2 }), trials, { bootstrap: 0 });
    const tc = a.timeCourses!.find((t) => t.key === 'contour-index')!;
    expect(tc.series.map((s) => s.label)).toEqual(['real (luminance lines)', 'illusory (pac-men)']);
    expect(tc.series[0]!.points.find(([x]) => x === 0)).toBeDefined();
    // In ms of the model's clock: one frame at 10 frames/s.
    expect(a.statistics.find((s) => s.key === 'contour-rise-real')).toMatchObject({ value: 100, unit: 'ms' });
    expect(tc.xLabel).toMatch(/ms from the figure onset \(model frames of 100 ms\)/);
  });
});

describe('PredNet takes a Kanizsa protocol', () => {
  let checkpoint: string;
  beforeAll(async () => {
    await initBackend();
    checkpoint = path.join(tempDir(), 'tiny');
    const net = PredNet.create(predNetConfigSchema.parse({ height: 32, width: 40, stackSizes: [3, 8], rStackSizes: [3, 8], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] }), 2);
    await saveCheckpoint(checkpoint, net, { source: { kind: 'init' } });
    net.dispose();
  });

  it('through the CLI: decoder on layer E1, answers, contour index and a threshold per condition', async () => {
    const { file } = tempDb();
    let out = '';
    let err = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
    const args = ['--db', file, 'session', 'run', '--paradigm', 'kanizsa', '--model', checkpoint, '--seed', '2', '--param', 'alphasDeg=[1,4,8]', '--param', 'trialsPerLevel=1', '--param', 'presentationMs=400', '--param', 'preMs=200', '--json'];
    expect(await runCli(args, io), err).toBe(0);
    const { sessionId, trials } = JSON.parse(out);
    expect(trials).toBe(18);
    out = '';
    expect(await runCli(['--db', file, 'analyze', '--session', String(sessionId), '--bootstrap', '20', '--json'], io), err).toBe(0);
    const a = JSON.parse(out);
    expect(a.conditions.map((c: { key: string }) => c.key)).toEqual(['illusory', 'real', 'control']);
    for (const c of a.conditions) expect(c.statistics.map((s: { key: string }) => s.key)).toContain('threshold');
    // Completion is reported, and with 6 trials per condition it says why it is not determined.
    const completion = a.statistics.find((s: { key: string }) => s.key === 'completion');
    expect(completion).toMatchObject({ comparable: true, determined: false });
    expect(completion.undetermined).toMatch(/^Not determined by the data: [0-6] illusory trial\(s\)/);
    const db2 = openDatabase(file);
    const extra = JSON.parse(trialRows(db2, sessionId)[0]!.extra!);
    expect(extra.layer).toBe('E1');
    expect(extra.decoderUnits).toBeGreaterThan(0);
    expect(extra.frameRateHz).toBe(10);
    expect(extra.contourIndex).toHaveLength(2 + 4);
    expect(analyseSession(db2, sessionId, { bootstrap: 0 }).statistics.some((s) => s.key.startsWith('contour-rise-'))).toBe(true);
    db2.close();
  }, 120_000);
});
