/**
 * Kanizsa designs as reducers: the method of constant stimuli (every condition x signed alpha x
 * trialsPerLevel, shuffled lazily), one weighted up-down staircase per condition on |alpha|
 * (Kaernbach 1991: down one step after a correct answer, up three after an error, which
 * converges on 75 % correct), conditions interleaved, fat or thin at random; or one QUEST per
 * condition (../quest.ts) on the signed alpha where "fat" and "thin" are equally likely (the
 * PSE), conditions interleaved.
 */
import { permutedIndex } from '../permutation.js';
import { questInitial, questPlacement, questUpdate, type QuestState } from '../quest.js';
import { createRng, subSeed } from '../rng.js';
import type { Design, TrialSpec } from '../types.js';
import { CONTROL_TURN_DEG } from './geometry.js';
import { ALPHA_LIMIT_DEG, questSettingsOf, signedLevels, trialCountOf, type KanizsaCondition, type KanizsaParams, type KanizsaStimulus } from './params.js';

/** Target of the weighted up-down: the ratio of the up to the down step is p / (1 - p). */
export const UPDOWN_TARGET = 0.75;
const UP_FACTOR = UPDOWN_TARGET / (1 - UPDOWN_TARGET);
export const UPDOWN_MIN_DEG = 0.01;
export const UPDOWN_MAX_DEG = ALPHA_LIMIT_DEG;

export function isFat(response: string): boolean {
  if (response !== 'fat' && response !== 'thin') throw new RangeError(`Kanizsa answers are 'fat' or 'thin'; got '${response}'.`);
  return response === 'fat';
}

/** Right or wrong (null at alpha = 0, where neither answer is right). */
export function isCorrect(s: Pick<KanizsaStimulus, 'alphaDeg'>, response: string): boolean | null {
  return s.alphaDeg === 0 ? null : isFat(response) === s.alphaDeg > 0;
}

export function formatCondition(condition: KanizsaCondition, alphaDeg: number): string {
  return `${condition} alpha=${alphaDeg >= 0 ? '+' : ''}${alphaDeg.toFixed(2)}`;
}

/** The phases in seconds; a protocol stored before durations were in seconds keeps its frame counts. */
function phaseDurations(p: KanizsaParams): Pick<KanizsaStimulus, 'preS' | 'discS' | 'presentationS' | 'maskS' | 'preFrames' | 'discFrames' | 'presentationFrames' | 'maskFrames'> {
  if (typeof p.presentationMs !== 'number') {
    const legacy = p as unknown as Record<'preFrames' | 'discFrames' | 'presentationFrames' | 'maskFrames', number>;
    return { preFrames: legacy.preFrames, discFrames: p.onset === 'discs' ? legacy.discFrames : 0, presentationFrames: legacy.presentationFrames, maskFrames: legacy.maskFrames };
  }
  return { preS: p.preMs / 1000, discS: p.onset === 'discs' ? p.discMs / 1000 : 0, presentationS: p.presentationMs / 1000, maskS: p.maskMs / 1000 };
}

export function makeStimulus(p: KanizsaParams, condition: KanizsaCondition, alphaDeg: number, rng: { next(): number }): KanizsaStimulus {
  return {
    condition,
    alphaDeg,
    xDeg: (rng.next() - 0.5) * p.jitterDeg,
    yDeg: (rng.next() - 0.5) * p.jitterDeg,
    sideDeg: p.sideDeg,
    inducerRadiusDeg: p.inducerRadiusDeg,
    lineWidthDeg: p.lineWidthDeg,
    inducerLuminance: p.inducerLuminance,
    background: p.background,
    fixationLuminance: p.fixationLuminance,
    ...phaseDurations(p),
    // Stored with the trial, so a later change of the control's layout keeps this trial's meaning.
    ...(condition === 'control' ? { controlTurnDeg: CONTROL_TURN_DEG } : {}),
  };
}

/** Staircase state: the current |alpha| of each condition's staircase (null for constant stimuli); QUEST: each condition's posterior. */
export interface KanizsaState {
  levels: number[] | null;
  quest: QuestState[] | null;
}

export const kanizsaDesign: Design<KanizsaParams, KanizsaStimulus, KanizsaState> = {
  adaptive: (p) => p.design === 'updown' || p.design === 'quest',
  trialCount: trialCountOf,
  initialState: (p) => ({ levels: p.design === 'updown' ? p.conditions.map(() => p.updownStartDeg) : null, quest: p.design === 'quest' ? p.conditions.map(() => questInitial(questSettingsOf(p))) : null }),
  update(state, p, t) {
    if (state.quest) {
      const k = p.conditions.indexOf(t.stimulus.condition);
      if (k < 0) return state;
      const quest = state.quest.slice();
      quest[k] = questUpdate(quest[k]!, questSettingsOf(p), t.stimulus.alphaDeg, isFat(t.response));
      return { levels: null, quest };
    }
    if (!state.levels || t.stimulus.staircase === undefined) return state;
    const levels = state.levels.slice();
    const k = t.stimulus.staircase;
    const step = isCorrect(t.stimulus, t.response) ? -p.updownStepDeg : p.updownStepDeg * UP_FACTOR;
    levels[k] = Math.min(UPDOWN_MAX_DEG, Math.max(UPDOWN_MIN_DEG, Math.round((levels[k]! + step) * 1e6) / 1e6));
    return { levels, quest: null };
  },
  plan(state, p, seed, index): TrialSpec<KanizsaStimulus> | null {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`Trial index must be a whole number >= 0; got ${index}.`);
    if (index >= trialCountOf(p)) return null;
    // Each trial's randomness comes from its own stream: the plan does not depend on earlier draws.
    const rng = createRng(subSeed(seed, 3000 + index));
    if (state.quest) {
      const k = index % p.conditions.length;
      const condition = p.conditions[k]!;
      const alphaDeg = questPlacement(state.quest[k]!, questSettingsOf(p));
      return { index, condition: formatCondition(condition, alphaDeg), stimulus: makeStimulus(p, condition, alphaDeg, rng) };
    }
    if (!state.levels) {
      const levels = signedLevels(p);
      const cell = Math.floor(permutedIndex(index, trialCountOf(p), subSeed(seed, 2)) / p.trialsPerLevel);
      const condition = p.conditions[Math.floor(cell / levels.length)]!;
      const alphaDeg = levels[cell % levels.length]!;
      return { index, condition: formatCondition(condition, alphaDeg), stimulus: makeStimulus(p, condition, alphaDeg, rng) };
    }
    const staircase = index % p.conditions.length;
    const condition = p.conditions[staircase]!;
    const alphaDeg = (rng.next() < 0.5 ? 1 : -1) * state.levels[staircase]!;
    return { index, condition: formatCondition(condition, alphaDeg), stimulus: { ...makeStimulus(p, condition, alphaDeg, rng), staircase } };
  },
};

/** QUEST's practice rotations lie this many prior SDs either side of the prior mean (clearly fat and thin). */
export const QUEST_PRACTICE_SDS = 2;

/**
 * Practice: the easiest rotation the protocol shows (its largest alpha, the staircase's start,
 * or QUEST's prior mean +- 2 prior SD), real contours first, then illusory (the control has no shape to learn from), fat and
 * thin alternating from a seeded start.
 */
export function practiceStimuli(p: KanizsaParams, seed: number, count: number): KanizsaStimulus[] {
  const easy = p.design === 'updown' ? p.updownStartDeg : p.design === 'quest' ? Math.abs(p.questPriorMeanDeg) + QUEST_PRACTICE_SDS * p.questPriorSdDeg : Math.max(...p.alphasDeg);
  const alpha = easy > 0 ? Math.min(easy, ALPHA_LIMIT_DEG) : UPDOWN_MAX_DEG / 5;
  const shown = (['real', 'illusory'] as const).filter((c) => p.conditions.includes(c));
  const conditions: KanizsaCondition[] = shown.length ? [...shown] : [...p.conditions];
  const rng = createRng(subSeed(seed, 7002));
  const first = rng.next() < 0.5 ? 1 : -1;
  return Array.from({ length: count }, (_, i) => makeStimulus(p, conditions[Math.min(conditions.length - 1, Math.floor((i * conditions.length) / count))]!, (i % 2 ? -first : first) * alpha, rng));
}
