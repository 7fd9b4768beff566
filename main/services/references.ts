/** The sessions run beside a model session on its trials: reference observers and an untrained network. */
import { REFERENCE_KINDS } from '../../native-models/observer/predictors.js';
import type { SessionInfo } from '../../paradigms/records.js';
import type { Db } from '../store/db.js';
import { listSessions } from './sessions.js';

/** What can stand beside a model session: the two reference observers, and an untrained network of its architecture. */
export const BESIDE_KINDS = [...REFERENCE_KINDS, 'untrained'] as const;
export type BesideKind = (typeof BESIDE_KINDS)[number];

/** The sessions run beside a model session (copy-last, oracle, untrained), the newest of each kind. */
export function referenceSessionsOf(db: Db, modelSessionId: number): { kind: BesideKind; session: SessionInfo }[] {
  const out: { kind: BesideKind; session: SessionInfo }[] = [];
  for (const s of listSessions(db, { status: 'complete' }).reverse()) {
    const d = s.participant.details as { type?: unknown; reference?: unknown; referenceFor?: unknown };
    const kind = BESIDE_KINDS.find((k) => k === d.reference);
    if (d.type !== 'reference' || d.referenceFor !== modelSessionId || !kind) continue;
    if (out.some((o) => o.kind === kind)) continue;
    out.push({ kind, session: s });
  }
  return BESIDE_KINDS.flatMap((k) => out.filter((o) => o.kind === k));
}
