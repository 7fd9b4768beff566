/**
 * Kanizsa fat/thin parameters (Ringach & Shapley 1996), sizes in degrees, durations in frames of
 * whatever presents the trial (display or model).
 */
import { z } from 'zod';
import { MAX_LEVELS, MAX_TRIALS, MAX_TRIALS_PER_LEVEL } from '../limits.js';

export const CONDITIONS = ['illusory', 'real', 'control'] as const;
export type KanizsaCondition = (typeof CONDITIONS)[number];
export const CONDITION_LABELS: Record<KanizsaCondition, string> = {
  illusory: 'illusory (pac-men)',
  real: 'real (luminance lines)',
  control: 'control (inducers turned outward)',
};

const finite = () => z.number().finite();

export const kanizsaParamsSchema = z
  .object({
    conditions: z.array(z.enum(CONDITIONS)).min(1, 'conditions must list at least one condition').max(3).default(['illusory', 'real', 'control'])
      .describe('illusory: pac-men; real: the bowed sides drawn as lines; control: the same pac-men turned outward'),
    sideDeg: finite().positive().max(40).default(6).describe('side of the (unrotated) square (deg)'),
    inducerRadiusDeg: finite().positive().max(20).default(1.5).describe('pac-man radius; support ratio = 2 x radius / side'),
    lineWidthDeg: finite().positive().max(2).default(0.15).describe('width of the real contours (deg)'),
    jitterDeg: finite().nonnegative().max(5).default(0.25).describe('random shift of the whole figure per trial, each axis, up to +- half this (deg)'),
    design: z.enum(['constant', 'updown']).default('constant').describe('method of constant stimuli over alpha, or a weighted up-down staircase per condition (75 % correct)'),
    alphasDeg: z.array(finite().min(0).max(45)).min(1, 'alphasDeg must list at least one rotation').max(MAX_LEVELS, `alphasDeg may list at most ${MAX_LEVELS} rotations`).default([0.5, 1, 2, 4, 8])
      .describe('inducer rotations (deg); each nonzero one is shown fat (+) and thin (-)'),
    trialsPerLevel: z.number().int().min(1).max(MAX_TRIALS_PER_LEVEL, `trialsPerLevel may be at most ${MAX_TRIALS_PER_LEVEL}`).default(10).describe('trials per signed rotation and condition'),
    updownTrials: z.number().int().min(2).max(MAX_TRIALS, `updownTrials may be at most ${MAX_TRIALS}`).default(60).describe('staircase trials per condition'),
    updownStartDeg: finite().positive().max(45).default(6),
    updownStepDeg: finite().positive().max(10).default(0.5).describe('step down after a correct answer; the step up is 3x (converges on 75 % correct)'),
    inducerLuminance: finite().min(0).max(1).default(0.1),
    background: finite().min(0).max(1).default(0.8),
    fixationLuminance: finite().min(0).max(1).default(0),
    preFrames: z.number().int().min(0).max(600).default(6).describe('fixation-only frames before the figure'),
    onset: z.enum(['static', 'discs']).default('static').describe('static: the figure appears at once; discs: complete discs first, which then turn into the figure (Lee & Nguyen 2001)'),
    discFrames: z.number().int().min(0).max(600).default(6).describe('frames of complete discs before the figure (onset = discs)'),
    presentationFrames: z.number().int().min(1).max(600).default(12),
    maskFrames: z.number().int().min(0).max(600).default(0).describe('backward mask: complete discs over the inducers after the figure (0 = none)'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (2 * p.inducerRadiusDeg >= p.sideDeg) ctx.addIssue({ code: 'custom', path: ['inducerRadiusDeg'], message: 'inducers must not touch: 2 x inducerRadiusDeg must be smaller than sideDeg' });
    if (new Set(p.conditions).size !== p.conditions.length) ctx.addIssue({ code: 'custom', path: ['conditions'], message: 'conditions must not repeat' });
    if (new Set(p.alphasDeg).size !== p.alphasDeg.length) ctx.addIssue({ code: 'custom', path: ['alphasDeg'], message: 'alphasDeg must not repeat a value' });
    const n = trialCountOf(p);
    if (n > MAX_TRIALS) ctx.addIssue({ code: 'custom', path: [p.design === 'constant' ? 'trialsPerLevel' : 'updownTrials'], message: `the protocol plans ${n} trials; at most ${MAX_TRIALS} are allowed` });
  });

export type KanizsaParams = z.output<typeof kanizsaParamsSchema>;
export const kanizsaDefaults: KanizsaParams = kanizsaParamsSchema.parse({});

/** Signed rotations shown per condition: each nonzero alpha as fat (+) and thin (-). */
export function signedLevels(p: Pick<KanizsaParams, 'alphasDeg'>): number[] {
  return [...p.alphasDeg].sort((a, b) => a - b).flatMap((a) => (a === 0 ? [0] : [-a, a]));
}

export function trialCountOf(p: Pick<KanizsaParams, 'design' | 'conditions' | 'alphasDeg' | 'trialsPerLevel' | 'updownTrials'>): number {
  return p.design === 'constant' ? p.conditions.length * signedLevels(p).length * p.trialsPerLevel : p.conditions.length * p.updownTrials;
}

/** One trial: everything needed to draw it and to analyse it. */
export interface KanizsaStimulus {
  condition: KanizsaCondition;
  /** Inducer rotation (deg): + = fat (left and right sides bow out), - = thin, 0 = square. */
  alphaDeg: number;
  /** Centre of the figure (deg). */
  xDeg: number;
  yDeg: number;
  sideDeg: number;
  inducerRadiusDeg: number;
  lineWidthDeg: number;
  inducerLuminance: number;
  background: number;
  fixationLuminance: number;
  preFrames: number;
  /** Frames of complete discs before the figure (0 in the static onset). */
  discFrames: number;
  presentationFrames: number;
  maskFrames: number;
  /** Which condition's staircase chose the trial (up-down design). */
  staircase?: number;
}
