/**
 * Which key gives which answer. A protocol may name its own keys (run settings `keys`) and ask
 * for them to be counterbalanced across participants (`counterbalanceKeys`): the n-th person in
 * the lab to take a counterbalanced protocol of the paradigm gets the keys rotated n times among
 * the answers (for two answers: every other person has them swapped), and keeps that assignment
 * in their later sessions; online, each participant's rotation is drawn at random. The
 * assignment is stored with each session; answers are stored as values ('left', 'fat'), so the
 * analysis never sees keys.
 */
import { z } from 'zod';
import type { Paradigm } from './types.js';

/** answer value -> KeyboardEvent.key */
export type ResponseKeys = Record<string, string>;

/** Keys the run itself uses while a trial waits for an answer (pause), or that browsers keep. */
export const RESERVED_KEYS = ['Escape', 'p', 'P', ' ', 'Enter', 'Tab', 'F11', 'F5'];

export const responseKeysSchema = z.record(z.string().min(1).max(64), z.string().min(1).max(20)).refine((k) => Object.keys(k).length <= 12, 'at most 12 answers');

/** A letter is one key whatever the case (Caps Lock): stored and compared in lower case. */
export const normaliseKey = (key: string): string => (key.length === 1 ? key.toLowerCase() : key);

/** Keys an answer may take: one printable character, or an arrow (modifiers, dead keys and function keys are not answers). */
const ANSWER_KEY = /^(?:[^\s]|Arrow(?:Left|Right|Up|Down))$/u;

/** The paradigm's own keys. */
export function defaultKeys(p: Pick<Paradigm, 'responses'>): ResponseKeys {
  return Object.fromEntries(p.responses.map((r) => [r.value, r.key]));
}

/** Problems with a key assignment for this paradigm, one sentence each (empty when it is usable). */
export function keyProblems(p: Pick<Paradigm, 'responses' | 'name'>, keys: ResponseKeys): string[] {
  const problems: string[] = [];
  const values = p.responses.map((r) => r.value);
  for (const v of Object.keys(keys)) if (!values.includes(v)) problems.push(`'${v}' is not an answer of ${p.name} (its answers: ${values.join(', ')}).`);
  for (const v of values) if (!keys[v]) problems.push(`Give a key for the answer '${v}'.`);
  const used = values.map((v) => keys[v]).filter((k): k is string => !!k);
  const lower = used.map(normaliseKey);
  if (new Set(lower).size !== lower.length) problems.push(`Each answer needs its own key; ${used.join(', ')} repeat one.`);
  for (const k of used)
    if (RESERVED_KEYS.includes(k)) problems.push(`${keyName(k)} is kept for the run itself (Escape or P pauses; space, Enter and Tab move between screens); choose another key.`);
    else if (!ANSWER_KEY.test(k)) problems.push(`${k} cannot be an answer key: choose a letter, a digit, a sign or an arrow.`);
  return problems;
}

/**
 * The keys of a participant: the protocol's (or the paradigm's), rotated `ordinal` times among the
 * answers when counterbalanced (ordinal: how many other people took this protocol before them).
 */
export function keysFor(p: Pick<Paradigm, 'responses'>, keys: ResponseKeys | undefined, counterbalance: boolean, ordinal: number): ResponseKeys {
  const given = keys ?? defaultKeys(p);
  const base = Object.fromEntries(Object.entries(given).map(([v, k]) => [v, normaliseKey(k)]));
  const values = p.responses.map((r) => r.value);
  if (!counterbalance) return Object.fromEntries(values.map((v) => [v, base[v]!]));
  const shift = ((ordinal % values.length) + values.length) % values.length;
  return Object.fromEntries(values.map((v, i) => [v, base[values[(i + shift) % values.length]!]!]));
}

/** A key as people read it in a prompt: arrows as arrows, a letter in capitals. */
export function keyName(key: string): string {
  return ({ ArrowLeft: '←', ArrowRight: '→', ArrowUp: '↑', ArrowDown: '↓', ' ': 'space' } as Record<string, string>)[key] ?? (key.length === 1 ? key.toUpperCase() : key);
}

/** A key as a sentence names it: "the LEFT arrow", "F". */
export function keyInWords(key: string): string {
  const arrow = /^Arrow(Left|Right|Up|Down)$/.exec(key);
  return arrow ? `the ${arrow[1]!.toUpperCase()} arrow` : keyName(key);
}

/** The answer prompt under the stimulus, from the paradigm's template: "← flash left · flash right →". */
export function promptFor(p: Pick<Paradigm, 'prompt' | 'responses'>, keys: ResponseKeys | null | undefined): string {
  const k = keys ?? defaultKeys(p);
  return p.prompt.replace(/\{([A-Za-z][\w-]*)\}/g, (whole, v: string) => (k[v] ? keyName(k[v]) : whole));
}

/**
 * Instructions with their keys filled in: a paradigm (or a protocol's own text) writes `{left}`,
 * `{fat}`... where the key of that answer goes, so the text follows the session's assignment.
 */
export function withKeys(text: string, keys: ResponseKeys): string {
  return text.replace(/\{([A-Za-z][\w-]*)\}/g, (whole, v: string) => (keys[v] ? keyInWords(keys[v]) : whole));
}

/** The session's keys, in one line for the experimenter and the exports: "left: ←, right: →". */
export function describeKeys(p: Pick<Paradigm, 'responses'>, keys: ResponseKeys): string {
  return p.responses.map((r) => `${r.value}: ${keyName(keys[r.value] ?? r.key)}`).join(', ');
}
