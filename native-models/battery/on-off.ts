/**
 * On/off dynamics (Lotter et al. 2020, Fig. 3 and Extended Data Fig. 2): natural-like static
 * images (procedural objects on grey, see paradigms/battery-unit-stimuli.ts) shown for several
 * steps after a blank, then removed. Per layer and unit type, the mean response over units, images
 * and positions at every step. Per unit (channel, averaged over positions and images) the
 * response is taken as its distance from the blank level just before onset; the verdict rests on
 * the sustained level (last two image steps) over the onset peak (first two image steps) in the
 * headline probe (E1), with a bootstrap CI over units, and on an offset transient (the peak of the
 * two steps after removal above the sustained level).
 */
import { objectImage, onOffFrames, onOffSequence, type OnOffDesign } from '../../paradigms/battery-unit-stimuli.js';
import { subSeed } from '../../paradigms/rng.js';
import type { Experiment, ExperimentContext, ExperimentResult, Series } from './types.js';
import { allProbes, band, bootstrapCi, channelMeans, fmt, headlineProbe, mean, meanAt, probeName, runReduced, windowMean } from './unit-analysis.js';

const PUBLISHED =
  'To a static image of a naturalistic object on grey, PredNet units respond with a transient peak at onset that decays to a lower sustained level, and with a second transient when the image is removed, as neurons in macaque visual cortex do; E units show it (Fig. 3), and so do A and R units (Extended Data Fig. 2) (Lotter et al. 2020).';

/** An onset transient counts when the sustained level is below this fraction of the onset peak (upper CI bound). */
export const TRANSIENT_BELOW = 0.8;

function designOf(quick: boolean): OnOffDesign & { images: number } {
  // The blank before onset is long enough for the start-up transient of a network (all states zero) to settle.
  return quick ? { pre: 3, on: 4, off: 4, images: 3 } : { pre: 4, on: 8, off: 6, images: 12 };
}

async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const r = ctx.responder;
  const d = designOf(ctx.quick);
  const T = onOffFrames(d);
  const size = { height: r.height, width: r.width, channels: r.channels };
  const probes = allProbes(r);
  const sequences = Array.from({ length: d.images }, (_, k) => onOffSequence(size, objectImage(size, subSeed(ctx.seed, k)), d));
  // Per image, per probe: each channel's mean over positions at every step.
  const perImage = await runReduced(ctx, r, sequences, T, { probes }, (recs) => recs.map(channelMeans));
  ctx.onProgress?.(0.9, 'on/off: images run');
  const onset = d.pre;
  const offset = d.pre + d.on;
  const x = Array.from({ length: T }, (_, t) => t - onset);
  const series: Series[] = [];
  const rows: (string | number)[][] = [];
  const arrays: NonNullable<ExperimentResult['arrays']> = [];
  const perUnit = new Map<string, { sustained: number[]; offsetExcess: number[] }>();
  probes.forEach((p, k) => {
    const C = r.unitChannels(p);
    // (C, T): mean over images.
    const traces = Array.from({ length: C }, (_, c) => Array.from({ length: T }, (_, t) => mean(perImage.map((img) => img[k]![c]![t]!))));
    const dist = traces.map((tr) => tr.map((v) => Math.abs(v - tr[onset - 1]!)));
    const onPeak = dist.map((tr) => Math.max(...tr.slice(onset, onset + 2)));
    const sustained = dist.map((tr) => windowMean(tr, offset - 2, offset));
    const offPeak = dist.map((tr) => Math.max(...tr.slice(offset, Math.min(T, offset + 2))));
    const live = onPeak.map((_, c) => c).filter((c) => onPeak[c]! > 1e-9);
    perUnit.set(probeName(p), {
      sustained: live.map((c) => sustained[c]! / onPeak[c]!),
      offsetExcess: live.map((c) => (offPeak[c]! - sustained[c]!) / onPeak[c]!),
    });
    // The layer's mean response over time, normalised 0-1 as in the paper's figure.
    const layerMean = Array.from({ length: T }, (_, t) => mean(traces.map((tr) => tr[t]!)));
    const lo = Math.min(...layerMean);
    const span = Math.max(...layerMean) - lo;
    const normRows = traces.map((tr) => tr.map((v) => (span > 0 ? (v - lo) / span : 0)));
    series.push({ name: probeName(p), group: p.type, x, ...band(normRows) });
    layerMean.forEach((v, t) => rows.push([probeName(p), x[t]!, t < onset ? 'blank' : t < offset ? 'image' : 'removed', v, span > 0 ? (v - lo) / span : 0]));
    arrays.push({ name: `on_off/${probeName(p)}`, shape: [C, T], data: Float32Array.from(traces.flat()) });
  });

  const head = probeName(headlineProbe(r));
  const h = perUnit.get(head)!;
  const notes = [
    `${d.images} procedural natural-like images (textured object-like shapes on grey; not photographs), each after ${d.pre} blank steps, shown ${d.on} steps, then ${d.off} blank steps; step 0 on the x axis is image onset.`,
    `Per unit: distance of its mean response (over positions and images) from the blank level at step -1; onset peak = max of steps 0-1, sustained = mean of the last two image steps, offset peak = max of the two steps after removal.`,
    `Sustained / onset peak per probe: ${[...perUnit.entries()].filter(([, u]) => u.sustained.length).map(([n, u]) => `${n} ${fmt(mean(u.sustained), 2)}`).join(', ')}.`,
  ];
  let verdict: ExperimentResult['verdict'];
  if (h.sustained.length === 0) {
    verdict = { effect: null, text: `on/off dynamics in ${head}: undetermined, no unit of ${head} responded to the images.`, statistic: null };
  } else {
    const ratio = mean(h.sustained);
    const ci = bootstrapCi(h.sustained.length, (idx) => meanAt(h.sustained, idx), ctx.seed);
    const off = mean(h.offsetExcess);
    const offCi = bootstrapCi(h.offsetExcess.length, (idx) => meanAt(h.offsetExcess, idx), ctx.seed + 1);
    const onsetTransient = ci[1] < TRANSIENT_BELOW;
    const offsetTransient = offCi[0] > 0;
    const effect = onsetTransient && offsetTransient;
    verdict = {
      effect,
      text: `on/off dynamics in ${head}: ${effect ? 'yes' : 'no'}, sustained response ${fmt(ratio, 2)}x the onset peak [${fmt(ci[0], 2)}, ${fmt(ci[1], 2)}] (${h.sustained.length} units); offset transient ${offsetTransient ? 'present' : 'absent'}, ${fmt(off, 2)} onset peaks above sustained [${fmt(offCi[0], 2)}, ${fmt(offCi[1], 2)}].`,
      statistic: { name: `${head} sustained / onset peak`, value: ratio, unit: 'x onset peak', ci },
    };
  }
  ctx.onProgress?.(1, 'on/off: done');
  return {
    id: 'on-off',
    title: 'On/off dynamics to static images',
    published: PUBLISHED,
    verdict,
    axes: { x: 'time step from image onset', y: 'mean response (normalised 0-1 per probe)' },
    series,
    table: { columns: ['probe', 'step_from_onset', 'phase', 'mean_response', 'normalised'], rows },
    arrays,
    notes,
  };
}

export const onOff: Experiment = { id: 'on-off', title: 'On/off dynamics to static images', run };
