/** Flash-lag parameters, defaults after Nijhawan (1994) and Eagleman & Sejnowski (2000). */
import { z } from 'zod';
import { MAX_LEVELS, MAX_TRIALS, MAX_TRIALS_PER_LEVEL } from '../limits.js';

export const VARIANTS = ['continuous', 'flash-initiated', 'flash-terminated'] as const;
export type FlashLagVariant = (typeof VARIANTS)[number];

const finite = () => z.number().finite();

export const flashLagParamsSchema = z
  .object({
    variant: z.enum(VARIANTS).default('continuous').describe('continuous: motion before and after the flash; flash-initiated: motion starts at the flash; flash-terminated: motion stops at the flash'),
    speedDegPerS: finite().positive().max(200).default(10).describe('speed of the moving bar (deg/s)'),
    travelDeg: finite().positive().max(200).default(16).describe('length of the bar\'s path, centred on fixation (deg)'),
    barWidthDeg: finite().positive().max(20).default(0.4),
    barHeightDeg: finite().positive().max(20).default(2),
    flashWidthDeg: finite().positive().max(20).default(0.4),
    flashHeightDeg: finite().positive().max(20).default(2),
    gapDeg: finite().nonnegative().max(20).default(0.5).describe('vertical gap between the bar (above) and the flash (below) (deg)'),
    flashFrames: z.number().int().min(1).max(120).default(2).describe('flash duration in display frames'),
    offsetsDeg: z.array(finite().min(-50).max(50)).min(1, 'offsetsDeg must list at least one offset').max(MAX_LEVELS, `offsetsDeg may list at most ${MAX_LEVELS} offsets`).default([-1.5, -1, -0.5, 0, 0.5, 1, 1.5])
      .describe('flash position relative to the bar at flash time, positive = ahead along the motion (deg)'),
    trialsPerOffset: z.number().int().min(1).max(MAX_TRIALS_PER_LEVEL, `trialsPerOffset may be at most ${MAX_TRIALS_PER_LEVEL}`).default(20),
    flashJitterDeg: finite().nonnegative().max(100).default(2).describe('range of random shifts of where along the path the flash occurs (deg)'),
    design: z.enum(['constant', 'staircase']).default('constant').describe('method of constant stimuli, or two interleaved 1-up/1-down staircases'),
    staircaseStartDeg: finite().positive().max(50).default(2),
    staircaseStepDeg: finite().positive().max(10).default(0.25),
    staircaseTrials: z.number().int().min(2).max(MAX_TRIALS, `staircaseTrials may be at most ${MAX_TRIALS}`).default(60),
    background: finite().min(0).max(1).default(0.5),
    stimulusLuminance: finite().min(0).max(1).default(1),
    fixationLuminance: finite().min(0).max(1).default(0),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.flashJitterDeg >= p.travelDeg)
      ctx.addIssue({ code: 'custom', path: ['flashJitterDeg'], message: 'flashJitterDeg must be smaller than travelDeg so the flash happens on the path' });
    if (p.design === 'constant' && new Set(p.offsetsDeg).size !== p.offsetsDeg.length)
      ctx.addIssue({ code: 'custom', path: ['offsetsDeg'], message: 'offsetsDeg must not repeat a value' });
    if (p.design === 'constant' && p.offsetsDeg.length * p.trialsPerOffset > MAX_TRIALS)
      ctx.addIssue({ code: 'custom', path: ['trialsPerOffset'], message: `offsets x trialsPerOffset = ${p.offsetsDeg.length * p.trialsPerOffset} trials; a protocol may plan at most ${MAX_TRIALS}` });
  });

export type FlashLagParams = z.output<typeof flashLagParamsSchema>;
export type FlashLagParamsInput = z.input<typeof flashLagParamsSchema>;

export const flashLagDefaults: FlashLagParams = flashLagParamsSchema.parse({});

/** Everything needed to draw and analyse one trial (stored as the trial's stimulus). */
export interface FlashLagStimulus {
  variant: FlashLagVariant;
  /** +1 rightwards, -1 leftwards. */
  direction: 1 | -1;
  /** Flash position minus bar position at flash time, along the motion (deg; + = ahead). */
  offsetDeg: number;
  speedDegPerS: number;
  /** Where the bar starts (deg; the path is centred on fixation). */
  startXDeg: number;
  travelDeg: number;
  /** Nominal flash onset (s); displays round it to their nearest frame. */
  flashTimeS: number;
  flashFrames: number;
  barWidthDeg: number;
  barHeightDeg: number;
  flashWidthDeg: number;
  flashHeightDeg: number;
  gapDeg: number;
  background: number;
  stimulusLuminance: number;
  fixationLuminance: number;
  /** Which staircase chose this trial (staircase design only). */
  staircase?: number;
}
