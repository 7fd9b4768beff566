/**
 * The contradictions a new user found, each rendered and read: trial numbers as people count them,
 * counts without decimals, a person's caption that explains only what the person's result shows,
 * one way to write a frame size and a date. (Same trials beside "independent": compare.test.ts;
 * every answer the same beside "outside the tested range", and paradigm words in shared notes:
 * psychometric.test.ts; the dropped-frame note per medium: dropped-frames.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { withLeftOut } from '../../main/services/analysis.js';
import { formatStatistic, formatStatistics } from '../../main/cli/format.js';
import { flashLag } from '../../paradigms/flash-lag/index.js';
import { dateTime, frameSize } from '../../paradigms/format.js';
import type { AnsweredTrial } from '../../paradigms/types.js';
import type { FlashLagStimulus } from '../../paradigms/flash-lag/params.js';
import { createRng } from '../../paradigms/rng.js';

const params = flashLag.parameterSchema.parse({ offsetsDeg: [-1, -0.5, 0, 0.5, 1], trialsPerOffset: 4 });

/** The protocol's trials answered by a simulated observer; `perceived` adds a model's readout. */
function answered(perceived: boolean): AnsweredTrial<FlashLagStimulus>[] {
  const rng = createRng(3);
  const out: AnsweredTrial<FlashLagStimulus>[] = [];
  let state = flashLag.design.initialState(params, 5);
  for (let i = 0; ; i++) {
    const t = flashLag.design.plan(state, params, 5, i);
    if (!t) return out;
    const a = { index: i, stimulus: t.stimulus, response: flashLag.simulateResponse(t.stimulus, { pse: 0.2, sigma: 0.4, guess: 0, lapse: 0 }, rng), extra: perceived ? { perceivedOffsetDeg: t.stimulus.offsetDeg - 0.2 } : null };
    out.push(a);
    state = flashLag.design.update(state, params, a);
  }
}

describe('wording', () => {
  it('notes number trials from 1, as people count (files keep trial_index from 0)', () => {
    const a = withLeftOut(flashLag.analyse(params, answered(false), { bootstrap: 0 }), {
      used: 17,
      flagged: [{ trialIndex: 0, reason: 'a 50 ms frame at the flash' }],
      excluded: true,
      noAnswer: [4, 9],
      guessed: [],
      guessesKept: false,
      model: true,
    });
    const notes = a.messages.join('\n');
    expect(notes).toContain('1 trial(s) left out of the fit for a dropped frame within 2 frames of the critical event: trial 1 (a 50 ms frame at the flash).');
    expect(notes).toContain('They are left out of the fit: trials 5, 10.');
  });

  it('counts are whole numbers: "35 trials", never "35.000 trials"', () => {
    expect(formatStatistic({ key: 'excluded', label: 'Trials left out', value: 35, unit: 'trials' })).toBe('Trials left out: 35 trials');
  });

  it('one quantity in two units that the data leave undetermined for one reason is one CLI line, not two identical ones', () => {
    const why = 'Not determined by the data: every answer was the same.';
    const lines = formatStatistics([
      { key: 'pse-deg', label: 'Flash-lag (PSE)', value: 0.1, unit: 'deg', undetermined: why },
      { key: 'pse-ms', label: 'Flash-lag (PSE)', value: 10, unit: 'ms', undetermined: why },
      { key: 'slope', label: 'Slope at PSE', value: 2, unit: '/deg', ci: [1, 3] },
    ]);
    expect(lines).toEqual(['Flash-lag (PSE) (deg, ms): not determined (every answer was the same)', 'Slope at PSE: 2.000 /deg  [1.000, 3.000] (95% CI)']);
  });

  it("a person's caption explains the person's result; only a model's explains its direct PSE", () => {
    const person = flashLag.analyse(params, answered(false), { bootstrap: 0 });
    const model = flashLag.analyse(params, answered(true), { bootstrap: 20 });
    expect(person.caption).not.toMatch(/Direct PSE|model/);
    expect(model.caption).toMatch(/Direct PSE: where the model's noise-free perceived offset crosses zero/);
  });

  it('a frame size is height × width everywhere; a date is local time to the minute', () => {
    expect(frameSize(64, 80)).toBe('64 × 80');
    const iso = '2026-12-07T00:05:59.123Z';
    const d = new Date(iso);
    const two = (n: number) => String(n).padStart(2, '0');
    expect(dateTime(iso)).toBe(`${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`);
    expect(dateTime('not a date')).toBe('not a date');
  });
});
