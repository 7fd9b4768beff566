/**
 * Length suppression / end-stopping (Lotter et al. 2020, Fig. 2; Nassi et al. 2013): bars at each
 * analysed unit's preferred orientation, centred on its measured receptive field, lengths swept;
 * response (mean over the steps after the first, minus the blank response) against length, per
 * layer and unit type, with the network intact and with its top-down input removed. A unit's
 * suppression is its response to the longest bar over its peak response.
 * The verdict (headline probe E1) has the published claim's two halves: suppression beyond an
 * untrained network of the same architecture (its units measured the same way: the mean ratio's
 * difference, CI by resampling both networks' units), and weaker suppression without feedback
 * (the paired change over the model's units). An untrained network's units are often
 * length-tuned by their random filters alone, so "the ratio is below 1" (or below a cut-off) is
 * no evidence of what training did.
 */
import { barSequence, sequenceOf } from '../../paradigms/battery-unit-stimuli.js';
import { receptiveFields, type UnitRf } from './receptive-fields.js';
import { notApplicable, untrainedOrWhy } from './references.js';
import { allHold, ciText, comparison, comparisonText, differenceOfMeans, MIN_UNITS, yesNo } from '../../paradigms/battery-stats.js';
import type { Experiment, ExperimentContext, ExperimentResult, Probe, Responder, Series } from '../../paradigms/battery-types.js';
import { allProbes, analysedLayers, band, bootstrapCi, centralPosition, fmt, headlineProbe, mean, meanAt, probeName, runReduced, unitTrace } from '../../paradigms/battery-units.js';

const PUBLISHED =
  'Units of the KITTI-trained PredNet show length suppression: at their preferred orientation the response falls for bars longer than the optimum, and with top-down feedback removed the suppression is reduced, as in macaque V1 when feedback from V2/V3 is inactivated (Nassi et al. 2013) (Lotter et al. 2020, Fig. 2).';

/** A unit is analysed when its peak response is at least this fraction of the strongest unit's of its probe. */
const RESPONSIVE_FRACTION = 0.05;

interface Design {
  lengths: number[];
  frames: number;
  /** Stimulus groups (centre x orientation) per layer; units in further groups are left out (noted). */
  groupsPerLayer: number;
  unitsPerProbe: number;
}

function designOf(r: Responder, quick: boolean): Design {
  const longest = Math.min(r.height, r.width);
  // Log-spaced lengths (factor sqrt 2) from 2 px to the shorter image side.
  const all: number[] = [];
  for (let len = 2; len <= longest; len *= quick ? 2 : Math.SQRT2) all.push(Math.round(len * 10) / 10);
  if (all[all.length - 1]! < longest) all.push(longest);
  return { lengths: all, frames: quick ? 4 : 6, groupsPerLayer: quick ? 4 : 16, unitsPerProbe: quick ? 8 : 64 };
}

interface UnitCurve {
  unit: UnitRf;
  intact: number[];
  ablated: number[];
}

/**
 * A unit's response to the longest bar over its peak; NaN when it is not excited by the bars (its
 * peak is not positive, or smaller than half its largest deviation from the blank level: a unit
 * the bars mostly inhibit has no length tuning to speak of, and a near-zero peak makes the ratio noise).
 */
function ratioOf(curve: number[]): number {
  const peak = Math.max(...curve);
  const extent = Math.max(...curve.map(Math.abs));
  return peak > 1e-9 && peak >= 0.5 * extent ? curve[curve.length - 1]! / peak : Number.NaN;
}

interface ProbeSummary {
  n: number;
  /** Per analysed unit: longest bar / peak, intact and (where the unit is still excited) without feedback. */
  intact: number[];
  ratio: number;
  ci: [number, number];
  ablated: number;
  ablatedCi: [number, number];
  /** Paired over units: without feedback minus intact (> 0: suppression weakened). */
  change: number;
  changeCi: [number, number];
}

interface Measured {
  curves: UnitCurve[];
  probes: Probe[];
  summary: Map<string, ProbeSummary>;
  notes: string[];
}

/** One responder's length sweeps (intact and without feedback) for its analysed units, and their summaries. */
async function measure(ctx: ExperimentContext, r: Responder, d: Design, progress: (f: number, m: string) => void): Promise<Measured> {
  const size = { height: r.height, width: r.width, channels: r.channels };
  const rf = await receptiveFields({ ...ctx, responder: r, onProgress: (f, m) => progress(0.3 * f, m) });
  const notes: string[] = [
    `Receptive fields: small-probe mapping (${2 * rf.gridRadius + 1}x${2 * rf.gridRadius + 1} positions x 4 orientations) of the central unit of every channel, ${rf.cached ? 'read from the cache' : ctx.cacheDir && r.cacheKey ? 'measured now and cached' : 'measured now (not cached)'}.`,
  ];
  const curves: UnitCurve[] = [];
  const layers = analysedLayers(r, ctx.quick);
  const probes = allProbes(r).filter((p) => layers.includes(p.layer));
  for (const layer of layers) {
    const centre = centralPosition(r, layer);
    const layerProbes = probes.filter((p) => p.layer === layer);
    // The most responsive units of each probe, by their mapping peak.
    const units = layerProbes.flatMap((p) => {
      const own = rf.units.filter((u) => u.layer === layer && u.type === p.type && u.responsive);
      const top = Math.max(0, ...own.map((u) => u.peak));
      return own.filter((u) => u.peak >= RESPONSIVE_FRACTION * top).sort((a, b) => b.peak - a.peak).slice(0, d.unitsPerProbe);
    });
    // Stimuli are shared by units with the same orientation and centre, the centre snapped to half a
    // map unit (2^(layer-1) px, at least 1 px) from the layer's central position: finer than the
    // mapping grid can tell apart at that layer.
    const snap = Math.max(1, 2 ** (layer - 1));
    const snapped = (v: number, c: number) => c + Math.round((v - c) / snap) * snap;
    const groups = new Map<string, UnitRf[]>();
    for (const u of units) {
      const key = `${snapped(u.x, centre.x)},${snapped(u.y, centre.y)},${u.orientationDeg}`;
      groups.set(key, [...(groups.get(key) ?? []), u]);
    }
    // The sets that test most of the headline probe's units first (the verdict reads them), then the most shared.
    const head = headlineProbe(r);
    const heads = (us: UnitRf[]) => us.filter((u) => u.layer === head.layer && u.type === head.type).length;
    const kept = [...groups.entries()].sort((a, b) => heads(b[1]) - heads(a[1]) || b[1].length - a[1].length).slice(0, d.groupsPerLayer);
    const dropped = units.length - kept.reduce((s, [, us]) => s + us.length, 0);
    if (dropped > 0) notes.push(`Layer ${layer}: ${dropped} unit(s) whose centre/orientation fell outside the ${d.groupsPerLayer} most shared stimulus sets were left out.`);
    const width = Math.max(1, 2 ** (layer - 1));
    for (const [, us] of kept) {
      const u0 = us[0]!;
      const stimuli = d.lengths.map((length) => barSequence(size, { x: snapped(u0.x, centre.x), y: snapped(u0.y, centre.y), length, width, orientationDeg: u0.orientationDeg }, d.frames));
      stimuli.push(sequenceOf(size, Array<null>(d.frames).fill(null)));
      const sweep = async (ablateFeedback: boolean) => {
        const resp = await runReduced(ctx, r, stimuli, d.frames, { probes: layerProbes, ablateFeedback }, (recs) =>
          us.map((u) => mean(unitTrace(recs[layerProbes.findIndex((p) => p.type === u.type)]!, u.channel, centre.i, centre.j).slice(1))),
        );
        const blankResp = resp[resp.length - 1]!;
        return us.map((_, k) => d.lengths.map((_l, li) => resp[li]![k]! - blankResp[k]!));
      };
      const intact = await sweep(false);
      const ablated = await sweep(true);
      us.forEach((unit, k) => curves.push({ unit, intact: intact[k]!, ablated: ablated[k]! }));
    }
    progress(0.3 + (0.7 * (layer + 1)) / layers.length, `length sweep: layer ${layer} done`);
  }
  const summary = new Map<string, ProbeSummary>();
  probes.forEach((p, pi) => {
    const mine = curves.filter((c) => c.unit.layer === p.layer && c.unit.type === p.type);
    const ok = mine.filter((c) => Number.isFinite(ratioOf(c.intact)));
    if (ok.length < mine.length) notes.push(`${probeName(p)}: ${mine.length - ok.length} unit(s) not excited by the bars (peak not positive or under half the largest deviation) were left out.`);
    if (ok.length === 0) return;
    const rI = ok.map((c) => ratioOf(c.intact));
    const rA = ok.map((c) => ratioOf(c.ablated));
    const ablOk = rA.map((_, k) => k).filter((k) => Number.isFinite(rA[k]));
    const change = ablOk.map((k) => rA[k]! - rI[k]!);
    summary.set(probeName(p), {
      n: ok.length,
      intact: rI,
      ratio: mean(rI),
      ci: bootstrapCi(ok.length, (idx) => meanAt(rI, idx), ctx.seed + pi),
      ablated: mean(ablOk.map((k) => rA[k]!)),
      ablatedCi: bootstrapCi(ablOk.length, (idx) => meanAt(ablOk.map((k) => rA[k]!), idx), ctx.seed + 1000 + pi),
      change: mean(change),
      changeCi: bootstrapCi(change.length, (idx) => meanAt(change, idx), ctx.seed + 2000 + pi),
    });
  });
  return { curves, probes, summary, notes };
}


async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const r = ctx.responder;
  const base = { id: 'length-suppression', title: 'Length suppression (end-stopping)', published: PUBLISHED, axes: { x: 'bar length (px)', y: 'response / unit peak' } };
  if (r.predictionOnly) return notApplicable(base, r, 'length suppression');
  const d = designOf(r, ctx.quick);
  const u = untrainedOrWhy(ctx.references);
  const share = 'responder' in u ? 0.5 : 1;
  const model = await measure(ctx, r, d, (f, m) => ctx.onProgress?.(share * f, m));
  const untrained = 'responder' in u ? await measure(ctx, u.responder, d, (f, m) => ctx.onProgress?.(0.5 + 0.5 * f, `untrained network: ${m}`)) : null;
  const layers = analysedLayers(r, ctx.quick);
  const notes: string[] = [
    ...model.notes,
    `Bars ${d.lengths.join(', ')} px long, 1 px wide (layers 0-1) or 2^(layer-1) px, white on grey, centred on each unit's measured centre (snapped to half a map unit), shown for ${d.frames} steps; response = mean over steps 1-${d.frames - 1} minus the response to a blank.`,
  ];
  if (layers.length < r.layers) notes.push(`Quick run: layers ${layers.join(', ')} only.`);
  notes.push(
    'responder' in u && untrained
      ? `Beside it, ${u.responder.name} (same architecture, weights as initialised), measured the same way on its own receptive fields: ${untrained.notes.join(' ')}`
      : `No untrained network beside it: ${'why' in u ? u.why : ''}.`,
  );

  const series: Series[] = [];
  const rows: (string | number)[][] = [];
  for (const [who, m] of [['model', model], ['untrained', untrained]] as const) {
    if (!m) continue;
    for (const p of m.probes) {
      const ok = m.curves.filter((c) => c.unit.layer === p.layer && c.unit.type === p.type && Number.isFinite(ratioOf(c.intact)));
      if (ok.length === 0) continue;
      // Normalised to each unit's intact peak, so units of different gains average.
      const norm = (c: UnitCurve, which: 'intact' | 'ablated') => {
        const peak = Math.max(...c.intact);
        return c[which].map((v) => v / peak);
      };
      // One panel per probe; the same three lines (colours) in each.
      const lines = who === 'model' ? ([['intact', 'intact'], ['ablated', 'no feedback']] as const) : ([['intact', 'untrained network, intact']] as const);
      for (const [which, label] of lines) series.push({ name: label, group: probeName(p), x: d.lengths, ...band(ok.map((c) => norm(c, which))) });
      for (const c of ok)
        d.lengths.forEach((len, li) => rows.push([who, probeName(p), c.unit.channel, fmt(c.unit.x, 4), fmt(c.unit.y, 4), c.unit.orientationDeg, len, c.intact[li]!, c.ablated[li]!]));
    }
  }
  const perProbe = (m: Measured) => [...m.summary.entries()].map(([name, s]) => `${name}: ${fmt(s.ratio)}x peak (n=${s.n}; no feedback ${Number.isFinite(s.ablated) ? `${fmt(s.ablated)}x` : 'n/a'})`).join('; ');
  notes.push(`Response at the longest bar over peak, per probe: ${perProbe(model)}.`);
  if (untrained) notes.push(`The same for the untrained network: ${perProbe(untrained) || 'no unit responded to the bars'}.`);

  const head = probeName(headlineProbe(r));
  const h = model.summary.get(head);
  const hu = untrained?.summary.get(head);
  const beside = untrained
    ? [{ who: 'untrained', statistic: hu ? { name: `${head} response at longest bar / peak`, value: hu.ratio, unit: 'x peak', ci: hu.ci } : null, text: hu ? `untrained ${fmt(hu.ratio, 2)}x peak ${ciText(hu.ci)} (${hu.n} units); without feedback paired change ${fmt(hu.change, 2)} ${ciText(hu.changeCi)}` : `untrained: no ${head} unit responded to the bars` }]
    : [];
  notes.push(
    `Verdict: two tests, both needed (the published claim has two halves). (1) Beyond the untrained network: the model's mean longest-bar/peak ratio minus the untrained network's, 95 % CI by resampling each network's units, must lie below 0. (2) Feedback: the paired change (without feedback minus intact) over the model's units must lie above 0. No fixed cut-off: how much suppression counts is what the same architecture shows untrained. Each network needs at least ${MIN_UNITS} units excited by the bars for its CI to mean anything.`,
  );
  let verdict: ExperimentResult['verdict'];
  if (!h) {
    verdict = { effect: null, text: `length suppression in ${head}: undetermined, no unit of ${head} responded to the bar probes.`, statistic: null, beside };
  } else {
    const few = (n: number) => n < MIN_UNITS;
    const beyond = comparison(
      `${head} longest bar / peak, model minus untrained`,
      'x peak',
      hu && !few(h.n) && !few(hu.n) ? differenceOfMeans(h.intact, hu.intact, ctx.seed + 3000) : null,
      'below',
      !untrained ? 'no untrained network beside' : `units excited by the bars: model ${h.n}, untrained ${hu?.n ?? 0} (at least ${MIN_UNITS} each needed)`,
    );
    const feedback = comparison(`${head} without feedback minus intact (paired over units)`, 'x peak', Number.isFinite(h.change) && !few(h.n) ? { value: h.change, ci: h.changeCi } : null, 'above', `${h.n} unit(s) excited by the bars, ${MIN_UNITS} needed (or none stayed excited without feedback)`);
    const effect = allHold([beyond, feedback]);
    verdict = {
      effect,
      text:
        `length suppression in ${head}: ${yesNo(effect)}; beyond the untrained network: ${yesNo(beyond.holds)}, weaker without feedback: ${yesNo(feedback.holds)}. ` +
        `Response at the longest bar ${fmt(h.ratio, 2)}x peak ${ciText(h.ci)} (${h.n} units)${hu ? `, untrained ${fmt(hu.ratio, 2)}x ${ciText(hu.ci)} (${hu.n} units)` : ''}; ${comparisonText(beyond)}; without feedback ${Number.isFinite(h.ablated) ? `${fmt(h.ablated, 2)}x ${ciText(h.ablatedCi)}` : 'n/a'}, ${comparisonText(feedback)}.`,
      statistic: { name: `${head} response at longest bar / peak`, value: h.ratio, unit: 'x peak', ci: h.ci },
      comparisons: [beyond, feedback],
      beside,
    };
  }
  const lengthsN = d.lengths.length;
  const arraysOf = (prefix: string, m: Measured) =>
    m.curves.length
      ? [
          { name: `${prefix}length_suppression/responses`, shape: [m.curves.length, 2, lengthsN], data: Float32Array.from(m.curves.flatMap((c) => [...c.intact, ...c.ablated])) },
          { name: `${prefix}length_suppression/lengths_px`, shape: [lengthsN], data: Float32Array.from(d.lengths) },
        ]
      : [];
  return {
    ...base,
    verdict,
    series,
    table: { columns: ['who', 'probe', 'channel', 'rf_x_px', 'rf_y_px', 'orientation_deg', 'length_px', 'response_intact', 'response_no_feedback'], rows },
    arrays: [...arraysOf('', model), ...(untrained ? arraysOf('untrained/', untrained) : [])],
    notes,
  };
}

export const lengthSuppression: Experiment = { id: 'length-suppression', title: 'Length suppression (end-stopping)', run };
