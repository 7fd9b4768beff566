/**
 * The records of an online study's data as files hold them: jsPsych's JSON (an array of rows),
 * JSON lines (one result per line, as JATOS's results-data text file has them), jsPsych's CSV,
 * or JATOS's results archive (study_result_<id>/comp-result_<id>/data.txt per component result,
 * ResultStreamer.writeComponentResults and IOUtils.getResultsPathForZip in JATOS's source).
 * Each record keeps where it was, so a problem is named by file, line or record.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import type { ImportProblem } from '../../paradigms/online-study.js';
import { PredlabError } from '../errors.js';

/** One jsPsych data row and where it was in the file (for messages). */
export interface RawRecord {
  where: string;
  data: Record<string, unknown>;
}

export type { ImportProblem };

/** Declared size of all files in a results archive read (the archive itself is at most the import's file limit). */
export const JATOS_RESULTS_MAX_BYTES = 256 * 2 ** 20;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The records of one text: a JSON array (jsPsych's json()), JSON lines (one array or object per line, as JATOS keeps results), or CSV (jsPsych's csv()). */
export function parseRecords(text: string, name: string, problems: ImportProblem[]): RawRecord[] {
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trimStart();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      return recordsOfJson(JSON.parse(body) as unknown, (i) => `${name} record ${i + 1}`, problems);
    } catch {
      // Not one JSON value: JSON lines, each line a result (an array of rows) or a row.
    }
    const out: RawRecord[] = [];
    body.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        problems.push({ where: `${name} line ${i + 1}`, problem: `not JSON (${(e as Error).message.slice(0, 80)})` });
        return;
      }
      out.push(...recordsOfJson(value, (k) => (Array.isArray(value) ? `${name} line ${i + 1} record ${k + 1}` : `${name} line ${i + 1}`), problems));
    });
    return out;
  }
  const rows = parseCsv(body, {
    columns: true,
    info: true,
    skip_empty_lines: true,
    relax_quotes: false,
    skip_records_with_error: true,
    on_skip: (err: { lines?: number; message: string } | undefined) => {
      if (err) problems.push({ where: `${name} line ${err.lines ?? '?'}`, problem: `not a CSV row of this file (${err.message.slice(0, 80)})` });
    },
  }) as { record: Record<string, string>; info: { lines: number } }[];
  return rows.map((r) => ({ where: `${name} line ${r.info.lines}`, data: r.record }));
}

function recordsOfJson(value: unknown, where: (i: number) => string, problems: ImportProblem[]): RawRecord[] {
  const list = Array.isArray(value) ? value : [value];
  const out: RawRecord[] = [];
  list.forEach((v, i) => {
    if (isObject(v)) out.push({ where: where(i), data: v });
    else problems.push({ where: where(i), problem: 'not a jsPsych data row (an object)' });
  });
  return out;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
export const isZip = (b: Uint8Array) => ZIP_MAGIC.every((x, i) => b[i] === x);

/** Records of JATOS's results archive: every comp-result's data.txt (a study's result data, one line per submission). */
export function jatosResultRecords(archive: Uint8Array, name: string, problems: ImportProblem[]): RawRecord[] {
  let declared = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(archive, {
      filter: (f) => {
        if (!/(^|\/)study_result_\d+\/comp-result_\d+\/data\.txt$/.test(f.name)) return false;
        declared += f.originalSize;
        if (declared > JATOS_RESULTS_MAX_BYTES) throw new PredlabError('invalid-argument', `${name}: its result files declare more than ${JATOS_RESULTS_MAX_BYTES / 2 ** 20} MiB; PredLab reads at most that from one results archive (nothing was imported).`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof PredlabError) throw e;
    throw new PredlabError('invalid-argument', `${name} is not a ZIP archive PredLab can read (${(e as Error).message.slice(0, 80)}); nothing was imported.`);
  }
  const names = Object.keys(files).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length === 0) throw new PredlabError('invalid-argument', `${name} holds no study_result_*/comp-result_*/data.txt: it is not a JATOS results archive (nothing was imported).`);
  return names.flatMap((n) => parseRecords(new TextDecoder().decode(files[n]!), `${name}:${n}`, problems));
}
