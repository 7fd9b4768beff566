/**
 * The packaged app's smoke run (main/electron/smoke.ts, `PredLab --smoke` in the release workflow)
 * cannot start Electron here; its steps can run. Serialised as main.ts sends them to the page, they
 * run against the app's real services (bootstrap, service threads, SQLite, model engine) through the
 * preload's own API factory: the default model registered at start, a two-trial simulated session,
 * a one-trial model session on ONNX Runtime, and an MP4 export through ffmpeg.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServices, type AppServices } from '../../main/bootstrap.js';
import { smokeFailure, smokeSteps, type SmokeReport } from '../../main/electron/smoke.js';
import { createApi } from '../../preload/api.js';
import type { Channel } from '../../preload/contract.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');
let services: AppServices;

beforeAll(async () => {
  const dataDir = tempDir();
  // As main.ts in smoke mode: exports go to a folder in the temporary data folder, no dialog.
  services = await startServices({ dataDir, appRoot: root, chooseExportDir: async (name) => path.join(dataDir, 'exports', name) });
}, 120_000);
afterAll(() => services?.close());

describe('smoke steps', () => {
  it('run as the page runs them: a two-trial simulated session and a one-trial model session with the default model', async () => {
    const api = createApi((channel: Channel, args) => services.invoke(channel, args));
    // As the app does: the function from an esbuild bundle (as in dist/main/main.cjs), its source
    // text evaluated on its own, with nothing from any module's scope.
    const out = await build({ entryPoints: [path.join(root, 'main/electron/smoke.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', write: false, logLevel: 'warning' });
    const mod = { exports: {} as { smokeSteps?: typeof smokeSteps } };
    new Function('module', 'exports', out.outputFiles[0]!.text)(mod, mod.exports);
    const steps = new Function(`return (${mod.exports.smokeSteps!.toString()})`)() as typeof smokeSteps;
    const report: SmokeReport = await steps(api);
    expect(smokeFailure(report)).toBeNull();
    expect(report.models).toBeGreaterThan(0);
    expect(report.simulated).toMatchObject({ status: 'complete', answered: 2, total: 2 });
    expect(report.model).toMatchObject({ status: 'complete', answered: 1, total: 1, inference: 'onnxruntime' });
    expect(report.model.label).toMatch(/default/);
    expect(report.video.state, report.video.message).toBe('done');
    expect(report.video.message).toMatch(/Wrote 1 MP4 file \(10 frames\)/);
    // The sessions are in the lab, the model's marked as a model's.
    const sessions = await api['sessions:list']({});
    expect(sessions.find((s) => s.id === report.model.sessionId)?.participant.kind).toBe('model');
    expect(sessions.find((s) => s.id === report.simulated.sessionId)?.answered).toBe(2);
    expect(smokeFailure({ ...report, model: { ...report.model, status: 'aborted' } })).toMatch(/model session ended aborted/);
    expect(smokeFailure({ ...report, model: { ...report.model, inference: 'tfjs' } })).toMatch(/not ONNX Runtime/);
    expect(smokeFailure({ ...report, video: { state: 'error', message: 'spawn ENOENT' } })).toMatch(/MP4 export \(ffmpeg\) ended error/);
  }, 180_000);
});
