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

const headlineOf = (statistics: Statistic[]) => statistics.find((s) => s.comparable);

/**
 * The model's headline statistic of each condition over the oracle's, defined only where both are
 * determined and the oracle's interval excludes zero (the display itself produces an effect).
 */
export function fractionsOfOracle(model: Pick<AnalysisResult, 'conditions'>, oracle: ReferenceSummary | undefined): OracleFraction[] {
  return model.conditions.flatMap((c): OracleFraction[] => {
    const m = headlineOf(c.statistics);
    if (!m) return [];
    const base = { condition: c.key, statistic: m.key, label: m.label };
    const o = oracle?.conditions.find((k) => k.key === c.key)?.statistics.find((s) => s.key === m.key);
    if (!o) return [{ ...base, value: null, why: 'no oracle on these trials' }];
    if (o.undetermined || o.value === null) return [{ ...base, value: null, why: "the oracle's value is not determined by its data" }];
    if (m.undetermined || m.value === null) return [{ ...base, value: null, why: "the model's value is not determined by its data" }];
    if (!o.ci || (o.ci[0] <= 0 && o.ci[1] >= 0)) return [{ ...base, value: null, why: "the oracle shows none (its interval includes 0): the display itself produces no effect to compare with" }];
    return [{ ...base, value: m.value / o.value }];
  });
}
