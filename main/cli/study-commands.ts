/** `predlab study create|list|show|add|remove|export|export-online|import-online|delete`: sessions grouped into studies, and the study-wide export. */
import type { Command } from 'commander';
import path from 'node:path';
import type { Study, StudyDetail } from '../../preload/channels/studies.js';
import { PredlabError } from '../errors.js';
import { addSessionsToStudy, createStudy, deleteStudy, getStudyDetail, listStudies, removeSessionFromStudy } from '../services/studies.js';
import { exportStudy } from '../services/study-export.js';
import { exportOnlineStudy } from '../services/online-export.js';
import { importOnlineData, type OnlineImportResult } from '../services/online-import.js';
import type { Db } from '../store/db.js';
import type { CliContext } from './context.js';

export interface StudyCliContext extends CliContext {
  /** The database opened read-only (list and show change nothing). */
  readDatabase: () => ReturnType<CliContext['database']>;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** Participants counted by kind, each once, then the sessions. */
const kinds = (s: Study) => `${plural(s.counts.human, 'person', 'people')}, ${plural(s.counts.simulated, 'simulated observer')}, ${plural(s.counts.model, 'model')} (${plural(s.sessionTotal, 'session')})`;

function lastExport(s: Study): string {
  const e = s.lastExport;
  if (!e) return 'never exported';
  return e.ok ? `last export ${e.at.slice(0, 19).replace('T', ' ')} (${e.trigger}): ${e.rows} trial(s) in ${e.folder}` : `last export ${e.at.slice(0, 19).replace('T', ' ')} (${e.trigger}) FAILED: ${e.error}`;
}

export function formatStudies(list: Study[]): string {
  if (list.length === 0) return 'No studies yet. Create one with: predlab study create --name <name>';
  return list.map((s) => `${String(s.id).padStart(4)}  ${s.name}: ${kinds(s)}; ${lastExport(s)}`).join('\n');
}

const sessionLine = (s: StudyDetail['sessions'][number]) =>
  `  ${String(s.id).padStart(7)}  ${s.participant.kind.padEnd(9)}  ${s.participant.label.slice(0, 36).padEnd(36)} ${(s.source === 'online' ? 'online' : 'lab').padEnd(8)} ${s.protocol.paradigmId.padEnd(13)} ${s.status.padEnd(10)} ${s.answered}/${s.total}`;

export function formatStudy(d: StudyDetail): string {
  const lines = [`Study ${d.id}: ${d.name}${d.description ? ` (${d.description})` : ''}`, `  ${kinds(d)}`, `  ${lastExport(d)}`, `  automatic export: ${d.settings.autoExport === false ? 'off' : d.exportFolder}`];
  if (d.settings.sessionInfoFields?.length) lines.push(`  session information: ${d.settings.sessionInfoFields.join(', ')}`);
  if (d.sessions.length === 0) lines.push('  No sessions yet: predlab study add --study <id> --session <id>');
  else {
    lines.push('  session  kind       participant                          setting  paradigm      status     trials');
    for (const s of d.sessions) lines.push(sessionLine(s));
  }
  if (d.sameTrials.length) {
    lines.push(`  Not in the study, on the same trials as its sessions (add with: predlab study add --study ${d.id} --session ${d.sameTrials.map((s) => s.id).join(',')}):`);
    for (const s of d.sameTrials) lines.push(sessionLine(s));
  }
  return lines.join('\n');
}

export function addStudyCommands(program: Command, ctx: StudyCliContext): void {
  const { emit, integer } = ctx;
  const study = program.command('study').description('group sessions (people, simulated observers, models) into studies and export a study at once');
  study
    .command('create')
    .description('create a study')
    .requiredOption('--name <name>', 'study name (unique)')
    .option('--description <text>', 'what the study is about')
    .option('--info <fields>', 'session-information fields, comma-separated from age, handedness, dominantEye, notes (the fields of the Run page dialog)')
    .option('--authors <names>', "the study's authors, separated by ; (the BIDS dataset's Authors)")
    .option('--export-dir <folder>', 'where the study export is written after each session (default: <data folder>/studies)')
    .option('--no-auto-export', 'do not write the export at the end of each session')
    .option('--json', 'machine-readable output')
    .action((o) => {
      const settings = {
        ...(o.info !== undefined ? { sessionInfoFields: String(o.info).split(',').map((f: string) => f.trim()).filter(Boolean) } : {}),
        ...(o.authors !== undefined ? { authors: String(o.authors).split(';').map((a: string) => a.trim()).filter(Boolean) } : {}),
        ...(o.exportDir !== undefined ? { exportDir: path.resolve(o.exportDir) } : {}),
        ...(o.autoExport === false ? { autoExport: false } : {}),
      };
      const s = createStudy(ctx.database(), { name: o.name, description: o.description, settings });
      emit(o.json, s, `Study ${s.id} created: ${s.name}. Add sessions with: predlab study add --study ${s.id} --session <id>`);
    });
  study
    .command('list')
    .description('list the studies')
    .option('--json', 'machine-readable output')
    .action((o) => {
      const list = listStudies(ctx.readDatabase());
      emit(o.json, list, formatStudies(list));
    });
  study
    .command('show')
    .description("a study's sessions, by kind of participant, and its last export")
    .requiredOption('--study <id>', 'study id', integer('--study'))
    .option('--json', 'machine-readable output')
    .action((o) => {
      const d = getStudyDetail(ctx.readDatabase(), o.study);
      emit(o.json, d, formatStudy(d));
    });
  const sessionList = (v: string) => {
    const ids = v.split(',').map((x) => Number(x.trim()));
    if (ids.length === 0 || ids.length > 1000 || ids.some((x) => !Number.isInteger(x) || x <= 0)) throw new PredlabError('invalid-argument', `--session takes one to 1000 ids like 3 or 3,7; got '${v}'.`);
    return ids;
  };
  // add and remove: all or nothing (one bad id changes none).
  const membership = [
    ['add', 'add sessions to a study (only those named: sessions that took the same trials are listed by `study show`)', (db: Db, study: number, ids: number[]) => addSessionsToStudy(db, study, ids)],
    ['remove', 'remove sessions from a study (the sessions stay in the lab)', (db: Db, study: number, ids: number[]) => db.transaction(() => ids.reduce<StudyDetail | null>((_, id) => removeSessionFromStudy(db, study, id), null)!)()],
  ] as const;
  for (const [name, description, change] of membership)
    study
      .command(name)
      .description(description)
      .requiredOption('--study <id>', 'study id', integer('--study'))
      .requiredOption('--session <ids>', 'session id(s), comma-separated', sessionList)
      .option('--json', 'machine-readable output')
      .action((o) => {
        const db = ctx.database();
        const d = change(db, o.study, o.session as number[]);
        emit(o.json, d, formatStudy(d));
      });
  study
    .command('export')
    .description('write the study export: one tidy CSV (a row per trial) and one BIDS dataset')
    .requiredOption('--study <id>', 'study id', integer('--study'))
    .option('--out <folder>', "folder to write the study's export folder into (default: the study's own export folder)")
    .option('--json', 'machine-readable output')
    .action((o) => {
      const db = ctx.database();
      const folder = o.out !== undefined ? path.join(path.resolve(o.out), path.basename(getStudyDetail(db, o.study).exportFolder)) : undefined;
      const r = exportStudy(db, o.study, folder !== undefined ? { folder } : {});
      emit(o.json, r, `Exported study ${o.study}: ${r.rows} trial(s) from ${r.sessions} session(s) to ${r.folder}\n  ${r.files[0]} (tidy CSV, a row per trial; column dictionary beside it)\n  ${path.join(r.folder, 'bids')} (BIDS dataset, ${r.files.length - 2} file(s))`);
    });
  study
    .command('export-online')
    .description("put the study's protocol online: a static folder (index.html and one script) that runs it with jsPsych in any browser, on any web host")
    .requiredOption('--study <id>', 'study id', integer('--study'))
    .requiredOption('--out <folder>', 'the folder to write (new or empty)')
    .option('--protocol <id>', "the protocol to put online (default: the one the study's sessions took)", integer('--protocol'))
    .option('--blindspot-reps <n>', 'blind-spot measurements of the viewing distance, 0 to 10 (0: the distance is assumed)', integer('--blindspot-reps'), 3)
    .option('--distance-cm <cm>', 'viewing distance assumed when --blindspot-reps is 0', ctx.number('--distance-cm'))
    .option('--completion-url <url>', 'where participants go at the end (a Prolific completion link, say)')
    .option('--jatos', "write a JATOS study archive (.jzip) for JATOS's Import study; results go to JATOS through jatos.js")
    .option('--json', 'machine-readable output')
    .action((o) => {
      const r = exportOnlineStudy(ctx.database(), o.study, { out: o.out, protocolId: o.protocol, blindspotReps: o.blindspotReps, viewingDistanceCm: o.distanceCm, completionUrl: o.completionUrl, jatos: o.jatos === true });
      emit(
        o.json,
        r,
        [
          `Study ${o.study} is online-ready in ${o.jatos ? r.files[0] : r.folder}: protocol ${r.study.protocolId} (${r.study.paradigmId}, seed ${r.study.seed}), ${r.trials} data trial(s)${r.adaptive ? ', planned in the browser from the answers (adaptive design)' : ' as a fixed list'}.`,
          ...(o.jatos
            ? [`  In JATOS: Study > Import study, then share a study link; participant IDs come from the link (?PROLIFIC_PID=... or ?pid=...).`, `  Each run's data goes to JATOS; export the results there (zip or text) and import them with: predlab study import-online --study ${o.study} <file>`]
            : [`  Serve the folder from any web host; participant IDs come from the link (?PROLIFIC_PID=... or ?pid=...).`, `  At the end each participant downloads a data file; import them with: predlab study import-online --study ${o.study} <file>`]),
        ].join('\n'),
      );
    });
  study
    .command('import-online')
    .description("read an online study's data back (the jsPsych JSON or CSV file a participant downloaded): each run becomes a person's session of the study, marked online")
    .requiredOption('--study <id>', 'study id', integer('--study'))
    .argument('<file>', 'the data file')
    .option('--protocol <id>', "the protocol the data were taken on (default: the one the study's sessions took)", integer('--protocol'))
    .option('--json', 'machine-readable output')
    .action((file: string, o) => {
      const r = importOnlineData(ctx.database(), o.study, path.resolve(file), { protocolId: o.protocol });
      emit(o.json, r, formatOnlineImport(r));
    });
  study
    .command('delete')
    .description('delete a study (its sessions stay in the lab)')
    .requiredOption('--study <id>', 'study id', integer('--study'))
    .option('--json', 'machine-readable output')
    .action((o) => {
      const r = deleteStudy(ctx.database(), o.study);
      emit(o.json, r, `Study ${r.deleted} deleted; its ${r.sessionsKept} session(s) stay in the lab.`);
    });
}

export function formatOnlineImport(r: OnlineImportResult): string {
  const lines = [`Imported ${r.imported.length} online session(s) into study ${r.studyId} from ${r.file} (${r.records} record(s)).`];
  for (const s of r.imported)
    lines.push(`  session ${s.sessionId}: ${s.participant}, ${s.trials} trial(s), ${s.status}; timing ${s.timing.verdict.pass ? 'passes' : `FAILS (${s.timing.verdict.failures.join('; ')})`} at ${s.timing.refreshHz.toFixed(2)} Hz`);
  if (r.alreadyImported.length) lines.push(`  ${r.alreadyImported.length} run(s) already in the lab, left as they are (sessions ${r.alreadyImported.map((a) => a.sessionId).join(', ')}).`);
  if (r.problems.length) {
    lines.push(`  Skipped ${r.problems.length + r.moreProblems} record(s) or run(s):`);
    for (const p of r.problems) lines.push(`    ${p.where}: ${p.problem}`);
    if (r.moreProblems) lines.push(`    and ${r.moreProblems} more.`);
  }
  return lines.join('\n');
}
