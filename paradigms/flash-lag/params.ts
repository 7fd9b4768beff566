/**
 * Flash-lag parameters, defaults after Nijhawan (1994) and Eagleman & Sejnowski (2000).
 * Two displays: a bar translating across fixation with a bar flashed below it, or (Nijhawan 1994,
 * the display of Lotter et al. 2020's flash-lag figure) a bar rotating about fixation with a
 * collinear segment flashed. The path parameters (speed, path length, offsets, jitter, staircase
 * steps) are measured along the motion: degrees of visual angle for the translating bar, degrees
 * of rotation angle for the rotating one.
 */
import { z } from 'zod';
import { MAX_LEVELS, MAX_TRIALS, MAX_TRIALS_PER_LEVEL } from '../limits.js';
import { framesToMs, MAX_DISPLAY_HZ, MAX_DURATION_MS } from '../durations.js';
import { questSettingsProblem, type QuestSettings } from '../quest.js';

export const VARIANTS = ['continuous', 'flash-initiated', 'flash-terminated'] as const;
export type FlashLagVariant = (typeof VARIANTS)[number];
export const MOTIONS = ['translate', 'rotate'] as const;
export type FlashLagMotion = (typeof MOTIONS)[number];
export const FLASH_SEGMENTS = ['outer', 'inner'] as const;
export type FlashSegment = (typeof FLASH_SEGMENTS)[number];
/**
 * Longest blank after a flash-terminated flash: 10 s, 100 frames at the model's default 10
 * frames/s, so a blank can cover the longest readout delay the observer settings allow.
 */
export const MAX_BLANK_AFTER_FLASH_MS = 10_000;
/** The rotating bar's path is centred on the vertical (deg, counter-clockwise from +x). */
export const ROTATION_CENTRE_DEG = 90;

const finite = () => z.number().finite();

/**
 * The rotating bar's own defaults for the path parameters the translating defaults would make
 * far too small (10 deg of rotation/s, +-1.5 deg offsets: +-0.12 deg of arc at 4.75 deg). As
 * measure-flash-lag.sh measures it: 60 deg of rotation/s (1 deg per frame at 60 Hz), a 90 deg
 * path, offsets spanning about +-15 frames of rotation.
 */
export const ROTATE_DEFAULTS = {
  speedDegPerS: 60,
  travelDeg: 90,
  flashJitterDeg: 20,
  offsetsDeg: [-15, -10, -5, 0, 5, 10, 15],
  staircaseStartDeg: 10,
  staircaseStepDeg: 2,
  questPriorSdDeg: 10,
  questSigmaDeg: 3,
  questStepDeg: 0.5,
} as const;

/** The offsets a protocol may show (deg, or deg of rotation): offsetsDeg's range, and QUEST's axis. */
export const OFFSET_LIMIT_DEG = 50;

/** The flash's default duration: two frames of a 60 Hz display (33.333 ms). */
export const DEFAULT_FLASH_MS = 33.333;

/**
 * Rotating bar: fill its own defaults into the path parameters not given (given values stay).
 * A flash entered in frames of the calibrated display (flashFrames with displayHz) is stored
 * with its milliseconds (frames entered as such are kept beside them, for the record).
 */
function withDisplayDefaults(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (out.flashDurationMs === undefined && typeof out.flashFrames === 'number' && typeof out.displayHz === 'number' && out.displayHz > 0)
    out.flashDurationMs = framesToMs(out.flashFrames, out.displayHz);
  if (out.motion !== 'rotate') return out;
  for (const [k, v] of Object.entries(ROTATE_DEFAULTS)) if (out[k] === undefined) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

const flashLagObjectSchema = z
  .object({
    variant: z.enum(VARIANTS).default('continuous').describe('continuous: motion before and after the flash; flash-initiated: motion starts at the flash; flash-terminated: motion stops at the flash'),
    motion: z.enum(MOTIONS).default('translate').describe('translate: a bar moves across fixation, a bar flashes below it; rotate: a bar rotates about fixation, a collinear segment flashes (path parameters in deg of rotation angle)'),
    speedDegPerS: finite().positive().max(200).default(10).describe('speed of the moving bar (deg/s; rotating bar: deg of rotation angle per s)'),
    travelDeg: finite().positive().max(200).default(16).describe('length of the bar\'s path, centred on fixation (deg; rotating bar: deg of rotation angle, centred on the vertical)'),
    barWidthDeg: finite().positive().max(20).default(0.4),
    barHeightDeg: finite().positive().max(20).default(2),
    flashWidthDeg: finite().positive().max(20).default(0.4),
    flashHeightDeg: finite().positive().max(20).default(2),
    gapDeg: finite().nonnegative().max(20).default(0.5).describe('vertical gap between the bar (above) and the flash (below); rotating bar: radial gap between the inner and outer segments (deg)'),
    flashSegment: z.enum(FLASH_SEGMENTS).default('outer').describe('rotating bar: which collinear segment flashes; outer: two segments beyond the ends of the rotating bar (Nijhawan 1994), inner: the central bar flashes inside rotating outer segments'),
    innerRadiusDeg: finite().positive().max(20).default(3).describe('rotating bar: half-length of the central bar through fixation (deg)'),
    outerRadiusDeg: finite().positive().max(40).default(6).describe('rotating bar: distance from fixation to the outer ends of the outer segments (deg)'),
    flashDurationMs: finite().positive().max(MAX_DURATION_MS).default(DEFAULT_FLASH_MS)
      .describe('flash duration (ms); a display shows it for the nearest whole number of its frames (at least one), an integrating model for exactly this long'),
    flashFrames: z.number().int().min(1).max(600).optional()
      .describe('the flash duration entered in frames of the calibrated display (needs displayHz; stored with its ms)'),
    displayHz: finite().positive().max(MAX_DISPLAY_HZ).optional().describe('refresh rate of the display flashFrames counts frames of (Hz)'),
    // Flash-terminated trials used to end on the flash's last frame, so a model readout past the
    // flash read that frame again; new protocols get this blank. Stored protocols are planned
    // from their stored parameters: one stored without it keeps its trials (see design.ts).
    blankAfterFlashMs: finite().min(0).max(MAX_BLANK_AFTER_FLASH_MS).default(500)
      .describe(`flash-terminated: how long fixation alone stays up after the bar and the flash vanish (ms; a model reads the frame at flash onset + its readout delay, which must fall inside the trial: at 10 model frames/s, 500 ms are 5 blank frames)`),
    offsetsDeg: z.array(finite().min(-OFFSET_LIMIT_DEG).max(OFFSET_LIMIT_DEG)).min(1, 'offsetsDeg must list at least one offset').max(MAX_LEVELS, `offsetsDeg may list at most ${MAX_LEVELS} offsets`).default([-1.5, -1, -0.5, 0, 0.5, 1, 1.5])
      .describe('flash position relative to the bar at flash time, positive = ahead along the motion (deg; rotating bar: deg of rotation angle)'),
    trialsPerOffset: z.number().int().min(1).max(MAX_TRIALS_PER_LEVEL, `trialsPerOffset may be at most ${MAX_TRIALS_PER_LEVEL}`).default(20),
    flashJitterDeg: finite().nonnegative().max(100).default(2).describe('range of random shifts of where along the path the flash occurs (deg)'),
    design: z.enum(['constant', 'staircase', 'quest']).default('constant').describe('method of constant stimuli, two interleaved 1-up/1-down staircases, or QUEST (Bayesian adaptive estimate of the PSE)'),
    staircaseStartDeg: finite().positive().max(50).default(2),
    staircaseStepDeg: finite().positive().max(10).default(0.25),
    staircaseTrials: z.number().int().min(2).max(MAX_TRIALS, `staircaseTrials may be at most ${MAX_TRIALS}`).default(60),
    questTrials: z.number().int().min(2).max(MAX_TRIALS, `questTrials may be at most ${MAX_TRIALS}`).default(60).describe('QUEST: trials'),
    questPriorMeanDeg: finite().min(-OFFSET_LIMIT_DEG).max(OFFSET_LIMIT_DEG).default(0).describe('QUEST: mean of the Gaussian prior over the PSE (deg; rotating bar: of rotation)'),
    questPriorSdDeg: finite().positive().max(OFFSET_LIMIT_DEG).default(1.5).describe('QUEST: SD of the prior over the PSE; the PSE grid spans the prior mean +- 5 SD, so make it wide (deg; rotating bar: of rotation)'),
    questSigmaDeg: finite().positive().max(20).default(0.5).describe("QUEST: the observer's assumed spread, SD of the cumulative Gaussian (deg; rotating bar: of rotation)"),
    questLapse: finite().min(0).max(0.2).default(0.02).describe('QUEST: assumed lapse rate, half of it on each answer'),
    questStepDeg: finite().min(0).max(10).default(0.1).describe('QUEST: each trial\'s level is the posterior mean rounded to a multiple of this, so levels repeat; 0 = not rounded (deg; rotating bar: of rotation)'),
    background: finite().min(0).max(1).default(0.5),
    stimulusLuminance: finite().min(0).max(1).default(1),
    fixationLuminance: finite().min(0).max(1).default(0),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.flashFrames !== undefined && p.displayHz === undefined)
      ctx.addIssue({ code: 'custom', path: ['flashFrames'], message: 'flashFrames counts frames of a display: give displayHz (its refresh rate) too, or give flashDurationMs' });
    if (p.flashFrames !== undefined && p.displayHz !== undefined && Math.abs(p.flashDurationMs - framesToMs(p.flashFrames, p.displayHz)) > 1e-3)
      ctx.addIssue({ code: 'custom', path: ['flashDurationMs'], message: `flashDurationMs (${p.flashDurationMs}) disagrees with flashFrames ${p.flashFrames} at ${p.displayHz} Hz (${framesToMs(p.flashFrames, p.displayHz)} ms); give one of them` });
    if (p.flashJitterDeg >= p.travelDeg)
      ctx.addIssue({ code: 'custom', path: ['flashJitterDeg'], message: 'flashJitterDeg must be smaller than travelDeg so the flash happens on the path' });
    if (p.motion === 'rotate' && p.outerRadiusDeg <= p.innerRadiusDeg + p.gapDeg)
      ctx.addIssue({ code: 'custom', path: ['outerRadiusDeg'], message: `outerRadiusDeg must exceed innerRadiusDeg + gapDeg (${p.innerRadiusDeg + p.gapDeg} deg) so the outer segments have a length` });
    if (p.design === 'quest') {
      const problem = questSettingsProblem(questSettingsOf(p));
      if (problem) ctx.addIssue({ code: 'custom', path: ['questPriorSdDeg'], message: `QUEST: ${problem}` });
    }
    if (p.design === 'constant' && new Set(p.offsetsDeg).size !== p.offsetsDeg.length)
      ctx.addIssue({ code: 'custom', path: ['offsetsDeg'], message: 'offsetsDeg must not repeat a value' });
    if (p.design === 'constant' && p.offsetsDeg.length * p.trialsPerOffset > MAX_TRIALS)
      ctx.addIssue({ code: 'custom', path: ['trialsPerOffset'], message: `offsets x trialsPerOffset = ${p.offsetsDeg.length * p.trialsPerOffset} trials; a protocol may plan at most ${MAX_TRIALS}` });
  });

/** QUEST's settings for these parameters: the PSE of "ahead" on the offset axis. */
export function questSettingsOf(p: { questPriorMeanDeg: number; questPriorSdDeg: number; questSigmaDeg: number; questLapse: number; questStepDeg?: number }): QuestSettings {
  // A protocol stored before questStepDeg existed has none: its levels were not rounded.
  return { priorMean: p.questPriorMeanDeg, priorSd: p.questPriorSdDeg, sigma: p.questSigmaDeg, lapse: p.questLapse, limits: [-OFFSET_LIMIT_DEG, OFFSET_LIMIT_DEG], step: p.questStepDeg ?? 0 };
}

/** The defaults below (`.default`) are the translating bar's; the rotating bar's are ROTATE_DEFAULTS. */
// `shape` stays readable (form-fields.ts builds the advanced form fields from it; a pipe has none).
export const flashLagParamsSchema = Object.assign(z.preprocess(withDisplayDefaults, flashLagObjectSchema), { shape: flashLagObjectSchema.shape });

export type FlashLagParams = z.output<typeof flashLagObjectSchema>;
export type FlashLagParamsInput = z.input<typeof flashLagObjectSchema>;

export const flashLagDefaults: FlashLagParams = flashLagParamsSchema.parse({});

/** Everything needed to draw and analyse one trial (stored as the trial's stimulus). */
export interface FlashLagStimulus {
  variant: FlashLagVariant;
  /** Absent in trials stored before the rotating bar existed: translate. */
  motion?: FlashLagMotion;
  /** +1 rightwards (rotating bar: counter-clockwise), -1 leftwards (clockwise). */
  direction: 1 | -1;
  /** Flash position minus bar position at flash time, along the motion (deg, of rotation angle for the rotating bar; + = ahead). */
  offsetDeg: number;
  speedDegPerS: number;
  /** Where the bar starts (deg; the path is centred on fixation). Rotating bar: its start orientation (deg counter-clockwise from +x). */
  startXDeg: number;
  travelDeg: number;
  /** Nominal flash onset (s); displays round it to their nearest frame, an integrating model takes it as it is. */
  flashTimeS: number;
  /** Flash duration (s). Absent in trials stored before durations were in seconds: they have `flashFrames`. */
  flashDurationS?: number;
  /**
   * Trials stored before durations were in seconds: the flash lasted this many frames of whoever
   * drew it (display or model); an integrating model reads them as frames of LEGACY_FRAME_RATE_HZ.
   */
  flashFrames?: number;
  /**
   * Flash-terminated only: fixation alone after the flash (ms), so readouts past the flash read a
   * real frame and people see the classic display. Absent in trials stored before it existed
   * (and in other variants): the trial ended with the flash.
   */
  blankAfterFlashMs?: number;
  barWidthDeg: number;
  barHeightDeg: number;
  flashWidthDeg: number;
  flashHeightDeg: number;
  gapDeg: number;
  /** Rotating bar only. */
  flashSegment?: FlashSegment;
  innerRadiusDeg?: number;
  outerRadiusDeg?: number;
  background: number;
  stimulusLuminance: number;
  fixationLuminance: number;
  /** Which staircase chose this trial (staircase design only). */
  staircase?: number;
}
