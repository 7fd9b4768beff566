/** Seeded trial lists: method of constant stimuli, or interleaved 1-up/1-down staircases. */
import { createRng, shuffled, subSeed } from '../rng.js';
import type { AnsweredTrial, TrialSpec } from '../types.js';
import type { FlashLagParams, FlashLagStimulus } from './params.js';

export function formatOffset(offsetDeg: number): string {
  return `offset=${offsetDeg >= 0 ? '+' : ''}${offsetDeg.toFixed(2)}`;
}

/** The varying part of a trial; the rest comes from the parameters. */
function makeStimulus(p: FlashLagParams, offsetDeg: number, direction: 1 | -1, jitterUnit: number): FlashLagStimulus {
  const startXDeg = (-direction * p.travelDeg) / 2;
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
    flashFrames: p.flashFrames,
    barWidthDeg: p.barWidthDeg,
    barHeightDeg: p.barHeightDeg,
    flashWidthDeg: p.flashWidthDeg,
    flashHeightDeg: p.flashHeightDeg,
    gapDeg: p.gapDeg,
    background: p.background,
    stimulusLuminance: p.stimulusLuminance,
    fixationLuminance: p.fixationLuminance,
  };
}

export function trialCount(p: FlashLagParams): number {
  return p.design === 'staircase' ? p.staircaseTrials : p.offsetsDeg.length * p.trialsPerOffset;
}

/** Full list for the method of constant stimuli: every offset x trialsPerOffset, directions balanced. */
export function constantStimuliList(p: FlashLagParams, seed: number): TrialSpec<FlashLagStimulus>[] {
  const rng = createRng(subSeed(seed, 1));
  const cells: { offsetDeg: number; direction: 1 | -1 }[] = [];
  for (const offsetDeg of p.offsetsDeg)
    for (let r = 0; r < p.trialsPerOffset; r++) {
      // Alternate directions within an offset; an odd count gets a random extra direction.
      const direction: 1 | -1 = r % 2 === 0 ? 1 : -1;
      cells.push({ offsetDeg, direction });
    }
  if (p.trialsPerOffset % 2 === 1) {
    for (let i = p.trialsPerOffset - 1; i < cells.length; i += p.trialsPerOffset) cells[i]!.direction = rng.next() < 0.5 ? 1 : -1;
  }
  return shuffled(cells, rng).map((c, index) => ({
    index,
    condition: formatOffset(c.offsetDeg),
    stimulus: makeStimulus(p, c.offsetDeg, c.direction, rng.next()),
  }));
}

const cache = new Map<string, TrialSpec<FlashLagStimulus>[]>();

export function planTrial(p: FlashLagParams, seed: number, index: number, history: AnsweredTrial<FlashLagStimulus>[]): TrialSpec<FlashLagStimulus> | null {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`Trial index must be a whole number >= 0; got ${index}.`);
  if (index >= trialCount(p)) return null;
  if (p.design === 'constant') {
    const key = `${seed}:${JSON.stringify(p)}`;
    let list = cache.get(key);
    if (!list) {
      list = constantStimuliList(p, seed);
      if (cache.size > 16) cache.clear();
      cache.set(key, list);
    }
    return list[index]!;
  }
  // Staircases: trial i belongs to staircase i % 2; staircase 0 starts ahead, 1 starts behind.
  // 1-up/1-down converges on 50 % "ahead", i.e. the PSE. Each trial's randomness is drawn from
  // its own stream so the plan does not depend on how many trials were drawn before.
  const staircase = index % 2;
  let level = staircase === 0 ? p.staircaseStartDeg : -p.staircaseStartDeg;
  for (const t of history) {
    if (t.stimulus.staircase !== staircase || t.index >= index) continue;
    const ahead = isAhead(t.stimulus, t.response);
    level += ahead ? -p.staircaseStepDeg : p.staircaseStepDeg;
  }
  level = Math.round(level * 1e6) / 1e6;
  const rng = createRng(subSeed(seed, 1000 + index));
  const direction: 1 | -1 = rng.next() < 0.5 ? 1 : -1;
  const stimulus = { ...makeStimulus(p, level, direction, rng.next()), staircase };
  return { index, condition: formatOffset(level), stimulus };
}

/** Did the participant report the flash ahead of the bar (along the motion)? */
export function isAhead(s: Pick<FlashLagStimulus, 'direction'>, response: string): boolean {
  if (response !== 'left' && response !== 'right') throw new RangeError(`Flash-lag answers are 'left' or 'right'; got '${response}'.`);
  return (response === 'right') === (s.direction === 1);
}
