/**
 * `npm run bench`: numbers, not assertions.
 *  1. Frame intervals of a continuous presentation of every paradigm's trials in Chromium (the Calibrate page's
 *     display timing test, through the built renderer): mean, SD, max, dropped frames.
 *  2. Trial-commit latency (one answer = one transaction) with synchronous=FULL (what sessions
 *     use) and NORMAL, as a ratio.
 *  3. Time to fit a 140-trial session with 500 bootstrap samples.
 *  2b. Cost of one answer (next + record) at trials 10, 1,000 and 10,000 of a 10,000-trial
 *     adaptive session, and of resuming it (rebuilding the design state once).
 *  4. Model trials per second (PredNet small and kitti as flash-lag participants).
 *  5. Capture to disk: MB/s of one-second chunks of 128x160 frames appended through the dataset
 *     store (one fsync and one commit per chunk) and through the app's capture channel (service
 *     thread), as a ratio to plain fs.appendFile of the same chunks in the same run; and how
 *     long the service thread takes to answer while it runs an import job (imports and exports
 *     share that thread: ffmpeg decodes and resizes, the thread writes 4 MiB at a time).
 * Options: --seconds N (presentation length, default 60), --commits N (default 300),
 *  --chunks N (capture chunks, default 200), --only answer-cost|capture (just 2b or 5).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseSession } from '../main/services/analysis.js';
import { createParticipant } from '../main/services/participants.js';
import { nextTrial, recordTrial, startSession } from '../main/services/sessions.js';
import { planFromHistory } from '../paradigms/types.js';
import { simulateSession } from '../main/services/simulate.js';
import { appendFrames, createDataset, finishRecording, startRecording } from '../main/services/datasets.js';
import { bootstrap } from '../main/bootstrap.js';
import { ffmpegPath } from '../main/services/datasets-ffmpeg.js';
import { spawnSync } from 'node:child_process';
import { openDatabase } from '../main/store/db.js';
import { initBackend } from '../native-models/backend.js';
import { answerTrials, observerSettingsSchema } from '../native-models/observer/observer.js';
import { prednetPredictor } from '../native-models/observer/predictors.js';
import { PRESETS } from '../native-models/prednet/config.js';
import { PredNet } from '../native-models/prednet/model.js';
import { flashLag } from '../paradigms/flash-lag/index.js';
import type { PredlabApi } from '../preload/api.js';
import { openApp } from '../test/support/app.js';
import { predlab } from '../test/support/cli-child.js';
import { CALIBRATION, FRAME_TIMING, tempDir } from '../test/support/db.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, commits: { type: 'string', default: '300' }, chunks: { type: 'string', default: '200' }, only: { type: 'string' } } });
const seconds = Number(values.seconds);
const commits = Number(values.commits);

const stats = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, median: s[Math.floor(s.length / 2)]!, p95: s[Math.floor(s.length * 0.95)]!, max: s.at(-1)! };
};
const f = (x: number, d = 3) => x.toFixed(d);

/** A lab folder with a small PredNet made by the CLI, as a user makes one; returns its model id. */
function labWithSmallModel(dataDir: string): number {
  const r = predlab(['model', 'init', '--preset', 'small', '--out', path.join(dataDir, 'small'), '--json'], { PREDLAB_DATA_DIR: dataDir });
  if (r.code !== 0) throw new Error(`predlab model init failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { modelId: number }).modelId;
}

async function frameTiming(withModel = false) {
  const dataDir = tempDir('predlab-bench-lab-');
  const modelId = withModel ? labWithSmallModel(dataDir) : null;
  const calibration = { ...CALIBRATION, refreshHz: 60 };
  const app = await openApp({ dataDir, calibration });
  const jobs = () => app.page.evaluate(() => (window as unknown as { predlab: PredlabApi }).predlab['models:jobs']({}));
  try {
    const { page } = app;
    if (modelId !== null) {
      // As the Run page does: a session with the model as companion, which takes the same
      // protocol in the app's background worker; many trials, so it runs the whole presentation.
      await page.evaluate(
        async ({ modelId, calibration }) => {
          const api = (window as unknown as { predlab: PredlabApi }).predlab;
          const p = await api['participants:create']({ kind: 'human', label: 'bench' });
          await api['sessions:start']({ participantId: p.id, paradigmId: 'flash-lag', parameters: { trialsPerOffset: 40 }, seed: 1, calibration, companionModelId: modelId });
        },
        { modelId, calibration },
      );
      if ((await jobs()).length !== 1) throw new Error('the companion model session did not start');
      await new Promise((r) => setTimeout(r, 3000)); // let it load and start computing
    }
    await page.getByTestId('nav-calibrate').click();
    await page.getByTestId('timing-seconds').fill(String(seconds));
    await page.getByTestId('timing-run').click();
    const report = page.getByTestId('timing-report');
    await report.waitFor({ timeout: (seconds + 60) * 1000 });
    const r = JSON.parse((await report.getAttribute('data-report'))!) as { frames: number; intervalMeanMs: number; intervalSdMs: number; intervalMaxMs: number; droppedFrames: number; refreshHz: number };
    const job = modelId !== null ? (await jobs())[0]! : null;
    if (job?.state === 'error') throw new Error(`the companion model session failed: ${job.error}`);
    return { ...r, modelTrials: job ? job.done : null, modelRunning: job ? job.state === 'running' : null };
  } finally {
    await app.close();
  }
}

function commitLatency(synchronous: 'FULL' | 'NORMAL') {
  const db = openDatabase(path.join(tempDir(), 'bench.sqlite'));
  db.pragma(`synchronous = ${synchronous}`);
  const p = createParticipant(db, { kind: 'human', label: 'bench' });
  const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { trialsPerOffset: Math.ceil(commits / 7) }, seed: 1, calibration: CALIBRATION });
  const times: number[] = [];
  for (let i = 0; i < commits; i++) {
    const t = nextTrial(db, s.id)!;
    const t0 = performance.now();
    recordTrial(db, s.id, { trialIndex: t.index, response: 'left', rtMs: 500, frameTiming: { ...FRAME_TIMING, intervalsMs: Array(96).fill(16.667) } });
    times.push(performance.now() - t0);
  }
  db.close();
  return stats(times);
}

/** next + record at given trial numbers of one long staircase session (mean over 20 answers each). */
function answerCost(at: number[]) {
  const file = path.join(tempDir(), 'answers.sqlite');
  let db = openDatabase(file);
  const p = createParticipant(db, { kind: 'human', label: 'bench' });
  const total = Math.max(...at) + 20;
  const resumeAt = Math.round(total / 2);
  const s = startSession(db, { participantId: p.id, paradigmId: 'flash-lag', parameters: { design: 'staircase', staircaseTrials: total }, seed: 1, calibration: CALIBRATION });
  const cost = new Map<number, number>();
  let resumeMs = 0;
  for (let i = 0; i < total; i++) {
    if (i === resumeAt) {
      // Resume: a new connection rebuilds the design state from the stored answers, once.
      db.close();
      db = openDatabase(file);
      const t0 = performance.now();
      nextTrial(db, s.id);
      resumeMs = performance.now() - t0;
    }
    const t0 = performance.now();
    const t = nextTrial(db, s.id)!;
    recordTrial(db, s.id, { trialIndex: t.index, response: i % 3 ? 'left' : 'right', rtMs: 500, frameTiming: FRAME_TIMING });
    const ms = performance.now() - t0;
    for (const a of at) if (i >= a && i < a + 20) cost.set(a, (cost.get(a) ?? 0) + ms / 20);
  }
  db.close();
  return { cost, resumeMs, resumeAt };
}

function fitTime() {
  const db = openDatabase(path.join(tempDir(), 'fit.sqlite'));
  const s = simulateSession(db, { paradigmId: 'flash-lag', seed: 3, observer: { pse: 0.6, sigma: 0.5, guess: 0.02, lapse: 0.02 } });
  const t0 = performance.now();
  analyseSession(db, s.id, { bootstrap: 500 });
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

console.log(`PredLab bench (${new Date().toISOString()}, node ${process.version})\n`);
if (values.only === 'answer-cost') {
  printAnswerCost();
  process.exit(0);
}
if (values.only === 'capture') {
  await printCapture();
  process.exit(0);
}

/**
 * 5. Capture-to-disk throughput: the same chunks (1 s of 128x160 RGB at 10 frames/s = 600 KiB)
 * written by plain fs.appendFile, by the store's appendFrames (write, fsync, count committed),
 * and through the app's capture channel (structured clone to the service thread, validation).
 */
async function captureThroughput(chunks: number) {
  const dir = tempDir('predlab-bench-capture-');
  const chunk = new Uint8Array(10 * 128 * 160 * 3).map((_, i) => (i * 7) % 251);
  const mb = (chunks * chunk.length) / 1e6;
  const time = async (fn: () => Promise<void> | void) => {
    const t0 = performance.now();
    await fn();
    return (performance.now() - t0) / 1000;
  };
  const raw = await time(async () => {
    const file = path.join(dir, 'raw.u8');
    for (let i = 0; i < chunks; i++) await fs.promises.appendFile(file, chunk);
  });
  const rawSync = await time(async () => {
    const file = path.join(dir, 'raw-fsync.u8');
    const fh = await fs.promises.open(file, 'a');
    for (let i = 0; i < chunks; i++) {
      await fh.appendFile(chunk);
      await fh.sync();
    }
    await fh.close();
  });
  const db = openDatabase(path.join(dir, 'lab.sqlite'));
  createDataset(db, { name: 'bench', height: 128, width: 160, fps: 10 });
  const store = await time(() => {
    const rec = startRecording(db, dir, 'bench', 'bench');
    for (let i = 0; i < chunks; i++) appendFrames(db, dir, rec.id, chunk);
    finishRecording(db, dir, rec.id);
  });
  db.close();
  const app = bootstrap({ dataDir: path.join(dir, 'app'), appRoot: path.resolve(import.meta.dirname, '..'), chooseExportDir: async () => null });
  await app.ready;
  const call = async (c: string, a: unknown) => {
    const r = await app.handleFromPage('app://predlab/index.html', c, a);
    if (!r.ok) throw new Error(`${c}: ${r.error.message}`);
    return r.value as { recording: { id: number } };
  };
  await call('datasets:create', { name: 'bench', height: 128, width: 160, fps: 10 });
  const channel = await time(async () => {
    const { recording } = await call('datasets:capture-begin', { dataset: 'bench', source: 'bench' });
    for (let i = 0; i < chunks; i++) await call('datasets:capture-append', { recordingId: recording.id, frames: chunk });
    await call('datasets:capture-finish', { recordingId: recording.id });
  });
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { mb, raw, rawSync, store, channel };
}

/** Round trips of a quick call (datasets:jobs) every 25 ms, idle and while a 60 s 640x360 video is imported at 128x160, 10 frames/s. */
async function latencyDuringImport() {
  const dir = tempDir('predlab-bench-import-');
  const video = path.join(dir, 'clip.mp4');
  const gen = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=60', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', video]);
  if (gen.status !== 0) throw new Error(`ffmpeg: ${gen.stderr}`);
  const app = bootstrap({ dataDir: path.join(dir, 'app'), appRoot: path.resolve(import.meta.dirname, '..'), chooseExportDir: async () => path.join(dir, 'out'), chooseImportSource: async () => video });
  await app.ready;
  const call = async (c: string, a: unknown) => {
    const r = await app.handleFromPage('app://predlab/index.html', c, a);
    if (!r.ok) throw new Error(`${c}: ${r.error.message}`);
    return r.value as { id: number; state: string; frames: number }[] & { id: number };
  };
  const probe = async (until: () => Promise<boolean>) => {
    const ms: number[] = [];
    while (!(await until())) {
      const t0 = performance.now();
      await call('datasets:jobs', {});
      ms.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 25));
    }
    return stats(ms);
  };
  const idleEnd = performance.now() + 2000;
  const idle = await probe(async () => performance.now() > idleEnd);
  await call('datasets:create', { name: 'bench', height: 128, width: 160, fps: 10 });
  const t0 = performance.now();
  const job = await call('datasets:import', { dataset: 'bench', kind: 'video' });
  let frames = 0;
  const busy = await probe(async () => {
    const j = (await call('datasets:jobs', {})).find((x) => x.id === job.id)!;
    frames = j.frames;
    if (j.state === 'error') throw new Error('the import failed');
    return j.state !== 'running';
  });
  const seconds = (performance.now() - t0) / 1000;
  const until = (id: number) => async () => {
    const j = (await call('datasets:export-jobs', {})).find((x) => x.id === id)!;
    if (j.state === 'error') throw new Error('the job failed');
    return j.state !== 'running';
  };
  const t1 = performance.now();
  const h5 = await call('datasets:export', { name: 'bench', format: 'hdf5' });
  const exporting = await probe(until(h5.id));
  const h5Seconds = (performance.now() - t1) / 1000;
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { idle, busy, frames, seconds, exporting, h5Seconds };
}

async function printCapture() {
  const chunks = Number(values.chunks);
  console.log(`5. Capture to disk: ${chunks} chunks of 10 frames 128x160 RGB (600 KiB each, one second at 10 frames/s)`);
  const r = await captureThroughput(chunks);
  const rate = (s: number) => `${f(r.mb / s, 1)} MB/s`;
  console.log(`   fs.appendFile (no fsync)         ${rate(r.raw)}`);
  console.log(`   fs appendFile + fsync per chunk  ${rate(r.rawSync)}`);
  console.log(`   dataset store appendFrames       ${rate(r.store)}  (${f(r.raw / r.store, 2)}x of fs.appendFile, ${f(r.rawSync / r.store, 2)}x of appendFile + fsync)`);
  console.log(`   capture channel (service thread) ${rate(r.channel)}  (${f(r.raw / r.channel, 2)}x of fs.appendFile); a camera at 128x160, 30 frames/s needs ${f((30 * 128 * 160 * 3) / 1e6, 2)} MB/s`);
  const l = await latencyDuringImport();
  console.log(`   import of a 60 s 640x360 video as 128x160 at 10 frames/s: ${l.frames} frames in ${f(l.seconds, 1)} s (${f(l.frames / l.seconds, 0)} frames/s)`);
  console.log(`   service thread round trip (datasets:jobs) idle:          median ${f(l.idle.median, 2)} ms  p95 ${f(l.idle.p95, 2)}  max ${f(l.idle.max, 2)}`);
  console.log(`   service thread round trip during the import:            median ${f(l.busy.median, 2)} ms  p95 ${f(l.busy.p95, 2)}  max ${f(l.busy.max, 2)}`);
  console.log(`   service thread round trip during its HDF5 export on the computing thread (${f(l.h5Seconds, 1)} s, first use of the HDF5 library included): median ${f(l.exporting.median, 2)} ms  p95 ${f(l.exporting.p95, 2)}  max ${f(l.exporting.max, 2)}\n`);
}

function printAnswerCost() {
  console.log('2b. Cost of one answer (nextTrial + recordTrial, synchronous=FULL) in a 10,000-trial staircase session (mean of 20 answers from each trial)');
  const { cost, resumeMs, resumeAt } = answerCost([10, 1000, 9980]);
  console.log(`   ${[...cost].map(([a, ms]) => `trial ${a}: ${f(ms)} ms`).join('   ')}`);
  console.log(`   resuming at trial ${resumeAt} (design state rebuilt once from the database): ${f(resumeMs, 1)} ms\n`);
}
console.log(`1. Display timing: ${seconds} s of trials (every paradigm in turn) in headless Chromium (synthetic 60 Hz clock)`);
const ft = await frameTiming();
console.log(`   frames ${ft.frames}  interval mean ${f(ft.intervalMeanMs)} ms  SD ${f(ft.intervalSdMs)} ms  max ${f(ft.intervalMaxMs)} ms  dropped ${ft.droppedFrames} (${f((100 * ft.droppedFrames) / ft.frames, 2)} %)`);
console.log(`   mean interval / nominal (16.667 ms): ${f(ft.intervalMeanMs / (1000 / 60), 4)}`);
const busy = await frameTiming(true);
console.log(`   with a small PredNet (made by the CLI) taking the same protocol as the session's companion in the app's background worker (${busy.modelTrials} trials done meanwhile${busy.modelRunning ? ', still running' : ''}):`);
console.log(`   frames ${busy.frames}  interval mean ${f(busy.intervalMeanMs)} ms  SD ${f(busy.intervalSdMs)} ms  max ${f(busy.intervalMaxMs)} ms  dropped ${busy.droppedFrames} (${f((100 * busy.droppedFrames) / busy.frames, 2)} %)`);
console.log(`   dropped frames with / without the model: ${busy.droppedFrames} / ${ft.droppedFrames}\n`);

console.log(`2. Trial-commit latency, ${commits} answers, one transaction each (with the stored frame intervals)`);
const full = commitLatency('FULL');
const normal = commitLatency('NORMAL');
console.log(`   synchronous=FULL   mean ${f(full.mean)} ms  median ${f(full.median)}  p95 ${f(full.p95)}  max ${f(full.max)}`);
console.log(`   synchronous=NORMAL mean ${f(normal.mean)} ms  median ${f(normal.median)}  p95 ${f(normal.p95)}  max ${f(normal.max)}`);
console.log(`   FULL / NORMAL (mean): ${f(full.mean / normal.mean, 2)}x; FULL p95 as share of a 16.7 ms frame: ${f((100 * full.p95) / (1000 / 60), 1)} %\n`);

printAnswerCost();

console.log('3. Analysis: 140 trials, cumulative Gaussian + guess/lapse, 500 bootstrap samples');
console.log(`   ${f(fitTime(), 0)} ms\n`);

console.log('4. Model trials per second (flash-lag defaults: 1.6 s trials at 10 model frames/s = 16 frames; batch 8)');
await initBackend();
for (const [preset, n] of [['small', 16], ['kitti', 4]] as const) {
  const net = PredNet.create(PRESETS[preset], 1);
  const params = flashLag.parameterSchema.parse({});
  const trials = [...Array(n).keys()].map((i) => planFromHistory(flashLag, params, 1, i)!);
  const view = { width: net.config.width, height: net.config.height, channels: 3, fovDeg: 20, frameRateHz: 10 };
  const t0 = performance.now();
  await answerTrials(flashLag, trials, prednetPredictor(net), view, observerSettingsSchema.parse({}));
  const s = (performance.now() - t0) / 1000;
  console.log(`   ${preset.padEnd(5)} ${f(n / s, 2)} trials/s (${n} trials in ${f(s, 1)} s, rasterizing included)`);
  net.dispose();
}

await printCapture();
