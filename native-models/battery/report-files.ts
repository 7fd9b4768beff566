/**
 * The battery's files: per experiment a folder with plot.svg and plot.png (Vega-Lite, rendered
 * headless; PNG by resvg), data.csv, units.h5 (unit responses) and verdict.json; at the top
 * report.json and report.md with one verdict line per experiment beside the published result.
 * Several checkpoints share one folder per experiment: their lines in one plot, a checkpoint
 * column in the CSV, one HDF5 group each, and the spread of the statistic across them.
 */
import { Resvg } from '@resvg/resvg-js';
import { stringify } from 'csv-stringify/sync';
import fs from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { h5wasm } from '../keras-import.js';
import { comparisonText, fmt, mean } from '../../paradigms/battery-stats.js';
import type { BesideValue, Comparison, ExperimentResult } from '../../paradigms/battery-types.js';

/** One experiment's result on one checkpoint. */
export interface CheckpointRun {
  /** Short name shown in plots and tables (the checkpoint folder's name). */
  label: string;
  checkpoint: string;
  result: ExperimentResult;
}

/** The statistic across checkpoints (instances). */
export interface Spread {
  name: string;
  unit: string;
  mean: number;
  min: number;
  max: number;
  n: number;
}

export interface ExperimentSummary {
  id: string;
  title: string;
  published: string;
  /** One line: the verdict (one checkpoint) or how many instances show it and the spread. */
  verdict: string;
  /** true/false when every instance agrees; null when mixed or undetermined. */
  effect: boolean | null;
  spread: Spread | null;
  /** Files relative to the output folder. */
  files: { svg: string; png: string; csv: string; h5: string; verdict: string };
  checkpoints: {
    label: string;
    checkpoint: string;
    effect: boolean | null;
    text: string;
    statistic: ExperimentResult['verdict']['statistic'];
    /** The tests the verdict rests on (against the null observers), and the references' own values. */
    comparisons: Comparison[];
    beside: BesideValue[];
    notes: string[];
    table: ShownTable | null;
  }[];
}

/** An experiment's table as the report and the page show it: numbers to 3 significant digits. */
export interface ShownTable {
  columns: string[];
  rows: string[][];
}
/** Tables longer than this are left to data.csv (references beside the model multiply a table's rows). */
export const SHOWN_TABLE_ROWS = 400;

export function shownTable(t: ExperimentResult['table']): ShownTable | null {
  if (t.rows.length === 0 || t.rows.length > SHOWN_TABLE_ROWS) return null;
  return { columns: t.columns, rows: t.rows.map((row) => row.map((v) => (typeof v === 'number' ? (Number.isFinite(v) ? fmt(v) : '') : String(v)))) };
}

export const PLOT_FILES = ['plot.svg', 'plot.png', 'data.csv', 'units.h5', 'verdict.json'] as const;

export function spreadOf(runs: CheckpointRun[]): Spread | null {
  const all = runs.map((r) => r.result.verdict.statistic).filter((s): s is NonNullable<typeof s> => s !== null && Number.isFinite(s.value));
  if (all.length === 0) return null;
  // Verdicts may rest on different statistics (e.g. no response at all vs. its latency): spread the commonest only.
  const count = (name: string) => all.filter((s) => s.name === name).length;
  const name = all.map((s) => s.name).reduce((best, n) => (count(n) > count(best) ? n : best));
  const stats = all.filter((s) => s.name === name);
  const values = stats.map((s) => s.value);
  return { name: stats[0]!.name, unit: stats[0]!.unit, mean: mean(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

export function verdictLine(runs: CheckpointRun[]): { text: string; effect: boolean | null } {
  if (runs.length === 1) return { text: runs[0]!.result.verdict.text, effect: runs[0]!.result.verdict.effect };
  const yes = runs.filter((r) => r.result.verdict.effect === true).length;
  const no = runs.filter((r) => r.result.verdict.effect === false).length;
  const s = spreadOf(runs);
  const title = runs[0]!.result.title;
  // A spread needs two instances that measured it; one is said as its value, of how many.
  const spread = !s ? '' : s.n > 1 ? `; ${s.name} ${fmt(s.mean)} ${s.unit} on average (range ${fmt(s.min)} to ${fmt(s.max)}, ${s.n} instances)` : `; ${s.name} ${fmt(s.mean)} ${s.unit} in the one instance that measured it`;
  return { text: `${title}: shown by ${yes} of ${runs.length} instances (${no} not, ${runs.length - yes - no} undetermined)${spread}`, effect: yes === runs.length ? true : no === runs.length ? false : null };
}

/** The Vega-Lite spec of an experiment's plot: lines with points and their CI bands, one colour per series. */
export function plotSpec(runs: CheckpointRun[], subtitle: string): vl.TopLevelSpec {
  const several = runs.length > 1;
  const r0 = runs[0]!.result;
  const values = runs.flatMap((run) =>
    run.result.series.flatMap((s) =>
      // A series of few points shows its CIs as error bars (a band needs a run of points).
      s.x.map((x, k) => ({ x, y: s.y[k], lo: s.lo?.[k] ?? null, hi: s.hi?.[k] ?? null, series: several ? `${run.label}: ${s.name}` : s.name, group: s.group ?? '', sparse: s.x.length < 4 })),
    ),
  );
  const grouped = values.some((v) => v.group !== '');
  const layers = {
    encoding: {
      // Whole-number x (time steps) gets whole-number ticks.
      x: { field: 'x', type: 'quantitative', title: r0.axes.x, scale: { zero: false }, axis: { format: '~f', ...(values.every((v) => Number.isInteger(v.x)) ? { tickMinStep: 1 } : {}) } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 3, labelLimit: 300, symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 3 } },
    },
    layer: [
      { transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi) && !datum.sparse' }], mark: { type: 'errorband', opacity: 0.18 }, encoding: { y: { field: 'lo', type: 'quantitative', title: r0.axes.y }, y2: { field: 'hi' } } },
      { transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi) && datum.sparse' }], mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'lo', type: 'quantitative', title: r0.axes.y }, y2: { field: 'hi' } } },
      {
        mark: { type: 'line', point: true, strokeWidth: 2 },
        // Dashes as well as colours: lines with equal values stay distinguishable where they overlap.
        encoding: { y: { field: 'y', type: 'quantitative', title: r0.axes.y, scale: { zero: false } }, strokeDash: { field: 'series', type: 'nominal', title: null } },
      },
    ],
  };
  const wrap = (text: string) => text.match(/.{1,95}(\s|$)/g)?.map((l) => l.trim()) ?? [text];
  const common = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 12,
    title: { text: r0.title, subtitle: wrap(subtitle), anchor: 'start', subtitleFontSize: 11 },
    data: { values },
    config: { font: 'DejaVu Sans', view: { stroke: '#ccc' } },
  };
  return (grouped
    ? // Panels may measure different things along x (e.g. deg/s and deg of rotation/s): own x scales.
      { ...common, facet: { field: 'group', type: 'nominal', title: null }, columns: 2, resolve: { scale: { x: 'independent' } }, spec: { width: 300, height: 220, ...layers } }
    : { ...common, width: 480, height: 280, ...layers }) as unknown as vl.TopLevelSpec;
}

/**
 * Without a canvas, Vega guesses text widths at 0.8 em a character, which pads every plot with
 * empty space; DejaVu Sans (the font resvg draws with) averages about 0.6 em (bold 0.66).
 */
type TextItem = { fontSize?: number; fontWeight?: string | number };
// (vega exports textMetrics at run time; its typings omit it.)
(vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } }).textMetrics.width = (item, text) => {
  const s = text == null ? '' : String(text).trim();
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
  return Math.ceil((bold ? 0.66 : 0.6) * s.length * (item.fontSize ?? 11));
};

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' }).render().asPng();
}

function csvOf(runs: CheckpointRun[]): string {
  const cols = runs[0]!.result.table.columns;
  const rows = runs.flatMap((r) => r.result.table.rows.map((row) => [r.label, ...row]));
  return stringify(rows, { header: true, columns: ['checkpoint', ...cols], cast: { number: (x) => (Number.isFinite(x) ? String(x) : '') } });
}

/** HDF5 group names: the label, made safe and unique. */
function groupNames(runs: CheckpointRun[]): string[] {
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const base = r.label.replace(/[^\w.-]+/g, '_') || 'checkpoint';
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return k === 1 ? base : `${base}_${k}`;
  });
}

async function writeH5(file: string, runs: CheckpointRun[]): Promise<void> {
  const h5 = await h5wasm();
  const f = new h5.File(file, 'w');
  try {
    f.create_attribute('experiment', runs[0]!.result.id);
    groupNames(runs).forEach((g, k) => {
      const run = runs[k]!;
      const grp = f.create_group(g);
      grp.create_attribute('checkpoint', run.checkpoint);
      grp.create_attribute('verdict', run.result.verdict.text);
      for (const a of run.result.arrays ?? []) {
        // Parent groups first (h5wasm does not make them).
        const parts = a.name.split('/');
        let cur = grp;
        for (const p of parts.slice(0, -1)) cur = (cur.get(p) as typeof grp | null) ?? cur.create_group(p);
        cur.create_dataset({ name: parts.at(-1)!, data: a.data, shape: a.shape, dtype: '<f' });
      }
    });
  } finally {
    f.close();
  }
}

/** Write one experiment's folder (which must not exist yet) from its runs on every checkpoint. */
export async function writeExperimentFiles(dir: string, runs: CheckpointRun[]): Promise<Omit<ExperimentSummary, 'files'>> {
  if (runs.length === 0) throw new RangeError('no results to write');
  fs.mkdirSync(dir, { recursive: true });
  const line = verdictLine(runs);
  const spread = spreadOf(runs);
  const r0 = runs[0]!.result;
  const svg = await renderSvg(plotSpec(runs, line.text));
  fs.writeFileSync(path.join(dir, 'plot.svg'), svg);
  fs.writeFileSync(path.join(dir, 'plot.png'), svgToPng(svg));
  fs.writeFileSync(path.join(dir, 'data.csv'), csvOf(runs));
  await writeH5(path.join(dir, 'units.h5'), runs);
  const summary = {
    id: r0.id,
    title: r0.title,
    published: r0.published,
    verdict: line.text,
    effect: line.effect,
    spread,
    checkpoints: runs.map((r) => ({
      label: r.label,
      checkpoint: r.checkpoint,
      effect: r.result.verdict.effect,
      text: r.result.verdict.text,
      statistic: r.result.verdict.statistic,
      comparisons: r.result.verdict.comparisons ?? [],
      beside: r.result.verdict.beside ?? [],
      notes: r.result.notes,
      table: shownTable(r.result.table),
    })),
  };
  fs.writeFileSync(path.join(dir, 'verdict.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

export interface ReportMeta {
  checkpoints: { label: string; path: string }[];
  /** The null observers run beside each checkpoint, and those absent (with the reason). */
  references: { checkpoint: string; beside: string[]; absent: string[] }[];
  seed: number;
  quick: boolean;
  createdAt: string;
  /** Experiments asked for but not run, and why. */
  skipped: { id: string; reason: string }[];
  /** Which engine recorded each checkpoint's units, e.g. "onnxruntime" or "tfjs (why)"; absent in older reports. */
  engines?: { checkpoint: string; engine: string }[];
  /** Wall-clock seconds of the whole run (this machine, its load included); absent in older reports. */
  seconds?: number;
}

/** "1 h 02 min", "12 min 5 s", "40 s". */
function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

function markdownTable(t: ShownTable | null): string[] {
  if (!t) return [];
  const cell = (v: string) => v.replace(/\|/g, '\\|');
  return ['', `| ${t.columns.map(cell).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`), ''];
}

export function reportMarkdown(meta: ReportMeta, summaries: ExperimentSummary[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const mark = (e: boolean | null) => (e === true ? 'yes' : e === false ? 'no' : '?');
  const lines = [
    '# PredLab paper battery',
    '',
    `Checkpoints: ${meta.checkpoints.map((c) => `${c.label} (${c.path})`).join(', ')}. Seed ${meta.seed}${meta.quick ? ', quick run (smaller sweeps, fewer units)' : ''}. ${meta.createdAt}.`,
    '',
    ...meta.references.map((r) => `Beside ${r.checkpoint}, on the same stimuli: ${r.beside.join(', ') || 'no null observer'}${r.absent.length ? ` (absent: ${r.absent.join('; ')})` : ''}.`),
    '',
    ...(meta.engines?.length || meta.seconds !== undefined
      ? [
          [
            meta.engines?.length ? `Units recorded with ${[...new Set(meta.engines.map((e) => e.engine))].join('; ')}.` : '',
            meta.seconds !== undefined ? `Run time ${duration(meta.seconds)} on this machine.` : '',
          ]
            .filter(Boolean)
            .join(' '),
          '',
        ]
      : []),
    'Every verdict compares the model with these null observers (an effect they show too is not the model\'s); the tests each verdict rests on are listed under it.',
    '',
    '| Experiment | Shown? | Ours | Published |',
    '|---|---|---|---|',
    ...summaries.map((s) => `| [${esc(s.title)}](${s.files.png}) | ${mark(s.effect)} | ${esc(s.verdict)} | ${esc(s.published)} |`),
    ...meta.skipped.map((s) => `| ${s.id} | skipped | ${esc(s.reason)} | |`),
    '',
    ...summaries.flatMap((s) => [
      `## ${s.title}`,
      '',
      `![${s.title}](${s.files.png})`,
      '',
      ...s.checkpoints.flatMap((c) => [
        `- ${meta.checkpoints.length > 1 ? `${c.label}: ` : ''}${c.text}`,
        ...(c.comparisons.length ? ['  - Tests:', ...c.comparisons.map((t) => `    - ${comparisonText(t)}`)] : []),
        ...c.beside.map((b) => `  - Beside: ${b.text}`),
        ...c.notes.map((n) => `  - ${n}`),
        ...markdownTable(c.table),
      ]),
      '',
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

export function writeReportFiles(out: string, meta: ReportMeta, summaries: ExperimentSummary[]): void {
  fs.writeFileSync(path.join(out, 'report.json'), `${JSON.stringify({ ...meta, experiments: summaries }, null, 2)}\n`);
  fs.writeFileSync(path.join(out, 'report.md'), reportMarkdown(meta, summaries));
}
