/** Analysis of a stored session: the paradigm's own analysis over its answered trials. */
import { EXCLUDED_STATISTIC } from '../../paradigms/analysis-shared.js';
import type { FitParameter, PsychometricFit } from '../../paradigms/psychometric.js';
import type { SessionAnalysis } from '../../paradigms/records.js';
import type { AnalysisResult, AnsweredTrial, Statistic } from '../../paradigms/types.js';
import type { Db } from '../store/db.js';
import { dropNearCritical, NEAR_CRITICAL_FRAMES, type DropFlag } from './dropped-frames.js';
import { getSession, paradigmOf, trialRows } from './sessions.js';

export { EXCLUDED_STATISTIC };

export interface AnalysisOptions {
  bootstrap?: number | undefined;
  /** Leave out trials with a dropped frame near the critical event (default true). */
  excludeDroppedFrames?: boolean | undefined;
}

/** The session's answered trials that enter its analysis, and those flagged for dropped frames. */
export function analysedTrials(db: Db, sessionId: number, excludeDroppedFrames = true): { trials: AnsweredTrial[]; flagged: DropFlag[]; excluded: boolean } {
  const refreshHz = Number(getSession(db, sessionId).calibration.refreshHz) || null;
  const trials: AnsweredTrial[] = [];
  const flagged: DropFlag[] = [];
  for (const t of trialRows(db, sessionId)) {
    const flag = dropNearCritical(t, refreshHz);
    if (flag) flagged.push(flag);
    if (flag && excludeDroppedFrames) continue;
    trials.push({ index: t.trial_index, stimulus: JSON.parse(t.stimulus), response: t.response, extra: t.extra ? JSON.parse(t.extra) : null });
  }
  return { trials, flagged, excluded: excludeDroppedFrames };
}

export function analyseSession(db: Db, sessionId: number, options: AnalysisOptions = {}): SessionAnalysis {
  const session = getSession(db, sessionId);
  const paradigm = paradigmOf(session.protocol.paradigmId);
  const { trials, flagged, excluded } = analysedTrials(db, sessionId, options.excludeDroppedFrames ?? true);
  // Seeded by the session id so the same session always gives the same intervals.
  const analysis = paradigm.analyse(session.protocol.parameters, trials, { bootstrap: options.bootstrap ?? 500, seed: sessionId });
  const near = `a dropped frame within ${NEAR_CRITICAL_FRAMES} frames of the critical event`;
  const list = flagged.slice(0, 20).map((f) => `${f.trialIndex} (${f.reason})`).join(', ') + (flagged.length > 20 ? ', …' : '');
  const dropped: Pick<AnalysisResult, 'statistics' | 'messages'> = {
    statistics: [{ key: EXCLUDED_STATISTIC, label: 'Trials left out: dropped frames near the critical event', value: excluded ? flagged.length : 0, unit: 'trials', ci: null }],
    messages: flagged.length === 0 ? [] : excluded
      ? [`${flagged.length} trial(s) left out of the fit for ${near}: ${list}. Untick "Leave out trials with a dropped frame near the critical event" to include them.`]
      : [`${flagged.length} trial(s) with ${near} are included (the setting to leave them out is off): ${list}.`],
  };
  return { ...flagUndetermined({ ...analysis, statistics: [...analysis.statistics, ...dropped.statistics], messages: [...analysis.messages, ...dropped.messages] }), sessionId };
}

const NOT_DETERMINED = 'not determined by the data: the fit is at one of its bounds, so this number (and its CI) is a limit of the fit, not a measurement';

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
 * Mark the statistics the data do not determine, in any paradigm's result: those reporting a fit
 * parameter the fit found at a bound, and any whose estimate lies outside its own CI.
 */
export function flagUndetermined<A extends AnalysisResult>(a: A): A {
  const flag = (s: Statistic, fit: PsychometricFit | null): Statistic => {
    const atBound = fit?.undetermined.some((k) => reports(s, fit, k)) ?? false;
    const outside = s.value !== null && s.ci != null && (s.value < Math.min(...s.ci) - 1e-12 || s.value > Math.max(...s.ci) + 1e-12);
    return atBound || outside ? { ...s, undetermined: NOT_DETERMINED } : s;
  };
  return {
    ...a,
    conditions: a.conditions.map((c) => ({ ...c, statistics: c.statistics.map((s) => flag(s, c.fit)) })),
    statistics: a.statistics.map((s) => flag(s, null)),
  };
}
