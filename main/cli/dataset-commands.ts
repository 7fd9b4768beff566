/** `predlab dataset ...`: video datasets (import, list, show, export, delete) from the command line. */
import { Command, Option } from 'commander';
import path from 'node:path';
import { PredlabError } from '../errors.js';
import { dataFolderOf, deleteDataset, getDataset, listDatasets, listRecordings, type DatasetInfo } from '../services/datasets.js';
import { exportActivations } from '../services/datasets-activations.js';
import { exportDatasetHdf5, exportDatasetVideos, recordingName } from '../services/datasets-export.js';
import { DEFAULT_DATASET, importIntoDataset } from '../services/datasets-import.js';
import { DatasetJobs } from '../services/datasets-jobs.js';
import { makeNaturalDataset, NATURAL_DEFAULT_DATASET, NATURAL_DEFAULTS_CLI, NATURAL_LIMITS } from '../services/datasets-natural.js';
import { deleteConfirmed, withSigint, type CliContext } from './context.js';
import { dateTime, frameSize } from '../../paradigms/format.js';

export interface DatasetCliContext extends CliContext {
  /** Ask a yes/no question; null when no one can answer (no terminal). */
  confirm?: (question: string) => Promise<boolean | null>;
}

export { dataFolderOf };

const size = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);

function formatDatasets(list: DatasetInfo[]): string {
  if (list.length === 0) return 'No datasets. Make one with `predlab dataset import <video|folder> --dataset <name>`.';
  const lines = ['name                              H × W     fps  recordings    frames  on disk'];
  for (const d of list) lines.push(`${d.name.padEnd(32)}  ${frameSize(d.height, d.width).padEnd(9)} ${String(d.fps).padStart(4)}  ${String(d.recordings).padStart(10)}  ${String(d.frames).padStart(8)}  ${size(d.bytes)}`);
  return lines.join('\n');
}

/** Progress on stderr, at most every half second, on one line. */
function progressLine(ctx: CliContext, json: boolean) {
  let last = 0;
  let latest = '';
  return {
    update(text: string) {
      latest = text;
      if (json || performance.now() - last < 500) return;
      last = performance.now();
      // A terminal redraws one line; a pipe or log file gets whole lines.
      ctx.err(process.stderr.isTTY ? `\r${text}` : `${text}\n`);
    },
    end() {
      if (!json && last > 0 && process.stderr.isTTY) ctx.err(`\r${latest}\n`);
    },
  };
}

/**
 * An import or export run as the app runs it (a DatasetJobs job), so that under --events the CLI
 * prints the page's 'imports' / 'exports' events; Ctrl-C cancels the job. The work's own error is
 * rethrown (its message and exit code), after the job's last event.
 */
async function asDatasetJob<T>(
  ctx: CliContext,
  job: { kind: 'import' | 'export'; dataset: string; path: string; total: number | null },
  work: (signal: AbortSignal, progress: (frames: number, total?: number) => void) => Promise<{ result: T; message: string }>,
): Promise<T> {
  const jobs = new DatasetJobs(1);
  const events = ctx.events();
  jobs.onChange = () => events.update(job.kind === 'import' ? 'imports' : 'exports', jobs.list());
  const outcome: { value: { ok: true; result: T } | { ok: false; error: unknown } | null } = { value: null };
  await withSigint(ctx, job.kind, async (signal) => {
    const { job: started, done } = jobs.start({
      ...job,
      run: async (jobSignal, progress) => {
        try {
          const r = await work(jobSignal, progress);
          outcome.value = { ok: true, result: r.result };
          return r.message;
        } catch (error) {
          outcome.value = { ok: false, error };
          throw error;
        }
      },
    });
    // Ctrl-C cancels the job as the page's Cancel does (its last event then says 'cancelled').
    const cancel = () => jobs.cancel(started.id);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      await done;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  });
  const o = outcome.value;
  if (!o) throw new PredlabError('internal', `The ${job.kind} ended without a result.`);
  if (!o.ok) throw o.error;
  return o.result;
}

export function addDatasetCommands(program: Command, ctx: DatasetCliContext): void {
  const { emit, integer, number } = ctx;
  const dataset = program.command('dataset').description('video datasets: import video, make natural-image motion video from photographs, list, export (HDF5 for PredNet\'s Python code, or video), delete');

  dataset
    .command('import')
    .description('import a video (mp4, webm, mov) or a folder of images (png or jpg) as one recording, resized to the dataset\'s height and centre-cropped to its width')
    .argument('<video|folder>', 'video file, or folder of images (natural name order, one frame each)')
    .requiredOption('--dataset <name>', 'dataset to add the recording to (created if missing)')
    .option('--height <px>', `frame height of a new dataset (default ${DEFAULT_DATASET.height})`, integer('--height'))
    .option('--width <px>', `frame width of a new dataset (default ${DEFAULT_DATASET.width})`, integer('--width'))
    .option('--fps <rate>', `frame rate of a new dataset (default ${DEFAULT_DATASET.fps}); videos are resampled to it`, number('--fps'))
    .option('--json', 'machine-readable output')
    .action(async (input: string, o) => {
      const db = ctx.database();
      const bar = progressLine(ctx, o.json || ctx.events().enabled);
      const describe = (r: Awaited<ReturnType<typeof importIntoDataset>>) =>
        `${r.createdDataset ? `Created dataset '${r.dataset.name}' (${frameSize(r.dataset.height, r.dataset.width)}, height × width, ${r.dataset.fps} frames/s). ` : ''}Imported ${r.recording.frames} frames from ${input} (${r.source.width} px wide, ${r.source.height} px high${r.source.kind === 'images' ? `, ${r.source.images} images` : r.source.durationSec !== null ? `, ${r.source.durationSec.toFixed(1)} s` : ''}) as recording ${r.recording.id}. '${r.dataset.name}' now holds ${r.dataset.recordings} recording(s), ${r.dataset.frames} frames (${size(r.dataset.bytes)}).`;
      const r = await asDatasetJob(ctx, { kind: 'import', dataset: o.dataset, path: path.resolve(input), total: null }, async (signal, progress) => {
        const r = await importIntoDataset(db, dataFolderOf(db), {
          dataset: o.dataset,
          input: path.resolve(input),
          height: o.height,
          width: o.width,
          fps: o.fps,
          signal,
          onChecked: (e) => progress(0, e.frames ?? undefined),
          onProgress: (p) => {
            bar.update(`imported ${p.frames} frames`);
            progress(p.frames);
          },
        });
        return { result: r, message: describe(r) };
      }).finally(() => bar.end());
      const d = r.dataset;
      emit(o.json, { dataset: d, recording: { ...r.recording, name: recordingName(r.recording) }, createdDataset: r.createdDataset, source: r.source }, describe(r));
    });

  dataset
    .command('natural')
    .description(
      'make natural-image motion video from a folder of photographs: camera pans, zooms and small turns over each photograph, now and then moving cut-outs of the others, in colour (the generator of the natural-video training recipe, scripts/torch-trainer/natural-recipe.ts); one recording per clip',
    )
    .requiredOption('--images <folder>', `folder of photographs (.png, .jpg, .jpeg, .webp; at most ${NATURAL_LIMITS.images}; every one must decode)`)
    .requiredOption('--dataset <name>', 'dataset to add the recordings to (created if missing)')
    .option('--recordings <n>', `clips to make, 1-${NATURAL_LIMITS.recordings} (default ${NATURAL_DEFAULTS_CLI.recordings}); backgrounds take turns over the photographs`, integer('--recordings'))
    .option('--frames-per-recording <n>', `frames of each clip, ${NATURAL_LIMITS.minFramesPerRecording}-${NATURAL_LIMITS.maxFramesPerRecording} (default ${NATURAL_DEFAULTS_CLI.framesPerRecording}); at most ${NATURAL_LIMITS.frames} frames in all`, integer('--frames-per-recording'))
    .option('--seed <n>', `seed, 0-${NATURAL_LIMITS.seed} (default ${NATURAL_DEFAULTS_CLI.seed}): the same photographs and seed make the same video`, integer('--seed'))
    .option('--height <px>', `frame height of a new dataset (default ${NATURAL_DEFAULT_DATASET.height}, the default model's)`, integer('--height'))
    .option('--width <px>', `frame width of a new dataset (default ${NATURAL_DEFAULT_DATASET.width})`, integer('--width'))
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const db = ctx.database();
      const bar = progressLine(ctx, o.json);
      const r = await withSigint(ctx, 'natural video', (signal) =>
        makeNaturalDataset(db, dataFolderOf(db), {
          images: path.resolve(o.images),
          dataset: o.dataset,
          recordings: o.recordings,
          framesPerRecording: o.framesPerRecording,
          seed: o.seed,
          height: o.height,
          width: o.width,
          signal,
          onProgress: (p) => bar.update(p.stage === 'decode' ? `decoded ${p.done}/${p.total} images` : `made ${p.done}/${p.total} recordings (${p.frames} frames)`),
        }),
      ).finally(() => bar.end());
      const d = r.dataset;
      emit(
        o.json,
        r,
        `${r.createdDataset ? `Created dataset '${d.name}' (${frameSize(d.height, d.width)}, height × width, ${d.fps} frames/s). ` : ''}Made ${r.recordings.length} recording(s) of natural motion video (${r.frames} frames, seed ${r.seed}) over ${r.images.length} photograph(s) from ${o.images}: recordings ${r.recordings[0]!.id}-${r.recordings[r.recordings.length - 1]!.id}. '${d.name}' now holds ${d.recordings} recording(s), ${d.frames} frames (${size(d.bytes)}).`,
      );
    });

  dataset
    .command('list')
    .description('list the datasets')
    .option('--json', 'machine-readable output')
    .action((o) => {
      const list = listDatasets(ctx.database());
      emit(o.json, list, formatDatasets(list));
    });

  dataset
    .command('show')
    .description("list a dataset's recordings")
    .argument('<name>', 'dataset name')
    .option('--json', 'machine-readable output')
    .action((name: string, o) => {
      const db = ctx.database();
      const d = getDataset(db, name);
      const recs = listRecordings(db, dataFolderOf(db), d.id);
      emit(
        o.json,
        { ...d, recordingList: recs },
        [formatDatasets([d]), '', recs.length ? '    id    frames  status     created                   source' : 'No recordings.', ...recs.map((r) => `${String(r.id).padStart(6)}  ${String(r.frames).padStart(8)}  ${r.status.padEnd(9)}  ${dateTime(r.createdAt).padEnd(24)}  ${r.source}`)].join('\n'),
      );
    });

  dataset
    .command('export')
    .description("write a dataset as HDF5 (X (N,H,W,3) uint8 + sources, PredNet's SequenceGenerator layout) or as one video per recording + index.json")
    .argument('<name>', 'dataset name')
    .addOption(new Option('--format <format>', 'hdf5 (one file) or video (a folder)').choices(['hdf5', 'video']).makeOptionMandatory())
    .requiredOption('--out <path>', 'file (hdf5) or folder (video) to create; must not exist')
    .addOption(new Option('--video-format <container>', 'container of --format video').choices(['mp4', 'webm']).default('mp4'))
    .option('--json', 'machine-readable output')
    .action(async (name: string, o) => {
      const db = ctx.database();
      const d = getDataset(db, name);
      const bar = progressLine(ctx, o.json || ctx.events().enabled);
      const job = { kind: 'export' as const, dataset: d.name, path: path.resolve(o.out), total: d.frames };
      const progressOf = (progress: (frames: number, total?: number) => void) => (p: { frames: number; total: number }) => {
        bar.update(`exported ${p.frames}/${p.total} frames`);
        progress(p.frames, p.total);
      };
      if (o.format === 'hdf5') {
        const r = await asDatasetJob(ctx, job, async (signal, progress) => {
          const r = await exportDatasetHdf5(db, dataFolderOf(db), name, o.out, { onProgress: progressOf(progress), signal });
          return { result: r, message: `Wrote ${r.out}: X (${r.shape.join(', ')}) uint8 and sources (${r.frames} names, ${r.recordings} recording(s)); ${size(r.bytes)}.` };
        }).finally(() => bar.end());
        emit(o.json, r, `Wrote ${r.out}: X (${r.shape.join(', ')}) uint8 and sources (${r.frames} names, ${r.recordings} recording(s)); ${size(r.bytes)}.`);
      } else {
        const r = await asDatasetJob(ctx, job, async (signal, progress) => {
          const r = await exportDatasetVideos(db, dataFolderOf(db), name, o.out, o.videoFormat, { onProgress: progressOf(progress), signal });
          return { result: r, message: `Wrote ${r.files.length} ${o.videoFormat.toUpperCase()} file(s) (${r.frames} frames) and ${r.index}.` };
        }).finally(() => bar.end());
        emit(o.json, r, `Wrote ${r.files.length} ${o.videoFormat.toUpperCase()} file(s) (${r.frames} frames) and ${r.index}.`);
      }
    });

  dataset
    .command('delete')
    .description('delete a dataset and its frames (asks first)')
    .argument('<name>', 'dataset name')
    .option('--yes', 'do not ask')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o) => {
      const db = ctx.database();
      const d = getDataset(db, name);
      if (!(await deleteConfirmed(ctx, o, `Delete dataset '${d.name}': ${d.recordings} recording(s), ${d.frames} frames, ${size(d.bytes)}?`, `Deleting '${d.name}' (${d.recordings} recording(s), ${d.frames} frames)`, d.name))) return;
      const r = deleteDataset(db, dataFolderOf(db), name);
      emit(o.json, { deleted: true, ...r }, `Deleted dataset '${r.name}': ${r.recordings} recording(s), ${r.frames} frames (${size(r.bytes)} freed).`);
    });

}

/**
 * `predlab export --session N --activations R0,E1 --out <file.h5>`: the action for the session
 * `export` command (main/cli/index.ts) when --activations is given.
 */
export async function exportActivationsAction(ctx: CliContext, o: { session: number; activations: string; out: string; json?: boolean }): Promise<void> {
  const db = ctx.database();
  const bar = progressLine(ctx, !!o.json);
  const r = await withSigint(ctx, 'export', (signal) => exportActivations(db, o.session, [o.activations], o.out, { signal, onProgress: (d, t) => bar.update(`trial ${d}/${t}`) })).finally(() => bar.end());
  ctx.emit(
    !!o.json,
    r,
    `Wrote ${r.out} (${r.layers.map((l) => `${l.name} (${l.shape.join(', ')})`).join(', ')}; float32, one row per trial and time step) and its index ${r.index} (${r.rows} rows from ${r.trials} trials).`,
  );
}
