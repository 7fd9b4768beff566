/** A checkpoint's prediction on fresh procedural video against copying the last frame (for checkpoints that record none). */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../main/services/default-model.js';
import { scoreOnFreshVideo } from '../../main/services/models.js';
import { initBackend } from '../../native-models/backend.js';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/db.js';

const shipped = defaultModelDir(path.resolve(import.meta.dirname, '../..'));

beforeAll(async () => {
  await initBackend();
});

describe('scoreOnFreshVideo', () => {
  it('the trained default predicts far better than an untrained PredNet of its size on the same fresh video', async () => {
    const dir = tempDir();
    const fresh = path.join(dir, 'untrained');
    const r = await cli('model', 'init', '--height', '64', '--width', '80', '--seed', '1', '--out', fresh, '--db', path.join(dir, 'lab.sqlite'), '--json');
    expect(r.code, r.err).toBe(0);
    // Few sequences: about 0.25 s per frame on this loaded machine.
    const trained = await scoreOnFreshVideo(shipped, { recordings: 3, seed: 5, maxSequences: 3 });
    const untrained = await scoreOnFreshVideo(fresh, { recordings: 3, seed: 5, maxSequences: 3 });
    // Same video: the same copy-last-frame baseline, whatever the model.
    expect(untrained.copyLastFrame).toBe(trained.copyLastFrame);
    expect(trained).toMatchObject({ recordings: 3, seed: 5, sequences: 3 });
    expect(trained.ratio).toBeCloseTo(trained.model / trained.copyLastFrame, 12);
    // An untrained PredNet predicts a grey nothing: several times worse than copying the last frame; the trained one is near it.
    expect(untrained.ratio).toBeGreaterThan(3);
    expect(trained.ratio).toBeLessThan(0.5 * untrained.ratio);
  }, 300_000);

  it('refuses a size past its limit and a folder that is not a checkpoint, by name', async () => {
    await expect(scoreOnFreshVideo(shipped, { recordings: 1000 })).rejects.toThrow(/recordings must be a whole number from 1 to 200; got 1000/);
    await expect(scoreOnFreshVideo(shipped, { maxSequences: 0 })).rejects.toThrow(/maxSequences must be a whole number from 1 to 2000; got 0/);
    await expect(scoreOnFreshVideo(tempDir())).rejects.toThrow(/is not a PredLab checkpoint/);
  });
});
