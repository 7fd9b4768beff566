/** Flash-lag tells the participant about the display chosen only, and each display has its own defaults. */
import { describe, expect, it } from 'vitest';
import { flashLag, flashLagParamsSchema, ROTATE_DEFAULTS, type FlashLagStimulus } from '../../paradigms/flash-lag/index.js';
import { instructionsOf, runSettingsSchema } from '../../paradigms/run-settings.js';
import { defaultKeys, withKeys } from '../../paradigms/response-keys.js';
import { completeForm } from '../../paradigms/form-fields.js';
import type { AnsweredTrial } from '../../paradigms/types.js';

const run = runSettingsSchema.parse({});
const text = (over: Record<string, unknown>) => instructionsOf(run, flashLag, flashLagParamsSchema.parse(over));

describe('flash-lag instructions', () => {
  it('describe only the translating bar when it is chosen', () => {
    const t = text({ motion: 'translate' });
    expect(t).toMatch(/move across the screen/);
    expect(t).toMatch(/flash briefly below it/);
    expect(t).not.toMatch(/turn|clockwise/);
  });

  it('describe only the rotating bar when it is chosen, with the segment that flashes', () => {
    const outer = text({ motion: 'rotate' });
    expect(outer).toMatch(/turn about/);
    expect(outer).toMatch(/beyond its ends/);
    expect(outer).toMatch(/counter-clockwise/);
    expect(outer).not.toMatch(/across the screen|below it/);
    const inner = text({ motion: 'rotate', flashSegment: 'inner' });
    expect(inner).toMatch(/short bar through the dot/);
    expect(inner).not.toBe(outer);
  });

  it('the list text is the default (translating) display; a run text the user wrote wins', () => {
    // The paradigm writes {left} and {right} where the keys go; the participant reads the keys.
    expect(flashLag.instructions).toMatch(/Press \{left\} if .*, \{right\} if/);
    expect(withKeys(flashLag.instructions, defaultKeys(flashLag))).toBe(text({}));
    const own = runSettingsSchema.parse({ instructions: 'My own words.' });
    expect(instructionsOf(own, flashLag, flashLagParamsSchema.parse({ motion: 'rotate' }))).toBe('My own words.');
    // Without parameters (a caller that has none): the default text.
    expect(instructionsOf(run, flashLag)).toBe(withKeys(flashLag.instructions, defaultKeys(flashLag)));
  });
});

describe('rotating-bar defaults', () => {
  it('fill the path parameters not given, in deg of rotation', () => {
    const p = flashLagParamsSchema.parse({ motion: 'rotate' });
    expect(p).toMatchObject({ speedDegPerS: 60, travelDeg: 90, flashJitterDeg: 20, offsetsDeg: [-15, -10, -5, 0, 5, 10, 15], staircaseStartDeg: 10, staircaseStepDeg: 2 });
    // At 60 Hz the largest offset spans 15 frames of rotation, the smallest step 5.
    expect(Math.max(...p.offsetsDeg) / (p.speedDegPerS / 60)).toBe(15);
  });

  it('keep what is given (a stored protocol keeps its parameters), and leave the translating bar as it was', () => {
    const p = flashLagParamsSchema.parse({ motion: 'rotate', speedDegPerS: 10, offsetsDeg: [-1.5, 0, 1.5], travelDeg: 16, flashJitterDeg: 2 });
    expect(p).toMatchObject({ speedDegPerS: 10, offsetsDeg: [-1.5, 0, 1.5], travelDeg: 16, flashJitterDeg: 2, staircaseStepDeg: ROTATE_DEFAULTS.staircaseStepDeg });
    expect(flashLagParamsSchema.parse({ motion: 'rotate', speedDegPerS: undefined }).speedDegPerS).toBe(60);
    expect(flashLagParamsSchema.parse({})).toMatchObject({ motion: 'translate', speedDegPerS: 10, travelDeg: 16, offsetsDeg: [-1.5, -1, -0.5, 0, 0.5, 1, 1.5] });
    // A stored rotating protocol (full parameters) parses to itself.
    expect(flashLagParamsSchema.parse(p)).toEqual(p);
  });

  it('still reject bad values and keep the advanced form fields', () => {
    expect(flashLagParamsSchema.safeParse({ motion: 'rotate', flashJitterDeg: 95 }).success).toBe(false);
    expect(flashLagParamsSchema.safeParse({ motion: 'rotate', bogus: 1 }).success).toBe(false);
    expect(completeForm(flashLag).some((f) => f.key === 'barWidthDeg' && f.advanced)).toBe(true);
  });

  it('analysis titles the rotating speed in deg of rotation/s', () => {
    const params = flashLagParamsSchema.parse({ motion: 'rotate', trialsPerOffset: 1 });
    const trials: AnsweredTrial<FlashLagStimulus>[] = [];
    let state = flashLag.design.initialState(params, 3);
    for (let i = 0; ; i++) {
      const t = flashLag.design.plan(state, params, 3, i);
      if (!t) break;
      const a = { index: i, stimulus: t.stimulus, response: i % 2 ? 'left' : 'right' };
      trials.push(a);
      state = flashLag.design.update(state, params, a);
    }
    const r = flashLag.analyse(params, trials);
    expect(r.title).toBe('Flash-lag (rotating bar, outer flash, continuous, 60 deg of rotation/s)');
    expect(r.group).toBe('rotating bar, outer flash, continuous, 60 deg of rotation/s');
    expect(flashLag.analyse(flashLagParamsSchema.parse({ trialsPerOffset: 1 }), []).title).toBe('Flash-lag (continuous, 10 deg/s)');
  });
});
