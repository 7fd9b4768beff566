/**
 * `predlab replicate` and the Paper battery page: the paper's experiments on one or more
 * checkpoints, written as files (native-models/battery/report-files.ts). Everything is checked
 * before any work (checkpoints readable, experiments known, the output folder writable); the
 * files are written into a hidden folder inside --out and moved into place at the end, so an
 * error or a cancel leaves nothing half-written. The app runs this in a worker thread
 * (replicate-jobs.ts); the CLI runs it in-process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../native-models/backend.js';
import { EXPERIMENTS as batteryExperiments } from '../../native-models/battery/index.js';
import { PredNetResponder } from '../../native-models/battery/prednet-responder.js';
import { disposeReferences, REFERENCE_DEFAULT_SIZE, referenceResponder, referencesFor } from '../../native-models/battery/references.js';
import { isReferenceKind } from '../../native-models/observer/predictors.js';
import type { CheckpointRun, ExperimentSummary, ReportMeta } from '../../native-models/battery/report-files.js';
import type { Experiment, References, Responder } from '../../paradigms/battery-types.js';
import { CheckpointError, readManifest } from '../../native-models/checkpoint.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { analyseSession } from './analysis.js';
import { listSessions } from './sessions.js';

/** Stated limits: checkpoints per run (each is loaded and run through every experiment), a reference observer's image side. */
export const REPLICATE_LIMITS = { checkpoints: 8, seedMax: 2 ** 31 - 1, referenceSide: [16, 512] } as const;

export interface ReplicateRequest {
  /** Checkpoint folders, or a reference observer's name ('copy-last', 'oracle') to run the battery on it. */
  checkpoints: string[];
  /** Frame size of the reference observers run on their own (default 64x80, the default model's). */
  size?: { height: number; width: number } | undefined;
  out: string;
  /** Experiment ids; absent or empty: all. */
  experiments?: string[] | undefined;
  quick: boolean;
  seed: number;
  /** Receptive-field cache (per checkpoint); null: measured every run. */
  cacheDir?: string | null;
}

export interface ReplicateProgress {
  fraction: number;
  message: string;
}

export interface ReplicateResult {
  out: string;
  report: string;
  markdown: string;
  experiments: ExperimentSummary[];
  skipped: { id: string; reason: string }[];
}

export function experimentIds(): string[] {
  return batteryExperiments.map((e) => e.id);
}

/** Validate a request before any work; returns the experiments to run and absolute paths. */
export function checkRequest(req: ReplicateRequest): { experiments: Experiment[]; checkpoints: string[]; out: string } {
  if (req.checkpoints.length === 0) throw new PredlabError('invalid-argument', 'Give at least one --checkpoint <dir>.');
  if (req.checkpoints.length > REPLICATE_LIMITS.checkpoints) throw new PredlabError('invalid-argument', `At most ${REPLICATE_LIMITS.checkpoints} checkpoints per run; got ${req.checkpoints.length}.`);
  if (!(Number.isInteger(req.seed) && req.seed >= 0 && req.seed <= REPLICATE_LIMITS.seedMax)) throw new PredlabError('invalid-argument', `--seed must be a whole number from 0 to ${REPLICATE_LIMITS.seedMax}.`);
  const ids = req.experiments?.length ? req.experiments : experimentIds();
  const unknown = ids.filter((id) => !batteryExperiments.some((e) => e.id === id));
  if (unknown.length) throw new PredlabError('invalid-argument', `Unknown experiment${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; choose from ${experimentIds().join(', ')}.`);
  if (new Set(ids).size !== ids.length) throw new PredlabError('invalid-argument', 'An experiment is listed twice.');
  if (req.size) {
    const [lo, hi] = REPLICATE_LIMITS.referenceSide;
    for (const k of ['height', 'width'] as const)
      if (!(Number.isInteger(req.size[k]) && req.size[k] >= lo && req.size[k] <= hi)) throw new PredlabError('invalid-argument', `--size: the ${k} must be a whole number of pixels from ${lo} to ${hi}; got ${req.size[k]}.`);
  }
  const checkpoints = req.checkpoints.map((c) => {
    // A reference observer's name runs the battery on it (a folder of that name: give ./name).
    if (isReferenceKind(c)) return c;
    const dir = path.resolve(c);
    if (!fs.existsSync(dir)) throw new PredlabError('not-found', `No checkpoint at ${dir}: the folder does not exist.`);
    try {
      readManifest(dir);
    } catch (e) {
      throw new PredlabError('invalid-argument', `${dir} is not a readable checkpoint: ${(e as Error).message}`);
    }
    return dir;
  });
  const out = path.resolve(req.out);
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new PredlabError('invalid-argument', `--out ${out} is a file, not a folder.`);
  try {
    fs.mkdirSync(out, { recursive: true });
    fs.accessSync(out, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'part of that path is a file' : code === 'EROFS' ? 'the disk is read-only' : (e as Error).message;
    throw new PredlabError('storage', `Cannot write to --out ${out}: ${why}.`);
  }
  return { experiments: ids.map((id) => batteryExperiments.find((e) => e.id === id)!), checkpoints, out };
}

/**
 * People's values for the experiments that set theirs beside the model's: the finished sessions of
 * human participants of the paradigm each one names, with their analyses, summarised by it.
 */
export function labValues(db: Db, experiments: readonly Experiment[] = batteryExperiments): Record<string, unknown> {
  const finished = listSessions(db, { status: 'complete' }).filter((s) => s.participant.kind === 'human');
  const out: Record<string, unknown> = {};
  for (const e of experiments) {
    if (!e.lab) continue;
    const sessions = finished.filter((s) => s.protocol.paradigmId === e.lab!.paradigmId).map((s) => ({ parameters: s.protocol.parameters, analysis: analyseSession(db, s.id, { bootstrap: 200 }) }));
    out[e.id] = e.lab.read(sessions);
  }
  return out;
}

const label = (dir: string) => (isReferenceKind(dir) ? dir : path.basename(dir) || dir);

/** What ran beside a checkpoint, for the report. */
function besideOf(refs: References): { beside: string[]; absent: string[] } {
  const named = [['untrained', refs.untrained], ['copy-last', refs.copyLast], ['oracle', refs.oracle]] as const;
  return {
    beside: named.flatMap(([, r]) => (r ? [r.name] : [])),
    absent: named.flatMap(([role, r]) => (r ? [] : [`${role}: ${refs.missing[role] ?? 'not given'}`])),
  };
}

/** Run the battery and write its files; `db` gives people's values beside the model's where an experiment has them. */
export async function runReplicate(
  req: ReplicateRequest,
  opts: {
    db?: Db | null;
    /** People's values measured beforehand (the app's worker has no database); overrides db. */
    /** People's values per experiment (labValues), computed where the database is; else read from `db`. */
    lab?: Record<string, unknown> | null;
    onProgress?: (p: ReplicateProgress) => void;
    signal?: AbortSignal;
    loadResponder?: (dir: string) => Responder;
    /** The null observers beside a subject (default: referencesFor, an untrained PredNet where the subject is one, copy-last and the oracle at its size). */
    references?: (subject: Responder) => References;
  } = {},
): Promise<ReplicateResult> {
  const { experiments, checkpoints, out } = checkRequest(req);
  const lab = opts.lab !== undefined ? opts.lab : opts.db ? labValues(opts.db, experiments) : null;
  const size = { ...(req.size ?? REFERENCE_DEFAULT_SIZE), channels: REFERENCE_DEFAULT_SIZE.channels };
  const load = (dir: string) => (isReferenceKind(dir) ? referenceResponder(dir, size) : opts.loadResponder ? opts.loadResponder(dir) : PredNetResponder.fromCheckpoint(dir, label(dir)));
  const nulls = opts.references ?? referencesFor;
  // The untrained network beside a checkpoint needs the engine even when the subject is hand-made.
  await initBackend();
  const besides: ReportMeta['references'] = [];
  const engines: NonNullable<ReportMeta['engines']> = [];
  const started = performance.now();
  // Its own hidden folder: two runs into one --out (or two app jobs) never share one.
  const partial = fs.mkdtempSync(path.join(out, '.replicate-partial-'));
  const runs = new Map<string, CheckpointRun[]>(experiments.map((e) => [e.id, []]));
  const total = experiments.length * checkpoints.length;
  let done = 0;
  const report = (fraction: number, message: string) => opts.onProgress?.({ fraction: Math.min(1, fraction), message });
  try {
    for (const dir of checkpoints) {
      let responder: Responder;
      try {
        responder = load(dir);
      } catch (e) {
        throw new PredlabError(e instanceof CheckpointError || e instanceof RangeError ? 'invalid-argument' : 'internal', `Cannot load ${dir}: ${(e as Error).message}`);
      }
      let refs: References | null = null;
      try {
        refs = nulls(responder);
        besides.push({ checkpoint: label(dir), ...besideOf(refs) });
        if (responder instanceof PredNetResponder) engines.push({ checkpoint: label(dir), engine: await responder.engine() });
        for (const e of experiments) {
          if (opts.signal?.aborted) throw new PredlabError('conflict', 'Cancelled; nothing was written.');
          const at = done / total;
          report(at, `${label(dir)}: ${e.title}`);
          let result = await e.run({
            responder,
            references: refs,
            seed: req.seed,
            quick: req.quick,
            cacheDir: req.cacheDir ?? null,
            signal: opts.signal,
            onProgress: (f, m) => report(at + f / total, `${label(dir)}: ${e.title}: ${m}`),
          });
          if (e.lab) result = e.lab.merge(result, lab === null ? null : (lab[e.id] ?? null));
          runs.get(e.id)!.push({ label: label(dir), checkpoint: dir, result });
          done++;
        }
      } finally {
        responder.dispose?.();
        if (refs) disposeReferences(refs);
      }
    }
    if (opts.signal?.aborted) throw new PredlabError('conflict', 'Cancelled; nothing was written.');
    report(0.99, 'writing plots, data and verdicts');
    // Loaded here, not at start: the plotting libraries (and resvg's native renderer) are needed only now.
    const { writeExperimentFiles, writeReportFiles } = await import('../../native-models/battery/report-files.js');
    const summaries: ExperimentSummary[] = [];
    for (const e of experiments) {
      const s = await writeExperimentFiles(path.join(partial, e.id), runs.get(e.id)!);
      const rel = (f: string) => path.join(e.id, f);
      summaries.push({ ...s, files: { svg: rel('plot.svg'), png: rel('plot.png'), csv: rel('data.csv'), h5: rel('units.h5'), verdict: rel('verdict.json') } });
    }
    const meta: ReportMeta = { checkpoints: checkpoints.map((c) => ({ label: label(c), path: c })), references: besides, seed: req.seed, quick: req.quick, createdAt: new Date().toISOString(), skipped: [], engines, seconds: (performance.now() - started) / 1000 };
    writeReportFiles(partial, meta, summaries);
    // Into place: each experiment's folder replaces an older one of the same name.
    for (const name of [...experiments.map((e) => e.id), 'report.json', 'report.md']) {
      fs.rmSync(path.join(out, name), { recursive: true, force: true });
      fs.renameSync(path.join(partial, name), path.join(out, name));
    }
    report(1, 'done');
    return { out, report: path.join(out, 'report.json'), markdown: path.join(out, 'report.md'), experiments: summaries, skipped: meta.skipped };
  } catch (e) {
    if (e instanceof PredlabError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS') throw new PredlabError('storage', `Cannot write the report in ${out}: ${code === 'ENOSPC' ? 'the disk is full' : 'permission denied'}. Nothing was left there.`);
    if (opts.signal?.aborted) throw new PredlabError('conflict', 'Cancelled; nothing was written.');
    throw e;
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
}
