/**
 * Sequence learning (Lotter et al. 2020, Fig. 4; the design of Meyer & Olson 2011): fixed pairs
 * of images (leading a_i, trailing b_i), continued training on them, then each leading image
 * followed by its own trailing image (expected) or by another pair's (unexpected, b_{i+1}), so
 * every trailing image appears in both conditions and only the pairing differs. The surprise
 * response: per error unit (channel, mean over positions) and pair, the response over the two
 * steps after the trailing image's onset.
 * The verdict (headline probe E1) has two tests: after training, unexpected / expected above 1,
 * and its increase over the same network before training, as a paired statistic (the change in
 * unexpected minus expected, over the expected response before training), both with 95 % CIs from
 * a two-level bootstrap (pairs, then units): the images of a pair drive every unit at once, so
 * units alone would overstate what few pairs can show.
 * An untrained network of the same architecture, trained the same way, is reported beside: it is
 * not a null here (learning the pairing is the effect, and a network may learn it from scratch);
 * the null is the same network before training.
 */
import { objectImage, pairSequence, type PairDesign } from '../../paradigms/battery-unit-stimuli.js';
import { createRng, subSeed } from '../../paradigms/rng.js';
import { notApplicable, untrainedOrWhy } from './references.js';
import { allHold, ciText, comparison, comparisonText, MIN_UNITS, yesNo } from '../../paradigms/battery-stats.js';
import type { Comparison, Experiment, ExperimentContext, ExperimentResult, Probe, Responder, Series } from '../../paradigms/battery-types.js';
import { channelMeans, fmt, headlineProbe, mean, probeName, runReduced, windowMean } from '../../paradigms/battery-units.js';

const PUBLISHED =
  'After continued training on fixed image pairs, PredNet E units respond more to a trailing image that breaks the learned pairing than to the expected one (a surprise response), as in macaque IT after pair training (Meyer & Olson 2011) (Lotter et al. 2020, Fig. 4).';

function designOf(quick: boolean): PairDesign & { pairs: number; trainSteps: number } {
  return quick ? { first: 3, second: 3, pairs: 2, trainSteps: 4 } : { first: 4, second: 4, pairs: 6, trainSteps: 60 };
}

interface Measured {
  /** Per probe: per pair, per channel, the response after the trailing image's onset. */
  expected: number[][][];
  unexpected: number[][][];
  /** Per probe: the layer's mean time course (over pairs and channels). */
  courseExpected: number[][];
  courseUnexpected: number[][];
}

async function measure(ctx: ExperimentContext, r: Responder, probes: Probe[], expected: Float32Array[], unexpected: Float32Array[], d: PairDesign): Promise<Measured> {
  const T = d.first + d.second;
  const reduce = (recs: Parameters<Parameters<typeof runReduced>[5]>[0]) => recs.map(channelMeans);
  // (pair, probe, channel, T)
  const e = await runReduced(ctx, r, expected, T, { probes }, reduce);
  const u = await runReduced(ctx, r, unexpected, T, { probes }, reduce);
  const win = (runs: number[][][][]) => probes.map((_, k) => runs.map((run) => run[k]!.map((tr) => windowMean(tr, d.first, d.first + 2))));
  const course = (runs: number[][][][]) => probes.map((_, k) => Array.from({ length: T }, (_, t) => mean(runs.flatMap((run) => run[k]!.map((tr) => tr[t]!)))));
  return { expected: win(e), unexpected: win(u), courseExpected: course(e), courseUnexpected: course(u) };
}

/** Two-level bootstrap: pairs with replacement, then units with replacement; 95 % percentile CI. */
function twoLevelCi(pairs: number, units: number, stat: (p: number[], c: number[]) => number, seed: number, resamples = 2000): [number, number] {
  const rng = createRng(seed);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const v = stat(Array.from({ length: pairs }, () => rng.int(pairs)), Array.from({ length: units }, () => rng.int(units)));
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return [Number.NaN, Number.NaN];
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.round(q * (values.length - 1)))]!;
  return [at(0.025), at(0.975)];
}

const all = (n: number) => Array.from({ length: n }, (_, k) => k);
const sumAt = (m: number[][], ps: number[], cs: number[]) => ps.reduce((s, p) => s + cs.reduce((t, c) => t + m[p]![c]!, 0), 0);

/** Unexpected / expected (ratio of summed responses), with its two-level CI. */
function surprise(m: Measured, k: number, seed: number): { ratio: number; ci: [number, number]; n: number } {
  const e = m.expected[k]!;
  const u = m.unexpected[k]!;
  const C = e[0]!.length;
  const ratioAt = (ps: number[], cs: number[]) => sumAt(u, ps, cs) / sumAt(e, ps, cs);
  return { ratio: ratioAt(all(e.length), all(C)), ci: twoLevelCi(e.length, C, ratioAt, seed), n: C };
}

/**
 * How much training raised the surprise, paired over units and pairs: the change in (unexpected -
 * expected) from before to after training, summed, over the expected response before (a ratio of
 * sums, like the surprise itself: units that barely respond do not blow it up); with its two-level CI.
 */
function increase(before: Measured, after: Measured, k: number, seed: number): { value: number; ci: [number, number] } {
  const [eb, ub, ea, ua] = [before.expected[k]!, before.unexpected[k]!, after.expected[k]!, after.unexpected[k]!];
  const C = eb[0]!.length;
  const at = (ps: number[], cs: number[]) => (sumAt(ua, ps, cs) - sumAt(ea, ps, cs) - (sumAt(ub, ps, cs) - sumAt(eb, ps, cs))) / sumAt(eb, ps, cs);
  return { value: at(all(eb.length), all(C)), ci: twoLevelCi(eb.length, C, at, seed) };
}

interface Outcome {
  name: string;
  before: Measured;
  after: Measured;
}

/** Measure before, train a copy on the expected pairs, measure after. */
async function beforeAfter(ctx: ExperimentContext, r: Responder & { trainOn: NonNullable<Responder['trainOn']> }, probes: Probe[], expected: Float32Array[], unexpected: Float32Array[], d: PairDesign & { trainSteps: number }, progress: (f: number, m: string) => void): Promise<Outcome> {
  const T = d.first + d.second;
  const before = await measure(ctx, r, probes, expected, unexpected, d);
  progress(0.2, 'measured before training');
  const trained = await r.trainOn(expected, T, d.trainSteps);
  try {
    progress(0.8, 'trained on the pairs');
    return { name: r.name, before, after: await measure(ctx, trained, probes, expected, unexpected, d) };
  } finally {
    if (trained !== r) trained.dispose?.();
  }
}

async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const r = ctx.responder;
  const d = designOf(ctx.quick);
  const T = d.first + d.second;
  const head = headlineProbe(r);
  const base = { id: 'sequence-learning' as const, title: 'Sequence learning (expected vs unexpected pairs)', published: PUBLISHED, axes: { x: 'time step from trailing-image onset', y: 'mean E response' } };
  if (r.predictionOnly) return notApplicable(base, r, `sequence learning`);
  const trainable = (x: Responder): x is Responder & { trainOn: NonNullable<Responder['trainOn']> } => typeof x.trainOn === 'function';
  if (!trainable(r))
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

  const u = untrainedOrWhy(ctx.references);
  const share = 'responder' in u ? 0.5 : 1;
  const model = await beforeAfter(ctx, r, probes, expected, unexpected, d, (f, m) => ctx.onProgress?.(share * f, `sequence learning: ${m}`));
  const untrainedR = 'responder' in u && trainable(u.responder) ? u.responder : null;
  const untrained = untrainedR ? await beforeAfter(ctx, untrainedR, probes, expected, unexpected, d, (f, m) => ctx.onProgress?.(0.5 + 0.5 * f, `sequence learning, untrained network: ${m}`)) : null;

  const x = Array.from({ length: T }, (_, t) => t - d.first);
  const series: Series[] = [];
  const rows: (string | number)[][] = [];
  const summary: string[] = [];
  for (const [who, o] of [['model', model], ['untrained', untrained]] as const) {
    if (!o) continue;
    probes.forEach((p, k) => {
      for (const [phase, m] of [['after training', o.after], ['before training', o.before]] as const) {
        // One panel per probe, phase and network; the same two lines (colours) in each.
        const group = `${probeName(p)} ${phase}${who === 'model' ? '' : ' (untrained network)'}`;
        series.push({ name: 'expected', group, x, y: m.courseExpected[k]! });
        series.push({ name: 'unexpected', group, x, y: m.courseUnexpected[k]! });
        // Per channel, means over pairs.
        m.expected[k]![0]!.forEach((_, c) => rows.push([who, probeName(p), phase, c, mean(m.expected[k]!.map((pp) => pp[c]!)), mean(m.unexpected[k]!.map((pp) => pp[c]!))]));
      }
      if (who === 'model') summary.push(`${probeName(p)} ${fmt(surprise(o.after, k, ctx.seed + k).ratio, 3)} (before ${fmt(surprise(o.before, k, ctx.seed + k).ratio, 3)})`);
    });
  }

  const a = surprise(model.after, hk, ctx.seed);
  const b = surprise(model.before, hk, ctx.seed + 100);
  const inc = increase(model.before, model.after, hk, ctx.seed + 200);
  const hn = probeName(head);
  const untrainedText = untrained
    ? (() => {
        const ua = surprise(untrained.after, hk, ctx.seed + 300);
        const ui = increase(untrained.before, untrained.after, hk, ctx.seed + 400);
        return { ua, ui, text: `untrained network trained the same way: ${fmt(ua.ratio, 3)}x ${ciText(ua.ci, 3)} after, increase ${fmt(ui.value, 3)} ${ciText(ui.ci, 3)}` };
      })()
    : null;
  let verdict: ExperimentResult['verdict'];
  if (!Number.isFinite(a.ratio) || a.n < MIN_UNITS) {
    verdict = { effect: null, text: `sequence learning in ${hn}: undetermined, ${a.n < MIN_UNITS ? `${hn} has ${a.n} unit(s) (at least ${MIN_UNITS} needed)` : 'its units did not respond to the expected trailing images'}.`, statistic: null };
  } else {
    const after = comparison(`${hn} unexpected / expected after training minus 1`, '', { value: a.ratio - 1, ci: [a.ci[0] - 1, a.ci[1] - 1] }, 'above');
    const rise = comparison(`${hn} increase of (unexpected - expected) with training, over expected before (paired)`, '', Number.isFinite(inc.value) ? inc : null, 'above', 'no unit responded before training');
    const tests: Comparison[] = [after, rise];
    const effect = allHold(tests);
    verdict = {
      effect,
      text:
        `sequence learning in ${hn}: ${yesNo(effect)}; surprise after training: ${yesNo(after.holds)}, raised by training: ${yesNo(rise.holds)}. ` +
        `Unexpected / expected ${fmt(a.ratio, 3)}x ${ciText(a.ci, 3)} after ${d.trainSteps} training steps (${a.n} units, ${d.pairs} pairs), before training ${fmt(b.ratio, 3)}x ${ciText(b.ci, 3)}; ${comparisonText(rise, 3)}` +
        `${untrainedText ? `; ${untrainedText.text} (beside, not a null: see notes)` : ''}.`,
      statistic: { name: `${hn} unexpected / expected`, value: a.ratio, unit: 'x expected', ci: a.ci },
      comparisons: tests,
      beside: untrainedText ? [{ who: 'untrained', statistic: { name: `${hn} unexpected / expected`, value: untrainedText.ua.ratio, unit: 'x expected', ci: untrainedText.ua.ci }, text: untrainedText.text }] : [],
    };
  }
  ctx.onProgress?.(1, 'sequence learning: done');
  const arraysOf = (prefix: string, o: Outcome) =>
    probes.flatMap((p, k) =>
      (['after', 'before'] as const).map((phase) => {
        const m = o[phase];
        const P = m.expected[k]!.length;
        const C = m.expected[k]![0]!.length;
        return { name: `${prefix}sequence_learning/${probeName(p)}/${phase}`, shape: [2, P, C], data: Float32Array.from([...m.expected[k]!.flat(), ...m.unexpected[k]!.flat()]) };
      }),
    );
  return {
    ...base,
    verdict,
    series,
    table: { columns: ['who', 'probe', 'phase', 'channel', 'expected', 'unexpected'], rows },
    arrays: [...arraysOf('', model), ...(untrained ? arraysOf('untrained/', untrained) : [])],
    notes: [
      `${d.pairs} pairs of procedural natural-like images (textured object-like shapes on grey; not photographs): leading image ${d.first} steps, trailing image ${d.second} steps; unexpected = leading image i followed by trailing image i+1.`,
      `Continued training: ${d.trainSteps} Adam steps on the expected pairs only (PredNet's own L0 loss); responses = mean over the two steps after the trailing image's onset.`,
      `Unexpected / expected per E layer after training: ${summary.join('; ')}.`,
      'Verdict: two tests, both needed. (1) After training, unexpected / expected above 1 (CI). (2) Training raised it: (unexpected - expected) after minus before, summed over units and pairs, over the expected response before, CI above 0; a paired comparison on the same network, which controls for whatever the particular images and pairings do before any learning. CIs: two-level bootstrap, pairs then units (HDF5: (condition: expected, unexpected; pair; channel)).',
      untrained
        ? `Beside it, ${untrained.name} trained the same way (${d.trainSteps} steps on the same pairs). It is not a null here: learning the pairing is the effect itself, which a network may show without prior training on video; it tells whether prior training matters. The null is the same network before training (test 2).`
        : `No untrained network beside it: ${'why' in u ? u.why : 'it cannot be trained'}.`,
    ],
  };
}

export const sequenceLearning: Experiment = { id: 'sequence-learning', title: 'Sequence learning (expected vs unexpected pairs)', run };
