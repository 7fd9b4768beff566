/**
 * The three exports that carry a session's per-trial rows, read back as one session's rows in the
 * session CSV's shape, with the protocol its trials were drawn from (analysis-from-export.ts
 * checks and analyses them):
 * - a session CSV (`predlab export --format csv`), its protocol in `<base>.protocol.json` beside it;
 * - a study CSV (`predlab study export`: many sessions, a `study` and a `session_id` column); the
 *   CSV names paradigm, seed and participant kind, and the parameters are in the session's BIDS
 *   sidecar, which the study export writes beside it (`bids/sub-<label>/beh/*_beh.json`);
 * - a BIDS run file (`sub-<label>/beh/*_beh.tsv`) with its JSON sidecar: the same columns, with
 *   'n/a' for empty cells and `response_time` in seconds where the CSV has `rt_ms`.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import type { ParticipantKind } from '../../paradigms/records.js';
import { PredlabError } from '../errors.js';
import { bidsLabel, type ExportedProtocol } from './export.js';

/**
 * The largest export read back (a session has at most a few thousand trials; a study CSV holds
 * every session of its study, and is read whole before one session's rows are picked), and the
 * most sidecars of one subject searched for a study session's (a JSON sidecar is a few kB).
 */
export const FROM_EXPORT_LIMITS = { bytes: 64 * 2 ** 20, rows: 100_000, sidecarBytes: 4 * 2 ** 20, sidecars: 10_000 } as const;

export type ExportFormat = 'session CSV' | 'study CSV' | 'BIDS run file';

export interface ExportRows {
  format: ExportFormat;
  file: string;
  /** Where the protocol came from: `<base>.protocol.json`, or the session's BIDS sidecar. */
  protocolFile: string;
  protocol: ExportedProtocol;
  /** The session's rows, cells as the session CSV writes them. */
  rows: Record<string, string>[];
  /** Each row's row number in the file (the header is row 1), for errors that name it. */
  fileRows: number[];
}

/** Columns every trial export has; a file without them is not one. */
const IDENTITY = ['session_id', 'paradigm', 'trial_index'] as const;
/** What a study CSV and a BIDS run file name in their rows that a session CSV keeps in its protocol file. */
const PROTOCOL_COLUMNS = ['seed', 'protocol_id', 'participant_kind'] as const;
const KINDS: readonly ParticipantKind[] = ['human', 'simulated', 'model'];
/** What export.ts writes in left_out_because for a model's random guess. */
const GUESS_LEFT_OUT = 'random guess (no model readout)';

/** `<base>.csv` -> `<base>.protocol.json`. */
export const protocolFileOf = (csv: string) => csv.replace(/\.csv$/i, '') + '.protocol.json';

function readJson(file: string, what: string): unknown {
  const size = fs.statSync(file).size;
  if (size > FROM_EXPORT_LIMITS.sidecarBytes) throw new PredlabError('invalid-argument', `${file} is ${size} bytes; ${what} is read up to ${FROM_EXPORT_LIMITS.sidecarBytes}.`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new PredlabError('invalid-argument', `${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function readProtocolFile(csv: string): ExportedProtocol {
  const file = protocolFileOf(csv);
  if (!fs.existsSync(file)) throw new PredlabError('not-found', `${file} is missing: the protocol file written beside the CSV (predlab export --format csv writes both) says which trials the session drew.`);
  const p = readJson(file, 'a protocol file') as ExportedProtocol;
  if (!p || typeof p !== 'object' || typeof p.paradigm !== 'string' || !Number.isInteger(p.sessionId) || !Number.isInteger(p.seed) || typeof p.parameters !== 'object' || p.parameters === null)
    throw new PredlabError('invalid-argument', `${file} does not describe a protocol (it needs sessionId, paradigm, seed and parameters).`);
  return p;
}

function readTable(file: string, delimiter: ',' | '\t'): Record<string, string>[] {
  const size = fs.statSync(file).size;
  if (size > FROM_EXPORT_LIMITS.bytes) throw new PredlabError('invalid-argument', `${file} is ${size} bytes; an export is read up to ${FROM_EXPORT_LIMITS.bytes}.`);
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(fs.readFileSync(file), { columns: true, skip_empty_lines: true, bom: true, delimiter }) as Record<string, string>[];
  } catch (e) {
    throw new PredlabError('invalid-argument', `${file} is not a readable ${delimiter === '\t' ? 'TSV' : 'CSV'}: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new PredlabError('invalid-argument', `${file} holds no trials.`);
  if (rows.length > FROM_EXPORT_LIMITS.rows) throw new PredlabError('invalid-argument', `${file} holds ${rows.length} rows; at most ${FROM_EXPORT_LIMITS.rows} are read.`);
  const missing = IDENTITY.filter((c) => !(c in rows[0]!));
  if (missing.length) throw new PredlabError('invalid-argument', `${file} is neither a session CSV, a study CSV nor a BIDS run file of PredLab: it has no ${missing.join(', ')} column.`);
  return rows;
}

/** A BIDS cell as the session CSV writes it: 'n/a' is an empty cell, response_time (s) is rt_ms (to 0.1 ms, as exported). */
function fromBids(r: Record<string, string>): Record<string, string> {
  const { duration: _, response_time: rt, ...rest } = r;
  const cells = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v === 'n/a' ? '' : v]));
  const ms = rt === undefined || rt === 'n/a' || rt === '' ? '' : String(Number((Number(rt) * 1000).toFixed(1)));
  return { ...cells, rt_ms: ms };
}

interface Sidecar {
  PredLabSessionId: number;
  ParadigmParameters: Record<string, unknown>;
  SoftwareVersion?: unknown;
  PredLabGuessesKept?: unknown;
}

function asSidecar(v: unknown, file: string): Sidecar {
  const s = v as Partial<Sidecar> | null;
  if (!s || typeof s !== 'object' || !Number.isInteger(s.PredLabSessionId) || typeof s.ParadigmParameters !== 'object' || s.ParadigmParameters === null)
    throw new PredlabError('invalid-argument', `${file} is not a sidecar PredLab's BIDS export wrote: it needs PredLabSessionId and ParadigmParameters (the session's parameters).`);
  return s as Sidecar;
}

/**
 * Whether a model's random guesses were in its fit. New sidecars say so; an older one leaves the
 * rows to tell: a guessed row in the fit (kept) or left out (not), or an unread trial (a model set
 * to guess never leaves one). Only a model that read every trial leaves it open.
 */
function guessesKeptOf(sidecar: Sidecar, sidecarFile: string, kind: ParticipantKind, rows: Record<string, string>[]): boolean {
  if (typeof sidecar.PredLabGuessesKept === 'boolean') return sidecar.PredLabGuessesKept;
  if (kind !== 'model') return false;
  const guess = rows.find((r) => r.guessed === 'true');
  if (guess) return guess.left_out_because !== GUESS_LEFT_OUT;
  if (rows.some((r) => r.response === 'none')) return false;
  throw new PredlabError('invalid-argument', `${sidecarFile} lacks PredLabGuessesKept (whether the model's random guesses were kept in its fit; older exports do not write it), and no row of this model session tells; export it again.`);
}

/** The protocol of a study or BIDS export's session: parameters from its sidecar, the rest from its rows. */
function protocolOf(file: string, rows: Record<string, string>[], fileRows: number[], sidecarFile: string, sidecar: Sidecar): ExportedProtocol {
  const missing = PROTOCOL_COLUMNS.filter((c) => !(c in rows[0]!));
  if (missing.length) throw new PredlabError('invalid-argument', `${file} lacks the column(s) ${missing.join(', ')}: they name the session's trials, which its sidecar does not.`);
  const first = rows[0]!;
  rows.forEach((r, i) => {
    for (const c of PROTOCOL_COLUMNS) if (r[c] !== first[c]) throw new PredlabError('invalid-argument', `${file}, row ${fileRows[i]} (trial_index ${r.trial_index}), ${c}: '${r[c]}', but the session's first row has '${first[c]}' (one session has one protocol).`);
  });
  const seed = Number(first.seed);
  const protocolId = Number(first.protocol_id);
  const kind = first.participant_kind as ParticipantKind;
  if (!Number.isInteger(seed) || first.seed === '') throw new PredlabError('invalid-argument', `${file}, row ${fileRows[0]}, seed: '${first.seed}' is not a whole number.`);
  if (!KINDS.includes(kind)) throw new PredlabError('invalid-argument', `${file}, row ${fileRows[0]}, participant_kind: '${first.participant_kind}', not ${KINDS.join(', ')}.`);
  return {
    sessionId: sidecar.PredLabSessionId,
    paradigm: first.paradigm!,
    protocolId,
    seed,
    parameters: sidecar.ParadigmParameters,
    participantKind: kind,
    guessesKept: guessesKeptOf(sidecar, sidecarFile, kind, rows),
    predlabVersion: typeof sidecar.SoftwareVersion === 'string' ? sidecar.SoftwareVersion : '',
  };
}

/** The session ids a file holds, in the order of their first row. */
const sessionsIn = (rows: Record<string, string>[]) => [...new Set(rows.map((r) => r.session_id!))];

/** The one session a single-session file holds, checked against --session when given. */
function oneSession(file: string, rows: Record<string, string>[], sessionId: number | undefined): void {
  const ids = sessionsIn(rows);
  if (sessionId !== undefined && !ids.includes(String(sessionId))) throw new PredlabError('invalid-argument', `${file} holds session ${ids.join(', ')}, not session ${sessionId}.`);
}

function readSessionCsv(file: string, rows: Record<string, string>[], sessionId: number | undefined): ExportRows {
  const protocol = readProtocolFile(file);
  oneSession(file, rows, sessionId);
  return { format: 'session CSV', file, protocolFile: protocolFileOf(file), protocol, rows, fileRows: rows.map((_, i) => i + 2) };
}

function readBids(file: string, all: Record<string, string>[], sessionId: number | undefined): ExportRows {
  const sidecarFile = file.replace(/\.tsv$/i, '.json');
  if (!fs.existsSync(sidecarFile)) throw new PredlabError('not-found', `${sidecarFile} is missing: the JSON sidecar PredLab's BIDS export writes beside each run's TSV holds the session's parameters (ParadigmParameters).`);
  const sidecar = asSidecar(readJson(sidecarFile, 'a sidecar'), sidecarFile);
  const rows = all.map(fromBids);
  oneSession(file, rows, sessionId);
  const fileRows = rows.map((_, i) => i + 2);
  return { format: 'BIDS run file', file, protocolFile: sidecarFile, protocol: protocolOf(file, rows, fileRows, sidecarFile, sidecar), rows, fileRows };
}

/** A study CSV's session: its rows, and its sidecar found in the subject's folder of the BIDS dataset the study export wrote beside the CSV. */
function readStudyCsv(file: string, all: Record<string, string>[], sessionId: number | undefined): ExportRows {
  const ids = sessionsIn(all);
  if (sessionId === undefined && ids.length > 1) throw new PredlabError('invalid-argument', `${file} is a study CSV holding ${ids.length} sessions (${ids.join(', ')}); name one with --session <id>.`);
  const id = sessionId === undefined ? ids[0]! : String(sessionId);
  if (!ids.includes(id)) throw new PredlabError('invalid-argument', `${file} holds no session ${id}; its sessions are ${ids.join(', ')}.`);
  const picked = all.map((r, i) => ({ r, line: i + 2 })).filter((x) => x.r.session_id === id);
  const rows = picked.map((x) => x.r);
  const first = rows[0]!;
  const bids = path.join(path.dirname(file), 'bids');
  const kind = (KINDS as readonly string[]).includes(first.participant_kind ?? '') ? (first.participant_kind as ParticipantKind) : 'human';
  const dir = path.join(bids, `sub-${bidsLabel(first.participant_label ?? '', kind)}`, 'beh');
  const what = `the study CSV names each session's paradigm and seed but not its parameters; the study export writes them in the session's BIDS sidecar (bids/sub-<label>/beh/*_beh.json, ParadigmParameters) beside the CSV`;
  if (!fs.existsSync(dir)) throw new PredlabError('not-found', `${dir} is missing: ${what}.`);
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('_beh.json'));
  if (names.length > FROM_EXPORT_LIMITS.sidecars) throw new PredlabError('invalid-argument', `${dir} holds ${names.length} sidecars; at most ${FROM_EXPORT_LIMITS.sidecars} are searched for session ${id}'s.`);
  for (const name of names.sort()) {
    const sidecarFile = path.join(dir, name);
    const sidecar = readJson(sidecarFile, 'a sidecar') as { PredLabSessionId?: unknown } | null;
    if (sidecar?.PredLabSessionId !== Number(id)) continue;
    const fileRows = picked.map((x) => x.line);
    return { format: 'study CSV', file, protocolFile: sidecarFile, protocol: protocolOf(file, rows, fileRows, sidecarFile, asSidecar(sidecar, sidecarFile)), rows, fileRows };
  }
  throw new PredlabError('not-found', `No sidecar in ${dir} names session ${id} (PredLabSessionId): ${what}.`);
}

/** One session's rows of a session CSV, a study CSV (`sessionId` picks one of several) or a BIDS run file, with its protocol. */
export function readExport(exportFile: string, sessionId?: number): ExportRows {
  const file = path.resolve(exportFile);
  if (!fs.existsSync(file)) throw new PredlabError('not-found', `${file} does not exist.`);
  if (!fs.statSync(file).isFile()) throw new PredlabError('invalid-argument', `${file} is not a file: give the export's .csv or _beh.tsv.`);
  const tsv = /\.tsv$/i.test(file);
  if (!tsv && !/\.csv$/i.test(file)) throw new PredlabError('invalid-argument', `${file} is neither a session CSV, a study CSV (.csv) nor a BIDS run file (_beh.tsv) of PredLab.`);
  const rows = readTable(file, tsv ? '\t' : ',');
  if (tsv) return readBids(file, rows, sessionId);
  return 'study' in rows[0]! && 'session_status' in rows[0]! ? readStudyCsv(file, rows, sessionId) : readSessionCsv(file, rows, sessionId);
}
