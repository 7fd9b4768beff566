/**
 * The Run page's phases, as a pure state machine (no Svelte, no DOM, no API): which screen a
 * session is on, and the events that move it. The page sends an event where something happens
 * (a key, an answer stored, the service's reply) and shows the state `next` returns.
 *
 *   setup -> info (the session-information dialog; Continue without fields starts at once)
 *         -> instructions -> practice -> practice-done -> running (with breaks and pauses) -> end.
 *
 * Practice comes first only in a session nobody has answered yet; a session resumed after an
 * answer starts at the instructions and goes straight to the data trials. A pause returns to what
 * it interrupted (practice or the data trials); abort (from the pause) ends the session.
 */
import type { Paradigm } from '../../../paradigms/types.js';

/** The screen a session is on. */
export type Phase = 'setup' | 'info' | 'instructions' | 'practice' | 'practice-done' | 'running' | 'paused' | 'break' | 'end';
/** What a pause can interrupt, and returns to. */
export type Interruptible = 'practice' | 'running';
export type RunState = { phase: Exclude<Phase, 'paused'> } | { phase: 'paused'; from: Interruptible };

export type RunEvent =
  /** A stored, interrupted session was loaded to go on with (Home's "resume"). */
  | { type: 'resume' }
  /** "Continue" on a valid form whose protocol asks session information. */
  | { type: 'ask-info' }
  /** The session-information dialog was cancelled. */
  | { type: 'cancel-info' }
  /** The service started the session. */
  | { type: 'started' }
  /** Space on the instructions; `answered` and `practiceTrials` decide whether practice comes first. */
  | { type: 'begin'; answered: number; practiceTrials: number }
  /** The last practice trial is over. */
  | { type: 'practice-over' }
  /** A data trial's answer was stored; `answered` and `breakEvery` decide whether a break comes. */
  | { type: 'answered'; answered: number; breakEvery: number }
  /** Space on the end-of-practice or the break screen. */
  | { type: 'go-on' }
  /** Esc or P during practice or the data trials. */
  | { type: 'pause' }
  /** Space on the pause screen. */
  | { type: 'continue' }
  /** A on the pause screen. */
  | { type: 'abort' }
  /** The service has no more trials for the session. */
  | { type: 'complete' }
  /** The session stopped because of an error. */
  | { type: 'error' };

export const initialRunState: RunState = { phase: 'setup' };

/** Practice comes first only in a session with practice trials that nobody has answered yet. */
export const practiceDue = (answered: number, practiceTrials: number): boolean => answered === 0 && practiceTrials > 0;

/** A break comes after every `breakEvery` answered data trials (0: never). */
export const breakDue = (answered: number, breakEvery: number): boolean => breakEvery > 0 && answered % breakEvery === 0;

/** The stimulus screen is up (the page's own content is hidden behind it). */
export const onStage = (s: RunState): boolean => s.phase === 'running' || s.phase === 'paused' || s.phase === 'practice' || s.phase === 'practice-done' || s.phase === 'break';

/** Practice is on, or paused. */
export const inPractice = (s: RunState): boolean => s.phase === 'practice' || (s.phase === 'paused' && s.from === 'practice');

/** The data trials are on, or paused. */
const inDataTrials = (s: RunState): boolean => s.phase === 'running' || (s.phase === 'paused' && s.from === 'running');

/** The state after `e`, or null where `e` is refused in `s` (the page then stays where it is). */
export function next(s: RunState, e: RunEvent): RunState | null {
  switch (e.type) {
    case 'resume':
      // (The stored session may come back while the form is open: it replaces the form.)
      return s.phase === 'setup' || s.phase === 'info' ? { phase: 'instructions' } : null;
    case 'ask-info':
      return s.phase === 'setup' ? { phase: 'info' } : null;
    case 'cancel-info':
      return s.phase === 'info' ? { phase: 'setup' } : null;
    case 'started':
      // Without session information the service is asked from the form itself.
      return s.phase === 'setup' || s.phase === 'info' ? { phase: 'instructions' } : null;
    case 'begin':
      return s.phase === 'instructions' ? { phase: practiceDue(e.answered, e.practiceTrials) ? 'practice' : 'running' } : null;
    case 'practice-over':
      // A pause during the last trial's feedback gives way to the end of practice (Space goes on from it).
      return inPractice(s) ? { phase: 'practice-done' } : null;
    case 'answered':
      // Likewise a break that falls due while a pause waited for the answer to be stored.
      if (!inDataTrials(s)) return null;
      return breakDue(e.answered, e.breakEvery) ? { phase: 'break' } : s;
    case 'go-on':
      return s.phase === 'practice-done' || s.phase === 'break' ? { phase: 'running' } : null;
    case 'pause':
      return s.phase === 'running' || s.phase === 'practice' ? { phase: 'paused', from: s.phase } : null;
    case 'continue':
      return s.phase === 'paused' ? { phase: s.from } : null;
    case 'abort':
      return s.phase === 'paused' ? { phase: 'end' } : null;
    case 'complete':
      return inDataTrials(s) ? { phase: 'end' } : null;
    case 'error':
      // Only what runs after Space can fail this way; an error at the end keeps the end screen.
      return onStage(s) || s.phase === 'end' ? { phase: 'end' } : null;
  }
}

/** What a key press asks for (the page does it where it can: an answer only while one is awaited, say). */
export type KeyAction = 'experimenter' | 'begin' | 'go-on' | 'pause' | 'answer' | 'continue' | 'abort';

/**
 * The keyboard on each screen: Ctrl+Shift+E (the experimenter's view) on every one; Space begins
 * from the instructions and goes on from the end of practice and from a break; during trials Esc
 * or P pauses and any other key may be an answer; on the pause Space continues and A aborts.
 */
export function keyAction(phase: Phase, e: Pick<KeyboardEvent, 'ctrlKey' | 'shiftKey' | 'code' | 'key'>): KeyAction | null {
  if (e.ctrlKey && e.shiftKey && e.code === 'KeyE') return 'experimenter';
  if (phase === 'instructions' && e.code === 'Space') return 'begin';
  if ((phase === 'practice-done' || phase === 'break') && e.code === 'Space') return 'go-on';
  if (phase === 'running' || phase === 'practice') return e.key === 'Escape' || e.key === 'p' ? 'pause' : 'answer';
  if (phase === 'paused' && e.code === 'Space') return 'continue';
  if (phase === 'paused' && (e.key === 'a' || e.key === 'A')) return 'abort';
  return null;
}

/** Feedback on a practice answer, shown for FEEDBACK_S. */
export interface PracticeFeedback {
  text: string;
  /** true: right, false: wrong, null: no answer is right on this one. */
  right: boolean | null;
}

/**
 * A practice answer judged by the paradigm's right answer: scored, with feedback, where one answer
 * is right; "either is fine" where none is; neither where the paradigm defines no right answers.
 */
export function judgePractice(p: Pick<Paradigm<any, any, any>, 'correctResponse' | 'responses'>, stimulus: unknown, response: string): { feedback: PracticeFeedback | null; scored: boolean; correct: boolean } {
  const right = p.correctResponse ? p.correctResponse(stimulus) : undefined;
  if (right === undefined) return { feedback: null, scored: false, correct: false };
  if (right === null) return { feedback: { text: 'Either answer is fine on this one.', right: null }, scored: false, correct: false };
  if (response === right) return { feedback: { text: 'Correct', right: true }, scored: true, correct: true };
  const label = p.responses.find((o) => o.value === right)?.label ?? right;
  return { feedback: { text: `Not quite: the answer was ${label}`, right: false }, scored: true, correct: false };
}
