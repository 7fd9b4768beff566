/** Handlers of the datasets channels (preload/channels/datasets.ts): the Video page. */
import fs from 'node:fs';
import path from 'node:path';
import { DATASET_CHANNEL_LIMITS, type datasetsSchemas, type DatasetResults, type RecordingView } from '../../preload/channels/datasets.js';
import { PredlabError } from '../errors.js';
import { appendFrames, createDataset, dataFolderOf, deleteDataset, finishRecording, frameBytes, getDataset, getRecording, listDatasets, listRecordings, removeRecording, startRecording, type RecordingInfo } from '../services/datasets.js';
import { exportDatasetHdf5, exportDatasetVideos } from '../services/datasets-export.js';
import { importIntoDataset } from '../services/datasets-import.js';
import { DatasetJobs } from '../services/datasets-jobs.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

/** The page sees no file paths of the store. */
const view = (r: RecordingInfo): RecordingView => ({ id: r.id, datasetId: r.datasetId, frames: r.frames, source: r.source, status: r.status, createdAt: r.createdAt, updatedAt: r.updatedAt });

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function datasetsHandlers(deps: HandlerDeps): FeatureHandlers<typeof datasetsSchemas, DatasetResults> {
  const { db } = deps;
  const folder = () => dataFolderOf(db);
  const jobs = new DatasetJobs(DATASET_CHANNEL_LIMITS.jobsKept);
  /** Exports (on the computing thread: its handlers are another instance of these). */
  const exports = new DatasetJobs(DATASET_CHANNEL_LIMITS.jobsKept);
  jobs.onChange = () => deps.notify?.('imports');
  exports.onChange = () => deps.notify?.('exports');
  /** Recordings this page began and has not finished: only these take frames, finish or abandon. */
  const capturing = new Set<number>();
  // Quitting: imports and exports cancelled and their clean-up awaited (no partial file, no
  // unfinished recording); a capture whose page goes away is closed with the frames it has.
  deps.onClose?.(async () => {
    await Promise.all([jobs.abortAll(), exports.abortAll()]);
    for (const id of capturing) {
      try {
        finishRecording(db, folder(), id);
      } catch {
        /* resolved at the next start-up */
      }
    }
    capturing.clear();
  });
  const captured = (id: number) => {
    if (!capturing.has(id)) throw new PredlabError('not-found', `No capture with recording id ${id} is under way.`);
    return id;
  };

  return {
    'datasets:list': () => listDatasets(db),
    'datasets:show': (a) => {
      const d = getDataset(db, a.name);
      const recs = listRecordings(db, folder(), d.id);
      return { ...d, recordingList: recs.reverse().slice(0, DATASET_CHANNEL_LIMITS.recordingsShown).map(view) };
    },
    'datasets:create': (a) => createDataset(db, a),
    'datasets:delete': (a) => {
      const d = getDataset(db, a.name);
      if (jobs.list().some((j) => j.state === 'running' && j.dataset === d.name)) throw new PredlabError('conflict', `An import into '${d.name}' is running; cancel it or wait, then delete.`);
      if (listRecordings(db, folder(), d.id).some((r) => capturing.has(r.id))) throw new PredlabError('conflict', `A recording into '${d.name}' is under way; stop it first.`);
      return deleteDataset(db, folder(), a.name);
    },

    'datasets:import': async (a) => {
      const d = getDataset(db, a.dataset);
      const input = (await deps.chooseImportSource?.(a.kind)) ?? null;
      if (!input) throw new PredlabError('invalid-argument', 'Import cancelled: no file or folder was chosen.');
      // The call answers once the source has passed every check (or with the reason it did not);
      // the import then runs as a job whose progress is pushed to the page.
      let settle!: (e?: unknown) => void;
      const checked = new Promise<void>((resolve, reject) => (settle = (e) => (e === undefined ? resolve() : reject(e))));
      const { job, done } = jobs.start({
        kind: 'import',
        dataset: d.name,
        path: input,
        total: null,
        run: async (signal, progress) => {
          try {
            const r = await importIntoDataset(db, folder(), {
              dataset: d.name,
              input,
              signal,
              onChecked: (e) => {
                progress(0, e.frames ?? undefined);
                settle();
              },
              onProgress: (p) => progress(p.frames),
            });
            settle();
            return `Imported ${plural(r.recording.frames, 'frame')} from ${path.basename(input)} as recording ${r.recording.id}.`;
          } catch (e) {
            settle(e);
            throw e;
          }
        },
      });
      try {
        await checked;
      } catch (e) {
        await done;
        jobs.forget(job.id);
        throw e;
      }
      return jobs.list().find((j) => j.id === job.id) ?? job;
    },

    'datasets:export': async (a) => {
      const d = getDataset(db, a.name);
      if (d.frames === 0) throw new PredlabError('invalid-argument', `Dataset '${d.name}' has no frames yet; record or import some first.`);
      const dir = await deps.chooseExportDir(`predlab-dataset-${d.name}`);
      if (!dir) throw new PredlabError('invalid-argument', 'Export cancelled: no folder was chosen.');
      fs.mkdirSync(dir, { recursive: true });
      const out = path.join(dir, a.format === 'hdf5' ? `${d.name}.h5` : `${d.name}-${a.format}`);
      if (fs.existsSync(out)) throw new PredlabError('conflict', `${out} already exists; choose another folder or delete it first.`);
      const { job } = exports.start({
        kind: 'export',
        dataset: d.name,
        path: out,
        total: d.frames,
        run: async (signal, progress) => {
          const onProgress = (p: { frames: number; total: number }) => progress(p.frames, p.total);
          const ledger = deps.ledger ?? (db.readonly ? null : db);
          if (a.format === 'hdf5') {
            const r = await exportDatasetHdf5(db, folder(), d.name, out, { signal, onProgress, ledger });
            return `Wrote ${r.out}: X (${r.shape.join(', ')}) uint8 and sources (${plural(r.recordings, 'recording')}).`;
          }
          const r = await exportDatasetVideos(db, folder(), d.name, out, a.format, { signal, onProgress, ledger });
          return `Wrote ${plural(r.files.length, `${a.format.toUpperCase()} file`)} (${plural(r.frames, 'frame')}) and ${r.index}.`;
        },
      });
      return job;
    },
    'datasets:jobs': () => jobs.list(),
    'datasets:cancel-job': (a) => jobs.cancel(a.jobId),
    'datasets:export-jobs': () => exports.list(),
    'datasets:cancel-export': (a) => exports.cancel(a.jobId),

    'datasets:capture-begin': (a) => {
      const d = getDataset(db, a.dataset);
      const rec = startRecording(db, folder(), d.name, `camera: ${a.source.trim() || 'unnamed camera'}`);
      capturing.add(rec.id);
      return { recording: view(rec), frameBytes: frameBytes(d), maxChunkBytes: DATASET_CHANNEL_LIMITS.chunkBytes };
    },
    'datasets:capture-append': (a) => view(appendFrames(db, folder(), captured(a.recordingId), a.frames)),
    'datasets:capture-finish': (a) => {
      const rec = finishRecording(db, folder(), captured(a.recordingId));
      capturing.delete(a.recordingId);
      return rec ? view(rec) : null;
    },
    'datasets:capture-abandon': (a) => {
      getRecording(db, folder(), captured(a.recordingId));
      removeRecording(db, folder(), a.recordingId);
      capturing.delete(a.recordingId);
      return { removed: true };
    },
  };
}
