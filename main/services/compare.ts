/**
 * People and models side by side: each session's conditions with their headline statistics
 * (PSE, threshold, ... with CIs, as the paradigm's analysis names them), and person-minus-model
 * differences for every comparable statistic of sessions of the same paradigm, group and condition.
 */
import type { Comparison, ComparisonDifference, ComparisonRow, SessionAnalysis } from '../../paradigms/records.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { analyseSession } from './analysis.js';
import { getSession } from './sessions.js';

export function compareSessions(db: Db, sessionIds: number[], options: { bootstrap?: number } = {}): Comparison {
  if (sessionIds.length === 0) throw new PredlabError('invalid-argument', 'Choose at least one session to compare.');
  if (new Set(sessionIds).size !== sessionIds.length) throw new PredlabError('invalid-argument', 'A session is listed twice.');
  const sessions = sessionIds.map((id) => getSession(db, id));
  const rows: ComparisonRow[] = [];
  const analyses: SessionAnalysis[] = [];
  for (const s of sessions) {
    const a = analyseSession(db, s.id, { bootstrap: options.bootstrap ?? 500 });
    analyses.push(a);
    for (const c of a.conditions)
      rows.push({
        sessionId: s.id,
        protocolId: s.protocol.id,
        paradigmId: a.paradigmId,
        kind: s.participant.kind,
        label: s.participant.label,
        group: a.group,
        condition: c.key,
        conditionLabel: c.label,
        trials: c.levels.reduce((n, l) => n + l.n, 0),
        statistics: c.statistics,
        messages: a.messages,
      });
  }
  const differences: ComparisonDifference[] = [];
  for (const h of rows.filter((r) => r.kind === 'human'))
    for (const m of rows.filter((r) => r.kind === 'model')) {
      if (h.paradigmId !== m.paradigmId || h.group !== m.group || h.condition !== m.condition) continue;
      for (const hs of h.statistics) {
        const ms = m.statistics.find((x) => x.key === hs.key);
        if (!hs.comparable || !ms || hs.value === null || ms.value === null || !hs.ci || !ms.ci) continue;
        const diff = hs.value - ms.value;
        const half = Math.hypot((hs.ci[1] - hs.ci[0]) / 2, (ms.ci[1] - ms.ci[0]) / 2);
        differences.push({
          humanSessionId: h.sessionId,
          modelSessionId: m.sessionId,
          paradigmId: h.paradigmId,
          group: h.group,
          condition: h.condition,
          sameProtocol: h.protocolId === m.protocolId,
          statistic: hs.key,
          label: hs.label,
          unit: hs.unit,
          diff,
          diffCi: [diff - half, diff + half],
        });
      }
    }
  return { rows, differences, analyses };
}
