/**
 * The paper battery's experiment on this paradigm, registered through paradigms/battery-experiments.ts.
 * Flash-lag (issue 13 part 5, issue 20 part 5; Nijhawan 1994, Lotter et al. 2020): a one-model-frame
 * flash in line with a moving bar (translating, and Nijhawan's rotating bar, the paper's display),
 * in the continuous, flash-initiated and flash-terminated variants at several speeds.
 * The percept is the predicted frame (Ahat0) 1 and 2 frames after the flash, read by the
 * flash-lag paradigm's own readout (flash minus bar along the motion); the lag is minus that
 * offset, in degrees and in ms of the bar's motion. The same trials go through the null observers:
 * copy-last, the oracle (the true next frame) and an untrained network of the model's architecture.
 * The verdict says yes only for people's pattern, per readout delay: continuous and flash-initiated
 * lags above copy-last's (and the oracle's and the untrained network's where they read one),
 * flash-terminated about zero and below continuous. People's values, where a lab has them, are
 * added beside the model's through the experiment's `lab` hook (read by the replicate service).
 */
import { FLASH_DISPLAYS, FLASH_MODEL_FRAMES, FLASH_VARIANTS, flashLagParadigm, flashTrials, type FlashLagMotion, type FlashLagVariant, type FlashTrial } from '../battery-flash-stimuli.js';
import { readFlashLag } from './readout.js';
import { rasterizeTrial, type ModelView } from '../rasterize.js';
import { allHold, batteryView, bootstrapMeanCi, ciText, comparison, fmt, mean, MIN_UNITS, yesNo } from '../battery-stats.js';
import { throwIfCancelled } from '../battery-units.js';
import type { BesideValue, Comparison, Experiment, ExperimentContext, ExperimentResult, LabSession, Recording, Responder, Series } from '../battery-types.js';

/**
 * Readout delays measured (frames after the flash's onset). Delay 1 predicts the frame after the
 * flash from frames up to it: continuous and flash-terminated have shown the same frames then, so
 * no causal predictor can tell them apart; delay 2 predicts from a frame after the flash, when the
 * motion has gone on, started, or stopped.
 */
export const READOUT_DELAYS = [1, 2] as const;

/** Fewer (paired) readings than this and a test is not determined (the unit experiments' rule: a bootstrap of fewer is too narrow). */
export const MIN_READINGS = MIN_UNITS;

/** Who is read: the model and the null observers beside it. */
export const OBSERVERS = ['model', 'copy-last', 'oracle', 'untrained'] as const;
export type Observer = (typeof OBSERVERS)[number];

/** (T, C, H, W) -> (T, H, W, C): the readout reads frames channels-last. */
export function channelsLast(rec: Recording): Float32Array {
  const [T, C, H, W] = rec.shape;
  const out = new Float32Array(rec.data.length);
  for (let t = 0; t < T; t++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < H * W; p++) out[(t * H * W + p) * C + c] = rec.data[(t * C + c) * H * W + p]!;
  return out;
}

export interface FlashReading {
  who: Observer;
  /** Index of the trial in the experiment's trial list (the same for every observer). */
  index: number;
  trial: FlashTrial;
  /** Frames after the flash's onset at which the prediction was read. */
  delay: number;
  /** Flash minus bar along the motion in the prediction (deg); null: bar or flash not in it. */
  perceivedOffsetDeg: number | null;
}

/** One row per observer, display, variant, delay and speed: the mean lag and its CI over the trials read. */
export interface LagSummary {
  who: Observer;
  display: FlashLagMotion;
  variant: FlashLagVariant;
  delay: number;
  speedDegPerS: number;
  lagDeg: number;
  lagMs: number;
  ci: [number, number];
  trials: number;
  /** Predictions that showed no bar or no flash (no reading). */
  missing: number;
}

const lagMs = (r: FlashReading) => (-r.perceivedOffsetDeg! / r.trial.speedDegPerS) * 1000;

/** How a display is named in series and text: the translating bar is the plain one. */
export const displayLabel = (d: string) => (d === 'rotate' ? ' (rotating bar)' : '');
/** One panel of the plot per display and readout delay (their speeds and lags differ in kind). */
const panel = (display: string, delay: number) => `${display === 'rotate' ? 'rotating' : 'translating'} bar, readout delay ${delay}`;

export function summariseLags(readings: FlashReading[], seed: number): LagSummary[] {
  const out: LagSummary[] = [];
  const delays = [...new Set(readings.map((r) => r.delay))].sort((a, b) => a - b);
  OBSERVERS.forEach((who, w) =>
    FLASH_DISPLAYS.forEach((display, d) => {
      const speeds = [...new Set(readings.filter((r) => r.trial.display === display).map((r) => r.trial.speedDegPerS))].sort((a, b) => a - b);
      FLASH_VARIANTS.forEach((variant, v) =>
        delays.forEach((delay) =>
          speeds.forEach((speed, s) => {
            const all = readings.filter((r) => r.who === who && r.delay === delay && r.trial.display === display && r.trial.variant === variant && r.trial.speedDegPerS === speed);
            const read = all.filter((r) => r.perceivedOffsetDeg !== null);
            if (all.length === 0) return;
            const ms = read.map(lagMs);
            const ci: [number, number] = read.length ? bootstrapMeanCi(ms, seed + 10_000 * w + 1000 * d + 31 * v + 7 * delay + s) : [Number.NaN, Number.NaN];
            out.push({ who, display, variant, delay, speedDegPerS: speed, lagDeg: read.length ? mean(read.map((r) => -r.perceivedOffsetDeg!)) : Number.NaN, lagMs: read.length ? mean(ms) : Number.NaN, ci, trials: read.length, missing: all.length - read.length });
          }),
        ),
      );
    }),
  );
  return out;
}

/** Where a delay reads past a sequence's end, that reading is missing (null), not clamped. */
function readAt(prediction: Float32Array, trial: FlashTrial, view: ModelView, delay: number, T: number) {
  try {
    return readFlashLag(prediction, trial.stimulus, view, delay, T);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

interface Drawn {
  trial: FlashTrial;
  frames: Float32Array;
  count: number;
}

/** One observer's readings of every trial at every delay, and (when asked) the predicted frames read. */
async function readObserver(ctx: ExperimentContext, who: Observer, r: Responder, drawn: Drawn[], view: ModelView, keepFrames: boolean, progress: (f: number) => void): Promise<{ readings: FlashReading[]; frames: Float32Array[] }> {
  const size = view.width * view.height * view.channels;
  const readings: FlashReading[] = [];
  const frames: Float32Array[] = [];
  // Sequences of one length run together (variants differ in length).
  const lengths = [...new Set(drawn.map((d) => d.count))];
  const byIndex = new Map<number, { readings: FlashReading[]; frames: Float32Array[] }>();
  let done = 0;
  for (const T of lengths) {
    throwIfCancelled(ctx);
    const group = drawn.map((d, index) => ({ ...d, index })).filter((d) => d.count === T);
    const recs = await r.run(group.map((g) => g.frames), T, { probes: [{ layer: 0, type: 'Ahat' }] });
    group.forEach((g, k) => {
      const prediction = channelsLast(recs[k]![0]!);
      const mine = { readings: [] as FlashReading[], frames: [] as Float32Array[] };
      for (const delay of READOUT_DELAYS) {
        const read = readAt(prediction, g.trial, view, delay, T);
        mine.readings.push({ who, index: g.index, trial: g.trial, delay, perceivedOffsetDeg: read?.perceivedOffsetDeg ?? null });
        if (keepFrames) mine.frames.push(read ? prediction.slice(read.readoutFrame * size, (read.readoutFrame + 1) * size) : new Float32Array(size).fill(Number.NaN));
      }
      byIndex.set(g.index, mine);
    });
    done += group.length;
    progress(done / drawn.length);
  }
  // In trial order, whatever order the lengths ran in.
  drawn.forEach((_, i) => {
    readings.push(...byIndex.get(i)!.readings);
    frames.push(...byIndex.get(i)!.frames);
  });
  return { readings, frames };
}

/** Lag (ms) per trial index of one observer, variant and delay, over the trials it read. */
function lagsOf(readings: FlashReading[], who: Observer, variant: FlashLagVariant, delay: number): Map<number, number> {
  return new Map(readings.filter((r) => r.who === who && r.delay === delay && r.trial.variant === variant && r.perceivedOffsetDeg !== null).map((r) => [r.index, lagMs(r)]));
}

/** Trials of one observer, variant and delay (read or not). */
const countOf = (readings: FlashReading[], who: Observer, variant: FlashLagVariant, delay: number) => readings.filter((r) => r.who === who && r.delay === delay && r.trial.variant === variant).length;

/** A design cell: the same display, speed, direction and flash moment across variants. */
const cellOf = (t: FlashTrial) => `${t.display}/${t.speedDegPerS}/${t.stimulus.direction}/${t.repeat}`;

function meanCi(xs: number[], seed: number): { value: number; ci: [number, number] } | null {
  return xs.length >= MIN_READINGS ? { value: mean(xs), ci: bootstrapMeanCi(xs, seed) } : null;
}

interface DelayVerdict {
  delay: number;
  holds: boolean | null;
  tests: Comparison[];
  text: string;
}

/**
 * People's pattern at one readout delay, against the references read on the same trials:
 *  - continuous and flash-initiated: lag above copy-last's (paired over trials; where copy-last's
 *    prediction shows no flash at all, above 0, the lag copy-last reads whenever it shows one),
 *    and above the oracle's and the untrained network's where they read one (paired);
 *  - flash-terminated: its CI includes 0, and it lies below continuous (paired over design cells).
 */
function delayVerdict(readings: FlashReading[], delay: number, seed: number): DelayVerdict {
  const tests: Comparison[] = [];
  // A short phrase per test for the verdict line: what failing it means.
  const fails: string[] = [];
  const add = (c: Comparison, failing: string) => {
    tests.push(c);
    fails.push(failing);
  };
  const model = (v: FlashLagVariant) => lagsOf(readings, 'model', v, delay);
  const paired = (a: Map<number, number>, b: Map<number, number>) => [...a.keys()].filter((k) => b.has(k)).map((k) => a.get(k)! - b.get(k)!);
  const missingText = (who: Observer, v: FlashLagVariant) => `${who} shows no bar or no flash in ${countOf(readings, who, v, delay) - lagsOf(readings, who, v, delay).size} of ${countOf(readings, who, v, delay)} predictions`;
  FLASH_VARIANTS.filter((v) => v !== 'flash-terminated').forEach((v, vi) => {
    const m = model(v);
    const copy = lagsOf(readings, 'copy-last', v, delay);
    if (copy.size > 0)
      add(comparison(`${v} lag minus copy-last's (paired, delay ${delay})`, 'ms', meanCi(paired(m, copy), seed + 10 * vi), 'above', `fewer than ${MIN_READINGS} trials read by both (${missingText('model', v)})`), `${v} not above copy-last`);
    else
      add(comparison(`${v} lag (copy-last's prediction shows no flash at delay ${delay}: held to 0)`, 'ms', meanCi([...m.values()], seed + 10 * vi), 'above', `fewer than ${MIN_READINGS} trials read (${missingText('model', v)})`), `${v} not above 0`);
    for (const ref of ['oracle', 'untrained'] as const) {
      const d = paired(m, lagsOf(readings, ref, v, delay));
      // Only where the reference reads one: a reference that sees no flash has no lag to beat.
      const whose = ref === 'oracle' ? "the oracle's" : "the untrained network's";
      if (d.length >= MIN_READINGS) add(comparison(`${v} lag minus ${whose} (paired, delay ${delay})`, 'ms', meanCi(d, seed + 10 * vi + (ref === 'oracle' ? 1 : 2)), 'above'), `${v} not above ${whose}`);
    }
  });
  const t = meanCi([...model('flash-terminated').values()], seed + 50);
  add(
    t
      ? { name: `flash-terminated lag (delay ${delay})`, value: t.value, unit: 'ms', ci: t.ci, rule: 'CI includes 0', holds: t.ci[0] <= 0 && t.ci[1] >= 0 }
      : { name: `flash-terminated lag (delay ${delay})`, value: null, unit: 'ms', ci: null, rule: `CI includes 0; not determined: fewer than ${MIN_READINGS} trials read (${missingText('model', 'flash-terminated')})`, holds: null },
    'flash-terminated not about 0',
  );
  const byCell = (v: FlashLagVariant) => new Map(readings.filter((r) => r.who === 'model' && r.delay === delay && r.trial.variant === v && r.perceivedOffsetDeg !== null).map((r) => [cellOf(r.trial), lagMs(r)]));
  const cont = byCell('continuous');
  const termCells = byCell('flash-terminated');
  add(
    comparison(`continuous minus flash-terminated lag (paired over design cells, delay ${delay})`, 'ms', meanCi([...cont.keys()].filter((k) => termCells.has(k)).map((k) => cont.get(k)! - termCells.get(k)!), seed + 60), 'above', `fewer than ${MIN_READINGS} design cells read in both`),
    'flash-terminated not below continuous',
  );
  const holds = allHold(tests);
  const lag = (v: FlashLagVariant) => {
    const xs = [...model(v).values()];
    const n = countOf(readings, 'model', v, delay);
    return xs.length ? `${v} ${fmt(mean(xs))} ms${xs.length >= 2 ? ` ${ciText(bootstrapMeanCi(xs, seed + 70), 3)}` : ''}${xs.length < n ? ` (${n - xs.length} of ${n} not read)` : ''}` : `${v} not read (${n} of ${n})`;
  };
  const failed = tests.flatMap((c, k) => (c.holds === false ? [fails[k]!] : []));
  const open = tests.flatMap((c, k) => (c.holds === null ? [fails[k]!.replace(' not ', ' ')] : []));
  const why = [...(failed.length ? [`${failed.join(', ')}`] : []), ...(open.length ? [`not determined: ${open.join(', ')}`] : [])];
  return { delay, holds, tests, text: `delay ${delay}: ${yesNo(holds)} (${FLASH_VARIANTS.map(lag).join(', ')}${why.length ? `; ${why.join('; ')}` : ''})` };
}

/** A reference's lags, pooled over displays and speeds, per variant and delay, in a sentence. */
function referenceText(readings: FlashReading[], who: Observer): string {
  const parts = READOUT_DELAYS.map((delay) => {
    const counts = FLASH_VARIANTS.map((v) => ({ v, xs: [...lagsOf(readings, who, v, delay).values()], n: countOf(readings, who, v, delay) }));
    const total = counts.reduce((s, c) => s + c.n, 0);
    if (counts.every((c) => c.xs.length === 0)) return `delay ${delay}: no reading (no bar or no flash in all ${total} predictions)`;
    return `delay ${delay}: ${counts.map(({ v, xs, n }) => (xs.length ? `${v} ${fmt(mean(xs))} ms${xs.length < n ? ` (${xs.length} of ${n} read)` : ''}` : `${v} no reading (${n} of ${n})`)).join(', ')}`;
  });
  return `${who}: ${parts.join('; ')}`;
}

/** People's flash-lag, as the app measured it (PSE of their sessions per variant and speed). */
export interface PeopleLag {
  /** translate or rotate (the paradigm's motion parameter). */
  display: string;
  variant: string;
  speedDegPerS: number;
  pseMs: number;
  pseDeg: number;
  ci: [number, number] | null;
  sessions: number;
}

/** People's flash-lag from their finished sessions: PSE per display, variant and speed (mean over sessions). */
export function peopleLag(sessions: LabSession[]): PeopleLag[] {
  const cells = new Map<string, { display: string; variant: string; speed: number; ms: number[]; deg: number[]; ci: [number, number] | null }>();
  for (const { parameters, analysis } of sessions) {
    const stats = analysis.conditions[0]?.statistics ?? [];
    const ms = stats.find((x) => x.key === 'pse-ms');
    const deg = stats.find((x) => x.key === 'pse-deg');
    if (ms?.value == null || deg?.value == null || ms.undetermined) continue;
    const p = parameters as { variant?: string; speedDegPerS?: number; motion?: string };
    const variant = p.variant ?? flashLagParadigm.defaults.variant;
    const speed = p.speedDegPerS ?? flashLagParadigm.defaults.speedDegPerS;
    const display = p.motion ?? 'translate';
    const key = `${display}/${variant}@${speed}`;
    const cell = cells.get(key) ?? { display, variant, speed, ms: [], deg: [], ci: ms.ci ?? null };
    cell.ms.push(ms.value);
    cell.deg.push(deg.value);
    cells.set(key, cell);
  }
  return [...cells.values()].map((c, k) => ({
    display: c.display,
    variant: c.variant,
    speedDegPerS: c.speed,
    pseMs: mean(c.ms),
    pseDeg: mean(c.deg),
    // One session: its own CI; several: a bootstrap over sessions.
    ci: c.ms.length === 1 ? c.ci : bootstrapMeanCi(c.ms, 7 + k),
    sessions: c.ms.length,
  }));
}

const TRIAL_COLUMNS = 8;

export const flashLagExperiment: Experiment = {
  id: 'flash-lag',
  title: 'Flash-lag',
  lab: { paradigmId: flashLagParadigm.id, read: peopleLag, merge: (result: ExperimentResult, people: PeopleLag[] | null) => withPeople(result, people) },
  async run(ctx: ExperimentContext): Promise<ExperimentResult> {
    const r = ctx.responder;
    const view = batteryView(r);
    const trials = flashTrials(view, ctx.quick);
    ctx.onProgress?.(0, `drawing ${trials.length} flash-lag sequences`);
    const drawn = trials.map((t) => ({ trial: t, ...rasterizeTrial(flashLagParadigm, t.stimulus, view) }));
    // The model and the null observers beside it, on the same drawn frames.
    const refs = ctx.references;
    const observers: { who: Observer; responder: Responder }[] = [{ who: 'model', responder: r }];
    if (refs?.copyLast) observers.push({ who: 'copy-last', responder: refs.copyLast });
    if (refs?.oracle) observers.push({ who: 'oracle', responder: refs.oracle });
    if (refs?.untrained) observers.push({ who: 'untrained', responder: refs.untrained });
    const absent = OBSERVERS.filter((w) => !observers.some((o) => o.who === w)).map((w) => `${w}: ${(w !== 'model' && refs?.missing[w]) || 'not given'}`);
    const readings: FlashReading[] = [];
    const kept = new Map<Observer, Float32Array[]>();
    for (const [k, o] of observers.entries()) {
      // Networks take most of the time; the references are cheap.
      const span = (f: number) => ctx.onProgress?.(0.05 + (0.9 * (k + f)) / observers.length, `${o.who === 'model' ? 'model' : o.who}: predicted ${Math.round(f * drawn.length)} of ${drawn.length} sequences`);
      const got = await readObserver(ctx, o.who, o.responder, drawn, view, o.who === 'model' || o.who === 'untrained', span);
      readings.push(...got.readings);
      if (got.frames.length) kept.set(o.who, got.frames);
    }

    const summary = summariseLags(readings, ctx.seed);
    const speedsOf = (display: FlashLagMotion) => [...new Set(trials.filter((t) => t.display === display).map((t) => t.speedDegPerS))].join(', ');
    const series: Series[] = observers.flatMap(({ who }) =>
      FLASH_DISPLAYS.flatMap((display) =>
        FLASH_VARIANTS.flatMap((variant) =>
          READOUT_DELAYS.flatMap((delay) => {
            const rows = summary.filter((s) => s.who === who && s.display === display && s.variant === variant && s.delay === delay && s.trials > 0);
            return rows.length ? [{ name: `${who}: ${variant}`, group: panel(display, delay), x: rows.map((s) => s.speedDegPerS), y: rows.map((s) => s.lagMs), lo: rows.map((s) => s.ci[0]), hi: rows.map((s) => s.ci[1]) }] : [];
          }),
        ),
      ),
    );
    const trialArray = (who: Observer) => {
      const mine = readings.filter((x) => x.who === who);
      const data = new Float32Array(mine.length * TRIAL_COLUMNS);
      mine.forEach((x, k) =>
        data.set(
          [FLASH_DISPLAYS.indexOf(x.trial.display), FLASH_VARIANTS.indexOf(x.trial.variant), x.trial.speedDegPerS, x.trial.stimulus.direction, x.trial.repeat, x.delay, x.perceivedOffsetDeg ?? Number.NaN, x.perceivedOffsetDeg === null ? Number.NaN : lagMs(x)],
          k * TRIAL_COLUMNS,
        ),
      );
      return { name: `${who === 'model' ? '' : `${who}/`}flash-lag/trials`, shape: [mine.length, TRIAL_COLUMNS], data };
    };
    const frameSize = view.width * view.height * view.channels;
    const framesArray = (who: Observer, frames: Float32Array[]) => {
      const data = new Float32Array(frames.length * frameSize);
      frames.forEach((f, k) => data.set(f, k * frameSize));
      return { name: `${who === 'model' ? '' : `${who}/`}flash-lag/readout_frames`, shape: [frames.length, view.height, view.width, view.channels], data };
    };
    const missing = (who: Observer) => {
      const mine = readings.filter((x) => x.who === who);
      return `${who} ${mine.filter((x) => x.perceivedOffsetDeg === null).length} of ${mine.length}`;
    };
    const perDelay = READOUT_DELAYS.map((delay) => delayVerdict(readings, delay, ctx.seed + 100 * delay));
    const shown = perDelay.filter((d) => d.holds === true);
    const effect = shown.length ? true : perDelay.every((d) => d.holds === false) ? false : null;
    // The statistic: the model's continuous lag at the delay that shows the pattern, else the latest one read.
    const statDelay = shown[0]?.delay ?? [...READOUT_DELAYS].reverse().find((d) => lagsOf(readings, 'model', 'continuous', d).size > 0) ?? READOUT_DELAYS[0];
    const contLags = [...lagsOf(readings, 'model', 'continuous', statDelay).values()];
    const statistic = contLags.length ? { name: `continuous flash-lag at readout delay ${statDelay}`, value: mean(contLags), unit: 'ms', ci: bootstrapMeanCi(contLags, ctx.seed) } : null;
    const at = (ds: DelayVerdict[]) => `readout delay${ds.length > 1 ? 's' : ''} ${ds.map((d) => d.delay).join(' and ')}`;
    const failed = perDelay.filter((d) => d.holds === false);
    const untested = perDelay.filter((d) => d.holds === null);
    const head =
      effect === true
        ? `yes, people's pattern at ${at(shown)}`
        : effect === false
          ? "no, people's pattern at no readout delay"
          : `undetermined: people's pattern ${failed.length ? `not shown at ${at(failed)}, ` : ''}not testable at ${at(untested)}`;
    const beside: BesideValue[] = observers
      .filter((o) => o.who !== 'model')
      .map(({ who }) => {
        const xs = [...lagsOf(readings, who, 'continuous', statDelay).values()];
        return { who, statistic: xs.length ? { name: `continuous flash-lag at readout delay ${statDelay}`, value: mean(xs), unit: 'ms', ci: bootstrapMeanCi(xs, ctx.seed + 1) } : null, text: referenceText(readings, who) };
      });
    const frameMs = 1000 / view.frameRateHz;
    const result: ExperimentResult = {
      id: 'flash-lag',
      title: flashLagExperiment.title,
      published:
        "Lotter et al. (2020): PredNet's next-frame predictions show the flash-lag illusion (the moving bar predicted ahead of the flash). People see it in the continuous and flash-initiated conditions but not when the motion stops at the flash (Nijhawan 1994; Eagleman & Sejnowski 2000): typically 40-80 ms.",
      axes: { x: 'bar speed (deg/s; rotating bar: deg of rotation/s)', y: 'lag (ms; + = flash behind)' },
      series,
      table: {
        columns: ['who', 'display', 'variant', 'readout_delay', 'speed_deg_per_s', 'lag_deg', 'lag_ms', 'lo_ms', 'hi_ms', 'n', 'no_reading'],
        rows: summary.map((s) => [s.who, s.display, s.variant, s.delay, s.speedDegPerS, s.lagDeg, s.lagMs, s.ci[0], s.ci[1], s.trials, s.missing]),
      },
      arrays: [...observers.map((o) => trialArray(o.who)), ...[...kept.entries()].map(([who, f]) => framesArray(who, f))],
      verdict: {
        effect,
        text: `flash-lag: ${head}. ${perDelay.map((d) => d.text).join('. ')}.`,
        statistic,
        comparisons: perDelay.flatMap((d) => d.tests),
        beside,
      },
      notes: [
        `${trials.length} sequences: translating bar (speeds ${speedsOf('translate')} deg/s) and rotating bar with outer segments flashed (${speedsOf('rotate')} deg of rotation/s) x ${FLASH_VARIANTS.join(', ')} x both directions${ctx.quick ? '' : ' x 3 flash moments'}; view ${view.fovDeg} deg across at ${view.frameRateHz} frames/s, frames sampled (the stimuli are authored in model frames, as the paper's were); the flash lasts ${FLASH_MODEL_FRAMES} model frame (${fmt(FLASH_MODEL_FRAMES * frameMs)} ms), in line with the bar (offset 0); flash-terminated: the bar vanishes with the flash, then 2 blank frames.`,
        `Read: Ahat0 (the predicted frame) ${READOUT_DELAYS.join(' and ')} frames after the flash's onset, by the flash-lag paradigm's readout (translating bar: contrast-weighted centroids of the bar's and the flash's rows; rotating bar: orientation of each ring around fixation). Lag = bar minus flash along the motion; in ms = lag / speed. The flash is gone from the true frame read at either delay, so a lag needs a prediction that keeps the flash.`,
        `Beside the model, on the same trials: ${observers.filter((o) => o.who !== 'model').map((o) => `${o.who} (${o.responder.name})`).join(', ') || 'no reference'}${absent.length ? `; absent: ${absent.join('; ')}` : ''}.`,
        `Readings without a bar or a flash in the prediction are counted, never guessed: ${observers.map((o) => missing(o.who)).join(', ')} (sequences x readout delays).`,
        `Verdict, per readout delay: yes only for people's pattern: continuous and flash-initiated lags above copy-last's (paired over the same trials, 95 % bootstrap CI of the difference above 0; where copy-last's prediction shows no flash at that delay, the lag itself above 0, which is what copy-last reads whenever it shows the flash), and above the oracle's and the untrained network's where those read at least ${MIN_READINGS} of the same trials; flash-terminated about zero (its CI includes 0) and below continuous (paired over display x speed x direction x flash moment, CI above 0). The overall verdict is yes if the pattern holds at a measured delay (named), no if it fails at every delay, else undetermined. Two delays are tested, so a chance yes is somewhat likelier than at one.`,
        "At readout delay 1 the model has seen the same frames in continuous and flash-terminated trials (the bar vanishes only in the frame being predicted), so a prediction cannot tell them apart there: people's pattern can only show at delay 2.",
        'HDF5: flash-lag/trials (and copy-last/, oracle/, untrained/ flash-lag/trials), one row per sequence and readout delay, columns: display (0 translating, 1 rotating), variant (0 continuous, 1 flash-initiated, 2 flash-terminated), speed deg/s, direction, repeat, readout delay (frames), perceived offset deg, lag ms (NaN: no reading); flash-lag/readout_frames (and untrained/): the predicted frame read for each row (row, H, W, C; NaN where the delay reads past the sequence).',
      ],
    };
    return result;
  },
};

/** The result with people's values beside the model's (series, rows, a note), or a note that the lab has none. */
export function withPeople(result: ExperimentResult, people: PeopleLag[] | null): ExperimentResult {
  if (!people || people.length === 0)
    return { ...result, notes: [...result.notes, people ? 'People: the lab has no finished flash-lag sessions of human participants.' : 'People: none (no lab database given).'] };
  const keys = [...new Set(people.map((p) => `${p.display}/${p.variant}`))];
  // People have no readout delay: their PSEs are drawn in every panel of their display.
  const series: Series[] = keys.flatMap((key) => {
    const rows = people.filter((p) => `${p.display}/${p.variant}` === key).sort((a, b) => a.speedDegPerS - b.speedDegPerS);
    const line = { name: `people: ${rows[0]!.variant}`, x: rows.map((p) => p.speedDegPerS), y: rows.map((p) => p.pseMs), lo: rows.map((p) => p.ci?.[0] ?? p.pseMs), hi: rows.map((p) => p.ci?.[1] ?? p.pseMs) };
    return READOUT_DELAYS.map((delay) => ({ ...line, group: panel(rows[0]!.display, delay) }));
  });
  return {
    ...result,
    series: [...result.series, ...series],
    table: { ...result.table, rows: [...result.table.rows, ...people.map((p) => ['people', p.display, p.variant, '', p.speedDegPerS, p.pseDeg, p.pseMs, p.ci?.[0] ?? '', p.ci?.[1] ?? '', p.sessions, ''])] },
    notes: [...result.notes, `People: ${people.reduce((s, p) => s + p.sessions, 0)} finished human session(s) in the lab; PSE (flash offset that looks aligned) per display, variant and speed, mean over sessions, in ms = PSE / speed.`],
  };
}
