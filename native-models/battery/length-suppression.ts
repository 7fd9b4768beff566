/**
 * Length suppression / end-stopping (Lotter et al. 2020, Fig. 2; Nassi et al. 2013): bars at each
 * analysed unit's preferred orientation, centred on its measured receptive field, lengths swept;
 * response (mean over the steps after the first, minus the blank response) against length, per
 * layer and unit type, with the network intact and with its top-down input removed. A unit's
 * suppression is its response to the longest bar over its peak response; the verdict rests on
 * the mean of that ratio over the headline probe's units (E1), with a bootstrap CI over units.
 */
import { barSequence, sequenceOf } from '../../paradigms/battery-unit-stimuli.js';
import { receptiveFields, type UnitRf } from './receptive-fields.js';
import type { Experiment, ExperimentContext, ExperimentResult, Series } from './types.js';
import { allProbes, analysedLayers, band, bootstrapCi, centralPosition, fmt, headlineProbe, mean, meanAt, probeName, runReduced, unitTrace } from './unit-analysis.js';

const PUBLISHED =
  'Units of the KITTI-trained PredNet show length suppression: at their preferred orientation the response falls for bars longer than the optimum, and with top-down feedback removed the suppression is reduced, as in macaque V1 when feedback from V2/V3 is inactivated (Nassi et al. 2013) (Lotter et al. 2020, Fig. 2).';

/** Suppression counts when the longest bar's response is below this fraction of the peak (upper CI bound). */
export const SUPPRESSED_BELOW = 0.9;
/** A unit is analysed when its peak response is at least this fraction of the strongest unit's of its probe. */
const RESPONSIVE_FRACTION = 0.05;

interface Design {
  lengths: number[];
  frames: number;
  /** Stimulus groups (centre x orientation) per layer; units in further groups are left out (noted). */
  groupsPerLayer: number;
  unitsPerProbe: number;
}

function designOf(ctx: ExperimentContext): Design {
  const r = ctx.responder;
  const longest = Math.min(r.height, r.width);
  // Log-spaced lengths (factor sqrt 2) from 2 px to the shorter image side.
  const all: number[] = [];
  for (let len = 2; len <= longest; len *= ctx.quick ? 2 : Math.SQRT2) all.push(Math.round(len * 10) / 10);
  if (all[all.length - 1]! < longest) all.push(longest);
  return { lengths: all, frames: ctx.quick ? 4 : 6, groupsPerLayer: ctx.quick ? 2 : 16, unitsPerProbe: ctx.quick ? 8 : 64 };
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

async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const r = ctx.responder;
  const d = designOf(ctx);
  const size = { height: r.height, width: r.width, channels: r.channels };
  const rf = await receptiveFields({ ...ctx, onProgress: (f, m) => ctx.onProgress?.(0.3 * f, m) });
  const notes: string[] = [
    `Receptive fields: small-probe mapping (${2 * rf.gridRadius + 1}x${2 * rf.gridRadius + 1} positions x 4 orientations) of the central unit of every channel, ${rf.cached ? "read from this checkpoint's cache" : ctx.cacheDir && r.cacheKey ? 'measured now and cached for this checkpoint' : 'measured now (not cached)'}.`,
    `Bars ${d.lengths.join(', ')} px long, 1 px wide (layers 0-1) or 2^(layer-1) px, white on grey, centred on each unit's measured centre (snapped to half a map unit), shown for ${d.frames} steps; response = mean over steps 1-${d.frames - 1} minus the response to a blank.`,
  ];
  const curves: UnitCurve[] = [];
  const layers = analysedLayers(r, ctx.quick);
  const probes = allProbes(r).filter((p) => layers.includes(p.layer));
  if (layers.length < r.layers) notes.push(`Quick run: layers ${layers.join(', ')} only.`);
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
    const kept = [...groups.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, d.groupsPerLayer);
    const dropped = units.length - kept.reduce((s, [, us]) => s + us.length, 0);
    if (dropped > 0) notes.push(`Layer ${layer}: ${dropped} unit(s) whose centre/orientation fell outside the ${d.groupsPerLayer} most shared stimulus sets were left out.`);
    const width = Math.max(1, 2 ** (layer - 1));
    for (const [, us] of kept) {
      const u0 = us[0]!;
      const stimuli = d.lengths.map((length) => barSequence(size, { x: snapped(u0.x, centre.x), y: snapped(u0.y, centre.y), length, width, orientationDeg: u0.orientationDeg }, d.frames));
      stimuli.push(sequenceOf(size, Array<null>(d.frames).fill(null)));
      const measure = async (ablateFeedback: boolean) => {
        const resp = await runReduced(ctx, r, stimuli, d.frames, { probes: layerProbes, ablateFeedback }, (recs) =>
          us.map((u) => mean(unitTrace(recs[layerProbes.findIndex((p) => p.type === u.type)]!, u.channel, centre.i, centre.j).slice(1))),
        );
        const blankResp = resp[resp.length - 1]!;
        return us.map((_, k) => d.lengths.map((_l, li) => resp[li]![k]! - blankResp[k]!));
      };
      const intact = await measure(false);
      const ablated = await measure(true);
      us.forEach((unit, k) => curves.push({ unit, intact: intact[k]!, ablated: ablated[k]! }));
    }
    ctx.onProgress?.(0.3 + (0.7 * (layer + 1)) / layers.length, `length sweep: layer ${layer} done`);
  }

  const series: Series[] = [];
  const rows: (string | number)[][] = [];
  const summary = new Map<string, { n: number; ratio: number; ci: [number, number]; ablated: number; ablatedCi: [number, number]; change: number; changeCi: [number, number] }>();
  probes.forEach((p, pi) => {
    const mine = curves.filter((c) => c.unit.layer === p.layer && c.unit.type === p.type);
    const ratios = mine.map((c) => ratioOf(c.intact));
    const ok = mine.filter((_, k) => Number.isFinite(ratios[k]));
    if (ok.length < mine.length) notes.push(`${probeName(p)}: ${mine.length - ok.length} unit(s) not excited by the bars (peak not positive or under half the largest deviation) were left out.`);
    if (ok.length === 0) return;
    const rI = ok.map((c) => ratioOf(c.intact));
    const rA = ok.map((c) => ratioOf(c.ablated));
    const ablOk = rA.map((_, k) => k).filter((k) => Number.isFinite(rA[k]));
    // Paired over units: how much higher the longest bar's ratio is without feedback (> 0: suppression weakened).
    const change = ablOk.map((k) => rA[k]! - rI[k]!);
    const s = {
      n: ok.length,
      ratio: mean(rI),
      ci: bootstrapCi(ok.length, (idx) => meanAt(rI, idx), ctx.seed + pi),
      ablated: mean(ablOk.map((k) => rA[k]!)),
      ablatedCi: bootstrapCi(ablOk.length, (idx) => meanAt(ablOk.map((k) => rA[k]!), idx), ctx.seed + 1000 + pi),
      change: mean(change),
      changeCi: bootstrapCi(change.length, (idx) => meanAt(change, idx), ctx.seed + 2000 + pi),
    };
    summary.set(probeName(p), s);
    // Normalised to each unit's intact peak, so units of different gains average.
    const norm = (c: UnitCurve, which: 'intact' | 'ablated') => {
      const peak = Math.max(...c.intact);
      return c[which].map((v) => v / peak);
    };
    for (const [which, label] of [['intact', 'intact'], ['ablated', 'no feedback']] as const) {
      const b = band(ok.map((c) => norm(c, which)));
      series.push({ name: `${probeName(p)} ${label}`, group: probeName(p), x: d.lengths, ...b });
    }
    for (const c of ok)
      d.lengths.forEach((len, li) =>
        rows.push([probeName(p), c.unit.channel, fmt(c.unit.x, 4), fmt(c.unit.y, 4), c.unit.orientationDeg, len, c.intact[li]!, c.ablated[li]!]),
      );
  });

  const head = headlineProbe(r);
  const h = summary.get(probeName(head));
  const perProbe = [...summary.entries()].map(([name, s]) => `${name}: ${fmt(s.ratio)}x peak (n=${s.n}; no feedback ${Number.isFinite(s.ablated) ? `${fmt(s.ablated)}x` : 'n/a'})`);
  notes.push(`Response at the longest bar over peak, per probe: ${perProbe.join('; ')}.`);
  let verdict: ExperimentResult['verdict'];
  if (!h) {
    verdict = { effect: null, text: `length suppression in ${probeName(head)}: undetermined, no unit of ${probeName(head)} responded to the bar probes.`, statistic: null };
  } else {
    const effect = h.ci[1] < SUPPRESSED_BELOW;
    const feedback = h.changeCi[0] > 0 ? 'weaker' : h.changeCi[1] < 0 ? 'stronger' : 'not clearly changed';
    verdict = {
      effect,
      text: `length suppression in ${probeName(head)}: ${effect ? 'yes' : 'no'}, response at longest bar ${fmt(h.ratio, 2)}x peak [${fmt(h.ci[0], 2)}, ${fmt(h.ci[1], 2)}] (${h.n} units); without feedback ${fmt(h.ablated, 2)}x [${fmt(h.ablatedCi[0], 2)}, ${fmt(h.ablatedCi[1], 2)}]: suppression ${feedback} without feedback (paired change ${h.change >= 0 ? '+' : ''}${fmt(h.change, 2)} [${fmt(h.changeCi[0], 2)}, ${fmt(h.changeCi[1], 2)}]).`,
      statistic: { name: `${probeName(head)} response at longest bar / peak`, value: h.ratio, unit: 'x peak', ci: h.ci },
    };
  }
  const lengthsN = d.lengths.length;
  return {
    id: 'length-suppression',
    title: 'Length suppression (end-stopping)',
    published: PUBLISHED,
    verdict,
    axes: { x: 'bar length (px)', y: 'response / unit peak' },
    series,
    table: { columns: ['probe', 'channel', 'rf_x_px', 'rf_y_px', 'orientation_deg', 'length_px', 'response_intact', 'response_no_feedback'], rows },
    arrays: curves.length
      ? [
          {
            name: 'length_suppression/responses',
            shape: [curves.length, 2, lengthsN],
            data: Float32Array.from(curves.flatMap((c) => [...c.intact, ...c.ablated])),
          },
          { name: 'length_suppression/lengths_px', shape: [lengthsN], data: Float32Array.from(d.lengths) },
        ]
      : [],
    notes,
  };
}

export const lengthSuppression: Experiment = { id: 'length-suppression', title: 'Length suppression (end-stopping)', run };
