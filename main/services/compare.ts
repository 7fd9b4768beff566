/**
 * People and models side by side: each session's conditions with their headline statistics
 * (PSE, threshold, ... with CIs, as the paradigm's analysis names them), and person-minus-model
 * differences for every comparable statistic of sessions of the same paradigm, group and condition.
 *
 * Only a person and a model are paired (simulated observers are neither). When both took the
 * same protocol, the difference's CI is a paired bootstrap over the trials they share: one
 * resample of trial indices is applied to both sessions, so what the two answered to the same
 * trial stays together. Otherwise the two CI half-widths are combined as for independent sessions.
 */
import type { AnsweredTrial } from '../../paradigms/types.js';
import type { FitChoice } from '../../paradigms/psychometric.js';
import type { Comparison, ComparisonDifference, ComparisonRow, SessionAnalysis, SessionInfo } from '../../paradigms/records.js';
import { headlineStatistic } from '../../paradigms/references.js';
import { createRng, subSeed } from '../../paradigms/rng.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { analysedTrials, analyseSession } from './analysis.js';
import { referenceSessionsOf } from './references.js';
import { getSession, paradigmOf } from './sessions.js';

/**
 * Paired resamples at most. Each refits both sessions with the paradigm's own analysis (measured
 * on this 2-core machine: 200 resamples took ~8 to ~35 s for two sessions, depending on the
 * paradigm's analysis), so the count is capped well below the per-session bootstrap.
 */
export const MAX_PAIRED_BOOTSTRAP = 100;

/** statistic values by "condition\u0000key" of one analysis (null where the fit gave none). */
type StatValues = Map<string, number | null>;
const statKey = (condition: string, key: string) => `${condition}\u0000${key}`;

function statValues(a: { conditions: { key: string; statistics: { key: string; value: number | null }[] }[] }): StatValues {
  const out: StatValues = new Map();
  for (const c of a.conditions) for (const s of c.statistics) out.set(statKey(c.key, s.key), s.value);
  return out;
}

/**
 * Paired bootstrap of a person's and a model's sessions on the same protocol: resample the trial
 * indices both answered, refit both on the same resample, and return each statistic's resampled
 * differences (person - model).
 */
interface Paired {
  shared: number;
  /** Trials each session answered in its analysis (person, model). */
  answered: [number, number];
  diffs: Map<string, number[]>;
  point: Map<string, number>;
}

function pairedDifferences(db: Db, humanId: number, modelId: number, samples: number, seed: number, excludeDroppedFrames: boolean, fit: FitChoice | undefined): Paired {
  const session = getSession(db, humanId);
  const paradigm = paradigmOf(session.protocol.paradigmId);
  const params = session.protocol.parameters;
  const byIndex = (trials: AnsweredTrial[]) => new Map(trials.map((t) => [t.index, t]));
  // The trials each analysis used: one left out for dropped frames is not paired either.
  const h = byIndex(analysedTrials(db, humanId, excludeDroppedFrames).trials);
  const m = byIndex(analysedTrials(db, modelId, excludeDroppedFrames).trials);
  // Shared = the same trial index with the same stimulus: an adaptive design on one protocol
  // gives the two different stimuli, and those trials are not paired.
  const shared = [...h.keys()].filter((i) => m.has(i) && JSON.stringify(h.get(i)!.stimulus) === JSON.stringify(m.get(i)!.stimulus));
  const diffs = new Map<string, number[]>();
  const point = new Map<string, number>();
  // Too few shared trials to stand for both sessions: no paired interval (the caller falls back).
  if (shared.length < Math.max(h.size, m.size) / 2) return { shared: shared.length, answered: [h.size, m.size], diffs, point };
  // The difference itself on the same shared trials its interval resamples (a model's trials
  // without an answer are in neither).
  try {
    const hv = statValues(paradigm.analyse(params, shared.map((i) => h.get(i)!), { bootstrap: 0, seed, fit }));
    const mv = statValues(paradigm.analyse(params, shared.map((i) => m.get(i)!), { bootstrap: 0, seed, fit }));
    for (const [k, v] of hv) {
      const w = mv.get(k);
      if (v !== null && w !== null && w !== undefined && Number.isFinite(v) && Number.isFinite(w)) point.set(k, v - w);
    }
  } catch {
    return { shared: shared.length, answered: [h.size, m.size], diffs, point };
  }
  const rng = createRng(subSeed(seed, 91));
  for (let b = 0; b < samples; b++) {
    const pick = Array.from({ length: shared.length }, () => shared[rng.int(shared.length)]!);
    let hv: StatValues;
    let mv: StatValues;
    try {
      hv = statValues(paradigm.analyse(params, pick.map((i) => h.get(i)!), { bootstrap: 0, seed, fit }));
      mv = statValues(paradigm.analyse(params, pick.map((i) => m.get(i)!), { bootstrap: 0, seed, fit }));
    } catch {
      continue; // a resample the paradigm cannot fit (too few levels) adds nothing
    }
    for (const [k, v] of hv) {
      const w = mv.get(k);
      if (v === null || w === null || w === undefined || !Number.isFinite(v) || !Number.isFinite(w)) continue;
      let list = diffs.get(k);
      if (!list) diffs.set(k, (list = []));
      list.push(v - w);
    }
  }
  return { shared: shared.length, answered: [h.size, m.size], diffs, point };
}

function percentile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  return sorted[i]! + (sorted[Math.min(i + 1, sorted.length - 1)]! - sorted[i]!) * (pos - i);
}

export function compareSessions(db: Db, sessionIds: number[], options: { bootstrap?: number; excludeDroppedFrames?: boolean | undefined; fit?: FitChoice | undefined } = {}): Comparison {
  if (sessionIds.length === 0) throw new PredlabError('invalid-argument', 'Choose at least one session to compare.');
  if (new Set(sessionIds).size !== sessionIds.length) throw new PredlabError('invalid-argument', 'A session is listed twice.');
  const bootstrap = options.bootstrap ?? 500;
  const excludeDroppedFrames = options.excludeDroppedFrames ?? true;
  const chosen = sessionIds.map((id) => getSession(db, id));
  // Every model session's reference observers join it, once per protocol, size and settings.
  const references: NonNullable<Comparison['references']> = [];
  const byKey = new Map<string, number>();
  const added: SessionInfo[] = [];
  for (const s of chosen) {
    if (s.participant.kind !== 'model' || referenceKindOf(s)) continue;
    for (const { kind, session: r } of referenceSessionsOf(db, s.id)) {
      // Merged only when everything but the model they stood beside is the same (size, settings, noise, architecture).
      const { referenceFor: _, ...d } = r.participant.details as { referenceFor?: unknown };
      const key = JSON.stringify([kind, r.protocol.id, d]);
      let id = byKey.get(key);
      if (id === undefined) {
        id = r.id;
        byKey.set(key, id);
        if (!chosen.some((c) => c.id === id) && !added.some((a) => a.id === id)) added.push(r);
      }
      references.push({ modelSessionId: s.id, kind, sessionId: id });
    }
  }
  const sessions = [...chosen, ...added];
  const rows: ComparisonRow[] = [];
  const analyses: SessionAnalysis[] = [];
  for (const s of sessions) {
    const a = analyseSession(db, s.id, { bootstrap, excludeDroppedFrames, references: false, fit: options.fit });
    analyses.push(a);
    for (const c of a.conditions)
      rows.push({
        sessionId: s.id,
        protocolId: s.protocol.id,
        paradigmId: a.paradigmId,
        kind: s.participant.kind,
        label: s.participant.label,
        ...(referenceKindOf(s) ? { reference: referenceKindOf(s)! } : {}),
        group: a.group,
        condition: c.key,
        conditionLabel: c.label,
        trials: c.levels.reduce((n, l) => n + l.n, 0),
        statistics: c.statistics,
        messages: a.messages,
      });
  }
  const paired = new Map<string, Paired>();
  const pairedOf = (h: ComparisonRow, m: ComparisonRow) => {
    const key = `${h.sessionId}:${m.sessionId}`;
    let p = paired.get(key);
    if (!p) paired.set(key, (p = pairedDifferences(db, h.sessionId, m.sessionId, Math.min(bootstrap, MAX_PAIRED_BOOTSTRAP), h.sessionId * 7919 + m.sessionId, excludeDroppedFrames, options.fit)));
    return p;
  };
  const differences: ComparisonDifference[] = [];
  for (const h of rows.filter((r) => r.kind === 'human'))
    for (const m of rows.filter((r) => r.kind === 'model' && !r.reference)) {
      if (h.paradigmId !== m.paradigmId || h.group !== m.group || h.condition !== m.condition) continue;
      const sameProtocol = h.protocolId === m.protocolId;
      for (const hs of h.statistics) {
        const ms = m.statistics.find((x) => x.key === hs.key);
        if (!hs.comparable || !ms || hs.value === null || ms.value === null) continue;
        const diff = hs.value - ms.value;
        // A side the data do not determine (a fit at its bound) makes the difference a limit too.
        const undetermined = [hs.undetermined ? h.sessionId : null, ms.undetermined ? m.sessionId : null].filter((x): x is number => x !== null);
        const base = { humanSessionId: h.sessionId, modelSessionId: m.sessionId, paradigmId: h.paradigmId, group: h.group, condition: h.condition, sameProtocol, statistic: hs.key, label: hs.label, unit: hs.unit, diff, undeterminedIn: undetermined };
        const resampled = sameProtocol && bootstrap > 0 ? (pairedOf(h, m).diffs.get(statKey(h.condition, hs.key)) ?? []) : [];
        const onShared = sameProtocol ? pairedOf(h, m).point.get(statKey(h.condition, hs.key)) : undefined;
        // A paired CI needs most resamples to give both values; otherwise fall back (and say so).
        if (onShared !== undefined && resampled.length >= Math.max(20, Math.min(bootstrap, MAX_PAIRED_BOOTSTRAP) / 2)) {
          const sorted = resampled.slice().sort((a, b) => a - b);
          const diffCi: [number, number] = [percentile(sorted, 0.025), percentile(sorted, 0.975)];
          // The difference and its interval come from the same trials; outside it, not determined.
          const outside = onShared < diffCi[0] - 1e-12 || onShared > diffCi[1] + 1e-12;
          differences.push({ ...base, diff: onShared, undeterminedIn: outside ? [h.sessionId, m.sessionId] : undetermined, diffCi, ciMethod: 'paired', sharedTrials: pairedOf(h, m).shared });
          continue;
        }
        if (!hs.ci || !ms.ci) continue;
        const half = Math.hypot((hs.ci[1] - hs.ci[0]) / 2, (ms.ci[1] - ms.ci[0]) / 2);
        // Why two sessions on the same trials get no paired interval: said beside it, never left to contradict "same trials".
        const p = sameProtocol ? pairedOf(h, m) : null;
        const samples = Math.min(bootstrap, MAX_PAIRED_BOOTSTRAP);
        const because = !p
          ? 'different trials'
          : bootstrap === 0
            ? 'no bootstrap was asked for'
            : p.shared < Math.max(...p.answered) / 2
              ? `only ${p.shared} of ${Math.max(...p.answered)} trials are the same in both`
              : onShared === undefined
                ? `the statistic cannot be fitted on the ${p.shared} trials both answered`
                : `only ${resampled.length} of ${samples} paired resamples could be fitted for both`;
        differences.push({ ...base, diffCi: [diff - half, diff + half], ciMethod: 'independent', independentBecause: because, sharedTrials: p?.shared ?? 0 });
      }
    }
  // Each model's headline statistic beyond copy-last's on the same trials (paired over the trials both answered).
  const beyondCopyLast: NonNullable<Comparison['beyondCopyLast']> = [];
  for (const link of references.filter((l) => l.kind === 'copy-last')) {
    for (const m of rows.filter((r) => r.sessionId === link.modelSessionId)) {
      const c = rows.find((r) => r.sessionId === link.sessionId && r.condition === m.condition);
      const ms = headlineStatistic(m.statistics);
      const cs = c && ms ? c.statistics.find((x) => x.key === ms.key) : undefined;
      if (!c || !ms || !cs) continue;
      const base = { modelSessionId: m.sessionId, referenceSessionId: c.sessionId, condition: m.condition, statistic: ms.key, label: ms.label, unit: ms.unit };
      if (ms.undetermined || cs.undetermined || ms.value === null || cs.value === null) {
        beyondCopyLast.push({ ...base, diff: null, diffCi: null, sharedTrials: 0, undetermined: `${ms.undetermined || ms.value === null ? "the model's" : "copy-last's"} value is not determined` });
        continue;
      }
      const p = pairedOf(m, c);
      const resampled = bootstrap > 0 ? (p.diffs.get(statKey(m.condition, ms.key)) ?? []) : [];
      const onShared = p.point.get(statKey(m.condition, ms.key));
      if (onShared === undefined || resampled.length < Math.max(20, Math.min(bootstrap, MAX_PAIRED_BOOTSTRAP) / 2)) {
        beyondCopyLast.push({ ...base, diff: null, diffCi: null, sharedTrials: p.shared, undetermined: `too few trials both answered (${p.shared}) for a paired interval` });
        continue;
      }
      const sorted = resampled.slice().sort((a, b) => a - b);
      const diffCi: [number, number] = [percentile(sorted, 0.025), percentile(sorted, 0.975)];
      const outside = onShared < diffCi[0] - 1e-12 || onShared > diffCi[1] + 1e-12;
      beyondCopyLast.push({ ...base, diff: onShared, diffCi, sharedTrials: p.shared, ...(outside ? { undetermined: 'the difference lies outside its own interval' } : {}) });
    }
  }
  return { rows, differences, analyses, references, beyondCopyLast };
}

/** The reference observer a session is (copy-last, oracle), or null for any other participant. */
export function referenceKindOf(s: SessionInfo): 'copy-last' | 'oracle' | 'untrained' | null {
  const d = s.participant.details as { type?: unknown; reference?: unknown };
  return d.type === 'reference' && (d.reference === 'copy-last' || d.reference === 'oracle' || d.reference === 'untrained') ? d.reference : null;
}
