/** `predlab replicate`: the paper's experiments on a checkpoint (issue 13). */
import type { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { PredlabError } from '../errors.js';
import { DEFAULT_SET_NAME, resolveShippedCheckpoint } from '../services/default-model.js';
import { experimentIds, REPLICATE_LIMITS, runReplicate } from '../services/replicate.js';
import { REFERENCE_DEFAULT_SIZE } from '../../native-models/battery/references.js';
import type { Db } from '../store/db.js';
import type { ReplicateJob } from '../../preload/channels/replicate.js';
import { APP_ROOT, type CliContext } from './context.js';

const collect = (v: string, acc: string[] | undefined) => [...(acc ?? []), v];

/** '64x80' -> { height: 64, width: 80 } (checked further by the service). */
function parseSize(v: string): { height: number; width: number } {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(v.trim());
  if (!m) throw new PredlabError('invalid-argument', `--size must be HEIGHTxWIDTH in pixels, e.g. 64x80; got '${v}'.`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

export function addReplicateCommands(program: Command, ctx: CliContext & { readDatabase: () => Db }): void {
  program
    .command('replicate')
    .description("run the paper's experiments (Lotter et al. 2020) on checkpoints: plots, data, verdicts beside the published results")
    .option('--checkpoint <dir>', `checkpoint folder, 'default' ('default-2', 'default-3': its set's other instances; '${DEFAULT_SET_NAME}': every installed instance of the set), or a reference observer: 'copy-last' or 'oracle' (a folder of that name: ./copy-last) (repeatable, up to ${REPLICATE_LIMITS.checkpoints}: the spread across instances)`, collect)
    .option('--size <HxW>', `frame size of a reference observer given as --checkpoint (default ${REFERENCE_DEFAULT_SIZE.height}x${REFERENCE_DEFAULT_SIZE.width}, the default model's)`)
    .requiredOption('--out <dir>', 'output folder (created if missing): one folder per experiment, report.json and report.md')
    .option('--experiments <ids>', `comma-separated, from: ${experimentIds().join(', ')} (default: all)`)
    .option('--quick', 'smaller sweeps and fewer units (minutes instead of hours)')
    .option('--seed <n>', 'seed of every random choice', ctx.integer('--seed'), 1)
    .option('--json', 'machine-readable output')
    .action(async (o: { checkpoint?: string[]; size?: string; out: string; experiments?: string; quick?: boolean; seed: number; json?: boolean }) => {
      if (!o.checkpoint?.length) throw new PredlabError('invalid-argument', 'Give at least one --checkpoint <dir> (or --checkpoint default, copy-last or oracle).');
      const size = o.size === undefined ? undefined : parseSize(o.size);
      if (size && !o.checkpoint.some((c) => c === 'copy-last' || c === 'oracle')) throw new PredlabError('invalid-argument', '--size sets the frame size of a reference observer (--checkpoint copy-last or oracle); a checkpoint has its own.');
      // A checkpoint named twice (default and default-set) is one instance, run once.
      const checkpoints = [...new Set(o.checkpoint.flatMap((c) => resolveShippedCheckpoint(c, APP_ROOT, true)).map((c) => (c === 'copy-last' || c === 'oracle' ? c : path.resolve(c))))];
      const experiments = o.experiments?.split(',').map((s) => s.trim()).filter(Boolean);
      // People's values come from the lab database when there is one (--db, or the default lab).
      const dbFile = program.opts().db as string | undefined;
      const db = dbFile && fs.existsSync(dbFile) ? ctx.readDatabase() : null;
      // Receptive-field maps are cached per checkpoint beside the lab (as the app does).
      const labDir = dbFile ? path.dirname(path.resolve(dbFile)) : null;
      const cacheDir = labDir && fs.existsSync(labDir) ? path.join(labDir, 'replicate', 'rf-cache') : null;
      const started = Date.now();
      let last = '';
      // Under --events, the page's 'replicate' event: this run as a job of the Paper battery page.
      const events = ctx.events();
      const job: ReplicateJob = { id: 1, label: o.checkpoint.join(', '), experiments: experiments ?? [], quick: Boolean(o.quick), state: 'running', fraction: 0, message: 'starting', out: path.resolve(o.out), error: null, startedAt: new Date(started).toISOString(), finishedAt: null };
      const ended = (patch: Partial<ReplicateJob>) => events.update('replicate', [Object.assign(job, patch, { finishedAt: new Date().toISOString() })]);
      events.update('replicate', [job]);
      const result = await runReplicate(
        { checkpoints, size, out: o.out, experiments, quick: Boolean(o.quick), seed: o.seed, cacheDir },
        {
          db,
          onProgress: (p) => {
            events.update('replicate', [Object.assign(job, { fraction: p.fraction, message: p.message })]);
            if (events.enabled) return;
            // Whole lines on stderr (stdout stays machine-readable), each new step once.
            const line = `replicate: ${Math.round(p.fraction * 100)}% ${p.message}`;
            if (line !== last) ctx.err(`${line}\n`);
            last = line;
          },
        },
      ).catch((e: unknown) => {
        ended({ state: 'error', error: (e as Error).message });
        throw e;
      });
      ended({ state: 'done', fraction: 1, message: 'done' });
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      ctx.emit(
        Boolean(o.json),
        result,
        [
          `Paper battery on ${checkpoints.length} checkpoint(s) in ${seconds} s; people's values: ${db ? dbFile : 'none (no lab database)'}.`,
          ...result.experiments.map((e) => `  ${e.verdict}\n    published: ${e.published}`),
          `Report: ${result.markdown}`,
        ].join('\n'),
      );
    });
}
