/**
 * Flash-lag trial designs as reducers: the method of constant stimuli (a seeded shuffle planned
 * one trial at a time, never as a whole list), two interleaved 1-up/1-down staircases whose
 * state is the current offset of each, or QUEST (../quest.ts) on the PSE of "ahead", whose state
 * is the log posterior over the PSE.
 */
import { permutedIndex } from '../permutation.js';
import { questInitial, questPlacement, questUpdate, type QuestState } from '../quest.js';
import { createRng, subSeed } from '../rng.js';
import type { Design, TrialSpec } from '../types.js';
import { OFFSET_LIMIT_DEG, questSettingsOf, ROTATION_CENTRE_DEG, type FlashLagParams, type FlashLagStimulus } from './params.js';

export function formatOffset(offsetDeg: number): string {
  return `offset=${offsetDeg >= 0 ? '+' : ''}${offsetDeg.toFixed(2)}`;
}

/** The varying part of a trial; the rest comes from the parameters. */
function makeStimulus(p: FlashLagParams, offsetDeg: number, direction: 1 | -1, jitterUnit: number): FlashLagStimulus {
  const rotate = p.motion === 'rotate';
  const startXDeg = (rotate ? ROTATION_CENTRE_DEG : 0) - (direction * p.travelDeg) / 2;
  // Bar position at the flash, along the motion, measured from the path's centre.
  const flashAlongDeg = (jitterUnit - 0.5) * p.flashJitterDeg;
  const flashTimeS = (flashAlongDeg + p.travelDeg / 2) / p.speedDegPerS;
  return {
    variant: p.variant,
    direction,
    offsetDeg,
    speedDegPerS: p.speedDegPerS,
    startXDeg,
    travelDeg: p.travelDeg,
    flashTimeS,
    // A protocol stored before durations were in seconds keeps its frame-counted flash.
    ...(typeof p.flashDurationMs === 'number' ? { flashDurationS: p.flashDurationMs / 1000 } : { flashFrames: (p as { flashFrames?: number }).flashFrames ?? 2 }),
    // Other variants' trials keep their stored shape (their length does not depend on it). A
    // protocol stored before the blank existed is planned from its stored parameters, without
    // it: its trials still end with the flash, as its earlier sessions' did.
    ...(p.variant === 'flash-terminated' && typeof p.blankAfterFlashMs === 'number' ? { blankAfterFlashMs: p.blankAfterFlashMs } : {}),
    barWidthDeg: p.barWidthDeg,
    barHeightDeg: p.barHeightDeg,
    flashWidthDeg: p.flashWidthDeg,
    flashHeightDeg: p.flashHeightDeg,
    gapDeg: p.gapDeg,
    // Translating-bar trials keep the shape they had before the rotating bar existed.
    ...(rotate ? { motion: 'rotate' as const, flashSegment: p.flashSegment, innerRadiusDeg: p.innerRadiusDeg, outerRadiusDeg: p.outerRadiusDeg } : {}),
    background: p.background,
    stimulusLuminance: p.stimulusLuminance,
    fixationLuminance: p.fixationLuminance,
  };
}

export function trialCount(p: FlashLagParams): number {
  return p.design === 'staircase' ? p.staircaseTrials : p.design === 'quest' ? p.questTrials : p.offsetsDeg.length * p.trialsPerOffset;
}

/**
 * The answer that means "ahead" along the motion. Translating bar: 'right' for a rightward bar.
 * Rotating bar (path centred on the vertical): 'left' = counter-clockwise of the bar (left of
 * its upper half), so 'left' means ahead when it turns counter-clockwise (direction +1).
 */
function aheadAnswer(s: Pick<FlashLagStimulus, 'direction' | 'motion'>): 'left' | 'right' {
  return (s.direction === 1) === (s.motion === 'rotate') ? 'left' : 'right';
}

/** Did the participant report the flash ahead of the bar (along the motion)? */
export function isAhead(s: Pick<FlashLagStimulus, 'direction' | 'motion'>, response: string): boolean {
  if (response !== 'left' && response !== 'right') throw new RangeError(`Flash-lag answers are 'left' or 'right'; got '${response}'.`);
  return response === aheadAnswer(s);
}

/** The answer for a flash seen ahead of (true) or behind (false) the bar. */
export function answerFor(s: Pick<FlashLagStimulus, 'direction' | 'motion'>, ahead: boolean): 'left' | 'right' {
  const a = aheadAnswer(s);
  return ahead ? a : a === 'left' ? 'right' : 'left';
}

/** Staircase state: the current offset of staircase 0 (starts ahead) and 1 (starts behind); QUEST's posterior. */
export interface FlashLagState {
  levels: [number, number] | null;
  quest: QuestState | null;
}

/** Constant stimuli: cell c = offset c / trialsPerOffset, repeat c % trialsPerOffset; directions alternate within an offset. */
function constantTrial(p: FlashLagParams, seed: number, index: number): TrialSpec<FlashLagStimulus> {
  const cell = permutedIndex(index, trialCount(p), subSeed(seed, 1));
  const offsetIndex = Math.floor(cell / p.trialsPerOffset);
  const repeat = cell % p.trialsPerOffset;
  let direction: 1 | -1 = repeat % 2 === 0 ? 1 : -1;
  // An odd count gets a random direction for its last repeat.
  if (p.trialsPerOffset % 2 === 1 && repeat === p.trialsPerOffset - 1) direction = createRng(subSeed(seed, 2000 + offsetIndex)).next() < 0.5 ? 1 : -1;
  const offsetDeg = p.offsetsDeg[offsetIndex]!;
  return { index, condition: formatOffset(offsetDeg), stimulus: makeStimulus(p, offsetDeg, direction, createRng(subSeed(seed, 1000 + index)).next()) };
}

export const flashLagDesign: Design<FlashLagParams, FlashLagStimulus, FlashLagState> = {
  adaptive: (p) => p.design === 'staircase' || p.design === 'quest',
  trialCount,
  initialState: (p) => ({ levels: p.design === 'staircase' ? [p.staircaseStartDeg, -p.staircaseStartDeg] : null, quest: p.design === 'quest' ? questInitial(questSettingsOf(p)) : null }),
  update(state, p, t) {
    if (state.quest) return { levels: null, quest: questUpdate(state.quest, questSettingsOf(p), t.stimulus.offsetDeg, isAhead(t.stimulus, t.response)) };
    if (!state.levels || t.stimulus.staircase === undefined) return state;
    // 1-up/1-down converges on 50 % "ahead", i.e. the PSE.
    const levels: [number, number] = [...state.levels];
    const sc = t.stimulus.staircase as 0 | 1;
    levels[sc] = Math.round((levels[sc] + (isAhead(t.stimulus, t.response) ? -p.staircaseStepDeg : p.staircaseStepDeg)) * 1e6) / 1e6;
    return { levels, quest: null };
  },
  plan(state, p, seed, index) {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`Trial index must be a whole number >= 0; got ${index}.`);
    if (index >= trialCount(p)) return null;
    if (state.quest) {
      // The offset is QUEST's; direction and flash position come from the trial's own stream.
      const rng = createRng(subSeed(seed, 1000 + index));
      const level = questPlacement(state.quest, questSettingsOf(p));
      const direction: 1 | -1 = rng.next() < 0.5 ? 1 : -1;
      return { index, condition: formatOffset(level), stimulus: makeStimulus(p, level, direction, rng.next()) };
    }
    if (!state.levels) return constantTrial(p, seed, index);
    // Trial i belongs to staircase i % 2. Each trial's randomness comes from its own stream, so the
    // plan does not depend on how many trials were drawn before.
    const staircase = index % 2;
    const level = state.levels[staircase]!;
    const rng = createRng(subSeed(seed, 1000 + index));
    const direction: 1 | -1 = rng.next() < 0.5 ? 1 : -1;
    const stimulus = { ...makeStimulus(p, level, direction, rng.next()), staircase };
    return { index, condition: formatOffset(level), stimulus };
  },
};

/**
 * Feedback margin: an answer counts as right or wrong only when the flash is more than this much
 * of the bar's motion (100 ms of it) ahead or behind. The flash-lag effect itself is 40-80 ms
 * of motion (Nijhawan 1994), so within the margin a person who sees the illusion is not told
 * they are wrong, and feedback does not train the illusion away.
 */
export const FEEDBACK_MARGIN_S = 0.1;

/** The right answer to a trial: null when the flash is within the feedback margin of the bar. */
export function correctResponse(s: FlashLagStimulus): 'left' | 'right' | null {
  if (Math.abs(s.offsetDeg) <= s.speedDegPerS * FEEDBACK_MARGIN_S) return null;
  return answerFor(s, s.offsetDeg > 0);
}

/** QUEST's practice offsets lie this many prior SDs either side of the prior mean (clearly ahead and behind). */
export const QUEST_PRACTICE_SDS = 2;

/** The easiest offsets ahead and behind a protocol shows: its largest ones, the staircases' start, or QUEST's prior mean +- 2 prior SD. */
function easiestOffsets(p: FlashLagParams): [number, number] {
  if (p.design === 'staircase') return [p.staircaseStartDeg, -p.staircaseStartDeg];
  if (p.design === 'quest') {
    const clip = (x: number) => Math.min(OFFSET_LIMIT_DEG, Math.max(-OFFSET_LIMIT_DEG, x));
    return [clip(p.questPriorMeanDeg + QUEST_PRACTICE_SDS * p.questPriorSdDeg), clip(p.questPriorMeanDeg - QUEST_PRACTICE_SDS * p.questPriorSdDeg)];
  }
  return [Math.max(...p.offsetsDeg), Math.min(...p.offsetsDeg)];
}

/**
 * Practice: the easiest offsets the protocol shows (easiestOffsets), ahead and behind
 * alternating from a seeded start, random directions and flash positions, from streams the data
 * trials do not use.
 */
export function practiceStimuli(p: FlashLagParams, seed: number, count: number): FlashLagStimulus[] {
  const [ahead, behind] = easiestOffsets(p);
  const rng = createRng(subSeed(seed, 7001));
  const first = rng.next() < 0.5;
  return Array.from({ length: count }, (_, i) => {
    const direction: 1 | -1 = rng.next() < 0.5 ? 1 : -1;
    return makeStimulus(p, (i % 2 === 0) === first ? ahead : behind, direction, rng.next());
  });
}

/** Every trial of a constant-stimuli protocol, in order (tests and previews; sessions plan lazily). */
export function constantStimuliList(p: FlashLagParams, seed: number): TrialSpec<FlashLagStimulus>[] {
  return Array.from({ length: trialCount(p) }, (_, i) => constantTrial(p, seed, i));
}
