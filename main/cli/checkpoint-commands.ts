/** `predlab model init | import-keras | download | info`: making, importing, downloading and describing PredNet checkpoints. */
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../native-models/backend.js';
import { importToCheckpoint } from '../../native-models/keras-import.js';
import { describeCheckpoint, saveCheckpoint, verifyCheckpoint } from '../../native-models/checkpoint.js';
import { predNetConfigSchema, PRESETS, type PresetName } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { RELEASES } from '../../native-models/released/kitti.js';
import { predictionCheck } from '../../paradigms/findings.js';
import type { ModelInfo } from '../../preload/contract.js';
import type { DownloadJob } from '../../preload/channels/models.js';
import { describeIssues, PredlabError } from '../errors.js';
import { downloadRelease, type DownloadProgress } from '../services/model-download.js';
import { applyDownloadProgress } from '../services/download-jobs.js';
import { registerCheckpoint } from '../services/models.js';
import type { Db } from '../store/db.js';
import { seed, withSigint, type CliContext } from './context.js';
import { frameSize } from '../../paradigms/format.js';

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

/** What predictionCheck (Compare's warning) reads from the checkpoint, in one line. */
function predictionLine(info: Record<string, unknown>): string {
  const p = predictionCheck({ source: info.source as Record<string, unknown>, training: info.training as ModelInfo['training'] });
  if (p.status === 'not-measured') return "  prediction not measured against copying the last frame (see 'predlab model score')";
  return `  validation mean |E0| ${p.model!.toPrecision(3)} vs ${p.copyLastFrame!.toPrecision(3)} copying the last frame (${p.ratio!.toFixed(2)}×): predicts ${p.status} than copying the last frame`;
}

/** Adds init, import-keras, download and info to the `model` command. */
export function addCheckpointCommands(model: Command, ctx: CliContext): void {
  const { emit, integer } = ctx;

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
        `Imported ${r.info.layout} weights (Keras ${r.info.kerasVersion ?? '?'}, ${r.info.backend ?? '?'} backend): ${r.config.stackSizes.length}-layer PredNet, ${rec.parameters.toLocaleString('en')} parameters, input ${frameSize(r.config.height, r.config.width)} (height × width), in ${rec.path}.${extras.length ? `\n  ${extras.join('; ')}` : ''}`,
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
      const events = ctx.events();
      const job: DownloadJob = { id: 1, release, destDir, state: 'running', phase: 'starting', done: 0, total: null, detail: '', modelIds: [], error: null };
      events.update('download', job);
      let cancelled = false;
      const bar = o.json || events.enabled ? null : new SingleBar({ format: 'downloading [{bar}] {percentage}% | {got} of {size} MB', stream: process.stderr, hideCursor: true });
      let started = false;
      const onProgress = (p: DownloadProgress) => {
        applyDownloadProgress(job, p);
        events.update('download', job);
        if (o.json || events.enabled) return;
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
      const r = await withSigint(
        ctx,
        'download',
        (signal) => downloadRelease(db, { release, destDir, ...(o.url ? { url: o.url } : {}), ...(o.from ? { from: o.from } : {}), ...(expectedSha1 ? { expectedSha1 } : {}), onProgress, signal }),
        () => {
          cancelled = true;
          bar?.stop();
        },
      )
        .then(
          (r) => {
            events.update('download', Object.assign(job, { state: 'done' as const, modelIds: r.models.map((m) => m.id), detail: r.alreadyPresent ? 'already downloaded: registered again' : '' }));
            return r;
          },
          (e: unknown) => {
            events.update('download', Object.assign(job, { state: cancelled ? ('cancelled' as const) : ('error' as const), error: (e as Error).message }));
            throw e;
          },
        )
        .finally(() => bar?.stop());
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
}
