/**
 * What every command group of the CLI is given or shares: the database, output and option
 * parsers (CliContext, built in index.ts), the 32-bit seed parser, the app's root folder,
 * Ctrl-C handling for cancellable work, and the yes/no question a delete asks first.
 */
import { InvalidArgumentError } from 'commander';
import path from 'node:path';
import readline from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { CliEvents } from './events.js';

export interface CliContext {
  database: () => Db;
  emit: (json: boolean, value: unknown, text: string) => void;
  err: (s: string) => void;
  /** The app's events of a long job, printed under --events (events.ts); off otherwise. */
  events: () => CliEvents;
  integer: (name: string) => (v: string) => number;
  number: (name: string) => (v: string) => number;
}

/** The repository (or app) root: where native-models/default-model is found. */
export const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Seeds are 32-bit: a larger one would alias a smaller one, so it is refused. */
export const seed = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(v.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) throw new InvalidArgumentError(`${name} must be a whole number from 0 to 4294967295; got ${v}.`);
  return n;
};

/**
 * Ctrl-C aborts the signal (the operation then cleans up); a second Ctrl-C quits at once.
 * `beforeMessage` runs first (e.g. to stop a progress bar that would overwrite the message).
 */
export async function withSigint<T>(ctx: Pick<CliContext, 'err'>, what: string, run: (signal: AbortSignal) => Promise<T>, beforeMessage?: () => void): Promise<T> {
  const ac = new AbortController();
  const onSigint = () => {
    beforeMessage?.();
    ctx.err(`\nCancelling the ${what}... (Ctrl-C again to quit at once.)\n`);
    ac.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    return await run(ac.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** Asks a yes/no question on the terminal (default no); null when no one can answer (no terminal), so the caller refuses rather than guesses. */
export async function terminalConfirm(question: string): Promise<boolean | null> {
  if (!process.stdin.isTTY) return null;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * A delete command's yes/no: true to go on (also under --yes); false after printing 'Nothing
 * deleted.' for a no. With no one to answer (no terminal), refused: "<what> needs a confirmation".
 */
export async function deleteConfirmed(
  ctx: Pick<CliContext, 'emit'> & { confirm?: typeof terminalConfirm },
  o: { yes?: boolean; json?: boolean },
  question: string,
  what: string,
  name: string,
): Promise<boolean> {
  if (o.yes) return true;
  const answer = await (ctx.confirm ?? terminalConfirm)(question);
  if (answer === null) throw new PredlabError('invalid-argument', `${what} needs a confirmation: run it in a terminal, or add --yes.`);
  if (!answer) ctx.emit(Boolean(o.json), { deleted: false, name }, 'Nothing deleted.');
  return answer;
}
