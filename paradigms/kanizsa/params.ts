/**
 * Kanizsa fat/thin parameters (Ringach & Shapley 1996), sizes in degrees, durations in ms (a
 * display shows each phase for the nearest whole number of its frames; they may be entered in
 * frames of a calibrated display with displayHz, and are stored with their ms).
 */
import { z } from 'zod';
import { framesToMs, MAX_DISPLAY_HZ, MAX_DURATION_MS } from '../durations.js';
import { MAX_LEVELS, MAX_TRIALS, MAX_TRIALS_PER_LEVEL } from '../limits.js';
import { questSettingsProblem, type QuestSettings } from '../quest.js';

/** The largest inducer rotation a trial may show (deg): alphasDeg's range, the staircase's ceiling and QUEST's axis. */
export const ALPHA_LIMIT_DEG = 45;

/** The phases' durations (ms keys) and their frame-count entry aliases. */
export const PHASES = [
  ['preMs', 'preFrames'],
  ['discMs', 'discFrames'],
  ['presentationMs', 'presentationFrames'],
  ['maskMs', 'maskFrames'],
] as const;

/** Phases entered in frames of a display (with displayHz) are stored with their ms. */
function framesToMsEntries(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  const hz = out.displayHz;
  for (const [ms, frames] of PHASES)
    if (out[ms] === undefined && typeof out[frames] === 'number' && typeof hz === 'number' && hz > 0) out[ms] = framesToMs(out[frames] as number, hz);
  return out;
}

export const CONDITIONS = ['illusory', 'real', 'control'] as const;
export type KanizsaCondition = (typeof CONDITIONS)[number];
export const CONDITION_LABELS: Record<KanizsaCondition, string> = {
  illusory: 'illusory (pac-men)',
  real: 'real (luminance lines)',
  control: 'control (inducers turned outward)',
};

const finite = () => z.number().finite();

const kanizsaObjectSchema = z
  .object({
    conditions: z.array(z.enum(CONDITIONS)).min(1, 'conditions must list at least one condition').max(3).default(['illusory', 'real', 'control'])
      .describe('illusory: pac-men; real: the bowed sides drawn as lines; control: the same pac-men turned outward'),
    sideDeg: finite().positive().max(40).default(6).describe('side of the (unrotated) square (deg)'),
    inducerRadiusDeg: finite().positive().max(20).default(1.5).describe('pac-man radius; support ratio = 2 x radius / side'),
    lineWidthDeg: finite().positive().max(2).default(0.15).describe('width of the real contours (deg)'),
    jitterDeg: finite().nonnegative().max(5).default(0.25).describe('random shift of the whole figure per trial, each axis, up to +- half this (deg)'),
    design: z.enum(['constant', 'updown', 'quest']).default('constant').describe('method of constant stimuli over alpha, a weighted up-down staircase per condition (75 % correct), or QUEST per condition (Bayesian adaptive estimate of the PSE of fat/thin)'),
    alphasDeg: z.array(finite().min(0).max(ALPHA_LIMIT_DEG)).min(1, 'alphasDeg must list at least one rotation').max(MAX_LEVELS, `alphasDeg may list at most ${MAX_LEVELS} rotations`).default([0.5, 1, 2, 4, 8])
      .describe('inducer rotations (deg); each nonzero one is shown fat (+) and thin (-)'),
    trialsPerLevel: z.number().int().min(1).max(MAX_TRIALS_PER_LEVEL, `trialsPerLevel may be at most ${MAX_TRIALS_PER_LEVEL}`).default(10).describe('trials per signed rotation and condition'),
    updownTrials: z.number().int().min(2).max(MAX_TRIALS, `updownTrials may be at most ${MAX_TRIALS}`).default(60).describe('staircase trials per condition'),
    updownStartDeg: finite().positive().max(ALPHA_LIMIT_DEG).default(6),
    updownStepDeg: finite().positive().max(10).default(0.5).describe('step down after a correct answer; the step up is 3x (converges on 75 % correct)'),
    questTrials: z.number().int().min(2).max(MAX_TRIALS, `questTrials may be at most ${MAX_TRIALS}`).default(60).describe('QUEST: trials per condition'),
    questPriorMeanDeg: finite().min(-ALPHA_LIMIT_DEG).max(ALPHA_LIMIT_DEG).default(0).describe('QUEST: mean of the Gaussian prior over the PSE, the rotation that looks neither fat nor thin (deg)'),
    questPriorSdDeg: finite().positive().max(ALPHA_LIMIT_DEG).default(3).describe('QUEST: SD of the prior over the PSE; the PSE grid spans the prior mean +- 5 SD, so make it wide (deg)'),
    questSigmaDeg: finite().positive().max(20).default(1.5).describe("QUEST: the observer's assumed spread, SD of the cumulative Gaussian of P(fat) (deg)"),
    questLapse: finite().min(0).max(0.2).default(0.02).describe('QUEST: assumed lapse rate, half of it on each answer'),
    questStepDeg: finite().min(0).max(10).default(0.25).describe('QUEST: each trial\'s level is the posterior mean rounded to a multiple of this, so levels repeat; 0 = not rounded (deg)'),
    inducerLuminance: finite().min(0).max(1).default(0.1),
    background: finite().min(0).max(1).default(0.8),
    fixationLuminance: finite().min(0).max(1).default(0),
    preMs: finite().min(0).max(MAX_DURATION_MS).default(500).describe('fixation alone before the figure (ms)'),
    onset: z.enum(['static', 'discs']).default('static').describe('static: the figure appears at once; discs: complete discs first, which then turn into the figure (Lee & Nguyen 2001)'),
    discMs: finite().min(0).max(MAX_DURATION_MS).default(300).describe('complete discs before the figure (ms; onset = discs)'),
    presentationMs: finite().positive().max(MAX_DURATION_MS).default(200).describe('the figure (ms)'),
    maskMs: finite().min(0).max(MAX_DURATION_MS).default(0).describe('backward mask: complete discs over the inducers after the figure (ms; 0 = none)'),
    preFrames: z.number().int().min(0).max(600).optional().describe('preMs entered in frames of the display at displayHz'),
    discFrames: z.number().int().min(0).max(600).optional().describe('discMs entered in frames of the display at displayHz'),
    presentationFrames: z.number().int().min(1).max(600).optional().describe('presentationMs entered in frames of the display at displayHz'),
    maskFrames: z.number().int().min(0).max(600).optional().describe('maskMs entered in frames of the display at displayHz'),
    displayHz: finite().positive().max(MAX_DISPLAY_HZ).optional().describe('refresh rate of the display the *Frames entries count frames of (Hz)'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (2 * p.inducerRadiusDeg >= p.sideDeg) ctx.addIssue({ code: 'custom', path: ['inducerRadiusDeg'], message: 'inducers must not touch: 2 x inducerRadiusDeg must be smaller than sideDeg' });
    if (new Set(p.conditions).size !== p.conditions.length) ctx.addIssue({ code: 'custom', path: ['conditions'], message: 'conditions must not repeat' });
    if (new Set(p.alphasDeg).size !== p.alphasDeg.length) ctx.addIssue({ code: 'custom', path: ['alphasDeg'], message: 'alphasDeg must not repeat a value' });
    for (const [ms, frames] of PHASES) {
      const f = p[frames];
      if (f === undefined) continue;
      if (p.displayHz === undefined) ctx.addIssue({ code: 'custom', path: [frames], message: `${frames} counts frames of a display: give displayHz (its refresh rate) too, or give ${ms}` });
      else if (Math.abs(p[ms] - framesToMs(f, p.displayHz)) > 1e-3)
        ctx.addIssue({ code: 'custom', path: [ms], message: `${ms} (${p[ms]}) disagrees with ${frames} ${f} at ${p.displayHz} Hz (${framesToMs(f, p.displayHz)} ms); give one of them` });
    }
    if (p.design === 'quest') {
      const problem = questSettingsProblem(questSettingsOf(p));
      if (problem) ctx.addIssue({ code: 'custom', path: ['questPriorSdDeg'], message: `QUEST: ${problem}` });
    }
    const n = trialCountOf(p);
    if (n > MAX_TRIALS) ctx.addIssue({ code: 'custom', path: [p.design === 'constant' ? 'trialsPerLevel' : p.design === 'quest' ? 'questTrials' : 'updownTrials'], message: `the protocol plans ${n} trials; at most ${MAX_TRIALS} are allowed` });
  });

// `shape` stays readable (form-fields.ts builds the advanced form fields from it; a pipe has none).
export const kanizsaParamsSchema = Object.assign(z.preprocess(framesToMsEntries, kanizsaObjectSchema), { shape: kanizsaObjectSchema.shape });

export type KanizsaParams = z.output<typeof kanizsaObjectSchema>;
export const kanizsaDefaults: KanizsaParams = kanizsaParamsSchema.parse({});

/** Signed rotations shown per condition: each nonzero alpha as fat (+) and thin (-). */
export function signedLevels(p: Pick<KanizsaParams, 'alphasDeg'>): number[] {
  return [...p.alphasDeg].sort((a, b) => a - b).flatMap((a) => (a === 0 ? [0] : [-a, a]));
}

export function trialCountOf(p: Pick<KanizsaParams, 'design' | 'conditions' | 'alphasDeg' | 'trialsPerLevel' | 'updownTrials' | 'questTrials'>): number {
  if (p.design === 'constant') return p.conditions.length * signedLevels(p).length * p.trialsPerLevel;
  return p.conditions.length * (p.design === 'quest' ? p.questTrials : p.updownTrials);
}

/** QUEST's settings for these parameters: the PSE of "fat" on the signed rotation axis. */
export function questSettingsOf(p: { questPriorMeanDeg: number; questPriorSdDeg: number; questSigmaDeg: number; questLapse: number; questStepDeg?: number }): QuestSettings {
  // A protocol stored before questStepDeg existed has none: its levels were not rounded.
  return { priorMean: p.questPriorMeanDeg, priorSd: p.questPriorSdDeg, sigma: p.questSigmaDeg, lapse: p.questLapse, limits: [-ALPHA_LIMIT_DEG, ALPHA_LIMIT_DEG], step: p.questStepDeg ?? 0 };
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
  /**
   * Phase durations (s): fixation, complete discs (0 in the static onset), figure, mask. Absent in
   * trials stored before durations were in seconds: they have the frame counts below instead.
   */
  preS?: number;
  discS?: number;
  presentationS?: number;
  maskS?: number;
  /** Trials stored before durations were in seconds: phases in frames of whoever drew them. */
  preFrames?: number;
  discFrames?: number;
  presentationFrames?: number;
  maskFrames?: number;
  /** Which condition's staircase chose the trial (up-down design; QUEST trials go by their condition). */
  staircase?: number;
  /**
   * Control trials: how far each inducer turns from the illusory arrangement (deg; 180 = exactly
   * outward, geometry.ts says why). Absent: a trial stored before it, drawn as it was shown
   * (LEGACY_CONTROL_TURN_DEG).
   */
  controlTurnDeg?: number;
}
