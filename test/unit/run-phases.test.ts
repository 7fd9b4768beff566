/**
 * The Run page's phase machine (renderer/src/lib/run-phases.ts): every event in every state,
 * checked against a table written out by hand (the transitions the page makes, and the ones it
 * refuses), the rules for practice and breaks, the keyboard on each screen, practice feedback,
 * and whole sessions walked through it.
 */
import { describe, expect, it } from 'vitest';
import { kanizsa } from '../../paradigms/kanizsa/index.js';
import type { Paradigm } from '../../paradigms/types.js';
import { breakDue, inPractice, initialRunState, judgePractice, keyAction, next, onStage, practiceDue, type Phase, type RunEvent, type RunState } from '../../renderer/src/lib/run-phases.js';

const S = {
  setup: { phase: 'setup' },
  info: { phase: 'info' },
  instructions: { phase: 'instructions' },
  practice: { phase: 'practice' },
  practiceDone: { phase: 'practice-done' },
  running: { phase: 'running' },
  pausedPractice: { phase: 'paused', from: 'practice' },
  pausedRunning: { phase: 'paused', from: 'running' },
  break: { phase: 'break' },
  end: { phase: 'end' },
} satisfies Record<string, RunState>;
type Name = keyof typeof S;
const NAMES = Object.keys(S) as Name[];

const E = {
  resume: { type: 'resume' },
  askInfo: { type: 'ask-info' },
  cancelInfo: { type: 'cancel-info' },
  started: { type: 'started' },
  beginFresh: { type: 'begin', answered: 0, practiceTrials: 3 },
  beginNoPractice: { type: 'begin', answered: 0, practiceTrials: 0 },
  beginResumed: { type: 'begin', answered: 4, practiceTrials: 3 },
  practiceOver: { type: 'practice-over' },
  answeredBreak: { type: 'answered', answered: 10, breakEvery: 5 },
  answeredNoBreak: { type: 'answered', answered: 7, breakEvery: 5 },
  answeredBreaksOff: { type: 'answered', answered: 10, breakEvery: 0 },
  goOn: { type: 'go-on' },
  pause: { type: 'pause' },
  continue: { type: 'continue' },
  abort: { type: 'abort' },
  complete: { type: 'complete' },
  error: { type: 'error' },
} satisfies Record<string, RunEvent>;
type EventName = keyof typeof E;

/** Each event's accepted transitions (from -> to; 'same' = accepted, no change); any state not listed refuses it. */
const TABLE: Record<EventName, Partial<Record<Name, Name | 'same'>>> = {
  resume: { setup: 'instructions', info: 'instructions' },
  askInfo: { setup: 'info' },
  cancelInfo: { info: 'setup' },
  started: { setup: 'instructions', info: 'instructions' },
  beginFresh: { instructions: 'practice' },
  beginNoPractice: { instructions: 'running' },
  beginResumed: { instructions: 'running' },
  practiceOver: { practice: 'practiceDone', pausedPractice: 'practiceDone' },
  answeredBreak: { running: 'break', pausedRunning: 'break' },
  answeredNoBreak: { running: 'same', pausedRunning: 'same' },
  answeredBreaksOff: { running: 'same', pausedRunning: 'same' },
  goOn: { practiceDone: 'running', break: 'running' },
  pause: { running: 'pausedRunning', practice: 'pausedPractice' },
  continue: { pausedRunning: 'running', pausedPractice: 'practice' },
  abort: { pausedRunning: 'end', pausedPractice: 'end' },
  complete: { running: 'end', pausedRunning: 'end' },
  error: { practice: 'end', practiceDone: 'end', running: 'end', pausedPractice: 'end', pausedRunning: 'end', break: 'end', end: 'end' },
};

describe('the Run page phase machine', () => {
  for (const [event, accepted] of Object.entries(TABLE) as [EventName, (typeof TABLE)[EventName]][]) {
    describe(event, () => {
      for (const from of NAMES) {
        const to = accepted[from];
        it(to === undefined ? `is refused in ${from}` : `${from} -> ${to === 'same' ? from : to}`, () => {
          const state: RunState = structuredClone(S[from]);
          const result = next(state, E[event]);
          if (to === undefined) expect(result).toBeNull();
          else if (to === 'same') expect(result).toBe(state);
          else expect(result).toEqual(S[to]);
          // The state passed in is never changed.
          expect(state).toEqual(S[from]);
        });
      }
    });
  }

  it('the table names every state and every kind of event', () => {
    const kinds = new Set(Object.values(E).map((e) => e.type));
    expect([...kinds].sort()).toEqual(['abort', 'answered', 'ask-info', 'begin', 'cancel-info', 'complete', 'continue', 'error', 'go-on', 'pause', 'practice-over', 'resume', 'started']);
    expect(NAMES).toHaveLength(10);
  });

  it('starts at the setup form', () => {
    expect(initialRunState).toEqual({ phase: 'setup' });
  });
});

describe('the rules', () => {
  it('practice comes first only when it has trials and nothing is answered yet', () => {
    expect(practiceDue(0, 2)).toBe(true);
    expect(practiceDue(0, 0)).toBe(false);
    expect(practiceDue(1, 2)).toBe(false);
  });

  it('a break comes after every breakEvery answers; 0 means none', () => {
    expect([1, 2, 3, 4, 5, 6].filter((n) => breakDue(n, 2))).toEqual([2, 4, 6]);
    expect([1, 2, 3, 4, 5, 6].filter((n) => breakDue(n, 3))).toEqual([3, 6]);
    expect([1, 2, 3, 4, 5, 6].filter((n) => breakDue(n, 0))).toEqual([]);
  });

  it('the stimulus screen is up from the first trial to the last, pauses and breaks included', () => {
    expect(NAMES.filter((n) => onStage(S[n]))).toEqual(['practice', 'practiceDone', 'running', 'pausedPractice', 'pausedRunning', 'break']);
  });

  it('practice shows its own counter while it runs and while it is paused', () => {
    expect(NAMES.filter((n) => inPractice(S[n]))).toEqual(['practice', 'pausedPractice']);
  });
});

describe('sessions walked through the machine', () => {
  const walk = (events: RunEvent[], from: RunState = initialRunState) =>
    events.reduce<RunState[]>((trail, e) => {
      const s = next(trail.at(-1)!, e);
      if (!s) throw new Error(`${JSON.stringify(e)} refused in ${JSON.stringify(trail.at(-1))}`);
      return [...trail, s];
    }, [from]).map((s) => (s.phase === 'paused' ? `paused(${s.from})` : s.phase));

  it('a new session: information, practice with a pause, breaks, and the end', () => {
    expect(walk([
      { type: 'ask-info' }, { type: 'started' }, { type: 'begin', answered: 0, practiceTrials: 2 },
      { type: 'pause' }, { type: 'continue' }, { type: 'practice-over' }, { type: 'go-on' },
      { type: 'answered', answered: 1, breakEvery: 2 }, { type: 'answered', answered: 2, breakEvery: 2 }, { type: 'go-on' },
      { type: 'pause' }, { type: 'continue' }, { type: 'answered', answered: 3, breakEvery: 2 }, { type: 'complete' },
    ])).toEqual([
      'setup', 'info', 'instructions', 'practice',
      'paused(practice)', 'practice', 'practice-done', 'running',
      'running', 'break', 'running',
      'paused(running)', 'running', 'running', 'end',
    ]);
  });

  it('a resumed session skips practice; abort from the pause ends it', () => {
    expect(walk([{ type: 'resume' }, { type: 'begin', answered: 5, practiceTrials: 4 }, { type: 'pause' }, { type: 'abort' }])).toEqual(['setup', 'instructions', 'running', 'paused(running)', 'end']);
  });

  it('the dialog cancelled goes back to the form, and the form starts without it', () => {
    expect(walk([{ type: 'ask-info' }, { type: 'cancel-info' }, { type: 'started' }, { type: 'begin', answered: 0, practiceTrials: 0 }])).toEqual(['setup', 'info', 'setup', 'instructions', 'running']);
  });

  it('after an abort nothing brings the trials back', () => {
    const ended = next(next(S.practice, { type: 'pause' })!, { type: 'abort' })!;
    expect(ended).toEqual(S.end);
    for (const e of Object.values(E)) if (e.type !== 'error') expect(next(ended, e), e.type).toBeNull();
  });
});

describe('the keyboard', () => {
  const PHASES: Phase[] = ['setup', 'info', 'instructions', 'practice', 'practice-done', 'running', 'paused', 'break', 'end'];
  const key = (code: string, k: string, mods: { ctrlKey?: boolean; shiftKey?: boolean } = {}) => ({ code, key: k, ctrlKey: false, shiftKey: false, ...mods });
  const SPACE = key('Space', ' ');
  const actionsOf = (press: ReturnType<typeof key>) => Object.fromEntries(PHASES.map((p) => [p, keyAction(p, press)]));

  it("Ctrl+Shift+E opens the experimenter's view on every screen; Ctrl+E or Shift+E alone does not", () => {
    for (const p of PHASES) expect(keyAction(p, key('KeyE', 'E', { ctrlKey: true, shiftKey: true })), p).toBe('experimenter');
    expect(keyAction('setup', key('KeyE', 'e', { ctrlKey: true }))).toBeNull();
    expect(keyAction('running', key('KeyE', 'E', { shiftKey: true }))).toBe('answer');
  });

  it('Space begins, goes on after practice and breaks, continues a pause; it may be an answer during trials', () => {
    expect(actionsOf(SPACE)).toEqual({ setup: null, info: null, instructions: 'begin', practice: 'answer', 'practice-done': 'go-on', running: 'answer', paused: 'continue', break: 'go-on', end: null });
  });

  it('Esc and P pause during trials only', () => {
    for (const press of [key('Escape', 'Escape'), key('KeyP', 'p')]) {
      expect(actionsOf(press)).toEqual({ setup: null, info: null, instructions: null, practice: 'pause', 'practice-done': null, running: 'pause', paused: null, break: null, end: null });
    }
    // (A capital P is a key like any other.)
    expect(keyAction('running', key('KeyP', 'P', { shiftKey: true }))).toBe('answer');
  });

  it('A aborts from the pause only (either case); other keys are answers during trials and nothing elsewhere', () => {
    for (const press of [key('KeyA', 'a'), key('KeyA', 'A', { shiftKey: true })]) {
      expect(actionsOf(press)).toEqual({ setup: null, info: null, instructions: null, practice: 'answer', 'practice-done': null, running: 'answer', paused: 'abort', break: null, end: null });
    }
    expect(actionsOf(key('KeyF', 'f'))).toEqual({ setup: null, info: null, instructions: null, practice: 'answer', 'practice-done': null, running: 'answer', paused: null, break: null, end: null });
  });
});

describe('practice feedback', () => {
  const fat = { alphaDeg: 4 } as never;
  const none = { alphaDeg: 0 } as never;

  it("scores against the paradigm's right answer and names it when missed", () => {
    expect(judgePractice(kanizsa, fat, 'fat')).toEqual({ feedback: { text: 'Correct', right: true }, scored: true, correct: true });
    // Named by the response's label (Fat), not its stored value (fat).
    expect(judgePractice(kanizsa, fat, 'thin')).toEqual({ feedback: { text: 'Not quite: the answer was Fat', right: false }, scored: true, correct: false });
  });

  it('where no answer is right: "either is fine", not scored', () => {
    expect(judgePractice(kanizsa, none, 'thin')).toEqual({ feedback: { text: 'Either answer is fine on this one.', right: null }, scored: false, correct: false });
  });

  it('a paradigm without right answers gives no feedback and scores nothing', () => {
    const noAnswers: Pick<Paradigm<any, any, any>, 'correctResponse' | 'responses'> = { responses: kanizsa.responses };
    expect(judgePractice(noAnswers, fat, 'fat')).toEqual({ feedback: null, scored: false, correct: false });
  });

  it('an answer value without a label is named by its value', () => {
    expect(judgePractice({ responses: [], correctResponse: () => 'left' }, {}, 'right').feedback).toEqual({ text: 'Not quite: the answer was left', right: false });
  });
});
