/**
 * A model's result beside the two reference observers on the same trials (DESIGN.md "One clock,
 * and references beside every model result"): copy-last (no motion learned: what the display and
 * the readout give by themselves) and oracle (the true next frame: the display's own doing). The
 * model's effect is also given as a fraction of the oracle's, where the oracle shows one.
 */
import type { AnalysisResult, Statistic } from './types.js';

export type ReferenceKindName = 'copy-last' | 'oracle' | 'untrained';

export interface ReferenceSummary {
  kind: ReferenceKindName;
  sessionId: number;
  label: string;
  /** Its statistics per condition, as its own analysis gives them. */
  conditions: { key: string; label: string; statistics: Statistic[] }[];
  /** Its session-level statistics (e.g. an illusory-contour completion index). */
  statistics: Statistic[];
  messages: string[];
}

export interface OracleFraction {
  condition: string;
  statistic: string;
  label: string;
  /** Model value / oracle value; null when not defined (then `why`). */
  value: number | null;
  why?: string;
}

/**
 * A condition's headline (the same on every page): its first comparable statistic the data
 * determine, else the first with a value, else the first comparable one.
 */
export function headlineStatistic(statistics: Statistic[]): Statistic | undefined {
  return statistics.find((s) => s.comparable && s.value !== null && !s.undetermined) ?? statistics.find((s) => s.comparable && s.value !== null) ?? statistics.find((s) => s.comparable);
}

/** The oracle answered no trial: it has trials without an answer and no value in any condition. */
export function oracleUnread(oracle: Pick<ReferenceSummary, 'statistics' | 'conditions'> | undefined): boolean {
  const none = oracle?.statistics.find((s) => s.key === 'no-readout')?.value;
  return !!oracle && typeof none === 'number' && none > 0 && oracle.conditions.every((c) => c.statistics.every((s) => s.value === null));
}

/**
 * The model's headline statistic of each condition over the oracle's, defined only where both are
 * determined and the oracle's interval excludes zero (the display itself produces an effect).
 */
export function fractionsOfOracle(model: Pick<AnalysisResult, 'conditions'>, oracle: ReferenceSummary | undefined): OracleFraction[] {
  return model.conditions.flatMap((c): OracleFraction[] => {
    const m = headlineStatistic(c.statistics);
    if (!m) return [];
    const base = { condition: c.key, statistic: m.key, label: m.label };
    const o = oracle?.conditions.find((k) => k.key === c.key)?.statistics.find((s) => s.key === m.key);
    if (!o) return [{ ...base, value: null, why: 'no oracle on these trials' }];
    if (oracleUnread(oracle)) return [{ ...base, value: null, why: 'the true next frame holds nothing to read at this readout delay (the oracle answered no trial): the display itself shows no effect there' }];
    if (o.undetermined || o.value === null) return [{ ...base, value: null, why: `the oracle's value is not determined (${(o.undetermined ?? 'no value').replace(/^Not determined by the data: /, '').replace(/\.$/, '')})` }];
    if (m.undetermined || m.value === null) return [{ ...base, value: null, why: "the model's value is not determined by its data" }];
    if (!o.ci || (o.ci[0] <= 0 && o.ci[1] >= 0)) return [{ ...base, value: null, why: 'the oracle shows none (its interval includes 0): the display itself produces no effect to compare with' }];
    if (!m.ci || (m.ci[0] <= 0 && m.ci[1] >= 0)) return [{ ...base, value: null, why: "the model's own interval includes 0" }];
    return [{ ...base, value: m.value / o.value }];
  });
}
