/**
 * A session's analysis recomputed from its export alone (`predlab analyze --from-export`): a
 * session CSV, one session of a study CSV, or a BIDS run file (export-readback.ts reads each as
 * the session CSV's rows, with the protocol beside it). The trials are drawn again from the
 * protocol (paradigm, parameters, seed), each row is checked against what its trial shows (an
 * edited or mismatched file is named, row and column), and the rows the app's fit used
 * (`in_fit`), with their answers and the model's readout values, go through the paradigm's own
 * analysis with the app's bootstrap seed. The result is the app's, number for number, or says why not.
 */
import type { FitChoice } from '../../paradigms/psychometric.js';
import { NO_ANSWER, type AnsweredTrial } from '../../paradigms/types.js';
import type { SessionAnalysis } from '../../paradigms/records.js';
import { PredlabError } from '../errors.js';
import { withLeftOut } from './analysis.js';
import type { DropFlag } from './dropped-frames.js';
import { csvCell } from './export.js';
import { readExport, type ExportFormat } from './export-readback.js';
import { paradigmOf } from './sessions.js';
import { runSettingsOf } from '../../paradigms/run-settings.js';
import { APP_VERSION } from '../version.js';

const REQUIRED = ['session_id', 'paradigm', 'trial_index', 'condition', 'response', 'in_fit', 'left_out_because', 'repeat_of', 'guessed'] as const;
const DROPPED = 'dropped frame near the critical event';
/** What export.ts writes in left_out_because (tidyTrials), by cause. */
const LEFT_OUT = { dropped: DROPPED, guess: 'random guess (no model readout)', noReadout: 'no model readout' } as const;

export interface ExportAnalysis extends SessionAnalysis {
  fromExport: { file: string; format: ExportFormat; protocolFile: string; rows: number; inFit: number };
}

/** `sessionId`: the session of a study CSV to analyse (a single-session file is checked against it). */
export function analyseExport(exportFile: string, options: { bootstrap?: number; fit?: FitChoice | undefined; sessionId?: number | undefined } = {}): ExportAnalysis {
  const { file, format, protocolFile, protocol, rows, fileRows } = readExport(exportFile, options.sessionId);
  const paradigm = paradigmOf(protocol.paradigm);
  const columns = [...REQUIRED, ...Object.keys(paradigm.stimulusColumns)];
  const missing = columns.filter((c) => !(c in rows[0]!));
  if (missing.length) throw new PredlabError('invalid-argument', `${file} lacks the column(s) ${missing.join(', ')}: it is not a ${format} of PredLab's ${paradigm.id} paradigm.`);
  const at = (i: number, column: string, why: string) => new PredlabError('invalid-argument', `${file}, row ${fileRows[i]} (trial_index ${rows[i]!.trial_index}), ${column}: ${why}.`);
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
  const guessesKept = protocol.guessesKept === true;
  // The protocol's own trials spoiled by a dropped frame near the critical event, in order: what the rows past it repeat.
  const repeatDropped = runSettingsOf(params).repeatDropped;
  const spoiled = order.filter((o) => o.index < base && o.r.left_out_because === DROPPED).map((o) => o.index);
  // A design that changed between versions draws other trials from the same protocol: say so.
  const version = protocol.predlabVersion && protocol.predlabVersion !== APP_VERSION ? `; it was exported by PredLab ${protocol.predlabVersion}, this is ${APP_VERSION}` : '';
  for (const { r, i, index } of order) {
    let stimulus: unknown;
    if (index < base) {
      const planned = design.plan(state, params, protocol.seed, index);
      if (!planned) throw at(i, 'trial_index', `the protocol plans no trial ${index}`);
      if (csvCell(planned.condition) !== r.condition) throw at(i, 'condition', `'${r.condition}', but the protocol's trial ${index} is '${planned.condition}'`);
      stimulus = planned.stimulus;
    } else {
      // Past the protocol's trials: the repeats of its spoiled ones (dropped frame near the
      // critical event), in their order, when the protocol's run settings repeat them.
      const of = spoiled[index - base];
      if (!repeatDropped || of === undefined) throw at(i, 'trial_index', `trial ${index} lies past the protocol's ${base} trials, and ${repeatDropped ? `only ${spoiled.length} of them were spoiled and repeated` : 'the protocol repeats no trials'}`);
      if (r.repeat_of !== String(of)) throw at(i, 'repeat_of', `'${r.repeat_of}', but trial ${index} repeats trial ${of} (the ${index - base + 1}. spoiled one)`);
      if (r.condition !== order[of]!.r.condition) throw at(i, 'condition', `'${r.condition}', but it repeats trial ${of}, whose condition is '${order[of]!.r.condition}'`);
      stimulus = drawn.get(of);
    }
    if (index < base && r.repeat_of !== '') throw at(i, 'repeat_of', `'${r.repeat_of}', but trial ${index} is one of the protocol's own trials`);
    drawn.set(index, stimulus);
    const model = protocol.participantKind === 'model';
    if (!paradigm.responses.some((o) => o.value === r.response) && !(model && r.response === NO_ANSWER))
      throw at(i, 'response', `'${r.response}' is not an answer of this paradigm (${paradigm.responses.map((o) => o.value).join(', ')}${model ? `, or ${NO_ANSWER} for a trial the model's readout could not read` : ''})`);
    let extra: Record<string, unknown> | null;
    try {
      extra = paradigm.extraFromColumns(r);
    } catch (e) {
      throw at(i, 'readout', (e as Error).message);
    }
    const cells = paradigm.tidyColumns(stimulus, r.response!, extra);
    for (const [column, value] of Object.entries(cells)) {
      const want = csvCell(value);
      const got = r[column] ?? '';
      if (want !== got && !(want !== '' && got.trim() !== '' && Number(want) === Number(got))) throw at(i, column, `'${got}', but the protocol's trial with this answer gives '${want}' (an edited file, or another session's protocol file${version})`);
    }
    const answered: AnsweredTrial = { index, stimulus, response: r.response!, extra };
    if (index < base && r.response !== NO_ANSWER) state = design.update(state, params, answered);
    // Whether the fit used the row follows from its answer and its flags, as the app decided it
    // (analysis.ts analysedTrials): a row's in_fit that disagrees is an edit.
    if (r.in_fit !== 'true' && r.in_fit !== 'false') throw at(i, 'in_fit', `'${r.in_fit}', not true or false`);
    const inFit = r.in_fit === 'true';
    const isGuess = r.guessed === 'true';
    const why = r.response === NO_ANSWER ? LEFT_OUT.noReadout : isGuess && !protocol.guessesKept ? LEFT_OUT.guess : r.left_out_because === DROPPED ? DROPPED : '';
    if (r.left_out_because !== why) throw at(i, 'left_out_because', `'${r.left_out_because}', but ${why ? `this row's answer and flags leave it out as '${why}'` : 'nothing in this row leaves it out of the fit'}`);
    if (inFit !== (why === '')) throw at(i, 'in_fit', `${r.in_fit}, but ${why ? `it is left out (${why})` : 'nothing leaves it out'}`);
    if (r.response === NO_ANSWER) noAnswer.push(index);
    else {
      if (isGuess) guessed.push(index);
      if (why === DROPPED) flagged.push({ trialIndex: index, reason: 'see its dropped_frames' });
    }
    if (inFit) trials.push(answered);
  }
  const analysis = paradigm.analyse(params, trials, { bootstrap: options.bootstrap ?? 500, seed: protocol.sessionId, fit: options.fit });
  const left = withLeftOut(analysis, { used: trials.length, flagged, excluded: true, noAnswer, guessed, guessesKept, model: protocol.participantKind === 'model' });
  return { ...left, sessionId: protocol.sessionId, fromExport: { file, format, protocolFile, rows: rows.length, inFit: trials.length } };
}
