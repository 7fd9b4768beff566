/** Row <-> domain mapping for the store (SQL stays in the services that own it). */
import type { Participant, ParticipantKind, SessionInfo, SessionStatus } from '../../paradigms/records.js';
import { PredlabError } from '../errors.js';

/**
 * A JSON column of the lab as stored. Text that does not parse is damage (the lab was edited or
 * corrupted outside PredLab), said in one line naming the table, row and column, never a stack.
 */
export function parseStored<T = any>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new PredlabError('storage', `The lab database is damaged: ${where} is not valid JSON (${String((e as Error).message).split('\n')[0]!.slice(0, 120)}). Restore the newest copy from the "backups" folder beside it (keep the damaged file aside).`);
  }
}

export interface ParticipantRow {
  id: number;
  kind: ParticipantKind;
  label: string;
  details: string;
  created_at: string;
}

export interface SessionRow {
  id: number;
  status: SessionStatus;
  calibration: string;
  app_version: string;
  source: string;
  started_at: string;
  ended_at: string | null;
  response_keys: string | null;
  protocol_id: number;
  paradigm_id: string;
  parameters: string;
  seed: number;
  answered: number;
  p_id: number;
  p_kind: ParticipantKind;
  p_label: string;
  p_details: string;
  p_created_at: string;
}

export interface TrialRow {
  id: number;
  session_id: number;
  trial_index: number;
  condition: string;
  stimulus: string;
  response: string;
  rt_ms: number | null;
  dropped_frames: number;
  answered_at: string;
  frame_count: number | null;
  frame_interval_mean_ms: number | null;
  frame_interval_sd_ms: number | null;
  frame_interval_max_ms: number | null;
  critical_frame: number | null;
  frame_intervals: string | null;
  extra: string | null;
}

export const SESSION_SELECT = `
  SELECT s.id, s.status, s.calibration, s.app_version, s.source, s.started_at, s.ended_at, s.response_keys,
         pr.id AS protocol_id, pr.paradigm_id, pr.parameters, pr.seed,
         (SELECT count(*) FROM trials t WHERE t.session_id = s.id) AS answered,
         p.id AS p_id, p.kind AS p_kind, p.label AS p_label, p.details AS p_details, p.created_at AS p_created_at
  FROM sessions s JOIN participants p ON p.id = s.participant_id JOIN protocols pr ON pr.id = s.protocol_id`;

export function toParticipant(r: ParticipantRow): Participant {
  return { id: r.id, kind: r.kind, label: r.label, details: parseStored(r.details, `participants row ${r.id} (details)`), createdAt: r.created_at };
}

export function toSession(r: SessionRow, total: number): SessionInfo {
  return {
    id: r.id,
    status: r.status,
    participant: { id: r.p_id, kind: r.p_kind, label: r.p_label, details: parseStored(r.p_details, `participants row ${r.p_id} (details)`), createdAt: r.p_created_at },
    protocol: { id: r.protocol_id, paradigmId: r.paradigm_id, parameters: parseStored(r.parameters, `protocols row ${r.protocol_id} (parameters)`), seed: r.seed },
    calibration: parseStored(r.calibration, `sessions row ${r.id} (calibration)`),
    appVersion: r.app_version,
    source: r.source,
    responseKeys: r.response_keys === null ? null : parseStored(r.response_keys, `sessions row ${r.id} (response_keys)`),
    startedAt: r.started_at,
    endedAt: r.ended_at,
    answered: r.answered,
    total,
  };
}
