/** Analysis of a stored session: the paradigm's own analysis over its answered trials. */
import { EXCLUDED_STATISTIC } from '../../paradigms/analysis-shared.js';
import type { FitChoice, FitParameter, PsychometricFit } from '../../paradigms/psychometric.js';
import { storedObserverSettings } from '../../paradigms/observer-settings.js';
import type { SessionAnalysis, SessionInfo } from '../../paradigms/records.js';
import { fractionsOfOracle, type ReferenceSummary } from '../../paradigms/references.js';
import { NO_ANSWER, type AnalysisResult, type AnsweredTrial, type Statistic } from '../../paradigms/types.js';
import type { Db } from '../store/db.js';
import { parseStored, type TrialRow } from '../store/rows.js';
import { dropNearCritical, NEAR_CRITICAL_FRAMES, type DropFlag } from './dropped-frames.js';
import { referenceSessionsOf } from './references.js';
import { getSession, paradigmOf, trialRows } from './sessions.js';

export { EXCLUDED_STATISTIC };

export interface AnalysisOptions {
  bootstrap?: number | undefined;
  /** Leave out trials with a dropped frame near the critical event (default true). */
  excludeDroppedFrames?: boolean | undefined;
  /** A model session's reference observers analysed beside it (default true; a comparison analyses them as rows of their own). */
  references?: boolean | undefined;
  /** The psychometric function to fit (default: cumulative Gaussian with free guess and lapse rates). */
  fit?: FitChoice | undefined;
}

/** Keys of the session statistics counting a model's trials without a readout. */
export const NO_ANSWER_STATISTIC = 'no-readout';
export const GUESSED_STATISTIC = 'guessed';

/** A model's random answers (no readout) are kept in its fit: its observer settings asked for guesses. */
export function guessesKeptOf(session: Pick<SessionInfo, 'participant'>): boolean {
  return (session.participant.details as { observer?: { noReadout?: unknown } } | null)?.observer?.noReadout === 'guess';
}

/**
 * The session's answered trials that enter its analysis, and those left out: flagged for dropped
 * frames (when excluded), without an answer (a model whose readout found nothing), or answered at
 * random for want of a readout (older model sessions did so silently; left out unless the
 * session's observer settings asked for guesses).
 */
export function analysedTrials(db: Db, sessionId: number, excludeDroppedFrames = true, rows: TrialRow[] = trialRows(db, sessionId)): { trials: AnsweredTrial[]; flagged: DropFlag[]; excluded: boolean; noAnswer: number[]; guessed: number[]; guessesKept: boolean } {
  const session = getSession(db, sessionId);
  const refreshHz = Number(session.calibration.refreshHz) || null;
  const guessesKept = guessesKeptOf(session);
  const trials: AnsweredTrial[] = [];
  const flagged: DropFlag[] = [];
  const noAnswer: number[] = [];
  const guessed: number[] = [];
  for (const t of rows) {
    const extra = t.extra ? (parseStored(t.extra, `trials row ${t.id} (extra)`) as Record<string, unknown>) : null;
    if (t.response === NO_ANSWER) {
      noAnswer.push(t.trial_index);
      continue;
    }
    if (extra?.guessed === true) {
      guessed.push(t.trial_index);
      if (!guessesKept) continue;
    }
    const flag = dropNearCritical(t, refreshHz);
    if (flag) flagged.push(flag);
    if (flag && excludeDroppedFrames) continue;
    trials.push({ index: t.trial_index, stimulus: parseStored(t.stimulus, `trials row ${t.id} (stimulus)`), response: t.response, extra });
  }
  return { trials, flagged, excluded: excludeDroppedFrames, noAnswer, guessed, guessesKept };
}

/** Trial numbers in prose count from 1, as people count (files keep trial_index from 0). */
const listOf = (indices: number[]) => indices.slice(0, 20).map((i) => i + 1).join(', ') + (indices.length > 20 ? ', …' : '');

/** What a session's fit used and left out, as the analysis reports it (from the lab, or from an export). */
export interface LeftOut {
  /** Trials in the fit. */
  used: number;
  flagged: DropFlag[];
  /** Flagged trials are left out (the default), not kept. */
  excluded: boolean;
  noAnswer: number[];
  guessed: number[];
  guessesKept: boolean;
  model: boolean;
}

/** The analysis with the counts and notes of the trials left out, each statistic flagged when the data do not determine it. */
export function withLeftOut(analysis: AnalysisResult, o: LeftOut): AnalysisResult {
  const { flagged, excluded, noAnswer, guessed, guessesKept, model } = o;
  const near = `a dropped frame within ${NEAR_CRITICAL_FRAMES} frames of the critical event`;
  const list = `trial${flagged.length > 1 ? 's' : ''} ${flagged.slice(0, 20).map((f) => `${f.trialIndex + 1} (${f.reason})`).join(', ')}${flagged.length > 20 ? ', …' : ''}`;
  const total = o.used + noAnswer.length + (guessesKept ? 0 : guessed.length) + (excluded ? flagged.length : 0);
  const dropped: Pick<AnalysisResult, 'statistics' | 'messages'> = {
    statistics: [
      { key: EXCLUDED_STATISTIC, label: 'Trials left out: dropped frames near the critical event', value: excluded ? flagged.length : 0, unit: 'trials', ci: null },
      ...(model || noAnswer.length || guessed.length
        ? [
            { key: NO_ANSWER_STATISTIC, label: "Trials without an answer: the model's readout found nothing to read", value: noAnswer.length, unit: 'trials', ci: null },
            { key: GUESSED_STATISTIC, label: `Trials answered at random for want of a readout${guessesKept ? ' (kept: the observer settings asked for guesses)' : ' (left out)'}`, value: guessed.length, unit: 'trials', ci: null },
          ]
        : []),
    ],
    messages: [
      ...(flagged.length === 0 ? [] : excluded
        ? [`${flagged.length} trial(s) left out of the fit for ${near}: ${list}.`] // how to keep them is each medium's own (its setting, or --include-dropped)
        : [`${flagged.length} trial(s) with ${near} are included (the setting to leave them out is off): ${list}.`]),
      ...(noAnswer.length ? [`${noAnswer.length} of ${total} trials have no answer: the model's readout found nothing to read in them (e.g. no bar or no flash in its predicted frame). They are left out of the fit: trials ${listOf(noAnswer)}.`] : []),
      ...(guessed.length
        ? [guessesKept
            ? `${guessed.length} of ${total} trials were answered at random because the readout found nothing to read (the observer settings asked for guesses); they are in the fit: trials ${listOf(guessed)}.`
            : `${guessed.length} of ${total} trials had been answered at random because the readout found nothing to read; those coin flips are left out of the fit: trials ${listOf(guessed)}.`]
        : []),
    ],
  };
  return flagUndetermined({ ...analysis, statistics: [...analysis.statistics, ...dropped.statistics], messages: [...analysis.messages, ...dropped.messages] });
}

export function analyseSession(db: Db, sessionId: number, options: AnalysisOptions = {}): SessionAnalysis {
  const session = getSession(db, sessionId);
  const paradigm = paradigmOf(session.protocol.paradigmId);
  const { trials, flagged, excluded, noAnswer, guessed, guessesKept } = analysedTrials(db, sessionId, options.excludeDroppedFrames ?? true);
  // Seeded by the session id so the same session always gives the same intervals.
  const analysis = paradigm.analyse(session.protocol.parameters, trials, { bootstrap: options.bootstrap ?? 500, seed: sessionId, fit: options.fit });
  const model = session.participant.kind === 'model';
  const result: SessionAnalysis = { ...withLeftOut(analysis, { used: trials.length, flagged, excluded, noAnswer, guessed, guessesKept, model }), sessionId };
  if (!model) return result;
  const details = session.participant.details as { type?: string; observer?: unknown; decisionNoise?: { value?: unknown; source?: unknown } };
  const modelNote = modelNoteOf(details.observer, details.decisionNoise);
  if (details.type === 'reference' || options.references === false) return { ...result, modelNote };
  // Beside the model: its reference observers on the same trials, analysed the same way.
  const references = referenceSessionsOf(db, sessionId).map(({ kind, session: r }): ReferenceSummary => {
    const a = analyseSession(db, r.id, options);
    return { kind, sessionId: r.id, label: r.participant.label, conditions: a.conditions.map((c) => ({ key: c.key, label: c.label, statistics: c.statistics })), statistics: a.statistics, messages: a.messages };
  });
  return { ...result, modelNote, references, ofOracle: fractionsOfOracle(result, references.find((r) => r.kind === 'oracle')) };
}

/** How a model saw the trials in time and how it decided, in one line (sessions before the temporal modes: sample mode). */
export function modelNoteOf(observer: unknown, noise: { value?: unknown; source?: unknown } | undefined): string {
  const o = storedObserverSettings(observer);
  const time =
    o.temporalMode === 'integrate'
      ? `integrate mode (each frame sums the light of ${Math.round(o.exposure * 100)} % of its interval, ${o.subSamples} instants per frame)`
      : 'sample mode (each frame is what a display at the model\'s rate would draw; durations rounded to whole model frames)';
  const value = typeof noise?.value === 'number' ? noise.value : typeof o.decisionNoiseDeg === 'number' ? o.decisionNoiseDeg : null;
  const source = typeof noise?.source === 'string' ? noise.source : 'set in the observer settings';
  return `Model frames at ${o.frameRateHz} frames/s, ${time}; readout ${o.readoutDelayFrames} frame(s) after the critical frame; decision noise ${value === null ? 'not recorded' : Number(value.toPrecision(3))} (${source}); trials without a readout ${o.noReadout === 'guess' ? 'answered at random' : 'left without an answer'}.`;
}

/** The statistic reports this fit parameter (same number), or a rescaling of it with the same relative CI. */
function reports(s: Statistic, fit: PsychometricFit, k: FitParameter): boolean {
  if (s.value === null) return false;
  if (s.value === fit[k]) return true;
  // e.g. a PSE in ms next to the PSE in deg: value and CI scaled by one factor.
  const v = fit[k];
  const c = fit.ci[k];
  if (!s.ci || v === 0 || !Number.isFinite(v)) return false;
  const scale = s.value / v;
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
  return Number.isFinite(scale) && scale !== 0 && close(s.ci[0], c[0] * scale) && close(s.ci[1], c[1] * scale);
}

/**
 * Say for every statistic, in any paradigm's result, whether the data determine it
 * (`determined`), and if not why (`undetermined`): a statistic reporting a fit parameter the fit
 * could not determine (one answer throughout, slope at its bound, interval past the tested
 * levels, estimate outside its interval), one whose estimate lies outside its own CI, and one the
 * paradigm already marked. No sentence is built on those.
 */
export function flagUndetermined<A extends AnalysisResult>(a: A): A {
  const flag = (s: Statistic, fit: PsychometricFit | null): Statistic => {
    if (s.undetermined) return { ...s, determined: false };
    const k = fit?.undetermined.find((p) => reports(s, fit, p));
    if (fit && k) return { ...s, determined: false, undetermined: `Not determined by the data: ${fit.reasons[k] ?? 'the fit is at one of its bounds'}.` };
    if (s.value !== null && s.ci != null && (s.value < Math.min(...s.ci) - 1e-12 || s.value > Math.max(...s.ci) + 1e-12))
      return { ...s, determined: false, undetermined: `Not determined by the data: the estimate lies outside its own 95 % interval.` };
    // No value (no fit, nothing read): not determined either, and said so.
    if (s.value === null && s.unit !== 'trials') return { ...s, determined: false, undetermined: 'Not determined by the data: there is no fit to read it from (see the notes).' };
    return { ...s, determined: s.value !== null };
  };
  return {
    ...a,
    conditions: a.conditions.map((c) => ({ ...c, statistics: c.statistics.map((s) => flag(s, c.fit)) })),
    statistics: a.statistics.map((s) => flag(s, null)),
  };
}
