/**
 * The headless `predlab` command: the same services and database as the app.
 * Every command takes --json; commands that create a session print {"sessionId": ...}.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { paradigms } from '../../paradigms/index.js';
import { sigmaForSpread75 } from '../../paradigms/psychometric-function.js';
import { PredlabError, storageError } from '../errors.js';
import { defaultDatabasePath } from '../paths.js';
import { analyseSession } from '../services/analysis.js';
import { analyseExport } from '../services/analysis-from-export.js';
import { exportSession } from '../services/export.js';
import { finishSession, getSession, listSessions } from '../services/sessions.js';
import { ownerAlive, runningJobs } from '../services/jobs.js';
import { resolveInterruptedJobs } from '../services/recovery.js';
import { simulateSession } from '../services/simulate.js';
import { openDatabase, openLedger, type Db } from '../store/db.js';
import { APP_VERSION } from '../version.js';
import { CheckpointError } from '../../native-models/checkpoint.js';
import { KerasImportError } from '../../native-models/keras-import.js';
import { NpyError } from '../../native-models/npy.js';
import { ortTelemetryOffByDefault } from '../../native-models/onnx/telemetry.js';
import { formatAnalysis, formatSessions, USAGE_HINT } from './format.js';
import { addFitOptions, fitChoiceOf } from './fit-options.js';
import { exportActivationsAction } from './dataset-commands.js';
import { CliEvents } from './events.js';
import { addModelCommands } from './model-commands.js';
import { addModelSessionCommands } from './model-session-commands.js';
import { addReplicateCommands } from './replicate-commands.js';
import { addStimulusCommands } from './stimulus-commands.js';
import { addStudyCommands } from './study-commands.js';
import { addMonitorCommands } from './monitor-commands.js';

// ONNX Runtime's telemetry off unless PREDLAB_ONNX_TELEMETRY=1, before any thread loads it.
ortTelemetryOffByDefault();

/** Errors caused by what the user gave us: print the message, not a stack. */
function isUserError(e: unknown): e is Error {
  return e instanceof PredlabError || e instanceof CheckpointError || e instanceof NpyError || e instanceof KerasImportError || e instanceof RangeError;
}

const number = (name: string) => (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number.`);
  return x;
};
const integer = (name: string) => (v: string) => {
  const x = number(name)(v);
  if (!Number.isInteger(x)) throw new InvalidArgumentError(`${name} must be a whole number.`);
  return x;
};
const sessionId = integer('--session');

/** `--param key=value` (repeatable); values are read as JSON when they parse, else as text. */
function collectParam(v: string, acc: Record<string, unknown>): Record<string, unknown> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--param takes key=value; got '${v}'.`);
  const key = v.slice(0, eq);
  const raw = v.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    // Text that starts like a JSON list, object or string was meant as JSON: say it is broken,
    // rather than pass it on as text for the schema to call it the wrong type.
    if (/^\s*[[{"]/.test(raw)) throw new InvalidArgumentError(`--param ${key}: '${raw}' is not valid JSON (${(e as Error).message.split('\n')[0]}).`);
  }
  return { ...acc, [key]: value };
}

/** Resolve interrupted jobs (main/services/recovery.ts), one line on stderr each; never fails the command. */
function recovered(db: Db, err: (s: string) => void): Db {
  try {
    for (const r of resolveInterruptedJobs(db, path.dirname(path.resolve(db.name)))) err(`predlab: ${r.message}\n`);
  } catch (e) {
    const s = storageError(e) ?? e;
    err(`predlab: could not resolve the jobs an earlier run left unfinished (${(s as Error).message}); they are tried again next time.\n`);
  }
  return db;
}

function recoveredReadonly(db: Db, file: string, err: (s: string) => void): Db {
  let pending = false;
  try {
    pending = runningJobs(db).some((j) => !ownerAlive(j));
  } catch {
    return db; // a lab from before jobs existed: the next writer migrates and resolves it
  }
  if (!pending) return db;
  // The lab's own file (db.name may be a private snapshot of a lab in a read-only folder).
  const ledger = openLedger(file);
  if (!ledger) return db;
  try {
    recovered(ledger, err);
  } finally {
    ledger.close();
  }
  return db;
}

export function buildCli(io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }) {
  const program = new Command('predlab')
    .description('PredLab: visual-illusion psychophysics for people and PredNet')
    .version(APP_VERSION)
    .option('--db <file>', 'database file', defaultDatabasePath())
    .option('--events', "long jobs print the app's progress events (one JSON object a line on stderr: topic, key, value) instead of progress text")
    .option('--verbose', 'after a refusal, also print the long list behind it (every file, every problem)')
    // A usage error is one line naming the problem, then where the options are listed (the
    // whole help after every typo buries the message); prefixed like every other error.
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(`predlab: ${s.replace(/^error: /, '')}`) })
    .exitOverride()
    .showHelpAfterError(USAGE_HINT);

  let db: Db | null = null;
  // Opened for writing, the lab first resolves the jobs an earlier PredLab left half-done.
  const database = () => (db ??= recovered(openDatabase(program.opts().db), io.err));
  // Commands that only read open read-only: nothing is created at a mistyped --db, and a
  // read-only file or folder still works.
  // They resolve interrupted jobs too, through a connection of their own, when there are any
  // and the lab can be written.
  const readDatabase = () => (db ??= recoveredReadonly(openDatabase(program.opts().db, { readonly: true }), program.opts().db, io.err));
  let events: CliEvents | null = null;
  const cliEvents = () => (events ??= new CliEvents(Boolean(program.opts().events), io.err));
  const emit = (json: boolean, value: unknown, text: string) => io.out(`${json ? JSON.stringify(value, null, 2) : text}\n`);

  program
    .command('paradigms')
    .description('list the paradigms and their default parameters')
    .option('--json', 'machine-readable output')
    .action((o) => {
      const list = [...paradigms.values()].map((p) => ({ id: p.id, name: p.name, description: p.description, defaults: p.defaults, responses: p.responses.map((r) => r.value) }));
      emit(o.json, list, list.map((p) => `${p.id}  ${p.name}: ${p.description}\n  defaults: ${JSON.stringify(p.defaults)}`).join('\n'));
    });

  const session = program.command('session').description('create, list and close sessions');
  session
    .command('simulate')
    .description('a simulated observer takes a protocol (to test designs and produce example data)')
    .requiredOption('--paradigm <id>', 'paradigm id (see `predlab paradigms`)')
    .option('--pse <x>', "observer's point of subjective equality, in the paradigm's units (see `predlab paradigms`)", number('--pse'), 0)
    .option('--sigma <x>', "observer's spread: SD of the cumulative Gaussian", number('--sigma'))
    .option('--slope <per-unit>', "observer's slope at the PSE (alternative to --sigma)", number('--slope'))
    .option('--threshold <x>', "observer's 75 % threshold: half the distance between its 25 % and 75 % points, guess and lapse included (alternative to --sigma)", number('--threshold'))
    .option('--lapse <rate>', 'lapse rate (upper asymptote 1 - lapse)', number('--lapse'), 0.02)
    .option('--guess <rate>', 'guess rate (lower asymptote)', number('--guess'), 0.02)
    .option('--seed <n>', 'seed of the trial list and the answers', integer('--seed'), 1)
    .option('--param <key=value>', 'paradigm parameter (repeatable), e.g. --param speedDegPerS=20, or --param design=quest for the QUEST design (`predlab paradigms` lists every parameter with its default)', collectParam, {})
    .option('--json', 'machine-readable output')
    .action((o) => {
      const given = ['sigma', 'slope', 'threshold'].filter((k) => o[k] !== undefined);
      if (given.length === 0) throw new PredlabError('invalid-argument', 'Give the observer a spread: --sigma, --slope or --threshold.');
      if (given.length > 1) throw new PredlabError('invalid-argument', `Give one of --sigma, --slope and --threshold, not ${given.map((k) => `--${k}`).join(' and ')}.`);
      for (const k of ['slope', 'threshold'] as const) if (o[k] !== undefined && !(o[k] > 0)) throw new PredlabError('invalid-argument', `--${k} must be positive; got ${o[k]}.`);
      // slope at the PSE = (1 - guess - lapse) * phi(0) / sigma
      const sigma = o.sigma ?? (o.threshold !== undefined ? sigmaForSpread75(o.threshold, o.guess, o.lapse) : ((1 - o.guess - o.lapse) * 0.3989422804014327) / o.slope);
      const s = simulateSession(database(), { paradigmId: o.paradigm, parameters: o.param, seed: o.seed, observer: { pse: o.pse, sigma, guess: o.guess, lapse: o.lapse } });
      emit(o.json, { sessionId: s.id, trials: s.answered, status: s.status }, `Simulated session ${s.id}: ${s.answered} trials (${s.protocol.paradigmId}, seed ${s.protocol.seed}).`);
    });
  session
    .command('list')
    .description('list sessions')
    .addOption(new Option('--status <status>', 'only sessions with this status').choices(['running', 'complete', 'aborted']))
    .addOption(new Option('--setting <setting>', "only sessions taken in the lab, or online (an online study's imported data)").choices(['lab', 'online']))
    .option('--json', 'machine-readable output')
    .action((o) => {
      const list = listSessions(readDatabase(), { status: o.status }).filter((s) => o.setting === undefined || (s.source === 'online') === (o.setting === 'online'));
      emit(o.json, list, formatSessions(list));
    });
  session
    .command('close')
    .description('close an incomplete (interrupted) session, keeping its answered trials')
    .requiredOption('--session <id>', 'session id', sessionId)
    .option('--json', 'machine-readable output')
    .action((o) => {
      const s = getSession(database(), o.session);
      const closed = finishSession(database(), s.id, s.answered === s.total ? 'complete' : 'aborted');
      emit(o.json, { sessionId: closed.id, status: closed.status, answered: closed.answered }, `Session ${closed.id} closed as ${closed.status} with ${closed.answered} answered trial(s).`);
    });

  addFitOptions(
    program
      .command('analyze')
      .alias('analyse')
      .description("fit the psychometric function of a session, from the lab or from its export alone")
      .option('--session <id>', 'session id (of the lab; with --from-export, of the study CSV)', sessionId)
      .option('--from-export <file>', "recompute the analysis without the lab, from a session's CSV export (predlab export --format csv) and the protocol file beside it, a study CSV (predlab study export; --session picks the session, its BIDS sidecar gives the parameters) or a BIDS run file (sub-<label>/beh/*_beh.tsv and its sidecar)")
      .option('--bootstrap <n>', 'bootstrap samples for the confidence intervals', integer('--bootstrap'), 500)
      .option('--include-dropped', 'keep trials with a dropped frame near the critical event in the fit (left out by default)'),
  )
    .option('--json', 'machine-readable output')
    .action((o) => {
      if (o.bootstrap < 0 || o.bootstrap > 100000) throw new PredlabError('invalid-argument', `--bootstrap must be between 0 and 100000; got ${o.bootstrap}.`);
      if (o.session === undefined && o.fromExport === undefined) throw new PredlabError('invalid-argument', 'Give --session <id> (a session of the lab) or --from-export <file> (its export; with --session <id>, that session of a study CSV).');
      if (o.fromExport !== undefined) {
        if (o.includeDropped) throw new PredlabError('invalid-argument', "--include-dropped goes with the lab's sessions: an export's in_fit column already says which trials the app's fit used.");
        const a = analyseExport(o.fromExport, { bootstrap: o.bootstrap, fit: fitChoiceOf(o), sessionId: o.session });
        const x = a.fromExport;
        emit(o.json, a, `Recomputed from ${x.file}${x.format === 'session CSV' ? '' : ` (session ${a.sessionId}, a ${x.format})`} and ${path.basename(x.protocolFile)}: ${x.rows} rows, ${x.inFit} in the fit (in_fit); every row's stimulus checked against the protocol's trials, and its in_fit against its answer and flags.\n${formatAnalysis(a, { hint: false })}`);
        return;
      }
      const a = analyseSession(readDatabase(), o.session, { bootstrap: o.bootstrap, excludeDroppedFrames: o.includeDropped !== true, fit: fitChoiceOf(o) });
      emit(o.json, a, formatAnalysis(a));
    });

  program
    .command('export')
    .description("export the trials of a session (--format), or the model's layer activations on them (--activations)")
    .requiredOption('--session <id>', 'session id', sessionId)
    .addOption(new Option('--format <format>', 'tidy CSV or BIDS behavioural TSV + JSON sidecar').choices(['csv', 'bids']))
    .option('--activations <layers>', "a model session's PredNet layers to HDF5, e.g. R0,E1 (--out <file.h5>; a .tsv index beside it)")
    .requiredOption('--out <path>', 'output folder (created if missing), or the .h5 file with --activations')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      if (o.activations !== undefined && o.format !== undefined) throw new PredlabError('invalid-argument', 'Give either --format csv|bids or --activations <layers>, not both.');
      if (o.activations !== undefined) return exportActivationsAction({ database, emit, err: io.err, events: cliEvents, integer, number }, o);
      if (o.format === undefined) throw new PredlabError('invalid-argument', 'Give --format csv|bids (the trials), or --activations <layers> (a model session\'s activations).');
      const r = exportSession(readDatabase(), o.session, o.format, path.resolve(o.out));
      emit(o.json, r, `Exported ${r.rows} trial(s):\n${r.files.map((f) => `  ${f}`).join('\n')}`);
    });

  addModelCommands(program, { database, emit, err: io.err, events: cliEvents, integer, number });
  addModelSessionCommands(program, session, { database, emit, err: io.err, events: cliEvents, integer, number, collectParam });
  addReplicateCommands(program, { database, readDatabase, emit, err: io.err, events: cliEvents, integer, number });
  addStudyCommands(program, { database, readDatabase, emit, err: io.err, events: cliEvents, integer, number });
  addMonitorCommands(program, { database, readDatabase, emit, err: io.err, events: cliEvents, integer, number });
  addStimulusCommands(program, { database, readDatabase, emit, err: io.err, events: cliEvents, integer, number, collectParam });

  return { program, close: () => db?.close(), flushEvents: async () => events?.flush() };
}

/** The --db given (or the default), absolute, for messages; 'the lab database' if unknown. */
function labFile(program: Command): string {
  const db = (program.opts() as { db?: unknown }).db;
  return typeof db === 'string' && db ? path.resolve(db) : 'the lab database';
}

/** Run with argv; returns the exit code (0 ok, 1 error, 2 usage). */
export async function runCli(argv: string[], io?: Parameters<typeof buildCli>[0]): Promise<number> {
  const { program, close, flushEvents } = buildCli(io);
  const err = io?.err ?? ((s: string) => process.stderr.write(s));
  const out = io?.out ?? ((s: string) => process.stdout.write(s));
  try {
    await program.parseAsync(argv, { from: 'user' });
    await flushEvents();
    return 0;
  } catch (caught) {
    await flushEvents(); // a job's last event (its failure) comes before the message
    if (caught instanceof CommanderError) return caught.exitCode === 0 ? 0 : 2;
    // A SQLite failure (locked, read-only, damaged, disk full) is the user's to act on.
    const e = storageError(caught, labFile(program)) ?? caught;
    // A damaged row names the lab's file.
    const message = isUserError(e) ? e.message.replace(/^The lab database is damaged:/, `${labFile(program)} is damaged:`) : `unexpected error: ${(e as Error).stack ?? e}`;
    const code = e instanceof PredlabError ? e.code : isUserError(e) ? 'invalid-argument' : 'internal';
    if (argv.includes('--json')) out(`${JSON.stringify({ error: { code, message } })}\n`);
    err(`predlab: ${message}\n`);
    if (e instanceof PredlabError && e.details.length && (program.opts() as { verbose?: boolean }).verbose) err(e.details.map((d) => `  ${d}\n`).join(''));
    return 1;
  } finally {
    close();
  }
}

// Run when executed directly (bin/predlab.js imports this file).
if (process.argv[1] && fs.realpathSync(process.argv[1]).endsWith(path.join('bin', 'predlab.js'))) {
  // Output piped into a program that stops reading (`predlab session list | head`): stop quietly,
  // as other command-line tools do, not with an EPIPE stack. stderr closed early: say nothing more.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.stderr.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  process.exitCode = await runCli(process.argv.slice(2));
}
