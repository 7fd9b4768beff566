/**
 * Illusory contours (issue 13 part 4; Lotter et al. 2020 Fig. 5 after Lee & Nguyen 2001): complete
 * discs turn into an illusory square (pac-men), its outline drawn as lines (real), or outward-facing
 * pac-men (control); we record error units whose receptive field lies on the illusory part of the
 * contour (clear of the inducers), in the model and in an untrained network of its architecture
 * (each choosing its own units the same way, on the same frames).
 * The verdict rests on the illusory response (illusory minus control, mean over the figure window,
 * in units of each unit's real-contour peak): above 0 in the model and above the untrained
 * network's (CI of the difference, both networks' units resampled): local differences between
 * the inducers of the illusory and control figures reach any unit with a wide enough field,
 * trained or not. Its latency relative to the real contour's is reported in ms beside the model
 * frame's duration; a difference under one model frame is not resolvable at that frame rate.
 *
 * Units lie on the illusory part of the contour by their mapped receptive field (receptive-fields.ts
 * maps each channel's centre and preferred orientation at the centre of the map; a convolutional
 * network shifts both with the unit's position): centre on a side, clear of the inducers, preferred
 * orientation along the side. Among those, the units that answer the real contour most (real minus
 * blank in the figure window) are kept. Without a map (it failed), the grid cell stands for the
 * receptive field and orientation is not asked, which the notes say.
 */
import {
  CONTOUR_CONDITIONS,
  contourDesign,
  contourGeometry,
  contourFrames,
  contourOnsetFrame,
  contourScene,
  ILLUSORY_FIGURE,
  onIllusoryContour,
  type ContourCondition,
  type ContourDesign,
} from '../../paradigms/battery-contour-stimuli.js';
import { rasterizeScene, type ModelView } from '../../paradigms/rasterize.js';
import { receptiveFields } from './receptive-fields.js';
import { notApplicable, untrainedOrWhy } from './references.js';
import { allHold, batteryView, bootstrapMeanCi, ciText, columnBands, comparison, comparisonText, differenceOfMeans, fmt, mean, MIN_UNITS, yesNo } from '../../paradigms/battery-stats.js';
import { throwIfCancelled } from '../../paradigms/battery-units.js';
import type { Comparison, Experiment, ExperimentContext, ExperimentResult, Probe, Recording, Responder, Series } from '../../paradigms/battery-types.js';

/** Frames (T, H, W, C) of one condition's sequence. */
export function contourSequence(d: ContourDesign, condition: ContourCondition, view: ModelView): Float32Array {
  const T = contourFrames(d);
  const size = view.width * view.height * view.channels;
  const out = new Float32Array(T * size);
  for (let k = 0; k < T; k++) {
    const img = rasterizeScene(contourScene(d, condition, k, view), view);
    for (let p = 0; p < view.width * view.height; p++) for (let c = 0; c < view.channels; c++) out[k * size + p * view.channels + c] = img.data[p]!;
  }
  return out;
}

/** A unit: channel and grid position in a recording. */
export interface ContourUnit {
  channel: number;
  row: number;
  col: number;
  /** Mean of the real-contour signal in the figure window (what chose it). */
  contrast: number;
  /** Its peak (what the unit's responses are divided by; at least the mean). */
  peak: number;
}

const at = (rec: Recording, t: number, c: number, i: number, j: number) => {
  const [, C, H, W] = rec.shape;
  return rec.data[((t * C + c) * H + i) * W + j]!;
};

/** A channel's mapped receptive field relative to its grid cell: centre offset (image pixels) and preferred orientation. */
export interface ChannelRf {
  dx: number;
  dy: number;
  orientationDeg: number;
}

/** Centre of a unit's receptive field in degrees (x right, y up) and its half-width: the grid cell, moved by the mapped offset. */
function rfCentreDeg(view: ModelView, rec: Recording, i: number, j: number, rf: ChannelRf | null): { x: number; y: number; halfDeg: number } {
  const [, , H, W] = rec.shape;
  const pxPerDeg = view.width / view.fovDeg;
  const sx = view.width / W;
  const sy = view.height / H;
  const px = (j + 0.5) * sx + (rf?.dx ?? 0);
  const py = (i + 0.5) * sy + (rf?.dy ?? 0);
  return { x: (px - view.width / 2) / pxPerDeg, y: (view.height / 2 - py) / pxPerDeg, halfDeg: Math.max(sx, sy) / 2 / pxPerDeg };
}

/** Orientation (deg, 0-180) of the contour side nearest a point. */
function sideOrientationDeg(d: ContourDesign, x: number, y: number): number {
  const g = contourGeometry(d);
  const [[a, b]] = g.segments
    .map((seg) => [seg, Math.hypot(x - (seg[0][0] + seg[1][0]) / 2, y - (seg[0][1] + seg[1][1]) / 2)] as const)
    .sort((p, q) => p[1] - q[1])[0]!;
  return (((Math.atan2(b[1] - a[1], b[0] - a[0]) * 180) / Math.PI) % 180 + 180) % 180;
}

const orientationGap = (a: number, b: number) => {
  const d = Math.abs(a - b) % 180;
  return Math.min(d, 180 - d);
};

/**
 * Units whose receptive field lies on the illusory part of the contour (and, when mapped, whose
 * preferred orientation runs along it), ranked by how much more they answer the real contour than
 * a blank screen; `rfs` null: grid cells stand for receptive fields, every channel a candidate;
 * a channel missing from `rfs` did not respond to any probe and is left out.
 */
export function chooseContourUnits(
  view: ModelView,
  d: ContourDesign,
  real: Recording,
  blank: Recording,
  count: number,
  rfs: Map<number, ChannelRf> | null = null,
  byOrientation = true,
): ContourUnit[] {
  const [, C, H, W] = real.shape;
  const onset = contourOnsetFrame(d);
  const window = Array.from({ length: d.figureFrames }, (_, k) => onset + k);
  const base = (rec: Recording, c: number, i: number, j: number) => (at(rec, onset - 2, c, i, j) + at(rec, onset - 1, c, i, j)) / 2;
  const units: ContourUnit[] = [];
  for (let c = 0; c < C; c++) {
    const rf = rfs ? rfs.get(c) : null;
    if (rf === undefined) continue;
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        const cell = rfCentreDeg(view, real, i, j, rf);
        // The field reaches past its grid cell: a whole cell around its centre must clear the inducers.
        if (!onIllusoryContour(d, cell.x, cell.y, cell.halfDeg, 2 * cell.halfDeg)) continue;
        if (rf && byOrientation && orientationGap(rf.orientationDeg, sideOrientationDeg(d, cell.x, cell.y)) > 22.5) continue;
        // The real-contour signal's peak: the rise over the disc frames, beyond the blank's drift.
        const rb = base(real, c, i, j);
        const bb = base(blank, c, i, j);
        const signal = window.map((t) => at(real, t, c, i, j) - rb - (at(blank, t, c, i, j) - bb));
        // Ranked by the mean (a unit that answers the contour on the whole), divided later by the peak.
        units.push({ channel: c, row: i, col: j, contrast: mean(signal), peak: Math.max(...signal) });
      }
  }
  // Units that barely answer would blow up when divided by their peak: a mean of at least 5 % of the best, and 1e-4.
  const best = Math.max(0, ...units.map((u) => u.contrast));
  // At most PER_CHANNEL positions of one channel: a channel's units share its weights, so many
  // positions of few channels would look like many independent units.
  const taken = new Map<number, number>();
  return units
    .filter((u) => u.contrast >= Math.max(MIN_CONTRAST, 0.05 * best))
    .sort((a, b) => b.contrast - a.contrast)
    .filter((u) => {
      const n = taken.get(u.channel) ?? 0;
      taken.set(u.channel, n + 1);
      return n < PER_CHANNEL;
    })
    .slice(0, count);
}

/** Positions of one channel kept at most. */
export const PER_CHANNEL = 4;

/** Per channel, the mean of a per-unit value over its units (the statistics' resampling unit: the channel). */
export function byChannel(units: readonly ContourUnit[], values: readonly (number | null)[]): number[] {
  const sums = new Map<number, { s: number; n: number }>();
  units.forEach((u, k) => {
    const v = values[k];
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    const e = sums.get(u.channel) ?? { s: 0, n: 0 };
    sums.set(u.channel, { s: e.s + v, n: e.n + 1 });
  });
  return [...sums.values()].map((e) => e.s / e.n);
}

/** First step (from figure onset) at which a response reaches half its peak; null below `floor`. */
export function riseStep(response: readonly number[], floor: number): number | null {
  const peak = Math.max(...response);
  if (!(peak >= floor)) return null;
  const k = response.findIndex((v) => v >= peak / 2);
  return k < 0 ? null : k;
}

/** A unit's real-contour signal must reach this (E units are errors in pixel units, 0..1) to be analysed. */
export const MIN_CONTRAST = 1e-4;

/** A condition's illusory/real signal must reach this fraction of the unit's real-contour peak to count. */
export const RESPONSE_FLOOR = 0.05;

interface Measured {
  name: string;
  units: ContourUnit[];
  /** Per condition, per unit: baseline-subtracted, normalised time course over the whole sequence. */
  traces: Record<ContourCondition, number[][]>;
  realRise: (number | null)[];
  illusoryRise: (number | null)[];
  /** Per unit: illusory minus control, mean over the figure window (x its real-contour peak). */
  illusory: number[];
  rfNote: string;
  byOrientation: boolean;
}

/** One responder's units on the contour and their responses to the shared sequences. */
async function measure(ctx: ExperimentContext, r: Responder, sequences: Float32Array[], view: ModelView, d: ContourDesign, probe: Probe, count: number, progress: (f: number, m: string) => void): Promise<Measured> {
  const T = contourFrames(d);
  const onset = contourOnsetFrame(d);
  const name = `${probe.type}${probe.layer}`;
  progress(0.1, `recording ${name} over ${T} frames`);
  const recs = await r.run(sequences, T, { probes: [probe] });
  const byCondition = Object.fromEntries(CONTOUR_CONDITIONS.map((c, k) => [c, recs[k]![0]!])) as Record<ContourCondition, Recording>;
  progress(0.2, 'mapping receptive fields');
  // Mapped receptive fields (cached per checkpoint); the grid cells if mapping fails.
  let rfs: Map<number, ChannelRf> | null = null;
  let rfNote: string;
  try {
    const map = await receptiveFields({ ...ctx, responder: r, onProgress: (f, m) => progress(0.2 + 0.5 * f, `receptive fields: ${m}`) });
    const s = 2 ** probe.layer;
    rfs = new Map(
      map.units
        .filter((u) => u.layer === probe.layer && u.type === probe.type && u.responsive)
        .map((u) => [u.channel, { dx: u.x - (u.j + 0.5) * s, dy: u.y - (u.i + 0.5) * s, orientationDeg: u.orientationDeg }]),
    );
    rfNote = `Receptive fields mapped (${map.cached ? 'from the cache' : 'measured now'}): ${rfs.size} of ${r.unitChannels(probe)} ${name} channels responded to a probe; each channel's centre offset and preferred orientation, shifted with the unit's position.`;
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    rfNote = `Receptive fields could not be mapped (${(e as Error).message}); the grid cells stand for them and orientation is not asked.`;
  }
  throwIfCancelled(ctx);
  // Fewer than 3 units tuned along the contour (e.g. untuned channels): centres only, said in the notes.
  let byOrientation = rfs !== null;
  let units = chooseContourUnits(view, d, byCondition.real, byCondition.blank, count, rfs, byOrientation);
  if (rfs && units.length < 3) {
    byOrientation = false;
    units = chooseContourUnits(view, d, byCondition.real, byCondition.blank, count, rfs, false);
    rfNote += " Fewer than 3 units on the contour preferred the side's orientation, so orientation was not asked.";
  }
  const traces = {} as Record<ContourCondition, number[][]>;
  for (const c of CONTOUR_CONDITIONS) traces[c] = [];
  for (const u of units) {
    for (const c of CONTOUR_CONDITIONS) {
      const xs = Array.from({ length: T }, (_, t) => at(byCondition[c], t, u.channel, u.row, u.col));
      const b = mean(xs.slice(Math.max(0, onset - 2), onset));
      traces[c].push(xs.map((v) => (v - b) / u.peak));
    }
  }
  const after = (xs: number[]) => xs.slice(onset);
  const realRise: (number | null)[] = [];
  const illusoryRise: (number | null)[] = [];
  const illusory: number[] = [];
  units.forEach((_, u) => {
    const real = after(traces.real[u]!).map((v, k) => v - traces.blank[u]![onset + k]!);
    const ill = after(traces.illusory[u]!).map((v, k) => v - traces.control[u]![onset + k]!);
    realRise.push(riseStep(real, RESPONSE_FLOOR));
    illusoryRise.push(riseStep(ill, RESPONSE_FLOOR));
    illusory.push(mean(ill));
  });
  return { name: r.name, units, traces, realRise, illusoryRise, illusory, rfNote, byOrientation };
}

/**
 * The latency in words: later / earlier when the mean difference is at least one model frame and
 * its CI excludes 0; under one frame: not resolvable at this frame rate; else undetermined.
 */
export function latencyClass(frames: number, ci: [number, number]): 'later' | 'earlier' | 'not resolvable' | 'undetermined' {
  if (Math.abs(frames) < 1) return 'not resolvable';
  if (ci[0] > 0) return 'later';
  if (ci[1] < 0) return 'earlier';
  return 'undetermined';
}

export const illusoryContours: Experiment = {
  id: 'illusory-contours',
  title: `Illusory contours (${ILLUSORY_FIGURE})`,
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const r = ctx.responder;
    const published =
      `Lotter et al. (2020, Fig. 5): PredNet units whose receptive field lies on the contour respond to the illusory (${ILLUSORY_FIGURE}) contour, later than to the real one, as V2 neurons do (Lee & Nguyen 2001, monkey V1/V2: the illusory response arises tens of ms after the real one).`;
    if (r.predictionOnly) return notApplicable({ id: 'illusory-contours', title: illusoryContours.title, published, axes: { x: 'time step from figure onset', y: 'response' } }, r, 'illusory contours');
    const view = batteryView(r);
    const d = contourDesign(view, ctx.quick);
    const T = contourFrames(d);
    const onset = contourOnsetFrame(d);
    const frameMs = 1000 / view.frameRateHz;
    const probe: Probe = { layer: Math.min(1, r.layers - 1), type: 'E' };
    const probeName = `${probe.type}${probe.layer}`;
    const count = ctx.quick ? 24 : 64;
    ctx.onProgress?.(0, `drawing the ${ILLUSORY_FIGURE}, real, control and blank sequences`);
    const sequences = CONTOUR_CONDITIONS.map((c) => contourSequence(d, c, view));
    throwIfCancelled(ctx);
    const u = untrainedOrWhy(ctx.references);
    const share = 'responder' in u ? 0.5 : 1;
    const model = await measure(ctx, r, sequences, view, d, probe, count, (f, m) => ctx.onProgress?.(share * f, m));
    const untrained = 'responder' in u ? await measure(ctx, u.responder, sequences, view, d, probe, count, (f, m) => ctx.onProgress?.(0.5 + 0.5 * f, `untrained network: ${m}`)) : null;
    ctx.onProgress?.(0.95, 'timing the responses of the units on the contour');
    const unitsNote = (m: Measured) =>
      `receptive field centred on the illusory part of the contour (on a side, and a whole grid cell around it clear of every inducer)${m.byOrientation ? ', preferred orientation within 22.5 deg of the side' : ''}, ranked by the mean of their real-contour signal in the figure window (rise over the disc frames beyond the blank's); the top ${count} of those reaching 5 % of the best and ${MIN_CONTRAST} kept, at most ${PER_CHANNEL} positions per channel (${m.units.length} found, ${new Set(m.units.map((x) => x.channel)).size} channels)`;
    const notes = [
      `Recorded ${probeName} (${r.unitChannels(probe)} channels); frames: ${d.preFrames} blank, ${d.discFrames} complete discs, ${d.figureFrames} figure, each one model frame of ${fmt(frameMs)} ms (${view.frameRateHz} frames/s, sampled); the figure appears at step ${onset}.`,
      `Units: ${unitsNote(model)}.`,
      model.rfNote,
      `Responses per unit: minus its mean over the last two disc frames, divided by the peak of its real-contour signal; illusory signal = illusory - control, real signal = real - blank; illusory response = mean of the illusory signal over the ${d.figureFrames} figure frames; rise = first step after onset at half the signal's peak (signals under ${RESPONSE_FLOOR * 100} % of the real peak count as no response).`,
      untrained ? `Beside it, ${untrained.name} (same architecture, weights as initialised), on the same frames, its units chosen the same way: ${unitsNote(untrained)}. ${untrained.rfNote}` : `No untrained network beside it: ${'why' in u ? u.why : ''}.`,
      `Verdict: the illusory response above 0 in the model (CI over channels, each channel's positions averaged: they share its weights) and above the untrained network's (CI of the difference, each network's channels resampled; at least ${MIN_UNITS} channels each); its latency (illusory minus real rise, units with both) in ms, one model frame being ${fmt(frameMs)} ms: a difference under one frame is not resolvable at this frame rate, and only an illusory response resolvably earlier than the real one contradicts the published result. Running a checkpoint at more frames/s than it was trained at (the default: 10) shows it motion it never learned, so finer latencies need a model trained at that rate.`,
    ];
    const base: Omit<ExperimentResult, 'verdict'> = {
      id: 'illusory-contours',
      title: illusoryContours.title,
      published,
      axes: { x: 'time step from figure onset', y: `${probeName} response minus blank (x real-contour peak)` },
      series: [],
      table: { columns: ['who', 'step_from_onset', 'condition', 'mean', 'lo', 'hi'], rows: [] },
      notes,
    };
    if (model.units.length === 0)
      return { ...base, verdict: { effect: null, text: `illusory contours in ${probeName}: undetermined, no unit on the contour responds to the real contour`, statistic: null } };

    // Plotted: each condition minus the blank (so the real contour peaks at 1), from the baseline frames on.
    const from = Math.max(0, onset - 2);
    const steps = Array.from({ length: T }, (_, t) => t - onset);
    const seriesOf = (m: Measured, prefix: string): Series[] =>
      m.units.length === 0
        ? []
        : (['illusory', 'real', 'control'] as const).map((c) => ({
            name: `${prefix}${c}`,
            x: steps.slice(from),
            ...columnBands(m.traces[c].map((tr, k) => tr.slice(from).map((v, j) => v - m.traces.blank[k]![from + j]!))),
          }));
    const modelSeries = seriesOf(model, '');
    const untrainedSeries = untrained ? seriesOf(untrained, 'untrained: ') : [];
    const rows: (string | number)[][] = [
      ...modelSeries.flatMap((s) => s.x.map((x, k) => ['model', x, s.name, s.y[k]!, s.lo![k]!, s.hi![k]!])),
      ...untrainedSeries.flatMap((s) => s.x.map((x, k) => ['untrained', x, s.name.replace('untrained: ', ''), s.y[k]!, s.lo![k]!, s.hi![k]!])),
    ];
    const arraysOf = (prefix: string, m: Measured) => {
      const unitTable = new Float32Array(m.units.length * 7);
      m.units.forEach((un, k) => unitTable.set([un.channel, un.row, un.col, un.contrast, m.realRise[k] ?? Number.NaN, m.illusoryRise[k] ?? Number.NaN, m.illusory[k]!], k * 7));
      const responses = new Float32Array(3 * m.units.length * T);
      (['illusory', 'real', 'control'] as const).forEach((c, ci) => m.traces[c].forEach((tr, k) => responses.set(tr, (ci * m.units.length + k) * T)));
      return m.units.length
        ? [
            { name: `${prefix}${probeName}/responses`, shape: [3, m.units.length, T], data: responses },
            { name: `${prefix}${probeName}/units`, shape: [m.units.length, 7], data: unitTable },
          ]
        : [];
    };
    const result = {
      ...base,
      series: [...modelSeries, ...untrainedSeries],
      table: { ...base.table, rows },
      arrays: [...arraysOf('', model), ...(untrained ? arraysOf('untrained/', untrained) : [])],
      notes: [...notes, `HDF5: ${probeName}/responses is (condition: illusory, real, control; unit; step) normalised; ${probeName}/units columns: channel, row, col, contrast, real rise, illusory rise (NaN: no response), illusory response; the untrained network's under untrained/.`],
    };

    // Statistics over channels (each channel's positions averaged): a channel's units share its weights.
    const mc = byChannel(model.units, model.illusory);
    const uc = untrained ? byChannel(untrained.units, untrained.illusory) : [];
    const resp = mean(mc);
    const respCi = mc.length >= MIN_UNITS ? bootstrapMeanCi(mc, ctx.seed) : ([Number.NaN, Number.NaN] as [number, number]);
    const own = comparison(`${probeName} illusory response`, 'x real peak', mc.length >= MIN_UNITS ? { value: resp, ci: respCi } : null, 'above', `only ${mc.length} channel(s) on the contour (at least ${MIN_UNITS} needed)`);
    const beyond = comparison(
      `${probeName} illusory response, model minus untrained`,
      'x real peak',
      untrained && mc.length >= MIN_UNITS && uc.length >= MIN_UNITS ? differenceOfMeans(mc, uc, ctx.seed + 1) : null,
      'above',
      !untrained ? 'no untrained network beside' : `channels on the contour: model ${mc.length}, untrained ${uc.length} (at least ${MIN_UNITS} each needed)`,
    );
    // Latency: units with both rises, averaged per channel.
    const diffs = byChannel(model.units, model.units.map((_, k) => (model.realRise[k] !== null && model.illusoryRise[k] !== null ? model.illusoryRise[k]! - model.realRise[k]! : null)));
    let latencyText: string;
    let latency: Comparison | null = null;
    let latencyKind: ReturnType<typeof latencyClass> | 'too few' = 'too few';
    if (diffs.length >= MIN_UNITS) {
      const lag = mean(diffs);
      const ci = bootstrapMeanCi(diffs, ctx.seed + 2);
      latencyKind = latencyClass(lag, ci);
      const ms = `${fmt(lag * frameMs)} ms ${ciText([ci[0] * frameMs, ci[1] * frameMs], 3)} (${diffs.length} channels; one model frame = ${fmt(frameMs)} ms)`;
      latencyText =
        latencyKind === 'not resolvable'
          ? `latency not resolvable at this frame rate: illusory minus real rise ${ms}, under one frame`
          : latencyKind === 'undetermined'
            ? `latency undetermined: illusory minus real rise ${ms}, CI includes 0`
            : `the illusory response rises ${latencyKind} than the real one: ${ms}`;
      latency = { name: `${probeName} illusory minus real rise`, value: lag * frameMs, unit: 'ms', ci: [ci[0] * frameMs, ci[1] * frameMs], rule: 'not resolvably earlier (CI below 0 by a frame or more contradicts)', holds: latencyKind !== 'earlier' };
    } else latencyText = `latency undetermined: only ${diffs.length} channel(s) respond to both contours (at least ${MIN_UNITS} needed)`;
    const tests = [own, beyond, ...(latency ? [latency] : [])];
    const effect = allHold([own, beyond]) === true && latencyKind === 'earlier' ? false : allHold([own, beyond]);
    const ud = uc.length >= MIN_UNITS ? { value: mean(uc), ci: bootstrapMeanCi(uc, ctx.seed + 3) } : null;
    const text =
      `illusory contours in ${probeName}: ${yesNo(effect)}; illusory response beyond the untrained network: ${yesNo(allHold([own, beyond]))}. ` +
      `Illusory response ${fmt(resp, 2)}x the real peak${mc.length >= MIN_UNITS ? ` ${ciText(respCi)}` : ''} (${mc.length} channel${mc.length === 1 ? '' : 's'})${ud ? `, untrained ${fmt(ud.value, 2)}x ${ciText(ud.ci)} (${uc.length} channels)` : ''}; ${comparisonText(beyond)}; ${latencyText}.`;
    return {
      ...result,
      verdict: {
        effect,
        text,
        statistic: mc.length >= MIN_UNITS ? { name: `${probeName} illusory response`, value: resp, unit: 'x real peak', ci: respCi } : null,
        comparisons: tests,
        beside: untrained ? [{ who: 'untrained', statistic: ud ? { name: `${probeName} illusory response`, value: ud.value, unit: 'x real peak', ci: ud.ci } : null, text: ud ? `untrained illusory response ${fmt(ud.value, 2)}x ${ciText(ud.ci)}` : 'untrained: no unit on the contour responds to the real contour' }] : [],
      },
    };
  },
};
