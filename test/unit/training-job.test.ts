/** A training job in a worker thread: progress events, pause, resume, cancel. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTraining } from '../../main/services/training.js';
import { initBackend } from '../../native-models/backend.js';
import { readManifest, saveCheckpoint } from '../../native-models/checkpoint.js';
import { writeNpy } from '../../native-models/npy.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import type { TrainEvent } from '../../native-models/training/trainer.js';
import { tempDir } from '../support/db.js';

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = tempDir('predlab-job-');
  const cfg = predNetConfigSchema.parse({ height: 8, width: 8, stackSizes: [1, 4], rStackSizes: [1, 4], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] });
  const net = PredNet.create(cfg);
  await saveCheckpoint(path.join(dir, 'init'), net, { source: { kind: 'init' } });
  net.dispose();
  const v = movingBarVideo({ height: 8, width: 8, recordings: 4, framesPerRecording: 10, seed: 1 });
  writeNpy(path.join(dir, 'frames.npy'), { dtype: 'uint8', shape: [v.count, 8, 8, 1], data: v.frames });
  writeNpy(path.join(dir, 'rec.npy'), { dtype: 'int32', shape: [v.count], data: v.recordings });
});

const spec = (out: string, epochs: number) => ({
  from: path.join(dir, 'init'),
  outDir: path.join(dir, out),
  framesFile: path.join(dir, 'frames.npy'),
  recordingsFile: path.join(dir, 'rec.npy'),
  options: { nt: 4, batchSize: 2, epochs, samplesPerEpoch: 20, valSequences: 2, valFraction: 0.25 },
});

describe('training job (worker thread)', () => {
  it('reports progress, pauses, resumes and finishes', async () => {
    const job = startTraining(spec('paused', 3));
    const events: TrainEvent[] = [];
    // The worker says which engine trains where it says the backend (the CLI's and the Training page's line).
    const backends: { choice: string; detail: string }[] = [];
    job.on('backend', (b) => backends.push(b));
    let pausedAt = -1;
    job.on('event', (e) => {
      events.push(e);
      if (e.type === 'progress' && e.step === 5) job.pause();
      if (e.type === 'paused') {
        pausedAt = events.filter((x) => x.type === 'progress').length;
        setTimeout(() => job.resume(), 300);
      }
    });
    const r = await job.done;
    expect(r).toMatchObject({ step: 30, finished: true, cancelled: false });
    expect(pausedAt).toBeGreaterThanOrEqual(5);
    expect(events.map((e) => e.type)).toContain('resumed');
    const progress = events.filter((e): e is Extract<TrainEvent, { type: 'progress' }> => e.type === 'progress');
    expect(progress.map((p) => p.step)).toEqual([...Array(30).keys()].map((i) => i + 1));
    expect(progress.at(-1)!.framesPerSec).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(3);
    expect(backends.at(-1)).toMatchObject({ choice: 'onnxruntime', detail: expect.stringMatching(/^onnxruntime-node \d+\.\d+\.\d+ \(cpu, \d+ threads?\); previews on tfjs wasm$/) });
    expect(events.find((e) => e.type === 'start')).toMatchObject({ engine: 'onnxruntime' });
  }, 60_000);

  it('cancel stops cleanly and leaves a loadable resume state', async () => {
    const job = startTraining(spec('cancelled', 50));
    job.on('event', (e) => e.type === 'progress' && e.step === 12 && job.cancel());
    const r = await job.done;
    expect(r.cancelled).toBe(true);
    expect(r.step).toBeGreaterThanOrEqual(12);
    expect(r.step).toBeLessThan(20);
    expect(readManifest(path.join(dir, 'cancelled.resume')).training!.step).toBe(r.step);
  }, 60_000);

  it('bad options and files fail before a worker starts', () => {
    expect(() => startTraining({ ...spec('x', 1), options: { nt: 1 } })).toThrow(/nt/);
    expect(() => startTraining({ ...spec('x', 1), framesFile: path.join(dir, 'none.npy') })).toThrow(/does not exist/);
  });
});
