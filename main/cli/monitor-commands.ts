/** `predlab monitor list|add|choose|rename|delete`: the lab's monitor profiles (display calibration and gamma), as the Calibrate page keeps them. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { MonitorProfile } from '../../paradigms/monitor-profile.js';
import { pxPerDegFor } from '../../paradigms/monitor-geometry.js';
import { checkDeletable, chooseMonitorProfile, createMonitorProfile, deleteMonitorProfile, findMonitorProfile, listMonitorProfiles, renameMonitorProfile, sessionsWithMonitorProfile } from '../services/monitors.js';
import { deleteConfirmed, type terminalConfirm } from './context.js';
import type { StudyCliContext } from './study-commands.js';

export interface MonitorCliContext extends StudyCliContext {
  /** Ask a yes/no question; null when no one can answer (no terminal). */
  confirm?: typeof terminalConfirm;
}

const gammaText = (p: MonitorProfile) => `gamma ${p.gamma.toFixed(2)} (${p.gammaMethod}${p.gammaData.fit ? `, fit RMSE ${p.gammaData.fit.rmse.toFixed(2)} cd/m²` : ''})`;

export function formatMonitorProfiles(list: MonitorProfile[]): string {
  if (list.length === 0) return 'No monitor profiles yet. Add one with: predlab monitor add --name <name> --width-px <px> --width-cm <cm> --distance-cm <cm> --refresh-hz <Hz> [--gamma <g>]';
  return list.map((p) => `${p.chosen ? '*' : ' '} ${String(p.id).padStart(3)}  ${p.name}: ${p.calibration.pxPerDeg.toFixed(2)} px/deg at ${p.calibration.viewingDistanceCm} cm, ${p.calibration.refreshHz.toFixed(2)} Hz, ${gammaText(p)}`).join('\n');
}

/** `level:luminance,level:luminance,...` -> photometer readings. */
function readings(v: string): { level: number; luminance: number }[] {
  return v.split(',').map((pair) => {
    const [l, y] = pair.split(':').map((x) => Number(x.trim()));
    if (pair.split(':').length !== 2 || !Number.isFinite(l) || !Number.isFinite(y)) throw new InvalidArgumentError(`--photometer takes level:luminance pairs like 0:0.5,128:40,255:180; got '${pair}'.`);
    return { level: l!, luminance: y! };
  });
}

export function addMonitorCommands(program: Command, ctx: MonitorCliContext): void {
  const { emit, number } = ctx;
  const monitor = program.command('monitor').description('monitor profiles: display size, viewing distance, refresh rate and gamma, chosen per session');
  monitor
    .command('list')
    .description('list the monitor profiles (* the one new sessions use)')
    .option('--json', 'machine-readable output')
    .action((o) => {
      const list = listMonitorProfiles(ctx.readDatabase());
      emit(o.json, list, formatMonitorProfiles(list));
    });
  monitor
    .command('add')
    .description('add a monitor profile (gamma: --gamma typed, --photometer readings fitted, or none: assumed 1)')
    .requiredOption('--name <name>', 'profile name (unique, at most 60 characters)')
    .requiredOption('--width-px <px>', 'screen width in pixels', ctx.integer('--width-px'))
    .requiredOption('--width-cm <cm>', 'visible screen width in centimetres', number('--width-cm'))
    .requiredOption('--distance-cm <cm>', 'viewing distance in centimetres', number('--distance-cm'))
    .requiredOption('--refresh-hz <Hz>', 'refresh rate (20-1000 Hz)', number('--refresh-hz'))
    .option('--gamma <g>', 'display gamma (1-3.5)', number('--gamma'))
    .option('--photometer <readings>', 'luminances (cd/m²) measured at grey levels, level:luminance,... (3-32 readings); gamma is fitted')
    .option('--choose', 'use it for new sessions')
    .option('--json', 'machine-readable output')
    .action((o) => {
      if (o.gamma !== undefined && o.photometer !== undefined) throw new InvalidArgumentError('Give --gamma or --photometer, not both.');
      const gamma = o.photometer !== undefined ? { method: 'photometer' as const, points: readings(o.photometer) } : o.gamma !== undefined ? { method: 'entered' as const, value: o.gamma } : { method: 'assumed' as const };
      const calibration = { method: 'screen-width' as const, screenWidthPx: o.widthPx, screenWidthCm: o.widthCm, viewingDistanceCm: o.distanceCm, refreshHz: o.refreshHz, pxPerDeg: pxPerDegFor(o.widthPx / o.widthCm, o.distanceCm) };
      const p = createMonitorProfile(ctx.database(), { name: o.name, calibration, gamma, choose: o.choose === true });
      emit(o.json, p, `Monitor profile ${p.id} added: ${formatMonitorProfiles([p]).trim()}`);
    });
  monitor
    .command('choose')
    .description('use a profile (id or name) for new sessions')
    .argument('<profile>', 'profile id or name')
    .option('--json', 'machine-readable output')
    .action((profile: string, o) => {
      const db = ctx.database();
      const p = chooseMonitorProfile(db, findMonitorProfile(db, profile).id);
      emit(o.json, p, `New sessions use ${p.name}.`);
    });
  monitor
    .command('rename')
    .description('rename a profile (id or name); sessions that ran with it keep the name they ran with')
    .argument('<profile>', 'profile id or name')
    .argument('<new-name>', 'new name (unique, at most 60 characters)')
    .option('--json', 'machine-readable output')
    .action((profile: string, newName: string, o) => {
      const db = ctx.database();
      const old = findMonitorProfile(db, profile);
      const p = renameMonitorProfile(db, old.id, newName);
      emit(o.json, p, `Renamed monitor profile '${old.name}' to '${p.name}'.`);
    });
  monitor
    .command('delete')
    .description('delete a profile (asks first); sessions that ran with it keep its values and gamma in their records')
    .argument('<profile>', 'profile id or name')
    .option('--yes', 'do not ask')
    .option('--json', 'machine-readable output')
    .action(async (profile: string, o) => {
      const db = ctx.database();
      const p = findMonitorProfile(db, profile);
      // Refused before asking: a yes would not help.
      checkDeletable(db, p);
      const used = sessionsWithMonitorProfile(db, p.id);
      const what = `monitor profile '${p.name}' (${gammaText(p)}; ${used} session(s) ran with it and keep their copy)`;
      if (!(await deleteConfirmed(ctx, o, `Delete ${what}?`, `Deleting ${what}`, p.name))) return;
      const r = deleteMonitorProfile(db, p.id);
      emit(o.json, { deleted: true, id: r.profile.id, name: r.profile.name, sessions: r.sessions }, `Deleted ${what}.`);
    });
}
