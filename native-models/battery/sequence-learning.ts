/**
 * Sequence learning (Lotter et al. 2020, Fig. 4; the design of Meyer & Olson 2011): fixed pairs
 * of images (leading a_i, trailing b_i), continued training on them, then each leading image
 * followed by its own trailing image (expected) or by another pair's (unexpected, b_{i+1}), so
 * every trailing image appears in both conditions and only the pairing differs. The surprise
 * response: per error unit (channel, mean over positions and pairs) the response over the two
 * steps after the trailing image's onset; the verdict rests on mean unexpected / mean expected
 * over the headline probe's units (E1), bootstrap CI over units, after training, beside the same
 * ratio before training (the control: pairings unknown).
 */
import { objectImage, pairSequence, type PairDesign } from '../../paradigms/battery-unit-stimuli.js';
import { subSeed } from '../../paradigms/rng.js';
import type { Experiment, ExperimentContext, ExperimentResult, Probe, Responder, Series } from './types.js';
import { bootstrapCi, channelMeans, fmt, headlineProbe, mean, meanAt, probeName, runReduced, windowMean } from './unit-analysis.js';

const PUBLISHED =
  'After continued training on fixed image pairs, PredNet E units respond more to a trailing image that breaks the learned pairing than to the expected one (a surprise response), as in macaque IT after pair training (Meyer & Olson 2011) (Lotter et al. 2020, Fig. 4).';

/** Surprise counts when unexpected / expected exceeds this (lower CI bound) after training. */
export const SURPRISE_ABOVE = 1;

function designOf(quick: boolean): PairDesign & { pairs: number; trainSteps: number } {
  return quick ? { first: 3, second: 3, pairs: 2, trainSteps: 4 } : { first: 4, second: 4, pairs: 6, trainSteps: 60 };
}

interface Measured {
  /** Per probe: per channel, expected and unexpected responses; and mean time courses. */
  expected: number[][];
  unexpected: number[][];
  courseExpected: number[][];
  courseUnexpected: number[][];
}

async function measure(ctx: ExperimentContext, r: Responder, probes: Probe[], expected: Float32Array[], unexpected: Float32Array[], d: PairDesign): Promise<Measured> {
  const T = d.first + d.second;
  const reduce = (recs: Parameters<Parameters<typeof runReduced>[5]>[0]) => recs.map(channelMeans);
  const e = await runReduced(ctx, r, expected, T, { probes }, reduce);
  const u = await runReduced(ctx, r, unexpected, T, { probes }, reduce);
  // (probe, channel, T) means over pairs.
  const avg = (runs: number[][][][]) => probes.map((_, k) => runs[0]![k]!.map((_c, c) => Array.from({ length: T }, (_t, t) => mean(runs.map((run) => run[k]![c]![t]!)))));
  const ce = avg(e);
  const cu = avg(u);
  const win = (courses: number[][][]) => courses.map((chans) => chans.map((tr) => windowMean(tr, d.first, d.first + 2)));
  const layerCourse = (courses: number[][][]) => courses.map((chans) => Array.from({ length: T }, (_, t) => mean(chans.map((tr) => tr[t]!))));
  return { expected: win(ce), unexpected: win(cu), courseExpected: layerCourse(ce), courseUnexpected: layerCourse(cu) };
}

function surprise(m: Measured, k: number, seed: number): { ratio: number; ci: [number, number]; n: number } {
  const e = m.expected[k]!;
  const u = m.unexpected[k]!;
  const ratioAt = (idx: number[]) => meanAt(u, idx) / meanAt(e, idx);
  return { ratio: ratioAt(e.map((_, c) => c)), ci: bootstrapCi(e.length, ratioAt, seed), n: e.length };
}

async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const r = ctx.responder;
  const d = designOf(ctx.quick);
  const T = d.first + d.second;
  const head = headlineProbe(r);
  const base = { id: 'sequence-learning' as const, title: 'Sequence learning (expected vs unexpected pairs)', published: PUBLISHED, axes: { x: 'time step from trailing-image onset', y: 'mean E response' } };
  if (!r.trainOn)
    return {
      ...base,
      verdict: { effect: null, text: `sequence learning in ${probeName(head)}: not run, ${r.name} cannot be trained further (continued training on the pairs is the experiment).`, statistic: null },
      series: [],
      table: { columns: [], rows: [] },
      notes: ['Skipped: the responder offers no continued training.'],
    };
  const size = { height: r.height, width: r.width, channels: r.channels };
  const leading = Array.from({ length: d.pairs }, (_, i) => objectImage(size, subSeed(ctx.seed, 2 * i)));
  const trailing = Array.from({ length: d.pairs }, (_, i) => objectImage(size, subSeed(ctx.seed, 2 * i + 1)));
  const expected = leading.map((a, i) => pairSequence(size, a, trailing[i]!, d));
  const unexpected = leading.map((a, i) => pairSequence(size, a, trailing[(i + 1) % d.pairs]!, d));
  // Every layer's error units: the paper's surprise response is an error-unit response.
  const probes: Probe[] = Array.from({ length: r.layers }, (_, layer) => ({ layer, type: 'E' as const }));
  const hk = probes.findIndex((p) => p.layer === head.layer);

  const before = await measure(ctx, r, probes, expected, unexpected, d);
  ctx.onProgress?.(0.2, 'sequence learning: measured before training');
  const trained = await r.trainOn(expected, T, d.trainSteps);
  let after: Measured;
  try {
    ctx.onProgress?.(0.8, 'sequence learning: trained on the pairs');
    after = await measure(ctx, trained, probes, expected, unexpected, d);
  } finally {
    if (trained !== r) trained.dispose?.();
  }

  const x = Array.from({ length: T }, (_, t) => t - d.first);
  const series: Series[] = [];
  const rows: (string | number)[][] = [];
  const summary: string[] = [];
  probes.forEach((p, k) => {
    for (const [phase, m] of [['after training', after], ['before training', before]] as const) {
      series.push({ name: `${probeName(p)} expected (${phase})`, group: `${probeName(p)} ${phase}`, x, y: m.courseExpected[k]! });
      series.push({ name: `${probeName(p)} unexpected (${phase})`, group: `${probeName(p)} ${phase}`, x, y: m.courseUnexpected[k]! });
      m.expected[k]!.forEach((e, c) => rows.push([probeName(p), phase, c, e, m.unexpected[k]![c]!]));
    }
    summary.push(`${probeName(p)} ${fmt(surprise(after, k, ctx.seed + k).ratio, 3)} (before ${fmt(surprise(before, k, ctx.seed + k).ratio, 3)})`);
  });

  const a = surprise(after, hk, ctx.seed);
  const b = surprise(before, hk, ctx.seed + 100);
  let verdict: ExperimentResult['verdict'];
  if (!Number.isFinite(a.ratio)) {
    verdict = { effect: null, text: `sequence learning in ${probeName(head)}: undetermined, its units did not respond to the expected trailing images.`, statistic: null };
  } else {
    const effect = a.ci[0] > SURPRISE_ABOVE && a.ratio > b.ratio;
    verdict = {
      effect,
      text: `sequence learning in ${probeName(head)}: ${effect ? 'yes' : 'no'}, unexpected / expected response ${fmt(a.ratio, 3)}x [${fmt(a.ci[0], 3)}, ${fmt(a.ci[1], 3)}] after ${d.trainSteps} training steps (${a.n} units); before training ${fmt(b.ratio, 3)}x [${fmt(b.ci[0], 3)}, ${fmt(b.ci[1], 3)}].`,
      statistic: { name: `${probeName(head)} unexpected / expected`, value: a.ratio, unit: 'x expected', ci: a.ci },
    };
  }
  ctx.onProgress?.(1, 'sequence learning: done');
  return {
    ...base,
    verdict,
    series,
    table: { columns: ['probe', 'phase', 'channel', 'expected', 'unexpected'], rows },
    arrays: probes.flatMap((p, k) => [
      { name: `sequence_learning/${probeName(p)}/after`, shape: [2, after.expected[k]!.length], data: Float32Array.from([...after.expected[k]!, ...after.unexpected[k]!]) },
      { name: `sequence_learning/${probeName(p)}/before`, shape: [2, before.expected[k]!.length], data: Float32Array.from([...before.expected[k]!, ...before.unexpected[k]!]) },
    ]),
    notes: [
      `${d.pairs} pairs of procedural natural-like images (textured object-like shapes on grey; not photographs): leading image ${d.first} steps, trailing image ${d.second} steps; unexpected = leading image i followed by trailing image i+1.`,
      `Continued training: ${d.trainSteps} Adam steps on the expected pairs only (PredNet's own L0 loss); responses = mean over the two steps after the trailing image's onset.`,
      `Unexpected / expected per E layer after training: ${summary.join('; ')}.`,
    ],
  };
}

export const sequenceLearning: Experiment = { id: 'sequence-learning', title: 'Sequence learning (expected vs unexpected pairs)', run };
