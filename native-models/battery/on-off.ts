/**
 * On/off dynamics (Lotter et al. 2020, Fig. 3 and Extended Data Fig. 2): natural-like static
 * images (procedural objects on grey, see paradigms/battery-unit-stimuli.ts) shown for several
 * steps after a blank, then removed. Per layer and unit type, the mean response over units, images
 * and positions at every step. Per unit (channel, averaged over positions and images) the
 * response is taken as its distance from the blank level just before onset: the onset transient
 * is the sustained level (last two image steps) over the onset peak (first two image steps), the
 * offset transient the peak of the two steps after removal above the sustained level, in onset peaks.
 * An untrained network of the same architecture shows transients too (its errors and gates
 * respond to any change), so the verdict (headline probe E1) asks for each transient in the model
 * (its own CI) and beyond the untrained network's (CI of the difference, both networks' units
 * resampled), on the same images.
 */
import { objectImage, onOffFrames, onOffSequence, type OnOffDesign } from '../../paradigms/battery-unit-stimuli.js';
import { subSeed } from '../../paradigms/rng.js';
import { notApplicable, untrainedOrWhy } from './references.js';
import { allHold, bootstrapMeanCi, ciText, comparison, comparisonText, differenceOfMeans, MIN_UNITS, yesNo } from '../../paradigms/battery-stats.js';
import type { Experiment, ExperimentContext, ExperimentResult, Probe, Responder, Series } from '../../paradigms/battery-types.js';
import { allProbes, band, channelMeans, fmt, headlineProbe, mean, probeName, runReduced, windowMean } from '../../paradigms/battery-units.js';

const PUBLISHED =
  'To a static image of a naturalistic object on grey, PredNet units respond with a transient peak at onset that decays to a lower sustained level, and with a second transient when the image is removed, as neurons in macaque visual cortex do; E units show it (Fig. 3), and so do A and R units (Extended Data Fig. 2) (Lotter et al. 2020).';

/** A unit is analysed when its onset peak is at least this fraction of the strongest unit's of its probe (as in length suppression). */
const RESPONSIVE_FRACTION = 0.05;

function designOf(quick: boolean): OnOffDesign & { images: number } {
  // The blank before onset is long enough for the start-up transient of a network (all states zero) to settle.
  return quick ? { pre: 3, on: 4, off: 4, images: 3 } : { pre: 4, on: 8, off: 6, images: 12 };
}

interface Measured {
  probes: Probe[];
  /** Per probe: (C, T) mean traces over images. */
  traces: number[][][];
  /** Per probe: per responsive unit, its distance from the blank level at every step, in onset peaks (what the verdict reads). */
  normalised: number[][][];
  /** Per probe name: per responsive unit, sustained / onset peak and offset peak above sustained (in onset peaks). */
  perUnit: Map<string, { sustained: number[]; offsetExcess: number[] }>;
}

async function measure(ctx: ExperimentContext, r: Responder, sequences: Float32Array[], d: OnOffDesign): Promise<Measured> {
  const T = onOffFrames(d);
  const probes = allProbes(r);
  // Per image, per probe: each channel's mean over positions at every step.
  const perImage = await runReduced(ctx, r, sequences, T, { probes }, (recs) => recs.map(channelMeans));
  const onset = d.pre;
  const offset = d.pre + d.on;
  const perUnit = new Map<string, { sustained: number[]; offsetExcess: number[] }>();
  const normalised: number[][][] = [];
  const traces = probes.map((p, k) => {
    const C = r.unitChannels(p);
    // (C, T): mean over images.
    const tr = Array.from({ length: C }, (_, c) => Array.from({ length: T }, (_, t) => mean(perImage.map((img) => img[k]![c]![t]!))));
    const dist = tr.map((x) => x.map((v) => Math.abs(v - x[onset - 1]!)));
    const onPeak = dist.map((x) => Math.max(...x.slice(onset, onset + 2)));
    const sustained = dist.map((x) => windowMean(x, offset - 2, offset));
    const offPeak = dist.map((x) => Math.max(...x.slice(offset, Math.min(T, offset + 2))));
    // Ratios of near-zero responses are noise: units whose onset peak reaches RESPONSIVE_FRACTION of the probe's strongest.
    const strongest = Math.max(0, ...onPeak);
    const live = onPeak.map((_, c) => c).filter((c) => onPeak[c]! > 1e-9 && onPeak[c]! >= RESPONSIVE_FRACTION * strongest);
    perUnit.set(probeName(p), { sustained: live.map((c) => sustained[c]! / onPeak[c]!), offsetExcess: live.map((c) => (offPeak[c]! - sustained[c]!) / onPeak[c]!) });
    normalised.push(live.map((c) => dist[c]!.map((v) => v / onPeak[c]!)));
    return tr;
  });
  return { probes, traces, normalised, perUnit };
}


async function run(ctx: ExperimentContext): Promise<ExperimentResult> {
  const r = ctx.responder;
  const base = { id: 'on-off', title: 'On/off dynamics to static images', published: PUBLISHED, axes: { x: 'time step from image onset', y: '|response - blank level| (x the unit\'s onset peak)' } };
  if (r.predictionOnly) return notApplicable(base, r, 'on/off dynamics');
  const d = designOf(ctx.quick);
  const T = onOffFrames(d);
  const size = { height: r.height, width: r.width, channels: r.channels };
  // One set of images for both networks.
  const sequences = Array.from({ length: d.images }, (_, k) => onOffSequence(size, objectImage(size, subSeed(ctx.seed, k)), d));
  const u = untrainedOrWhy(ctx.references);
  const model = await measure(ctx, r, sequences, d);
  ctx.onProgress?.(0.5, 'on/off: images run');
  const untrained = 'responder' in u ? await measure(ctx, u.responder, sequences, d) : null;
  ctx.onProgress?.(0.95, 'on/off: images run on the untrained network');
  const onset = d.pre;
  const offset = d.pre + d.on;
  const x = Array.from({ length: T }, (_, t) => t - onset);
  const series: Series[] = [];
  const rows: (string | number)[][] = [];
  const arrays: NonNullable<ExperimentResult['arrays']> = [];
  for (const [who, m] of [['model', model], ['untrained', untrained]] as const) {
    if (!m) continue;
    m.probes.forEach((p, k) => {
      const traces = m.traces[k]!;
      const norm = m.normalised[k]!;
      // Plotted from the blank step before onset (the level responses are measured from): what the
      // verdict reads, per unit in its own onset peaks, so networks of any gain compare. The
      // start-up transient of a network whose states begin at zero comes before it and is left out.
      // One panel per unit type and network, one colour per probe (the same in both networks' panels).
      if (norm.length) series.push({ name: probeName(p), group: `${p.type} (${who})`, x: x.slice(onset - 1), ...band(norm.map((tr) => tr.slice(onset - 1))) });
      const layerMean = Array.from({ length: T }, (_, t) => mean(traces.map((tr) => tr[t]!)));
      layerMean.forEach((v, t) => rows.push([who, probeName(p), x[t]!, t < onset ? 'blank' : t < offset ? 'image' : 'removed', v, norm.length ? mean(norm.map((tr) => tr[t]!)) : Number.NaN]));
      arrays.push({ name: `${who === 'model' ? '' : 'untrained/'}on_off/${probeName(p)}`, shape: [traces.length, T], data: Float32Array.from(traces.flat()) });
    });
  }

  const head = probeName(headlineProbe(r));
  const h = model.perUnit.get(head)!;
  const hu = untrained?.perUnit.get(head);
  const ratios = (m: Measured) => [...m.perUnit.entries()].filter(([, v]) => v.sustained.length).map(([n, v]) => `${n} ${fmt(mean(v.sustained), 2)}`).join(', ');
  const notes = [
    `${d.images} procedural natural-like images (textured object-like shapes on grey; not photographs), each after ${d.pre} blank steps, shown ${d.on} steps, then ${d.off} blank steps; step 0 on the x axis is image onset. The same images for the model and the untrained network.`,
    `Per unit: distance of its mean response (over positions and images) from the blank level at step -1; onset peak = max of steps 0-1, sustained = mean of the last two image steps, offset peak = max of the two steps after removal; units whose onset peak is under ${RESPONSIVE_FRACTION * 100} % of their probe's strongest are left out (their ratios are noise). The plot shows that distance in each unit's onset peaks, mean over units with a 95 % band (CSV: mean_response is the raw mean over a probe's channels, distance_in_onset_peaks the plotted value).`,
    `Sustained / onset peak per probe: ${ratios(model)}.`,
    untrained ? `The same for ${'responder' in u ? u.responder.name : 'the untrained network'}: ${ratios(untrained) || 'no unit responded'}.` : `No untrained network beside it: ${'why' in u ? u.why : ''}.`,
    `Verdict: four tests, all needed. Onset transient: the sustained level below the onset peak in the model (CI of sustained/onset minus 1 below 0) and below the untrained network's ratio (CI of the difference below 0). Offset transient: the offset peak above the sustained level in the model (CI above 0) and above the untrained network's (CI of the difference above 0). CIs: bootstrap over units (channels), each network's units resampled on their own; at least ${MIN_UNITS} responding units each. No fixed cut-off: the untrained network of the same architecture, which has transients of its own, sets the bar.`,
  ];
  let verdict: ExperimentResult['verdict'];
  if (h.sustained.length < MIN_UNITS) {
    verdict = { effect: null, text: `on/off dynamics in ${head}: undetermined, ${h.sustained.length} unit(s) of ${head} responded to the images (at least ${MIN_UNITS} needed).`, statistic: null };
  } else {
    const ratio = mean(h.sustained);
    const ci = bootstrapMeanCi(h.sustained, ctx.seed);
    const off = mean(h.offsetExcess);
    const offCi = bootstrapMeanCi(h.offsetExcess, ctx.seed + 1);
    const noUntrained = untrained ? `${hu?.sustained.length ?? 0} of the untrained network's ${head} units responded (at least ${MIN_UNITS} needed)` : 'no untrained network beside';
    const usable = hu && hu.sustained.length >= MIN_UNITS ? hu : null;
    const onsetOwn = comparison(`${head} sustained / onset peak minus 1`, '', { value: ratio - 1, ci: [ci[0] - 1, ci[1] - 1] }, 'below');
    const onsetBeyond = comparison(`${head} sustained / onset peak, model minus untrained`, '', usable ? differenceOfMeans(h.sustained, usable.sustained, ctx.seed + 2) : null, 'below', noUntrained);
    const offsetOwn = comparison(`${head} offset peak above sustained`, 'onset peaks', { value: off, ci: offCi }, 'above');
    const offsetBeyond = comparison(`${head} offset transient, model minus untrained`, 'onset peaks', usable ? differenceOfMeans(h.offsetExcess, usable.offsetExcess, ctx.seed + 3) : null, 'above', noUntrained);
    const onsetHolds = allHold([onsetOwn, onsetBeyond]);
    const offsetHolds = allHold([offsetOwn, offsetBeyond]);
    const effect = allHold([onsetOwn, onsetBeyond, offsetOwn, offsetBeyond]);
    const uCi = usable ? bootstrapMeanCi(usable.sustained, ctx.seed + 4) : null;
    const uOffCi = usable ? bootstrapMeanCi(usable.offsetExcess, ctx.seed + 5) : null;
    verdict = {
      effect,
      text:
        `on/off dynamics in ${head}: ${yesNo(effect)}; onset transient beyond the untrained network: ${yesNo(onsetHolds)}, offset transient beyond it: ${yesNo(offsetHolds)}. ` +
        `Sustained ${fmt(ratio, 2)}x the onset peak ${ciText(ci)} (${h.sustained.length} units)${usable && uCi ? `, untrained ${fmt(mean(usable.sustained), 2)}x ${ciText(uCi)} (${usable.sustained.length} units)` : ''}; ${comparisonText(onsetBeyond)}. ` +
        `Offset peak ${fmt(off, 2)} onset peaks above sustained ${ciText(offCi)}${usable && uOffCi ? `, untrained ${fmt(mean(usable.offsetExcess), 2)} ${ciText(uOffCi)}` : ''}; ${comparisonText(offsetBeyond)}.`,
      statistic: { name: `${head} sustained / onset peak`, value: ratio, unit: 'x onset peak', ci },
      comparisons: [onsetOwn, onsetBeyond, offsetOwn, offsetBeyond],
      beside: untrained
        ? [{ who: 'untrained', statistic: usable && uCi ? { name: `${head} sustained / onset peak`, value: mean(usable.sustained), unit: 'x onset peak', ci: uCi } : null, text: usable && uOffCi ? `untrained: offset peak ${fmt(mean(usable.offsetExcess), 2)} onset peaks above sustained ${ciText(uOffCi)}` : `untrained: no ${head} unit responded` }]
        : [],
    };
  }
  ctx.onProgress?.(1, 'on/off: done');
  return {
    ...base,
    verdict,
    series,
    table: { columns: ['who', 'probe', 'step_from_onset', 'phase', 'mean_response', 'distance_in_onset_peaks'], rows },
    arrays,
    notes,
  };
}

export const onOff: Experiment = { id: 'on-off', title: 'On/off dynamics to static images', run };
