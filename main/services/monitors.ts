/**
 * Monitor profiles: named display calibrations with their gamma, kept in the lab database. The
 * gamma of a photometer or half-split profile is computed here from what it rests on (never taken
 * from the page), so a stored gamma always agrees with its data. Every input is checked before
 * anything is written; a write is one transaction.
 */
import type { z } from 'zod';
import { fitGamma, gammaFromHalfSplit, GAMMA_MAX, GAMMA_MIN } from '../../paradigms/gamma.js';
import { MONITOR_PROFILES_MAX, type GammaData, type GammaMethod, type MonitorCalibration, type MonitorProfile, type MonitorSnapshot } from '../../paradigms/monitor-profile.js';
import { gammaInputSchema, monitorProfileInputSchema, profileCalibrationSchema, type GammaInput } from '../../preload/channels/monitors.js';
import { describeIssues, PredlabError } from '../errors.js';
import type { Db } from '../store/db.js';
import { parseStored } from '../store/rows.js';

interface ProfileRow {
  id: number;
  name: string;
  calibration: string;
  gamma: number;
  gamma_method: GammaMethod;
  gamma_data: string;
  chosen: number;
  created_at: string;
  updated_at: string;
}

function toProfile(r: ProfileRow): MonitorProfile {
  return {
    id: r.id,
    name: r.name,
    calibration: parseStored(r.calibration, `monitor_profiles row ${r.id} (calibration)`),
    gamma: r.gamma,
    gammaMethod: r.gamma_method,
    gammaData: parseStored(r.gamma_data, `monitor_profiles row ${r.id} (gamma_data)`),
    chosen: r.chosen === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The gamma a method and its data give, with what is stored beside it. */
export function resolveGamma(input: GammaInput): { gamma: number; method: GammaMethod; data: GammaData } {
  switch (input.method) {
    case 'assumed':
      return { gamma: 1, method: 'assumed', data: {} };
    case 'entered':
      return { gamma: input.value, method: 'entered', data: {} };
    case 'photometer': {
      let fit;
      try {
        fit = fitGamma(input.points);
      } catch (e) {
        throw new PredlabError('invalid-argument', `The photometer readings cannot be fitted: ${(e as Error).message}`);
      }
      // At a bound the true gamma may lie beyond it: say so rather than store the bound as measured.
      if (fit.gamma - GAMMA_MIN < 1e-3 || GAMMA_MAX - fit.gamma < 1e-3)
        throw new PredlabError('invalid-argument', `The photometer readings fit best at gamma ${fit.gamma.toFixed(2)}, the ${fit.gamma < 2 ? 'lowest' : 'highest'} a profile holds (${GAMMA_MIN}-${GAMMA_MAX}): check the readings (levels and luminances in the right rows).`);
      return { gamma: fit.gamma, method: 'photometer', data: { points: input.points, fit } };
    }
    case 'half-split': {
      const gamma = gammaFromHalfSplit(input.matches);
      if (!(gamma >= GAMMA_MIN && gamma <= GAMMA_MAX))
        throw new PredlabError('invalid-argument', `The half-split matches give gamma ${gamma.toFixed(2)}, outside ${GAMMA_MIN}-${GAMMA_MAX}: match the grey again (the uniform patch should look as bright as the lines from a few steps back).`);
      return { gamma, method: 'half-split', data: { matches: input.matches } };
    }
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new PredlabError('invalid-argument', `Invalid ${what}: ${describeIssues(r.error.issues)}`);
  return r.data;
}

function row(db: Db, profileId: number): ProfileRow {
  const r = db.prepare('SELECT * FROM monitor_profiles WHERE id = ?').get(profileId) as ProfileRow | undefined;
  if (!r) throw new PredlabError('not-found', `No monitor profile with id ${profileId}.`);
  return r;
}

function checkNameFree(db: Db, name: string, except = 0): void {
  const other = db.prepare('SELECT name FROM monitor_profiles WHERE name = ? COLLATE NOCASE AND id != ?').get(name, except) as { name: string } | undefined;
  if (other) throw new PredlabError('conflict', `There is already a monitor profile named '${other.name}'${other.name !== name ? ' (names are compared ignoring case)' : ''}. Choose another name.`);
}

export function listMonitorProfiles(db: Db): MonitorProfile[] {
  return (db.prepare('SELECT * FROM monitor_profiles ORDER BY name COLLATE NOCASE').all() as ProfileRow[]).map(toProfile);
}

export function getMonitorProfile(db: Db, profileId: number): MonitorProfile {
  return toProfile(row(db, profileId));
}

/** The profile by id or by name (ignoring case), for the CLI. */
export function findMonitorProfile(db: Db, idOrName: string): MonitorProfile {
  const r = (/^\d+$/.test(idOrName) ? db.prepare('SELECT * FROM monitor_profiles WHERE id = ?').get(Number(idOrName)) : db.prepare('SELECT * FROM monitor_profiles WHERE name = ? COLLATE NOCASE').get(idOrName.trim())) as ProfileRow | undefined;
  if (!r) throw new PredlabError('not-found', `No monitor profile '${idOrName}'. List them with: predlab monitor list`);
  return toProfile(r);
}

export function chosenMonitorProfile(db: Db): MonitorProfile | null {
  const r = db.prepare('SELECT * FROM monitor_profiles WHERE chosen = 1').get() as ProfileRow | undefined;
  return r ? toProfile(r) : null;
}

function setChosen(db: Db, profileId: number): void {
  db.prepare('UPDATE monitor_profiles SET chosen = 0 WHERE chosen = 1 AND id != ?').run(profileId);
  db.prepare('UPDATE monitor_profiles SET chosen = 1 WHERE id = ?').run(profileId);
}

export function createMonitorProfile(db: Db, req: Record<string, unknown> & { choose?: boolean | undefined }): MonitorProfile {
  const { choose, ...rest } = req;
  const input = check(monitorProfileInputSchema, rest, 'monitor profile');
  const g = resolveGamma(input.gamma);
  const id = db.transaction(() => {
    checkNameFree(db, input.name);
    const n = (db.prepare('SELECT count(*) AS n FROM monitor_profiles').get() as { n: number }).n;
    if (n >= MONITOR_PROFILES_MAX) throw new PredlabError('conflict', `This lab already has ${MONITOR_PROFILES_MAX} monitor profiles, the most it holds.`);
    const newId = Number(
      db.prepare('INSERT INTO monitor_profiles (name, calibration, gamma, gamma_method, gamma_data) VALUES (?, ?, ?, ?, ?)').run(input.name, JSON.stringify(input.calibration), g.gamma, g.method, JSON.stringify(g.data)).lastInsertRowid,
    );
    // The first profile is the one sessions use until another is chosen.
    if (choose === true || n === 0) setChosen(db, newId);
    return newId;
  })();
  return getMonitorProfile(db, id);
}

export function updateMonitorProfile(db: Db, profileId: number, req: { name?: string | undefined; calibration?: unknown; gamma?: unknown }): MonitorProfile {
  const name = req.name === undefined ? undefined : check(monitorProfileInputSchema.shape.name, req.name, 'monitor profile name');
  const calibration = req.calibration === undefined ? undefined : check(profileCalibrationSchema, req.calibration, 'calibration');
  const g = req.gamma === undefined ? undefined : resolveGamma(check(gammaInputSchema, req.gamma, 'gamma'));
  db.transaction(() => {
    const old = row(db, profileId);
    if (name !== undefined) checkNameFree(db, name, profileId);
    db.prepare("UPDATE monitor_profiles SET name = ?, calibration = ?, gamma = ?, gamma_method = ?, gamma_data = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(
      name ?? old.name,
      calibration ? JSON.stringify(calibration) : old.calibration,
      g ? g.gamma : old.gamma,
      g ? g.method : old.gamma_method,
      g ? JSON.stringify(g.data) : old.gamma_data,
      profileId,
    );
  })();
  return getMonitorProfile(db, profileId);
}

export function chooseMonitorProfile(db: Db, profileId: number): MonitorProfile {
  db.transaction(() => {
    row(db, profileId);
    setChosen(db, profileId);
  })();
  return getMonitorProfile(db, profileId);
}

/** `updateMonitorProfile` with only a new name (unique ignoring case, 1-60 characters); sessions keep the name they ran with. */
export function renameMonitorProfile(db: Db, profileId: number, name: string): MonitorProfile {
  return updateMonitorProfile(db, profileId, { name });
}

/**
 * Deletes a profile. Sessions that ran with it keep their copy (calibration.monitor), which is
 * what exports read; their monitor_profile_id becomes NULL (ON DELETE SET NULL), so no session
 * names a profile that is gone. The profile new sessions use is refused while others exist:
 * falling back silently to another would change what the next session is drawn with. The only
 * profile may go; the lab is then as a new one (its next profile is chosen).
 */
export function deleteMonitorProfile(db: Db, profileId: number): { profile: MonitorProfile; sessions: number } {
  return db.transaction(() => {
    const profile = toProfile(row(db, profileId));
    checkDeletable(db, profile);
    const sessions = sessionsWithMonitorProfile(db, profileId);
    db.prepare('DELETE FROM monitor_profiles WHERE id = ?').run(profileId);
    return { profile, sessions };
  })();
}

/** Refuses deleting the profile new sessions use while the lab has others (so the CLI can refuse before it asks). */
export function checkDeletable(db: Db, profile: MonitorProfile): void {
  if (!profile.chosen) return;
  const others = (db.prepare('SELECT count(*) AS n FROM monitor_profiles WHERE id != ?').get(profile.id) as { n: number }).n;
  if (others > 0) throw new PredlabError('conflict', `'${profile.name}' is the profile new sessions use: choose another first (predlab monitor choose <name>, or save or choose another on the Calibrate or Run page), then delete it.`);
}

/** How many sessions ran with the profile (each keeps its own copy of it). */
export function sessionsWithMonitorProfile(db: Db, profileId: number): number {
  return (db.prepare('SELECT count(*) AS n FROM sessions WHERE monitor_profile_id = ?').get(profileId) as { n: number }).n;
}

/** What a session keeps of its profile: its calibration (as sessions always kept) with the profile's copy under `monitor`. */
export function sessionCalibrationOf(p: MonitorProfile): MonitorCalibration & { monitor: MonitorSnapshot } {
  return { ...p.calibration, monitor: { profileId: p.id, name: p.name, gamma: p.gamma, gammaMethod: p.gammaMethod, gammaData: p.gammaData, profileUpdatedAt: p.updatedAt } };
}
