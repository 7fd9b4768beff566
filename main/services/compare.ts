/**
 * People and models side by side: each session's fit (PSE in deg and ms with CIs), grouped by
 * variant and speed, and person-minus-model differences for sessions of the same condition.
 */
import type { Comparison, ComparisonDifference, ComparisonRow, SessionAnalysis } from '../../preload/contract.js';
import { PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { analyseSession } from './analysis.js';
import { getSession } from './sessions.js';

export function compareSessions(db: Db, sessionIds: number[], options: { bootstrap?: number } = {}): Comparison {
  if (sessionIds.length === 0) throw new PredlabError('invalid-argument', 'Choose at least one session to compare.');
  if (new Set(sessionIds).size !== sessionIds.length) throw new PredlabError('invalid-argument', 'A session is listed twice.');
  const rows: ComparisonRow[] = [];
  const analyses: SessionAnalysis[] = [];
  for (const id of sessionIds) {
    const s = getSession(db, id);
    if (s.protocol.paradigmId !== 'flash-lag') throw new PredlabError('invalid-argument', `Session ${id} is a ${s.protocol.paradigmId} session; only flash-lag sessions are compared so far.`);
    const a = analyseSession(db, id, { bootstrap: options.bootstrap ?? 500 });
    analyses.push(a);
    rows.push({
      sessionId: id,
      protocolId: s.protocol.id,
      kind: s.participant.kind,
      label: s.participant.label,
      variant: a.variant,
      speedDegPerS: a.speedDegPerS,
      trials: a.trials,
      pseDeg: a.pseDeg,
      pseDegCi: a.fit ? a.fit.ci.pse : null,
      pseMs: a.pseMs,
      pseMsCi: a.pseMsCi,
      directPseDeg: a.direct?.pseDeg ?? null,
      messages: a.messages,
    });
  }
  const differences: ComparisonDifference[] = [];
  for (const h of rows.filter((r) => r.kind === 'human'))
    for (const m of rows.filter((r) => r.kind === 'model')) {
      if (h.variant !== m.variant || h.speedDegPerS !== m.speedDegPerS || h.pseDeg === null || m.pseDeg === null || !h.pseDegCi || !m.pseDegCi) continue;
      const diffDeg = h.pseDeg - m.pseDeg;
      const half = Math.hypot((h.pseDegCi[1] - h.pseDegCi[0]) / 2, (m.pseDegCi[1] - m.pseDegCi[0]) / 2);
      const toMs = (d: number) => (d / h.speedDegPerS) * 1000;
      differences.push({
        humanSessionId: h.sessionId,
        modelSessionId: m.sessionId,
        variant: h.variant,
        speedDegPerS: h.speedDegPerS,
        sameProtocol: h.protocolId === m.protocolId,
        diffDeg,
        diffMs: toMs(diffDeg),
        diffDegCi: [diffDeg - half, diffDeg + half],
        diffMsCi: [toMs(diffDeg - half), toMs(diffDeg + half)],
      });
    }
  return { rows, differences, analyses };
}
