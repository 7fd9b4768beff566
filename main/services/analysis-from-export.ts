/**
 * A session's analysis recomputed from its CSV export alone (`predlab analyze --from-export`): the
 * trials are drawn again from the protocol file written beside the CSV (paradigm, parameters,
 * seed), each row is checked against what its trial shows (an edited or mismatched file is named,
 * row and column), and the rows the app's fit used (`in_fit`), with their answers and the model's
 * readout values, go through the paradigm's own analysis with the app's bootstrap seed. The
 * result is the app's, number for number, or says why not.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import { NO_ANSWER, type AnsweredTrial } from '../../paradigms/types.js';
import type { SessionAnalysis } from '../../paradigms/records.js';
import { PredlabError } from '../errors.js';
import { withLeftOut } from './analysis.js';
import type { DropFlag } from './dropped-frames.js';
import { neutraliseFormula, type ExportedProtocol } from './export.js';
import { paradigmOf } from './sessions.js';

/** The largest export read back (a session has at most a few thousand trials). */
export const FROM_EXPORT_LIMITS = { bytes: 64 * 2 ** 20, rows: 100_000 } as const;

const REQUIRED = ['session_id', 'paradigm', 'trial_index', 'condition', 'response', 'in_fit', 'left_out_because', 'repeat_of', 'guessed'] as const;
const DROPPED = 'dropped frame near the critical event';

/** `<base>.csv` -> `<base>.protocol.json`. */
export const protocolFileOf = (csv: string) => csv.replace(/\.csv$/i, '') + '.protocol.json';

function readProtocol(csv: string): ExportedProtocol {
  const file = protocolFileOf(csv);
  if (!fs.existsSync(file)) throw new PredlabError('not-found', `${file} is missing: the protocol file written beside the CSV (predlab export --format csv writes both) says which trials the session drew.`);
  let p: ExportedProtocol;
  try {
    p = JSON.parse(fs.readFileSync(file, 'utf8')) as ExportedProtocol;
  } catch (e) {
    throw new PredlabError('invalid-argument', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!p || typeof p !== 'object' || typeof p.paradigm !== 'string' || !Number.isInteger(p.sessionId) || !Number.isInteger(p.seed) || typeof p.parameters !== 'object' || p.parameters === null)
    throw new PredlabError('invalid-argument', `${file} does not describe a protocol (it needs sessionId, paradigm, seed and parameters).`);
  return p;
}

/** A cell as the export writes it (csv-stringify: numbers in full, booleans as true/false, null empty). */
const asWritten = (v: string | number | boolean | null) => (v === null ? '' : String(neutraliseFormula(v)));

export interface ExportAnalysis extends SessionAnalysis {
  fromExport: { file: string; protocolFile: string; rows: number; inFit: number };
}

export function analyseExport(csvFile: string, options: { bootstrap?: number } = {}): ExportAnalysis {
  const file = path.resolve(csvFile);
  if (!fs.existsSync(file)) throw new PredlabError('not-found', `${file} does not exist.`);
  const size = fs.statSync(file).size;
  if (size > FROM_EXPORT_LIMITS.bytes) throw new PredlabError('invalid-argument', `${file} is ${size} bytes; an exported session is read up to ${FROM_EXPORT_LIMITS.bytes}.`);
  const protocol = readProtocol(file);
  const paradigm = paradigmOf(protocol.paradigm);
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(fs.readFileSync(file), { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  } catch (e) {
    throw new PredlabError('invalid-argument', `${file} is not a readable CSV: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new PredlabError('invalid-argument', `${file} holds no trials.`);
  if (rows.length > FROM_EXPORT_LIMITS.rows) throw new PredlabError('invalid-argument', `${file} holds ${rows.length} rows; at most ${FROM_EXPORT_LIMITS.rows} are read.`);
  const columns = [...REQUIRED, ...Object.keys(paradigm.stimulusColumns)];
  const missing = columns.filter((c) => !(c in rows[0]!));
  if (missing.length) throw new PredlabError('invalid-argument', `${file} lacks the column(s) ${missing.join(', ')}: it is not a session CSV of PredLab's ${paradigm.id} paradigm.`);
  const at = (i: number, column: string, why: string) => new PredlabError('invalid-argument', `${file}, row ${i + 2} (trial_index ${rows[i]!.trial_index}), ${column}: ${why}.`);
  rows.forEach((r, i) => {
    if (Number(r.session_id) !== protocol.sessionId) throw at(i, 'session_id', `${r.session_id}, but the protocol file is session ${protocol.sessionId}'s (one session per file)`);
    if (r.paradigm !== paradigm.id) throw at(i, 'paradigm', `'${r.paradigm}', not ${paradigm.id}`);
  });
  const order = rows.map((r, i) => ({ r, i, index: Number(r.trial_index) })).sort((a, b) => a.index - b.index);
  order.forEach((o, k) => {
    if (o.index !== k) throw at(o.i, 'trial_index', `the trials must be numbered 0 to ${rows.length - 1} without gaps or repeats`);
  });

  // The trials drawn again from the protocol, answered as the file says (an adaptive design's
  // next trial depends on the answers), and each row checked against its trial.
  const params = protocol.parameters;
  const design = paradigm.design;
  const base = design.trialCount(params);
  let state = design.initialState(params, protocol.seed);
  const drawn = new Map<number, unknown>();
  const trials: AnsweredTrial[] = [];
  const flagged: DropFlag[] = [];
  const noAnswer: number[] = [];
  const guessed: number[] = [];
  let guessesKept = false;
  for (const { r, i, index } of order) {
    let stimulus: unknown;
    if (index < base) {
      const planned = design.plan(state, params, protocol.seed, index);
      if (!planned) throw at(i, 'trial_index', `the protocol plans no trial ${index}`);
      if (asWritten(planned.condition) !== r.condition) throw at(i, 'condition', `'${r.condition}', but the protocol's trial ${index} is '${planned.condition}'`);
      stimulus = planned.stimulus;
    } else {
      const of = r.repeat_of === '' ? NaN : Number(r.repeat_of);
      if (!drawn.has(of)) throw at(i, 'repeat_of', `trial ${index} lies past the protocol's ${base} trials, so it must repeat an earlier one`);
      stimulus = drawn.get(of);
    }
    drawn.set(index, stimulus);
    let extra: Record<string, unknown> | null;
    try {
      extra = paradigm.extraFromColumns(r);
    } catch (e) {
      throw at(i, 'readout', (e as Error).message);
    }
    const cells = paradigm.tidyColumns(stimulus, r.response!, extra);
    for (const [column, value] of Object.entries(cells)) {
      const want = asWritten(value);
      if (want !== r[column] && !(want !== '' && Number(want) === Number(r[column]))) throw at(i, column, `'${r[column]}', but the protocol's trial with this answer gives '${want}' (an edited file, or another session's protocol file)`);
    }
    const answered: AnsweredTrial = { index, stimulus, response: r.response!, extra };
    if (index < base && r.response !== NO_ANSWER) state = design.update(state, params, answered);
    if (r.in_fit !== 'true' && r.in_fit !== 'false') throw at(i, 'in_fit', `'${r.in_fit}', not true or false`);
    const inFit = r.in_fit === 'true';
    if (r.guessed === 'true') {
      guessed.push(index);
      if (inFit) guessesKept = true;
    }
    if (r.response === NO_ANSWER) noAnswer.push(index);
    else if (r.left_out_because === DROPPED) flagged.push({ trialIndex: index, reason: 'see its dropped_frames' });
    if (inFit) trials.push(answered);
  }
  const analysis = paradigm.analyse(params, trials, { bootstrap: options.bootstrap ?? 500, seed: protocol.sessionId });
  const left = withLeftOut(analysis, { used: trials.length, flagged, excluded: true, noAnswer, guessed, guessesKept, model: protocol.participantKind === 'model' });
  return { ...left, sessionId: protocol.sessionId, fromExport: { file, protocolFile: protocolFileOf(file), rows: rows.length, inFit: trials.length } };
}
