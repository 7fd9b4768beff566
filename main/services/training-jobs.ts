/**
 * Training runs of the app: one at a time, in the training worker, on a dataset of the lab.
 * A run is a folder `<data>/training/run-<id>/` holding run.json (what was asked, the state, the
 * loss curve so far), the starting checkpoint of a new model (init/), the best-validation
 * checkpoint (model/) and the state saved after every epoch (model.resume/). run.json is
 * rewritten at every epoch and state change, so after an app restart a run that was under way
 * shows as interrupted and resumes from model.resume (or from its start, if no epoch had ended).
 * A finished run's checkpoint is registered as a model, usable in sessions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readManifest } from '../../native-models/checkpoint.js';
import { PRESETS, predNetConfigSchema, type PredNetConfig } from '../../native-models/prednet/config.js';
import { resumeDirOf, type TrainEvent, type TrainOptions } from '../../native-models/training/trainer.js';
import type { Thumbnails } from '../../native-models/training/preview.js';
import type { RunPreview, StartPoint, TrainingRun, TrainingSetup } from '../../preload/channels/training.js';
import { KITTI_TRAIN_DEFAULTS, TRAINING_OPTION_LIMITS } from '../../preload/channels/training.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { checkDatasetTraining } from './datasets-train.js';
import { getDataset, listDatasets, readableRecordings } from './datasets.js';
import { tryBeginJob, tryEndJob } from './jobs.js';
import { getModel, listModels, registerCheckpoint } from './models.js';
import { startTrainingWorker, type TrainingJob } from './training.js';
import { frameSize } from '../../paradigms/format.js';

export const TRAINING_FOLDER = 'training';

/** Stated limits: points of the loss curve kept per run (evenly thinned past it), runs listed. */
export const RUN_LIMITS = { lossPoints: 2000, runs: 500, labelLength: 100 } as const;

export interface RunRequest {
  dataset: string;
  start: StartPoint;
  label?: string;
  options: Partial<TrainOptions>;
}

const now = () => new Date().toISOString();

/** A checkpoint's architecture; a damaged checkpoint is the user's to act on, named. */
function configOf(dir: string): PredNetConfig {
  try {
    return readManifest(dir).config;
  } catch (e) {
    throw new PredlabError('invalid-argument', `The checkpoint ${dir} cannot be read: ${(e as Error).message}`);
  }
}

/** Keep at most `max` points: every k-th, and always the last. */
function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % k === 0);
  if (out.at(-1) !== points.at(-1)) out.push(points.at(-1)!);
  return out;
}

export class TrainingRuns {
  private readonly root: string;
  private runs: Map<number, TrainingRun> | null = null;
  private active: { id: number; job: TrainingJob } | null = null;
  private readonly previews = new Map<number, RunPreview>();
  /** Set by stopAll: the ending run's record is left as it was (as after a crash). */
  private stopping = false;
  /** Called with a run's id when it starts, progresses, makes a preview or ends (the service thread sends an event). */
  onChange: (runId: number) => void = () => undefined;

  constructor(
    private readonly db: Db,
    dataFolder: string,
    private readonly backend?: string,
  ) {
    this.root = path.join(dataFolder, TRAINING_FOLDER);
  }

  private runDir = (id: number) => path.join(this.root, `run-${id}`);

  /** Runs on disk, read once; those left running or paused by a previous app are interrupted. */
  private all(): Map<number, TrainingRun> {
    if (this.runs) return this.runs;
    this.runs = new Map();
    const names = fs.existsSync(this.root) ? fs.readdirSync(this.root).filter((n) => /^run-\d+$/.test(n)) : [];
    for (const n of names) {
      const file = path.join(this.root, n, 'run.json');
      let run: TrainingRun;
      try {
        run = JSON.parse(fs.readFileSync(file, 'utf8')) as TrainingRun;
      } catch {
        continue; // a run folder whose record was never written or is damaged: not a run to show
      }
      if (run.state === 'running' || run.state === 'paused') {
        run.state = 'interrupted';
        run.framesPerSec = null;
        run.etaSec = null;
      }
      run.resumable = run.state !== 'finished' && fs.existsSync(resumeDirOf(run.checkpoint));
      run.previewEpoch = null; // thumbnails live in memory only
      this.runs.set(run.id, run);
    }
    return this.runs;
  }

  /** Datasets and models to train from, the form's defaults and limits. */
  setup(): TrainingSetup {
    const datasets = listDatasets(this.db).map((d) => ({
      name: d.name,
      height: d.height,
      width: d.width,
      fps: d.fps,
      recordings: d.recordings,
      frames: d.frames,
      longestRecording: Math.max(0, ...readableRecordings(this.db, path.dirname(this.root), d.id).map((r) => r.frames)),
    }));
    const models = listModels(this.db).map((m) => {
      const c = m.config as unknown as PredNetConfig;
      return { id: m.id, label: m.label, height: c.height, width: c.width, channels: c.stackSizes[0]!, source: String((m.source as { kind?: unknown }).kind ?? 'unknown'), parameters: m.parameters };
    });
    return { datasets, models, presets: ['small', 'kitti'], defaults: KITTI_TRAIN_DEFAULTS, limits: TRAINING_OPTION_LIMITS, activeRunId: this.active?.id ?? null };
  }

  list(): TrainingRun[] {
    return [...this.all().values()].sort((a, b) => b.id - a.id).slice(0, RUN_LIMITS.runs).map((r) => ({ ...r, losses: [] }));
  }

  get(id: number): TrainingRun {
    const run = this.all().get(id);
    if (!run) throw new PredlabError('not-found', `No training run ${id}.`);
    return run;
  }

  preview(id: number): RunPreview | null {
    this.get(id);
    return this.previews.get(id) ?? null;
  }

  private save(run: TrainingRun): void {
    run.updatedAt = now();
    const file = path.join(this.runDir(run.id), 'run.json');
    // Written whole then renamed: a crash leaves the previous record, never half of one.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...run, losses: thin(run.losses, RUN_LIMITS.lossPoints) }));
    fs.renameSync(`${file}.tmp`, file);
  }

  private refuseIfBusy(): void {
    if (this.active) throw new PredlabError('invalid-argument', `Training run ${this.active.id} is under way; one run at a time. Cancel it, or wait until it ends.`);
  }

  /** Validate everything, then create the run's folder and start the worker. */
  start(req: RunRequest): TrainingRun {
    this.refuseIfBusy();
    const dataFolder = path.dirname(this.root);
    const d = getDataset(this.db, req.dataset);
    let config: PredNetConfig;
    let from: string | null = null;
    let startLabel: string;
    if (req.start.kind === 'new') {
      const parsed = predNetConfigSchema.safeParse({ ...PRESETS[req.start.preset], height: d.height, width: d.width });
      if (!parsed.success) throw new PredlabError('invalid-argument', `A ${req.start.preset} PredNet cannot take dataset '${d.name}' (${frameSize(d.height, d.width)}, height × width): ${describeIssues(parsed.error.issues)}.`);
      config = parsed.data;
      startLabel = `new ${req.start.preset} PredNet (seed ${req.start.seed})`;
    } else {
      const m = getModel(this.db, req.start.modelId);
      if (!fs.existsSync(m.path)) throw new PredlabError('not-found', `Model ${m.id} (${m.label}): its checkpoint ${m.path} is missing.`);
      config = configOf(m.path);
      from = m.path;
      startLabel = `model ${m.id}: ${m.label}`;
    }
    const { options } = checkDatasetTraining(this.db, dataFolder, d.name, config, req.options);
    const runs = this.all();
    // Past every run folder, also one whose record is unreadable: a new run never shares a folder.
    const folders = fs.existsSync(this.root) ? fs.readdirSync(this.root).flatMap((n) => (/^run-\d+$/.test(n) ? [Number(n.slice(4))] : [])) : [];
    const id = Math.max(0, ...runs.keys(), ...folders) + 1;
    const label = (req.label?.trim() || `${d.name}-${req.start.kind === 'new' ? req.start.preset : `model${req.start.modelId}`}-run${id}`).slice(0, RUN_LIMITS.labelLength);
    fs.mkdirSync(this.runDir(id), { recursive: true });
    const run: TrainingRun = {
      id,
      label,
      dataset: d.name,
      start: req.start,
      startLabel,
      options,
      state: 'running',
      error: null,
      createdAt: now(),
      updatedAt: now(),
      checkpoint: path.join(this.runDir(id), 'model'),
      resumable: false,
      modelId: null,
      backend: null,
      step: 0,
      totalSteps: Math.ceil(options.samplesPerEpoch / options.batchSize) * options.epochs,
      epoch: 0,
      framesPerSec: null,
      etaSec: null,
      baseline: null,
      losses: [],
      epochs: [],
      previewEpoch: null,
    };
    if (from === null) from = path.join(this.runDir(id), 'init');
    runs.set(id, run);
    this.save(run);
    this.launch(run, from, req.start.kind === 'new' && !fs.existsSync(from) ? config : null);
    return run;
  }

  private launch(run: TrainingRun, from: string, init: PredNetConfig | null): void {
    const dataFolder = path.dirname(this.root);
    const { options, video } = checkDatasetTraining(this.db, dataFolder, run.dataset, init ?? configOf(from), run.options);
    const start = run.start;
    const job = startTrainingWorker({
      from,
      outDir: run.checkpoint,
      video,
      options,
      ...(this.backend ? { backend: this.backend } : {}),
      ...(init && start.kind === 'new' ? { init: { config: init, seed: start.seed, source: { kind: 'init', preset: start.preset, seed: start.seed } } } : {}),
    });
    this.active = { id: run.id, job };
    run.state = 'running';
    run.error = null;
    // A job in the lab's ledger too: a process killed mid-run leaves it 'running', and the next
    // start-up marks it interrupted, as it reads run.json's 'running' as interrupted.
    const ledgerId = tryBeginJob(this.db, { kind: 'training', target: run.checkpoint });
    job.on('backend', (b) => (run.backend = `${b.choice} (${b.detail})`));
    job.on('event', (e) => {
      this.onEvent(run, e);
      this.onChange(run.id);
    });
    this.onChange(run.id);
    void (async () => {
      try {
        const r = await job.done;
        run.step = r.step;
        run.state = r.finished ? 'finished' : 'cancelled';
        // Finished: the best-validation checkpoint becomes a model for sessions.
        if (r.finished && fs.existsSync(run.checkpoint)) run.modelId = registerCheckpoint(this.db, run.checkpoint, run.label).id;
      } catch (e) {
        run.state = 'failed';
        run.error = (e as Error).message;
      }
      if (this.stopping) {
        tryEndJob(this.db, ledgerId, 'interrupted', `training run ${run.id} stopped by an app quit at step ${run.step}`);
        this.active = null;
        return;
      }
      tryEndJob(this.db, ledgerId, run.state === 'finished' ? 'done' : run.state === 'cancelled' ? 'cancelled' : 'failed', run.error ?? `training run ${run.id} ${run.state} at step ${run.step}`);
      run.framesPerSec = null;
      run.etaSec = null;
      run.resumable = run.state !== 'finished' && fs.existsSync(resumeDirOf(run.checkpoint));
      if (this.active?.id === run.id) this.active = null;
      try {
        this.save(run);
      } catch {
        /* the disk refused the record: the run's checkpoints are what matters, and they are written */
      }
      this.onChange(run.id);
    })();
  }

  private onEvent(run: TrainingRun, e: TrainEvent): void {
    if (applyTrainEvent(run, e)) this.save(run);
    if (e.type === 'preview') this.previews.set(run.id, { runId: run.id, ...encodeThumbnails(e), epoch: e.epoch, step: e.step });
  }

  pause(id: number): TrainingRun {
    const run = this.get(id);
    if (this.active?.id !== id || run.state !== 'running') throw new PredlabError('invalid-argument', `Training run ${id} is ${run.state}; only a running run can be paused.`);
    this.active.job.pause();
    return run;
  }

  /** A paused run goes on; an interrupted or cancelled one starts again from its resume state (or its start). */
  resume(id: number): TrainingRun {
    const run = this.get(id);
    if (this.active?.id === id) {
      if (run.state !== 'paused') throw new PredlabError('invalid-argument', `Training run ${id} is ${run.state}, not paused.`);
      this.active.job.resume();
      return run;
    }
    if (!['interrupted', 'cancelled', 'failed'].includes(run.state)) throw new PredlabError('invalid-argument', `Training run ${id} is ${run.state}; only a paused, interrupted, cancelled or failed run can be resumed.`);
    this.refuseIfBusy();
    const resumeDir = resumeDirOf(run.checkpoint);
    const hasResume = fs.existsSync(resumeDir);
    let from: string;
    let init: PredNetConfig | null = null;
    if (hasResume) from = resumeDir;
    else if (run.start.kind === 'model') from = getModel(this.db, run.start.modelId).path;
    else if (run.start.kind === 'folder') from = run.start.path;
    else {
      from = path.join(this.runDir(id), 'init');
      // No epoch ended and the fresh model was never written: make it again (same seed, same weights).
      if (!fs.existsSync(from)) {
        const d = getDataset(this.db, run.dataset);
        init = predNetConfigSchema.parse({ ...PRESETS[run.start.preset], height: d.height, width: d.width });
      }
    }
    // The curve keeps the steps the resume state holds; starting over, none (they will be run again).
    let kept = 0;
    if (hasResume) {
      try {
        kept = readManifest(resumeDir).training?.step ?? 0;
      } catch (e) {
        throw new PredlabError('invalid-argument', `The resume state ${resumeDir} cannot be read: ${(e as Error).message}`);
      }
    }
    this.launch(run, from, init);
    run.losses = run.losses.filter((p) => p.step <= kept);
    run.epochs = run.epochs.filter((p) => p.step <= kept);
    if (!hasResume) run.baseline = null;
    this.save(run);
    return run;
  }

  cancel(id: number): TrainingRun {
    const run = this.get(id);
    if (this.active?.id !== id) throw new PredlabError('invalid-argument', `Training run ${id} is ${run.state}; only a running or paused run can be cancelled.`);
    this.active.job.cancel();
    return run;
  }

  /** Stop the active run's worker at once (app quit); its record says running until the next start reads it as interrupted. */
  async stopAll(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.stopping = true;
    await a.job.terminate();
  }

  /** Resolves when the active run (if any) has ended and its record is written. */
  async settled(): Promise<void> {
    while (this.active) await this.active.job.done.catch(() => undefined).then(() => new Promise((r) => setImmediate(r)));
  }
}

/**
 * A training job's event applied to its run as the Training page shows it (the app's runs, and
 * `predlab train --events`); true when the run's record should be saved (an epoch ended, a pause).
 */
export function applyTrainEvent(run: TrainingRun, e: TrainEvent): boolean {
  if (e.type === 'start') {
    run.totalSteps = e.totalSteps;
    run.step = e.startStep;
  } else if (e.type === 'baseline') run.baseline = e.copyLastFrame;
  else if (e.type === 'progress') {
    run.step = e.step;
    run.epoch = e.epoch;
    run.framesPerSec = e.framesPerSec;
    run.etaSec = e.etaSec;
    run.losses.push({ step: e.step, loss: e.loss });
    if (run.losses.length > 2 * RUN_LIMITS.lossPoints) run.losses = thin(run.losses, RUN_LIMITS.lossPoints);
  } else if (e.type === 'epoch') {
    run.epochs.push({ epoch: e.epoch, step: e.step, loss: e.loss, valLoss: e.valLoss });
    run.resumable = true;
    return true;
  } else if (e.type === 'preview') run.previewEpoch = e.epoch;
  else if (e.type === 'paused' || e.type === 'resumed') {
    run.state = e.type === 'paused' ? 'paused' : 'running';
    return true;
  }
  return false;
}

function encodeThumbnails(t: Thumbnails): Omit<RunPreview, 'runId' | 'epoch' | 'step'> {
  const b64 = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return { width: t.width, height: t.height, channels: t.channels, frames: t.frames, actual: b64(t.actual), predicted: b64(t.predicted) };
}
