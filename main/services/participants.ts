/** Participants: people and models alike. */
import type { Participant } from '../../preload/contract.js';
import type { Db } from '../store/db.js';
import { toParticipant, type ParticipantRow } from '../store/rows.js';
import { PredlabError } from '../errors.js';

export function createParticipant(db: Db, p: { kind: 'human' | 'model'; label: string; details?: Record<string, unknown> }): Participant {
  const label = p.label.trim();
  if (!label) throw new PredlabError('invalid-argument', 'A participant needs a label (an ID or code, not a name if you want the data anonymous).');
  const info = db.prepare('INSERT INTO participants (kind, label, details) VALUES (?, ?, ?)').run(p.kind, label, JSON.stringify(p.details ?? {}));
  return getParticipant(db, Number(info.lastInsertRowid));
}

export function getParticipant(db: Db, id: number): Participant {
  const row = db.prepare('SELECT * FROM participants WHERE id = ?').get(id) as ParticipantRow | undefined;
  if (!row) throw new PredlabError('not-found', `No participant with id ${id}.`);
  return toParticipant(row);
}

export function listParticipants(db: Db): Participant[] {
  return (db.prepare('SELECT * FROM participants ORDER BY id').all() as ParticipantRow[]).map(toParticipant);
}
