/**
 * The paper battery's experiment on this paradigm, registered through paradigms/battery-experiments.ts.
 * Flash-lag (issue 13 part 5; Nijhawan 1994, Lotter et al. 2020): a flash in line with a moving bar
 * (translating, and Nijhawan's rotating bar, the paper's display), in the continuous,
 * flash-initiated and flash-terminated variants at several speeds.
 * The model's percept is its predicted frame (Ahat0) one step after the flash, read by the
 * flash-lag paradigm's own readout (flash minus bar along the motion); the lag is minus that
 * offset, in degrees and in ms of the bar's motion. People's values, where a lab has them, are
 * added beside the model's through the experiment's `lab` hook (read by the replicate service).
 */
import { FLASH_DISPLAYS, FLASH_VARIANTS, flashLagParadigm, flashTrials, type FlashLagMotion, type FlashLagVariant, type FlashTrial } from '../battery-flash-stimuli.js';
import { readFlashLag } from './readout.js';
import { rasterizeTrial } from '../scene/rasterize.js';
import { batteryView, bootstrapMeanCi, fmt, mean } from '../../native-models/battery/report-stats.js';
import { throwIfCancelled } from '../../native-models/battery/unit-analysis.js';
import type { Experiment, ExperimentContext, ExperimentResult, LabSession, Recording, Series } from '../../native-models/battery/types.js';

/** The prediction is read this many frames after the flash's onset (the model observer's default). */
export const READOUT_DELAY_FRAMES = 1;
/**
 * Every readout delay measured: a PredNet's lag depends on it (delay 1 reads the prediction of the
 * flash's second frame, delay 2 that of the frame after it, one more frame of motion seen). The
 * verdict rests on the first.
 */
export const READOUT_DELAYS = [READOUT_DELAY_FRAMES, 2] as const;

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
  trial: FlashTrial;
  /** Frames after the flash's onset at which the prediction was read. */
  delay: number;
  /** Flash minus bar along the motion in the prediction (deg); null: bar or flash not in it. */
  perceivedOffsetDeg: number | null;
}

/** One row per display, variant and speed: the model's mean lag and its CI over trials. */
export interface LagSummary {
  display: FlashLagMotion;
  variant: FlashLagVariant;
  delay: number;
  speedDegPerS: number;
  lagDeg: number;
  lagMs: number;
  ci: [number, number];
  trials: number;
}

const lagMs = (r: FlashReading) => (-r.perceivedOffsetDeg! / r.trial.speedDegPerS) * 1000;

/** How a display is named in series and text: the translating bar is the plain one. */
export const displayLabel = (d: string) => (d === 'rotate' ? ' (rotating bar)' : '');
/** One panel of the plot per display and readout delay (their speeds and lags differ in kind). */
const panel = (display: string, delay: number) => `${display === 'rotate' ? 'rotating' : 'translating'} bar, readout delay ${delay}`;

export function summariseLags(readings: FlashReading[], seed: number): LagSummary[] {
  const out: LagSummary[] = [];
  const delays = [...new Set(readings.map((r) => r.delay))].sort((a, b) => a - b);
  FLASH_DISPLAYS.forEach((display, d) => {
    const speeds = [...new Set(readings.filter((r) => r.trial.display === display).map((r) => r.trial.speedDegPerS))].sort((a, b) => a - b);
    FLASH_VARIANTS.forEach((variant, v) =>
      delays.forEach((delay) =>
        speeds.forEach((speed, s) => {
          const read = readings.filter((r) => r.delay === delay && r.trial.display === display && r.trial.variant === variant && r.trial.speedDegPerS === speed && r.perceivedOffsetDeg !== null);
          if (read.length === 0) return;
          const ms = read.map(lagMs);
          out.push({ display, variant, delay, speedDegPerS: speed, lagDeg: mean(read.map((r) => -r.perceivedOffsetDeg!)), lagMs: mean(ms), ci: bootstrapMeanCi(ms, seed + 1000 * d + 31 * v + 7 * delay + s), trials: read.length });
        }),
      ),
    );
  });
  return out;
}

/** Where a delay reads past a sequence's end, that reading is missing (null), not clamped. */
function readAt(prediction: Float32Array, trial: FlashTrial, view: Parameters<typeof readFlashLag>[2], delay: number, T: number) {
  try {
    return readFlashLag(prediction, trial.stimulus, view, delay, T);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
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
    // Sequences of one length run together (variants differ in length).
    const lengths = [...new Set(drawn.map((d) => d.count))];
    const readings: FlashReading[] = [];
    const readoutFrames: Float32Array[] = [];
    let done = 0;
    for (const T of lengths) {
      throwIfCancelled(ctx);
      const group = drawn.filter((d) => d.count === T);
      const recs = await r.run(group.map((g) => g.frames), T, { probes: [{ layer: 0, type: 'Ahat' }] });
      const size = view.width * view.height * view.channels;
      group.forEach((g, k) => {
        const prediction = channelsLast(recs[k]![0]!);
        for (const delay of READOUT_DELAYS) {
          const read = readAt(prediction, g.trial, view, delay, T);
          readings.push({ trial: g.trial, delay, perceivedOffsetDeg: read?.perceivedOffsetDeg ?? null });
          readoutFrames.push(read ? prediction.slice(read.readoutFrame * size, (read.readoutFrame + 1) * size) : new Float32Array(size).fill(Number.NaN));
        }
      });
      done += group.length;
      ctx.onProgress?.(0.1 + (0.85 * done) / drawn.length, `predicted ${done} of ${drawn.length} sequences`);
    }

    const summary = summariseLags(readings, ctx.seed);
    const speedsOf = (display: FlashLagMotion) => [...new Set(trials.filter((t) => t.display === display).map((t) => t.speedDegPerS))].join(', ');
    const missing = readings.filter((x) => x.perceivedOffsetDeg === null).length;
    const series: Series[] = FLASH_DISPLAYS.flatMap((display) =>
      FLASH_VARIANTS.flatMap((variant) =>
        READOUT_DELAYS.flatMap((delay) => {
          const rows = summary.filter((s) => s.display === display && s.variant === variant && s.delay === delay);
          return rows.length ? [{ name: `model: ${variant}`, group: panel(display, delay), x: rows.map((s) => s.speedDegPerS), y: rows.map((s) => s.lagMs), lo: rows.map((s) => s.ci[0]), hi: rows.map((s) => s.ci[1]) }] : [];
        }),
      ),
    );
    const trialTable = new Float32Array(readings.length * TRIAL_COLUMNS);
    readings.forEach((x, k) =>
      trialTable.set(
        [FLASH_DISPLAYS.indexOf(x.trial.display), FLASH_VARIANTS.indexOf(x.trial.variant), x.trial.speedDegPerS, x.trial.stimulus.direction, x.trial.repeat, x.delay, x.perceivedOffsetDeg ?? Number.NaN, x.perceivedOffsetDeg === null ? Number.NaN : lagMs(x)],
        k * TRIAL_COLUMNS,
      ),
    );
    const frameSize = view.width * view.height * view.channels;
    const framesData = new Float32Array(readoutFrames.length * frameSize);
    readoutFrames.forEach((f, k) => framesData.set(f, k * frameSize));
    const byVariant = (variant: FlashLagVariant, display?: FlashLagMotion, delay: number = READOUT_DELAY_FRAMES) =>
      readings.filter((x) => x.delay === delay && x.trial.variant === variant && (display === undefined || x.trial.display === display) && x.perceivedOffsetDeg !== null).map(lagMs);
    const continuous = byVariant('continuous');
    const terminated = byVariant('flash-terminated');
    const initiated = byVariant('flash-initiated');
    const base: Omit<ExperimentResult, 'verdict'> = {
      id: 'flash-lag',
      title: flashLagExperiment.title,
      published:
        'Lotter et al. (2020): PredNet\'s next-frame predictions show the flash-lag illusion (the moving bar predicted ahead of the flash). People see it in the continuous and flash-initiated conditions but not when the motion stops at the flash (Nijhawan 1994; Eagleman & Sejnowski 2000): typically 40-80 ms.',
      axes: { x: 'bar speed (deg/s; rotating bar: deg of rotation/s)', y: 'lag (ms; + = flash behind)' },
      series,
      table: {
        columns: ['who', 'display', 'variant', 'readout_delay', 'speed_deg_per_s', 'lag_deg', 'lag_ms', 'lo_ms', 'hi_ms', 'n'],
        rows: summary.map((s) => ['model', s.display, s.variant, s.delay, s.speedDegPerS, s.lagDeg, s.lagMs, s.ci[0], s.ci[1], s.trials]),
      },
      arrays: [
        { name: 'flash-lag/trials', shape: [readings.length, TRIAL_COLUMNS], data: trialTable },
        { name: 'flash-lag/readout_frames', shape: [readoutFrames.length, view.height, view.width, view.channels], data: framesData },
      ],
      notes: [
        `${trials.length} sequences: translating bar (speeds ${speedsOf('translate')} deg/s) and rotating bar with outer segments flashed (${speedsOf('rotate')} deg of rotation/s) x ${FLASH_VARIANTS.join(', ')} x both directions${ctx.quick ? '' : ' x 3 flash moments'}; view ${view.fovDeg} deg across at ${view.frameRateHz} frames/s; flash 2 frames, in line with the bar (offset 0).`,
        `Read: Ahat0 (the predicted frame) ${READOUT_DELAYS.join(' and ')} frames after the flash's onset (the readout delay; the verdict uses ${READOUT_DELAY_FRAMES}, the model observer's default), by the flash-lag paradigm's readout (translating bar: contrast-weighted centroids of the bar's and the flash's rows; rotating bar: orientation of each ring around fixation). Lag = bar minus flash along the motion; in ms = lag / speed. With the 2-frame flash, delay 1 predicts the flash's second frame and delay 2 the frame after it.`,
        missing ? `${missing} of ${readings.length} readings (sequences x readout delays) showed no bar or no flash, or read past the sequence, so they give no lag.` : 'Every prediction showed both the bar and the flash.',
        "Continuous and flash-terminated show the model the same frames up to the flash, so a prediction made before the model sees what follows gives them the same lag: a pure extrapolator lags in both, whereas people see none when the motion stops (the contrast this experiment exists to show).",
        'HDF5: flash-lag/trials, one row per sequence and readout delay, columns: display (0 translating, 1 rotating), variant (0 continuous, 1 flash-initiated, 2 flash-terminated), speed deg/s, direction, repeat, readout delay (frames), perceived offset deg, lag ms; flash-lag/readout_frames: the predicted frame read for each row (row, H, W, C; NaN where the delay reads past the sequence).',
      ],
    };
    if (continuous.length === 0)
      return { ...base, verdict: { effect: null, text: 'flash-lag: undetermined, the predicted frames show no bar or no flash in the continuous condition', statistic: null } };
    const lag = mean(continuous);
    const ci = bootstrapMeanCi(continuous, ctx.seed);
    const effect = ci[0] > 0;
    const other = (name: string, xs: number[]) => `${name} ${xs.length ? `${fmt(mean(xs))} ms` : 'not read'}`;
    const perDisplay = FLASH_DISPLAYS.map((d) => other(d === 'rotate' ? 'rotating' : 'translating', byVariant('continuous', d))).join(', ');
    const later = READOUT_DELAYS.filter((d) => d !== READOUT_DELAY_FRAMES).map((d) => `${other(`at readout delay ${d} continuous`, byVariant('continuous', undefined, d))}`).join(', ');
    const text = `flash-lag (continuous): ${effect ? 'yes' : 'no'}, the flash is seen ${fmt(lag)} ms behind the bar [${fmt(ci[0])}, ${fmt(ci[1])}] (${perDisplay}); ${other('flash-initiated', initiated)}, ${other('flash-terminated', terminated)} (people: none when flash-terminated); ${later}`;
    return { ...base, verdict: { effect, text, statistic: { name: 'continuous flash-lag', value: lag, unit: 'ms', ci } } };
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
    table: { ...result.table, rows: [...result.table.rows, ...people.map((p) => ['people', p.display, p.variant, '', p.speedDegPerS, p.pseDeg, p.pseMs, p.ci?.[0] ?? '', p.ci?.[1] ?? '', p.sessions])] },
    notes: [...result.notes, `People: ${people.reduce((s, p) => s + p.sessions, 0)} finished human session(s) in the lab; PSE (flash offset that looks aligned) per display, variant and speed, mean over sessions, in ms = PSE / speed.`],
  };
}
