/** Participants: people, models and simulated observers alike. */
import type { Participant, ParticipantKind } from '../../paradigms/records.js';
import type { Db } from '../store/db.js';
import { toParticipant, type ParticipantRow } from '../store/rows.js';
import { PredlabError } from '../errors.js';

/**
 * A person is known by their ID: typing an existing ID again adds the session to that person
 * (one participant per label, not a second one with the same label). Models and simulated
 * observers get a participant per session, since their details (checkpoint, settings) differ.
 */
export function createParticipant(db: Db, p: { kind: ParticipantKind; label: string; details?: Record<string, unknown> }): Participant {
  const label = normaliseLabel(p.label);
  if (p.kind === 'human') {
    const existing = findHuman(db, label);
    if (existing) return existing;
  }
  const info = db.prepare('INSERT INTO participants (kind, label, details) VALUES (?, ?, ?)').run(p.kind, label, JSON.stringify(p.details ?? {}));
  return getParticipant(db, Number(info.lastInsertRowid));
}

export const MAX_LABEL_CHARS = 100;

/** A participant label as stored: trimmed, not empty, at most MAX_LABEL_CHARS. */
export function normaliseLabel(raw: string): string {
  const label = raw.trim();
  if (!label) throw new PredlabError('invalid-argument', 'A participant needs a label (an ID or code, not a name if you want the data anonymous).');
  if (label.length > MAX_LABEL_CHARS) throw new PredlabError('invalid-argument', `A participant label may be at most ${MAX_LABEL_CHARS} characters (${label.length} given).`);
  return label;
}

/** The (first) person with this label, if any. */
export function findHuman(db: Db, label: string): Participant | null {
  const row = db.prepare("SELECT * FROM participants WHERE kind = 'human' AND label = ? ORDER BY id LIMIT 1").get(label.trim()) as ParticipantRow | undefined;
  return row ? toParticipant(row) : null;
}

export function getParticipant(db: Db, id: number): Participant {
  const row = db.prepare('SELECT * FROM participants WHERE id = ?').get(id) as ParticipantRow | undefined;
  if (!row) throw new PredlabError('not-found', `No participant with id ${id}.`);
  return toParticipant(row);
}

export function listParticipants(db: Db): Participant[] {
  return (db.prepare('SELECT * FROM participants ORDER BY id').all() as ParticipantRow[]).map(toParticipant);
}
