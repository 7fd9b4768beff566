/** `predlab session run --model ...` (a model takes a protocol) and `predlab compare`. */
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import fs from 'node:fs';
import { fmt } from '../../paradigms/format.js';
import { PredlabError } from '../errors.js';
import { registerDefaultModel, resolveShippedCheckpoint } from '../services/default-model.js';
import type { Comparison, ModelJob } from '../../paradigms/records.js';
import { paradigms } from '../../paradigms/index.js';
import { digitsFor, droppedLeftOut, formatStatistic, INCLUDE_DROPPED_HINT, parseSize, psychometricFunctionLines } from './format.js';
import { addFitOptions, fitChoiceOf } from './fit-options.js';
import { findings, intervalMethod } from '../../paradigms/findings.js';
import { compareSessions } from '../services/compare.js';
import { listModels } from '../services/models.js';
import { referenceSessionsOf, runModelSession } from '../services/model-sessions.js';
import { isReferenceKind } from '../../native-models/observer/predictors.js';
import { listSessions } from '../services/sessions.js';
import { APP_ROOT, type CliContext } from './context.js';

const f = fmt;

export function formatComparison(c: Comparison): string {
  const lines = ['session  participant                          paradigm / condition                     trials  statistics'];
  for (const r of c.rows)
    lines.push(
      `${String(r.sessionId).padStart(7)}  ${`${r.kind}: ${r.label}`.slice(0, 36).padEnd(36)} ${`${r.paradigmId} ${r.group}${r.condition !== r.group ? ` / ${r.conditionLabel}` : ''}`.slice(0, 40).padEnd(40)} ${String(r.trials).padStart(6)}  ${r.statistics.map(formatStatistic).join('; ')}`,
    );
  lines.push(...psychometricFunctionLines(c.analyses));
  if (c.differences.length) {
    lines.push('', 'person - model (same paradigm, group and condition):');
    for (const d of c.differences)
      lines.push(
        `  session ${d.humanSessionId} - session ${d.modelSessionId}, ${d.condition}: ${d.label} ${
          // A difference the data do not determine is no number to print.
          d.undeterminedIn.length
            ? `not determined (the data of session ${d.undeterminedIn.join(' and ')} do not determine it)`
            : `${f(d.diff, digitsFor(d.unit))} ${d.unit} [${f(d.diffCi[0], digitsFor(d.unit))}, ${f(d.diffCi[1], digitsFor(d.unit))}] (${intervalMethod(d)})`
        }`,
      );
  }
  if (c.beyondCopyLast?.length) {
    lines.push('', 'model - copy-last on the same trials (what the model shows beyond the display and the readout alone):');
    for (const b of c.beyondCopyLast)
      lines.push(`  session ${b.modelSessionId} - session ${b.referenceSessionId}, ${b.condition}: ${b.label} ${b.undetermined || b.diff === null || !b.diffCi ? `not determined (${b.undetermined ?? 'no paired interval'})` : `${f(b.diff, digitsFor(b.unit))} ${b.unit} [${f(b.diffCi[0], digitsFor(b.unit))}, ${f(b.diffCi[1], digitsFor(b.unit))}] (paired over ${b.sharedTrials} trials)`}`);
  }
  const notes = [...new Set(c.rows.flatMap((r) => r.messages.map((m) => `  session ${r.sessionId}: ${m}`)))];
  if (c.analyses.some((a) => droppedLeftOut(a.statistics) > 0)) notes.push(`  ${INCLUDE_DROPPED_HINT}`);
  if (notes.length) lines.push('', 'notes:', ...notes);
  return lines.join('\n');
}

/**
 * Progress of a long job on stderr, so stdout stays machine-readable. A terminal gets a live
 * bar; a pipe, a file or --json output gets a plain line at the start, every 10 % and at the end
 * (a pipe would otherwise see nothing for minutes).
 */
export function progressReporter(err: (s: string) => void, what: string, stream: NodeJS.WriteStream = process.stderr): { update: (done: number, total: number) => void; stop: () => void } {
  if (stream.isTTY) {
    const bar = new SingleBar({ format: `${what} [{bar}] {value}/{total}`, stream });
    let started = false;
    return {
      update: (done, total) => {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  err(`${what}: starting\n`);
  let lastStep = -1;
  return {
    update: (done, total) => {
      const step = Math.floor((10 * done) / Math.max(total, 1));
      if (step === lastStep) return;
      lastStep = step;
      err(`${what}: ${done}/${total}\n`);
    },
    stop: () => undefined,
  };
}

export function addModelSessionCommands(program: Command, session: Command, ctx: CliContext & { collectParam: (v: string, acc: Record<string, unknown>) => Record<string, unknown> }): void {
  const { emit, integer, number } = ctx;
  session
    .command('run')
    .description('a PredNet checkpoint takes a protocol as a participant (same trials as a person with --protocol)')
    .requiredOption('--model <checkpoint>', "checkpoint folder, 'default' for the checkpoint shipped with PredLab ('default-2', 'default-3': the default set's other instances), or a reference observer: 'copy-last' (predicts the last frame it saw) or 'oracle' (predicts the true next frame)")
    .option('--paradigm <id>', 'paradigm id (see `predlab paradigms`)', [...paradigms.keys()][0])
    .option('--protocol <id>', "take an existing protocol's trials (e.g. a person's session)", integer('--protocol'))
    .option('--seed <n>', 'seed of the trial list (without --protocol)', integer('--seed'))
    .option('--param <key=value>', 'paradigm parameter (repeatable, without --protocol)', ctx.collectParam, {})
    .option('--fov <deg>', "degrees across the model's image width", number('--fov'))
    .option('--fps <hz>', 'model frames per second', number('--fps'))
    .option('--noise <x>', "decision noise (SD) added to the readout's perceived value, in its unit", number('--noise'))
    .option('--readout-delay <frames>', 'read the prediction this many frames after the critical frame', integer('--readout-delay'))
    .option('--batch-size <n>', 'trials per forward pass', integer('--batch-size'))
    .option('--layer <name>', "for readouts that read a layer: 'prediction' or e.g. E1, R2 (default: the readout's own choice)")
    .addOption(new Option('--temporal <mode>', "integrate: each model frame sums the light over its exposure (a 33 ms flash is 33 ms at any frame rate); sample: each frame is what a display at the model's rate would draw (for stimuli authored in model frames)").choices(['integrate', 'sample']))
    .option('--exposure <fraction>', 'integrate mode: fraction of each frame interval the shutter is open (0-1]', number('--exposure'))
    .addOption(new Option('--if-no-readout <what>', "a trial whose readout finds nothing to read: exclude (no answer, left out of the fit; default) or guess (a random answer, marked)").choices(['exclude', 'guess']))
    .option('--size <HxW>', 'a reference observer\'s image size (default 64x80, the default model\'s)', '64x80')
    .option('--no-references', 'do not run copy-last and oracle on the same trials beside a checkpoint')
    .option('--again', 'run a new session even if this checkpoint already took the protocol with the same settings (by default that session is shown and nothing is run)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      if (o.protocol !== undefined && (o.seed !== undefined || Object.keys(o.param).length)) throw new PredlabError('invalid-argument', '--protocol fixes the trials; leave out --seed and --param.');
      const observer = Object.fromEntries(
        Object.entries({ fovDeg: o.fov, frameRateHz: o.fps, decisionNoiseDeg: o.noise, readoutDelayFrames: o.readoutDelay, batchSize: o.batchSize, layer: o.layer, temporalMode: o.temporal, exposure: o.exposure, noReadout: o.ifNoReadout }).filter(([, v]) => v !== undefined),
      );
      const reference = isReferenceKind(o.model) ? { kind: o.model, ...parseSize(o.size), channels: 3 } : undefined;
      const checkpoint = reference ? undefined : resolveShippedCheckpoint(o.model, APP_ROOT)[0]!;
      // A shipped instance is recorded under the label the app gives it (Compare groups the set by it).
      if (checkpoint !== o.model) registerDefaultModel(ctx.database(), APP_ROOT);
      // Progress starts once the settings are checked and the session exists: a refusal comes alone.
      let progress: ReturnType<typeof progressReporter> | null = null;
      let besideNow: string | undefined;
      const db = ctx.database();
      // Under --events, the page's 'model-sessions' event: this run as a background model session.
      const events = ctx.events();
      const job: ModelJob = { id: 1, label: o.model, protocolId: o.protocol ?? null, state: 'running', done: 0, total: 0, sessionId: null, error: null };
      const report = events.enabled ? null : ctx.err;
      let started = false; // a refusal before the session exists is no job's end
      const s = await runModelSession(db, {
        paradigmId: o.paradigm,
        ...(reference ? { reference } : { checkpoint, references: o.references !== false, again: o.again === true }),
        ...(o.protocol !== undefined ? { protocolId: o.protocol } : { parameters: o.param, seed: o.seed ?? 1 }),
        observer,
        onStart: () => {
          started = true;
          events.update('model-sessions', [job]);
          if (report) progress = progressReporter(report, 'model trials');
        },
        onProgress: (done, total, beside) => {
          // As the app's job: the model's own trials (the reference observers' come after them).
          if (!beside) events.update('model-sessions', [Object.assign(job, { done, total })]);
          if (!report) return;
          // Each reference observer after the model gets a progress line of its own.
          if (beside && beside !== besideNow) {
            (progress as ReturnType<typeof progressReporter> | null)?.stop();
            progress = progressReporter(report, `${beside} reference trials`);
            besideNow = beside;
          }
          progress?.update(done, total);
        },
        onNote: (text) => ctx.err(`Note: ${text}\n`),
      }).catch((e: unknown) => {
        if (started) events.update('model-sessions', [Object.assign(job, { state: 'error' as const, error: (e as Error).message })]);
        throw e;
      });
      events.update('model-sessions', [Object.assign(job, { state: 'done' as const, sessionId: s.id, protocolId: s.protocol.id })]);
      (progress as ReturnType<typeof progressReporter> | null)?.stop();
      const others = listSessions(db).filter((x) => x.protocol.id === s.protocol.id && x.participant.kind !== 'model' && x.answered > 0);
      const hint = others.length
        ? `Compare with: predlab compare --sessions ${[...others.map((x) => x.id), s.id].join(',')}`
        : `No person has taken protocol ${s.protocol.id} yet; to put this model beside a person, run it on their session's protocol (predlab session list; --protocol <id>), then predlab compare --sessions <their session>,<this session>.`;
      const refs = referenceSessionsOf(db, s.id);
      const beside = refs.length ? ` Beside it on the same trials: ${refs.map((r) => `${r.kind} session ${r.session.id}`).join(', ')} (predlab analyze --session ${s.id} shows all three).` : '';
      const reused = s.reused
        ? `Model session ${s.id} already holds these answers: ${s.participant.label} took protocol ${s.protocol.id} with the same weights and observer settings (${s.answered} trials); nothing was run (--again runs a new session).`
        : `Model session ${s.id}: ${s.participant.label} answered ${s.answered} trials of protocol ${s.protocol.id}.`;
      emit(
        o.json,
        { sessionId: s.id, protocolId: s.protocol.id, trials: s.answered, status: s.status, reused: s.reused === true, compareWith: others.map((x) => x.id), references: Object.fromEntries(refs.map((r) => [r.kind, r.session.id])) },
        `${reused}${beside} ${hint}`,
      );
    });

  const compare = program
    .command('compare')
    .description("people and models side by side: each paradigm's headline statistics with CIs, and person - model differences")
    .requiredOption('--sessions <ids>', 'comma-separated session ids', (v: string) => {
      const ids = v.split(',').map((x) => Number(x.trim()));
      if (ids.some((x) => !Number.isInteger(x) || x <= 0)) throw new PredlabError('invalid-argument', `--sessions takes ids like 3,7; got '${v}'.`);
      return ids;
    })
    .option('--bootstrap <n>', 'bootstrap samples for the confidence intervals', integer('--bootstrap'), 500)
    .option('--include-dropped', 'keep trials with a dropped frame near the critical event in the fits (left out by default)');
  addFitOptions(compare)
    .option('--json', 'machine-readable output')
    .action((o) => {
      const db = ctx.database();
      const c = compareSessions(db, o.sessions, { bootstrap: o.bootstrap, excludeDroppedFrames: o.includeDropped !== true, fit: fitChoiceOf(o) });
      // The same sentences as the Compare page (warnings about checkpoints first).
      const found = findings(c, new Map(listSessions(db).map((x) => [x.id, x.participant])), listModels(db));
      emit(o.json, { rows: c.rows, differences: c.differences, findings: found, psychometricFunction: c.analyses.map((a) => ({ sessionId: a.sessionId, psychometricFunction: a.psychometricFunction })) }, `${formatComparison(c)}${found.length ? `\n\nfindings:\n${found.map((x) => `  - ${x.text}`).join('\n')}` : ''}`);
    });
}
