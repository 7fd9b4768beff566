/**
 * The default set in one table (native-models/default-model/README.md, "The default set"): each
 * installed instance's seeds and its scores on held-out video as ship-natural.ts recorded them in
 * its manifest, beside copying the last frame, then the set's mean and range.
 *
 *   npx tsx scripts/torch-trainer/set-summary.ts
 */
import path from 'node:path';
import { readManifest } from '../../native-models/checkpoint.js';
import { defaultSetDirs } from '../../main/services/default-set.js';

interface Scored {
  ratio: number;
  perChannel?: { predictionMean?: number[]; frameMean?: number[] };
}
interface Source {
  instance: number;
  initSeed: number;
  seed: number;
  validation: { model: number; copyLastFrame: number };
  heldOut: Scored;
  heldOutNatural: { motion: Scored; pans: Scored };
  torchAgreement?: { maxAbsDifference: number };
}

const root = path.resolve(import.meta.dirname, '../..');
const rows = defaultSetDirs(root).map((d) => readManifest(d.dir).source as unknown as Source);
const f3 = (x: number) => x.toFixed(3);
const cols: [string, (s: Source) => number][] = [
  ['validation', (s) => s.validation.model / s.validation.copyLastFrame],
  ['natural motion (test photographs)', (s) => s.heldOutNatural.motion.ratio],
  ['camera pans (test photographs)', (s) => s.heldOutNatural.pans.ratio],
  ['fresh procedural video', (s) => s.heldOut.ratio],
];
const lines = [
  `| instance | initial weights seed | batch order seed | ${cols.map(([n]) => n).join(' | ')} |`,
  `|---|---|---|${cols.map(() => '---|').join('')}`,
  ...rows.map((s) => `| ${s.instance}${s.instance === 1 ? ' (default)' : ''} | ${s.initSeed} | ${s.seed} | ${cols.map(([, g]) => f3(g(s))).join(' | ')} |`),
  `| mean (range) of ${rows.length} | | | ${cols.map(([, g]) => { const v = rows.map(g); return `${f3(v.reduce((a, b) => a + b, 0) / v.length)} (${f3(Math.min(...v))} to ${f3(Math.max(...v))})`; }).join(' | ')} |`,
];
console.log(lines.join('\n'));
