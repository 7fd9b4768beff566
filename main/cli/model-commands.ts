/** `predlab model ...`, `predlab train` and `predlab backend`: the PredNet engine from the command line. */
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, initBackend } from '../../native-models/backend.js';
import { importToCheckpoint } from '../../native-models/keras-import.js';
import { defaultExtrapStartTime, describeCheckpoint, loadCheckpoint, readManifest, saveCheckpoint, updateManifestSource, verifyCheckpoint } from '../../native-models/checkpoint.js';
import { NPY_MAX_BYTES, readNpy, writeNpy } from '../../native-models/npy.js';
import { OUTPUT_MODES_HELP, predNetConfigSchema, PRESETS, type PresetName } from '../../native-models/prednet/config.js';
import { describeInference, inferenceEngine, inferenceStatus, type InferenceEngine } from '../../native-models/onnx/engine.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { checkInput, PREDICT_LIMITS } from '../../native-models/predict.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import { MAX_TRAINING_THREADS } from '../../native-models/training/parallel.js';
import { resumeDirOf, type TrainEvent } from '../../native-models/training/trainer.js';
import { trainingStatus } from '../../native-models/training/step-engine.js';
import { describeIssues, PredlabError } from '../errors.js';
import { predictionCheck } from '../../paradigms/findings.js';
import type { ModelInfo } from '../../preload/contract.js';
import { RELEASES } from '../../native-models/released/kitti.js';
import { downloadRelease, type DownloadProgress } from '../services/model-download.js';
import { defaultModelDir } from '../services/default-model.js';
import { listNaturalImages } from '../services/datasets-natural.js';
import { listModels, registerCheckpoint, SCORE_LIMITS, scoreOnFreshVideo, type FreshVideoScore } from '../services/models.js';
import { startDatasetTraining } from '../services/datasets-train.js';
import { startTraining } from '../services/training.js';
import type { Db } from '../store/db.js';
import type { CliContext } from './context.js';
import { addDatasetCommands, dataFolderOf } from './dataset-commands.js';

export type { CliContext } from './context.js';

/** Seeds are 32-bit: a larger one would alias a smaller one, so it is refused. */
const seed = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) throw new InvalidArgumentError(`${name} must be a whole number from 0 to 4294967295; got ${v}.`);
  return n;
};
/** Limits of `data moving-bars`: sizes the frames it writes (at most NPY_MAX_BYTES, so it can be read back). */
const VIDEO_LIMITS = { side: 4096, recordings: 100_000, frames: 100_000 } as const;

const batchSize = (v: string) => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= PREDICT_LIMITS.batchSize)) throw new InvalidArgumentError(`--batch-size must be a whole number from 1 to ${PREDICT_LIMITS.batchSize}; got ${v}.`);
  return n;
};
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
/** A step number, or 'none' to switch off a checkpoint's default extrapolation. */
const extrapStep = (v: string): number | 'none' => {
  if (v === 'none') return 'none'; // (commander turns a parsed null into '')
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 0)) throw new InvalidArgumentError(`--extrap-start-time must be a step number (0, 1, ...) or 'none'; got ${v}.`);
  return n;
};

/** A JSON object of release path -> git blob SHA-1 (40 hex digits), at most 1 MB. */
function readChecksums(file: string): Record<string, string> {
  let json: unknown;
  try {
    if (fs.statSync(file).size > 1 << 20) throw new Error('over 1 MB');
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PredlabError('invalid-argument', `--checksums ${file}: cannot read it (${(e as Error).message}).`);
  }
  const ok = json !== null && typeof json === 'object' && !Array.isArray(json) && Object.values(json).every((v) => typeof v === 'string' && /^[0-9a-f]{40}$/.test(v));
  if (!ok || Object.keys(json as object).length === 0) throw new PredlabError('invalid-argument', `--checksums ${file} must be a JSON object of release path -> git blob SHA-1 (40 hex digits).`);
  return json as Record<string, string>;
}

/** --out of a new checkpoint: a folder that does not exist yet, or an empty one. */
function refuseUsedOut(out: string): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new PredlabError('conflict', `${out} is a file; --out takes a folder for the checkpoint.`);
  if (fs.readdirSync(out).length > 0) throw new PredlabError('conflict', `${out} already exists and is not empty; choose a new folder.`);
}

/** Register a checkpoint this command just wrote; if that fails, remove it again (nothing half-done). */
function registerNew(db: Db, dir: string) {
  try {
    return registerCheckpoint(db, dir);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** One line for a checkpoint's source; --json gives all of it. */
function describeSource(src: Record<string, unknown>): string {
  if (src.kind !== 'keras-import') return JSON.stringify(src);
  const rel = src.release as { title?: string; checkpoint?: string; origin?: string; gitBlobSha1?: string } | undefined;
  const keras = [src.layout, src.kerasVersion && `Keras ${src.kerasVersion}`, src.dataFormat, Array.isArray(src.layerLossWeights) && `layer loss weights [${src.layerLossWeights.join(', ')}]`].filter(Boolean).join(', ');
  return `Keras file ${src.file} (${keras})${rel ? `\n  release: ${rel.title}, ${rel.checkpoint}, from ${rel.origin} (git blob SHA-1 ${rel.gitBlobSha1})` : ''}`;
}

const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Per colour channel (R, G, B): errors beside copy-last's, and whether the predictions keep the frames' colour. */
function channelLines(pc: FreshVideoScore['perChannel']): string[] {
  if (pc.frameMean.length !== 3) return [];
  const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' / ');
  return [`  per channel R / G / B: mean |error| model ${list(pc.modelAbsError)}, copying the last frame ${list(pc.copyLastAbsError)}`, `  mean value R / G / B: frames ${list(pc.frameMean)}, the model's predictions ${list(pc.predictionMean)}`];
}

/** What `model score --save` writes: a record predictionCheck reads as the checkpoint's validation. */
const SCORED_BY = 'predlab model score';

/** What predictionCheck (Compare's warning) reads from the checkpoint, in one line. */
function predictionLine(info: Record<string, unknown>): string {
  const p = predictionCheck({ source: info.source as Record<string, unknown>, training: info.training as ModelInfo['training'] });
  if (p.status === 'not-measured') return "  prediction not measured against copying the last frame (see 'predlab model score')";
  return `  validation mean |E0| ${p.model!.toPrecision(3)} vs ${p.copyLastFrame!.toPrecision(3)} copying the last frame (${p.ratio!.toFixed(2)}×): predicts ${p.status} than copying the last frame`;
}

const fmtTime = (s: number) => (!Number.isFinite(s) ? '?' : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

export function addModelCommands(program: Command, ctx: CliContext): void {
  const { emit, integer, number } = ctx;

  program
    .command('backend')
    .description('show which compute backend PredNet runs on, which engines run inference and training (ONNX Runtime or tfjs), and why others were skipped')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const r = await initBackend();
      const invalid = (e: Error) => {
        throw new PredlabError('invalid-argument', e.message);
      };
      const inference = await inferenceStatus({ tfBackend: r.choice }).catch(invalid);
      const training = await trainingStatus(r.choice).catch(invalid);
      emit(o.json, { ...r, inference, training }, `${describeBackend(r)}\n${describeInference(inference)}\ntraining: ${training.name === null ? 'none (' : ''}${training.detail}${training.name === null ? ')' : ''}`);
    });

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

  const model = program.command('model').description('create, import, inspect and run PredNet checkpoints');

  model
    .command('init')
    .description('create a PredNet with fresh (Glorot-uniform) weights')
    .addOption(new Option('--preset <name>', 'architecture').choices(Object.keys(PRESETS)).default('small'))
    .requiredOption('--out <dir>', 'checkpoint folder to create')
    .option('--seed <n>', 'seed of the initial weights (0 to 4294967295)', seed('--seed'), 1)
    .option('--height <px>', 'input height (default: the preset\'s)', integer('--height'))
    .option('--width <px>', 'input width (default: the preset\'s)', integer('--width'))
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      refuseUsedOut(o.out);
      const db = ctx.database(); // a database problem stops us before anything is written
      const parsed = predNetConfigSchema.safeParse({ ...PRESETS[o.preset as PresetName], ...(o.height ? { height: o.height } : {}), ...(o.width ? { width: o.width } : {}) });
      if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid architecture: ${describeIssues(parsed.error.issues)}`);
      await initBackend();
      const net = PredNet.create(parsed.data, o.seed);
      const manifest = await saveCheckpoint(o.out, net, { source: { kind: 'init', preset: o.preset, seed: o.seed } });
      net.dispose();
      const rec = registerNew(db, o.out);
      emit(o.json, { checkpoint: rec.path, modelId: rec.id, ...describeCheckpoint(manifest) }, `Created ${o.preset} PredNet (${rec.parameters.toLocaleString('en')} parameters) in ${rec.path} (model ${rec.id}).`);
    });

  model
    .command('import-keras')
    .description('import PredNet weights saved by the original Keras code (.h5)')
    .argument('<weights.h5>', 'Keras weights (save_weights or full model file)')
    .option('--model-json <json>', 'the model JSON saved beside the weights (input size, architecture check)')
    .option('--height <px>', 'input height, if there is no model JSON (default 128, KITTI)', integer('--height'))
    .option('--width <px>', 'input width, if there is no model JSON (default 160, KITTI)', integer('--width'))
    .requiredOption('--out <dir>', 'checkpoint folder to create')
    .option('--json', 'machine-readable output')
    .action(async (file, o) => {
      refuseUsedOut(o.out);
      await initBackend();
      // A bad weights file is refused before anything exists (no lab created at a new --db);
      // a database problem stops us before the checkpoint is written.
      let db: ReturnType<typeof ctx.database> | null = null;
      const { manifest, imported: r } = await importToCheckpoint(file, o.out, { ...(o.modelJson ? { modelJson: o.modelJson } : {}), ...(o.height ? { height: o.height } : {}), ...(o.width ? { width: o.width } : {}), beforeWrite: () => void (db = ctx.database()) });
      const rec = registerNew(db!, o.out);
      for (const n of r.info.notes) if (!o.json) ctx.err(`note: ${n}\n`);
      const extras = [
        r.info.dataFormat ? `Keras input ${r.info.dataFormat}` : null,
        r.info.layerLossWeights ? `layer loss weights [${r.info.layerLossWeights.join(', ')}]` : null,
        r.extrapStartTime !== null ? `extrapolates from step ${r.extrapStartTime} (used by default; --extrap-start-time none to switch off)` : null,
      ].filter(Boolean);
      emit(
        o.json,
        { checkpoint: rec.path, modelId: rec.id, ...describeCheckpoint(manifest) },
        `Imported ${r.info.layout} weights (Keras ${r.info.kerasVersion ?? '?'}, ${r.info.backend ?? '?'} backend): ${r.config.stackSizes.length}-layer PredNet, ${rec.parameters.toLocaleString('en')} parameters, input ${r.config.height}x${r.config.width}, in ${rec.path}.${extras.length ? `\n  ${extras.join('; ')}` : ''}`,
      );
    });

  model
    .command('download')
    .description("get the paper's released PredNet weights: download, check every file's SHA-1, import and register the checkpoints")
    .argument('<release>', `'kitti': the KITTI-trained PredNets of Lotter, Kreiman & Cox (L0, extrapolation-finetuned, L_all)`)
    .option('--url <url>', "download from this URL instead of the release's own link")
    .option('--from <zip|folder>', 'use a copy obtained elsewhere: model_data_keras2.zip or the folder it unpacks to')
    .option('--out <dir>', 'folder for the checkpoints (default: models/prednet-<release> beside the database)')
    .addOption(new Option('--checksums <json>', 'git blob SHA-1 of each release file, replacing the built-in list (tests, re-hosted copies)').hideHelp())
    .option('--json', 'machine-readable output')
    .action(async (release: string, o) => {
      const db = ctx.database();
      const destDir = path.resolve(o.out ?? path.join(path.dirname(path.resolve(db.name)), 'models', `prednet-${release}`));
      const expectedSha1 = o.checksums ? readChecksums(o.checksums) : undefined;
      const bar = o.json ? null : new SingleBar({ format: 'downloading [{bar}] {percentage}% | {got} of {size} MB', stream: process.stderr, hideCursor: true });
      let started = false;
      const onProgress = (p: DownloadProgress) => {
        if (o.json) return;
        if (p.phase === 'download') {
          const size = p.total ?? Math.max(p.bytes, 1);
          if (!started) bar?.start(size, 0, { got: '0.0', size: p.total === null ? '?' : (p.total / 1e6).toFixed(1) });
          started = true;
          bar?.setTotal(size);
          bar?.update(p.bytes, { got: (p.bytes / 1e6).toFixed(1), size: p.total === null ? '?' : (p.total / 1e6).toFixed(1) });
        } else {
          bar?.stop();
          if (p.phase === 'verify') ctx.err(`checking ${p.file} (${p.done + 1}/${p.total})\n`);
          else if (p.done < p.total) ctx.err(`importing ${p.checkpoint} (${p.done + 1}/${p.total})\n`);
        }
      };
      // Ctrl-C cancels cleanly: the staging folder is removed and nothing is registered.
      const ac = new AbortController();
      const onSigint = () => {
        bar?.stop();
        ctx.err('\nCancelling the download... (Ctrl-C again to quit at once.)\n');
        ac.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      let r;
      try {
        r = await downloadRelease(db, { release, destDir, ...(o.url ? { url: o.url } : {}), ...(o.from ? { from: o.from } : {}), ...(expectedSha1 ? { expectedSha1 } : {}), onProgress, signal: ac.signal });
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', onSigint);
      }
      emit(
        o.json,
        r,
        [
          r.alreadyPresent ? `Already downloaded in ${r.destDir}; verified and registered:` : `Checked ${r.files.length} files against the release's SHA-1s and imported ${r.models.length} checkpoints into ${r.destDir}:`,
          ...r.models.map((m) => `  model ${m.id}: ${m.label} (${m.parameters.toLocaleString('en')} parameters) ${m.path}`),
          `Weights: ${RELEASES.get(r.release)?.credit ?? r.release}.`,
        ].join('\n'),
      );
    });

  model
    .command('info')
    .description('describe a checkpoint and verify its weights (exits 1 when damaged)')
    .argument('<dir>', 'checkpoint folder')
    .option('--json', 'machine-readable output')
    .action((dir, o) => {
      const { manifest, checksums } = verifyCheckpoint(dir);
      const info: Record<string, unknown> = { ...describeCheckpoint(manifest), weightsVerified: checksums ? 'sha256 per tensor' : 'sizes only (version 1 checkpoint, no checksums)' };
      const t = info.training as Record<string, unknown> | null;
      emit(
        o.json,
        info,
        [
          `PredNet checkpoint ${path.resolve(dir)}`,
          `  input ${info.input}, ${info.layers} layers, A/Ahat channels ${(info.stackSizes as number[]).join('/')}, R channels ${(info.rStackSizes as number[]).join('/')}`,
          `  ${(info.parameters as number).toLocaleString('en')} parameters; source: ${describeSource(info.source as Record<string, unknown>)}`,
          t ? `  weights from training step ${t.step} (epoch ${t.epoch}), validation loss ${t.bestValLoss ?? 'n/a'}${t.finished ? ', training finished' : ''}` : (info.source as { kind?: string }).kind === 'keras-import' ? '  trained in Keras (imported)' : '  not trained',
          ...(info.extrapStartTime !== null ? [`  extrapolates from step ${info.extrapStartTime} (its own predictions are fed back as input from then on)`] : []),
          predictionLine(info),
          `  weights verified: ${info.weightsVerified}`,
        ].join('\n'),
      );
    });

  model
    .command('score')
    .description('how well a checkpoint predicts video it never saw (fresh procedural video, or natural-image motion over a folder of photographs) against copying the last frame (mean |E0|, and per colour channel); --save records it for Compare')
    .argument('<dir>', "checkpoint folder, or 'default' for the checkpoint shipped with PredLab")
    .option('--recordings <n>', `fresh recordings to score on (1-${SCORE_LIMITS.maxRecordings})`, integer('--recordings'), 40)
    .option('--sequences <n>', `at most this many ${SCORE_LIMITS.nt}-frame sequences, evenly spaced (1-${SCORE_LIMITS.maxSequences})`, integer('--sequences'), 120)
    .option('--seed <n>', 'seed of the fresh video', seed('--seed'), 20261135)
    .option('--images <folder>', 'score on natural-image motion over these photographs (as `dataset natural` makes it) instead of procedural video')
    .option('--pans', 'with --images: camera pans only (no moving cut-outs, zooms, turns or blur)')
    .option('--save', "record the result in the checkpoint's manifest (source.validation), so Compare's warning uses it")
    .option('--json', 'machine-readable output')
    .action(async (arg: string, o) => {
      if (o.recordings < 1 || o.recordings > SCORE_LIMITS.maxRecordings) throw new PredlabError('invalid-argument', `--recordings must be from 1 to ${SCORE_LIMITS.maxRecordings}; got ${o.recordings}.`);
      if (o.sequences < 1 || o.sequences > SCORE_LIMITS.maxSequences) throw new PredlabError('invalid-argument', `--sequences must be from 1 to ${SCORE_LIMITS.maxSequences}; got ${o.sequences}.`);
      if (o.pans && !o.images) throw new PredlabError('invalid-argument', '--pans needs --images <folder> (pans over which photographs?).');
      if (o.save && o.images) throw new PredlabError('invalid-argument', '--save records the score on procedural video, which Compare reads; score natural images without --save.');
      const dir = arg === 'default' ? defaultModelDir(APP_ROOT) : path.resolve(arg);
      const manifest = readManifest(dir); // a clear error before any work
      // --save never replaces a measurement made another way (the trainer's, the default model's own).
      const own = (manifest.source.validation ?? (manifest.training as Record<string, unknown> | null)?.validation) as { measuredBy?: unknown } | undefined;
      if (o.save && own && own.measuredBy !== SCORED_BY)
        throw new PredlabError('conflict', `${dir} already records how it predicts on its validation data; --save would replace that measurement. Run without --save to see this score.`);
      const images = o.images ? { folder: path.resolve(o.images as string), pans: Boolean(o.pans) } : undefined;
      if (images) listNaturalImages(images.folder); // a missing or empty folder is refused before any work
      if (!o.json) ctx.err(`scoring ${dir} on ${o.recordings} fresh recording(s), at most ${o.sequences} sequences...\n`);
      await initBackend();
      const r = await scoreOnFreshVideo(dir, { recordings: o.recordings, seed: o.seed, maxSequences: o.sequences, images });
      const record = { model: r.model, copyLastFrame: r.copyLastFrame, ratio: r.ratio, sequences: r.sequences, recordings: r.recordings, seed: r.seed, data: r.data, measuredBy: SCORED_BY, measuredAt: new Date().toISOString() };
      let saved = false;
      if (o.save) {
        updateManifestSource(dir, { validation: record });
        saved = true;
        // A checkpoint the lab knows is refreshed, so Compare reads the new record.
        const db = ctx.database();
        if (listModels(db).some((m) => m.path === dir)) registerCheckpoint(db, dir);
      }
      const better = r.ratio < 1;
      emit(
        o.json,
        { checkpoint: dir, ...record, perChannel: r.perChannel, better, saved },
        [
          `Checkpoint ${dir} on ${r.sequences} sequences of ${r.data} (${r.recordings} recordings, seed ${r.seed}):`,
          `  mean |E0|: model ${r.model.toPrecision(3)}, copying the last frame ${r.copyLastFrame.toPrecision(3)} (ratio ${r.ratio.toFixed(2)})`,
          ...channelLines(r.perChannel),
          better
            ? `  It predicts better than copying the last frame (its error is ${((1 - r.ratio) * 100).toFixed(0)} % lower).`
            : `  It predicts worse than copying the last frame (its error is ${r.ratio.toFixed(2)}× as large): it has not learned to predict motion, so a null result from it means little.`,
          saved ? `  Recorded in ${path.join(dir, 'predlab-checkpoint.json')} as source.validation; Compare's warning uses it.` : '  Not recorded (add --save to record it for Compare).',
        ].join('\n'),
      );
    });

  model
    .command('predict')
    .description('run a checkpoint on frames and save an output mode as .npy')
    .requiredOption('--checkpoint <dir>', 'checkpoint folder')
    .requiredOption('--input <x.npy>', 'frames (N, T, H, W, C): uint8 0-255 or float32 0-1')
    .requiredOption('--out <y.npy>', 'output file (float32, (N, T, ...) channels last; error: (N, T, L))')
    .option('--output-mode <mode>', OUTPUT_MODES_HELP, 'prediction')
    .option('--extrap-start-time <t|none>', "from this step on, feed the previous prediction as input (default: the checkpoint's own, if it has one)", extrapStep)
    .option('--batch-size <n>', `sequences per pass (1-${PREDICT_LIMITS.batchSize})`, batchSize, 8)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const input = readNpy(o.input); // a bad input is refused before the model loads
      const backend = await initBackend();
      const { net, manifest } = loadCheckpoint(o.checkpoint);
      let engine: InferenceEngine | null = null;
      try {
        checkInput(net, input);
        engine = await inferenceEngine(net, { tfBackend: backend.choice }).catch((e: Error) => {
          throw new PredlabError('unavailable', e.message);
        });
        if (!o.json) ctx.err(`inference: ${engine.detail}${engine.skipped ? `; ONNX Runtime not used: ${engine.skipped}` : ''}\n`);
        const extrapStartTime = o.extrapStartTime === undefined ? defaultExtrapStartTime(manifest, input.shape[1]!) : o.extrapStartTime === 'none' ? null : (o.extrapStartTime as number);
        const bar = o.json ? null : new SingleBar({ format: 'predicting [{bar}] {value}/{total} sequences', stream: process.stderr });
        bar?.start(input.shape[0] ?? 0, 0);
        const t0 = performance.now();
        const y = await engine.predictArray(input, { outputMode: o.outputMode, extrapStartTime, batchSize: o.batchSize, onProgress: (d) => bar?.update(d) });
        bar?.stop();
        const seconds = (performance.now() - t0) / 1000;
        writeNpy(o.out, y);
        const frames = (input.shape[0] ?? 0) * (input.shape[1] ?? 0);
        emit(
          o.json,
          { out: path.resolve(o.out), shape: y.shape, dtype: 'float32', outputMode: o.outputMode, extrapStartTime, backend: backend.choice, inference: engine.name, inferenceDetail: engine.detail, msPerFrame: (seconds * 1000) / frames },
          `Wrote ${o.out}: float32 (${y.shape.join(', ')}), ${o.outputMode}${extrapStartTime !== null ? `, extrapolating from step ${extrapStartTime}` : ''}; ${((seconds * 1000) / frames).toFixed(1)} ms/frame on ${engine.name === 'tfjs' ? `tfjs (${backend.choice})` : engine.name}.`,
        );
      } finally {
        await engine?.release();
        net.dispose();
      }
    });

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
      const bar = o.json ? null : new SingleBar({ format: 'training [{bar}] step {value}/{total} | epoch {epoch} | loss {loss} | val {val} | {fps} frames/s | ETA {eta_h}', stream: process.stderr, hideCursor: true });
      let val = 'n/a';
      const onSigint = () => {
        ctx.err('\nStopping after this step; the checkpoint and the resume state are kept. (Ctrl-C again to quit at once.)\n');
        job.cancel();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      // Said once the data is read: a bad input file gets its one-line error and nothing before it.
      let backendLine = '';
      job.on('backend', (b) => void (backendLine = `backend: ${b.choice} (${b.detail})\n`));
      job.on('event', (e: TrainEvent) => {
        if (e.type === 'start') {
          const threads = `${e.threads} gradient thread(s) (${e.threadsReason})${e.checkpointSteps !== null ? `, gradient checkpointing every ${e.checkpointSteps} time step(s)` : ''}`;
          if (!o.json) ctx.err(`${backendLine}${e.trainSequences} training sequences from ${e.trainRecordings} recording(s), ${e.valSequences} validation sequences from ${e.valRecordings}; ${threads}.\n`);
          bar?.start(e.totalSteps, e.startStep, { epoch: 0, loss: '-', val, fps: '-', eta_h: '?' });
        } else if (e.type === 'progress') bar?.update(e.step, { epoch: e.epoch + 1, loss: e.loss.toFixed(5), val, fps: e.framesPerSec.toFixed(1), eta_h: fmtTime(e.etaSec) });
        else if (e.type === 'epoch') val = e.valLoss === null ? 'n/a' : `${e.valLoss.toFixed(5)}${e.best ? '*' : ''}`;
      });
      try {
        const r = await job.done;
        bar?.stop();
        const rec = fs.existsSync(outDir) ? registerCheckpoint(ctx.database(), outDir) : null;
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

  // The dataset commands (training data) register with the model commands.
  addDatasetCommands(program, ctx);
}
