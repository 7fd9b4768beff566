/** Handlers of the replicate channels (preload/channels/replicate.ts): the Paper battery page. */
import fs from 'node:fs';
import path from 'node:path';
import type { ReplicateCard, replicateSchemas, ReplicateResults } from '../../preload/channels/replicate.js';
import { PredlabError } from '../errors.js';
import { getModel } from '../services/models.js';
import { EXPERIMENTS } from '../../native-models/battery/index.js';
import { ReplicateJobs } from '../services/replicate-jobs.js';
import { checkRequest, labValues } from '../services/replicate.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function replicateHandlers(deps: HandlerDeps): FeatureHandlers<typeof replicateSchemas, ReplicateResults> {
  // Jobs live on the thread that answers these (light) channels; the work runs in their workers.
  let jobs: ReplicateJobs | null = null;
  const jobsOf = () => {
    if (jobs) return jobs;
    jobs = new ReplicateJobs(path.join(path.dirname(deps.db.name), 'replicate'));
    jobs.onChange = () => deps.notify?.('replicate');
    return jobs;
  };
  return {
    'replicate:experiments': () => EXPERIMENTS.map((e) => ({ id: e.id, title: e.title })),
    'replicate:start': (a) => {
      const models = a.modelIds.map((id) => getModel(deps.db, id));
      if (new Set(a.modelIds).size !== a.modelIds.length) throw new PredlabError('invalid-argument', 'modelIds: a model is listed twice.');
      const request = { checkpoints: models.map((m) => m.path), experiments: a.experiments, quick: a.quick, seed: a.seed ?? 1, cacheDir: path.join(path.dirname(deps.db.name), 'replicate', 'rf-cache') };
      // Everything is checked here, so the page hears of a bad model or experiment at once.
      checkRequest({ ...request, out: path.join(path.dirname(deps.db.name), 'replicate') });
      const started = jobsOf().start(request, models.map((m) => m.label).join(', '), labValues(deps.db));
      return started.job;
    },
    'replicate:jobs': () => jobsOf().list(),
    'replicate:cancel': (a) => jobsOf().cancel(a.jobId),
    'replicate:report': (a) => {
      const r = jobsOf().result(a.jobId);
      const cards: ReplicateCard[] = r.experiments.map((e) => ({
        id: e.id,
        title: e.title,
        published: e.published,
        verdict: e.verdict,
        effect: e.effect,
        spread: e.spread,
        checkpoints: e.checkpoints.map((c) => ({ label: c.label, effect: c.effect, text: c.text, statistic: c.statistic, comparisons: c.comparisons, beside: c.beside.map((b) => ({ who: b.who, text: b.text })), notes: c.notes, table: c.table })),
        svg: fs.readFileSync(path.join(r.out, e.files.svg), 'utf8'),
        folder: path.join(r.out, e.id),
      }));
      return { jobId: a.jobId, out: r.out, markdown: r.markdown, cards };
    },
    'replicate:save': async (a) => {
      const r = jobsOf().result(a.jobId);
      const dest = await deps.chooseExportDir(`paper-battery-${a.jobId}`);
      if (!dest) return { folder: null };
      const target = path.join(dest, path.basename(r.out));
      if (fs.existsSync(target)) throw new PredlabError('conflict', `${target} already exists; choose another folder.`);
      try {
        fs.cpSync(r.out, target, { recursive: true, errorOnExist: true });
      } catch (e) {
        fs.rmSync(target, { recursive: true, force: true });
        throw new PredlabError('storage', `Cannot copy the report to ${target}: ${(e as Error).message}`);
      }
      return { folder: target };
    },
  };
}
