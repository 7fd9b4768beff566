/** `predlab data moving-bars` and `predlab train`: making training video and training a checkpoint on it. */
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { verifyCheckpoint } from '../../native-models/checkpoint.js';
import { NPY_MAX_BYTES, writeNpy } from '../../native-models/npy.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import { MAX_TRAINING_THREADS } from '../../native-models/training/parallel.js';
import { resumeDirOf, trainOptionsSchema, type TrainEvent } from '../../native-models/training/trainer.js';
import type { TrainingRun } from '../../preload/channels/training.js';
import { PredlabError } from '../errors.js';
import { registerCheckpoint } from '../services/models.js';
import { dataFolderOf } from '../services/datasets.js';
import { startDatasetTraining } from '../services/datasets-train.js';
import { startTraining } from '../services/training.js';
import { applyTrainEvent } from '../services/training-jobs.js';
import { seed, type CliContext } from './context.js';

/** Limits of `data moving-bars`: sizes the frames it writes (at most NPY_MAX_BYTES, so it can be read back). */
const VIDEO_LIMITS = { side: 4096, recordings: 100_000, frames: 100_000 } as const;

/** `train --workers`: 'auto' or a thread count within the trainer's limit. */
const threadsOption = (v: string): number | 'auto' => {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_TRAINING_THREADS)) throw new InvalidArgumentError(`--workers must be auto or a whole number from 1 to ${MAX_TRAINING_THREADS}; got ${v}.`);
  return n;
};
/** `train --checkpoint-steps`: 'auto', 'off' or a segment length (time steps). */
const checkpointOption = (v: string): number | 'auto' | 'off' => {
  if (v === 'auto' || v === 'off') return v;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 1000)) throw new InvalidArgumentError(`--checkpoint-steps must be auto, off or a whole number from 1 to 1000; got ${v}.`);
  return n;
};

/** The progress bar's ETA: '40 s', '6.5 min', '1.2 h'. */
const fmtTime = (s: number) => (!Number.isFinite(s) ? '?' : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

/** Adds `data moving-bars` (procedural training video). */
export function addTrainingVideoCommands(program: Command, ctx: CliContext): void {
  const { emit, integer } = ctx;

  program
    .command('data')
    .description('make training video')
    .command('moving-bars')
    .description('procedural video of bars moving at constant speeds (one recording per bar), as .npy')
    .requiredOption('--out <frames.npy>', 'frames (N, H, W, C) uint8')
    .option('--recordings-out <ids.npy>', 'recording id per frame (int32)')
    .option('--height <px>', 'frame height', integer('--height'), 64)
    .option('--width <px>', 'frame width', integer('--width'), 80)
    .option('--channels <n>', '1 (grey) or 3 (RGB)', integer('--channels'), 3)
    .option('--recordings <n>', 'number of recordings', integer('--recordings'), 20)
    .option('--frames <n>', 'frames per recording', integer('--frames'), 20)
    .option('--seed <n>', 'seed (0 to 4294967295)', seed('--seed'), 1)
    .option('--json', 'machine-readable output')
    .action((o) => {
      const max = { height: VIDEO_LIMITS.side, width: VIDEO_LIMITS.side, recordings: VIDEO_LIMITS.recordings, frames: VIDEO_LIMITS.frames };
      for (const k of ['height', 'width', 'recordings', 'frames'] as const)
        if (!(o[k] > 0 && o[k] <= max[k])) throw new PredlabError('invalid-argument', `--${k} must be from 1 to ${max[k]}; got ${o[k]}.`);
      if (o.channels !== 1 && o.channels !== 3) throw new PredlabError('invalid-argument', '--channels must be 1 or 3.');
      const bytes = o.height * o.width * o.channels * o.recordings * o.frames;
      if (bytes > NPY_MAX_BYTES) throw new PredlabError('invalid-argument', `That video would be ${(bytes / 2 ** 30).toFixed(1)} GiB; frame files are limited to ${NPY_MAX_BYTES / 2 ** 30} GiB. Make fewer or smaller frames.`);
      const v = movingBarVideo({ height: o.height, width: o.width, channels: o.channels, recordings: o.recordings, framesPerRecording: o.frames, barWidth: Math.max(1, Math.round(o.width / 16)), speed: [0.5, o.width / 20], seed: o.seed });
      writeNpy(o.out, { dtype: 'uint8', shape: [v.count, v.height, v.width, v.channels], data: v.frames });
      if (o.recordingsOut) writeNpy(o.recordingsOut, { dtype: 'int32', shape: [v.count], data: v.recordings });
      emit(o.json, { out: path.resolve(o.out), shape: [v.count, v.height, v.width, v.channels] }, `Wrote ${v.count} frames (${o.recordings} recordings) to ${o.out}.`);
    });
}

/** Adds `train`. */
export function addTrainCommand(program: Command, ctx: CliContext): void {
  const { emit, integer, number } = ctx;

  program
    .command('train')
    .description('train a checkpoint on video frames in a worker thread (--data: a .npy in memory; --dataset: read from disk sequence by sequence; Ctrl-C stops cleanly)')
    .requiredOption('--checkpoint <dir>', 'checkpoint to start from (e.g. made by `model init`)')
    .option('--data <frames.npy>', 'frames (N, H, W, C) or clips (S, T, H, W, C); uint8 or float32 0-1')
    .option('--dataset <name>', 'a video dataset of the lab (see `predlab dataset list`), read from disk batch by batch; instead of --data')
    .option('--recordings <ids.npy>', 'recording id of every frame (N,), for (N, H, W, C) frames')
    .option('--out <dir>', 'where the best-validation checkpoint goes (default: --checkpoint itself)')
    .option('--resume', 'continue from <out>.resume (the state saved after the last epoch or a stop)')
    .option('--epochs <n>', 'epochs (reference: 150)', integer('--epochs'))
    .option('--samples-per-epoch <n>', 'training sequences per epoch (reference: 500)', integer('--samples-per-epoch'))
    .option('--batch-size <n>', 'sequences per step (reference: 4)', integer('--batch-size'))
    .option('--nt <n>', 'frames per sequence (reference: 10)', integer('--nt'))
    .option('--val-sequences <n>', 'validation sequences (reference: 100)', integer('--val-sequences'))
    .option('--lr <rate>', 'Adam learning rate (reference: 0.001)', number('--lr'))
    .option('--lr-drop-epoch <n>', 'epoch from which the rate drops to 0.0001 (reference: 75 of 150)', integer('--lr-drop-epoch'))
    .addOption(new Option('--layer-loss <mode>', 'L0: pixel layer only (reference default); L_all: 0.1 for higher layers').choices(['L0', 'L_all']))
    .option('--seed <n>', 'seed of the sequence sampling and the split (0 to 4294967295)', seed('--seed'))
    .option('--workers <auto|n>', `gradient threads, each taking a share of every batch (1-${MAX_TRAINING_THREADS}; auto: one per core on the CPU engines)`, threadsOption)
    .option('--checkpoint-steps <auto|off|k>', 'gradient checkpointing: recompute the forward pass in segments of k time steps to save memory (auto: when the activations would not fit)', checkpointOption)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const outDir = path.resolve(o.out ?? o.checkpoint);
      const from = o.resume ? resumeDirOf(outDir) : path.resolve(o.checkpoint);
      if (o.resume && !fs.existsSync(from)) throw new PredlabError('not-found', `Nothing to resume: ${from} does not exist (it is written after each epoch).`);
      const options = Object.fromEntries(
        Object.entries({ epochs: o.epochs, samplesPerEpoch: o.samplesPerEpoch, batchSize: o.batchSize, nt: o.nt, valSequences: o.valSequences, lr: o.lr, lrDropEpoch: o.lrDropEpoch, layerLoss: o.layerLoss, seed: o.seed, workers: o.workers, checkpoint: o.checkpointSteps }).filter(([, v]) => v !== undefined),
      );
      if ((o.data === undefined) === (o.dataset === undefined)) throw new PredlabError('invalid-argument', 'Give the training video: --data <frames.npy> or --dataset <name> (one of them).');
      if (o.dataset !== undefined && o.recordings !== undefined) throw new PredlabError('invalid-argument', '--recordings goes with --data; a dataset knows its recordings.');
      if (!o.resume) verifyCheckpoint(from); // a clear error before the worker starts
      const job =
        o.dataset !== undefined
          ? startDatasetTraining(ctx.database(), dataFolderOf(ctx.database()), { dataset: o.dataset, from, outDir, options })
          : startTraining({ from, outDir, framesFile: path.resolve(o.data), recordingsFile: o.recordings ? path.resolve(o.recordings) : null, options });
      // Under --events, the Training page's 'training' events: this run as one of its runs (no
      // thumbnails: the preview stays null), made from the same trainer events by the same function.
      const events = ctx.events();
      const parsed = trainOptionsSchema.safeParse(options);
      const stamp = () => new Date().toISOString();
      const run: TrainingRun | null =
        events.enabled && parsed.success
          ? { id: 1, label: path.basename(outDir), dataset: o.dataset ?? path.resolve(o.data), start: { kind: 'folder', path: from }, startLabel: from, options: parsed.data, state: 'running', error: null, createdAt: stamp(), updatedAt: stamp(), checkpoint: outDir, resumable: false, modelId: null, backend: null, step: 0, totalSteps: 0, epoch: 0, framesPerSec: null, etaSec: null, baseline: null, losses: [], epochs: [], previewEpoch: null }
          : null;
      const update = (patch: Partial<TrainingRun> = {}) => run && events.update('training', { run: Object.assign(run, patch, { updatedAt: stamp() }), preview: null }, run.id);
      const bar = o.json || events.enabled ? null : new SingleBar({ format: 'training [{bar}] step {value}/{total} | epoch {epoch} | loss {loss} | val {val} | {fps} frames/s | ETA {eta_h}', stream: process.stderr, hideCursor: true });
      let val = 'n/a';
      const onSigint = () => {
        ctx.err('\nStopping after this step; the checkpoint and the resume state are kept. (Ctrl-C again to quit at once.)\n');
        job.cancel();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      // Said once the data is read: a bad input file gets its one-line error and nothing before it.
      let backendLine = '';
      job.on('backend', (b) => {
        backendLine = `backend: ${b.choice} (${b.detail})\n`;
        update({ backend: `${b.choice} (${b.detail})` });
      });
      job.on('event', (e: TrainEvent) => {
        // No thumbnails travel here, so no preview is announced either (previewEpoch stays null).
        if (run && e.type !== 'preview') {
          applyTrainEvent(run, e);
          update();
        }
        if (e.type === 'start') {
          const threads = `${e.threads} gradient thread(s) (${e.threadsReason})${e.checkpointSteps !== null ? `, gradient checkpointing every ${e.checkpointSteps} time step(s)` : ''}`;
          if (!o.json && !events.enabled) ctx.err(`${backendLine}${e.trainSequences} training sequences from ${e.trainRecordings} recording(s), ${e.valSequences} validation sequences from ${e.valRecordings}; ${threads}.\n`);
          bar?.start(e.totalSteps, e.startStep, { epoch: 0, loss: '-', val, fps: '-', eta_h: '?' });
        } else if (e.type === 'progress') bar?.update(e.step, { epoch: e.epoch + 1, loss: e.loss.toFixed(5), val, fps: e.framesPerSec.toFixed(1), eta_h: fmtTime(e.etaSec) });
        else if (e.type === 'epoch') val = e.valLoss === null ? 'n/a' : `${e.valLoss.toFixed(5)}${e.best ? '*' : ''}`;
      });
      try {
        const r = await job.done.catch((e: unknown) => {
          update({ state: 'failed', error: (e as Error).message, framesPerSec: null, etaSec: null });
          throw e;
        });
        bar?.stop();
        const rec = fs.existsSync(outDir) ? registerCheckpoint(ctx.database(), outDir) : null;
        update({ state: r.finished ? 'finished' : 'cancelled', step: r.step, modelId: rec?.id ?? null, resumable: !r.finished && fs.existsSync(resumeDirOf(outDir)), framesPerSec: null, etaSec: null });
        emit(
          o.json,
          { ...r, checkpoint: outDir, resumeDir: resumeDirOf(outDir), modelId: rec?.id ?? null },
          `${r.cancelled ? 'Stopped' : 'Finished'} at step ${r.step}. Best validation loss ${r.bestValLoss ?? 'n/a'}; best weights in ${outDir}${r.finished ? '' : `; continue with --resume (state in ${resumeDirOf(outDir)})`}.`,
        );
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', onSigint);
      }
    });
}
