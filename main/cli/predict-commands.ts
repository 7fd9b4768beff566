/** `predlab model score | predict`: running a checkpoint on video (scored against copying the last frame, or saved as .npy). */
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { initBackend } from '../../native-models/backend.js';
import { defaultExtrapStartTime, loadCheckpoint, readManifest, updateManifestSource } from '../../native-models/checkpoint.js';
import { readNpy, writeNpy } from '../../native-models/npy.js';
import { OUTPUT_MODES_HELP } from '../../native-models/prednet/config.js';
import { inferenceEngine, type InferenceEngine } from '../../native-models/onnx/engine.js';
import { checkInput, PREDICT_LIMITS } from '../../native-models/predict.js';
import { PredlabError } from '../errors.js';
import { resolveShippedCheckpoint } from '../services/default-model.js';
import { listNaturalImages } from '../services/datasets-natural.js';
import { listModels, registerCheckpoint, SCORE_LIMITS, scoreOnFreshVideo, type FreshVideoScore } from '../services/models.js';
import { APP_ROOT, seed, type CliContext } from './context.js';

const batchSize = (v: string) => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= PREDICT_LIMITS.batchSize)) throw new InvalidArgumentError(`--batch-size must be a whole number from 1 to ${PREDICT_LIMITS.batchSize}; got ${v}.`);
  return n;
};
/** A step number, or 'none' to switch off a checkpoint's default extrapolation. */
const extrapStep = (v: string): number | 'none' => {
  if (v === 'none') return 'none'; // (commander turns a parsed null into '')
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 0)) throw new InvalidArgumentError(`--extrap-start-time must be a step number (0, 1, ...) or 'none'; got ${v}.`);
  return n;
};

/** Per colour channel (R, G, B): errors beside copy-last's, and whether the predictions keep the frames' colour. */
function channelLines(pc: FreshVideoScore['perChannel']): string[] {
  if (pc.frameMean.length !== 3) return [];
  const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' / ');
  return [`  per channel R / G / B: mean |error| model ${list(pc.modelAbsError)}, copying the last frame ${list(pc.copyLastAbsError)}`, `  mean value R / G / B: frames ${list(pc.frameMean)}, the model's predictions ${list(pc.predictionMean)}`];
}

/** What `model score --save` writes: a record predictionCheck reads as the checkpoint's validation. */
const SCORED_BY = 'predlab model score';

/** Adds score and predict to the `model` command. */
export function addPredictCommands(model: Command, ctx: CliContext): void {
  const { emit, integer } = ctx;

  model
    .command('score')
    .description('how well a checkpoint predicts video it never saw (fresh procedural video, or natural-image motion over a folder of photographs) against copying the last frame (mean |E0|, and per colour channel); --save records it for Compare')
    .argument('<dir>', "checkpoint folder, or 'default' (or 'default-2', 'default-3': the default set's other instances) for the checkpoints shipped with PredLab")
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
      const dir = path.resolve(resolveShippedCheckpoint(arg, APP_ROOT)[0]!);
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
}
