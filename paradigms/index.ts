/** The registry of paradigms. A new paradigm is one new folder plus one line here. */
import { flashLag } from './flash-lag/index.js';
import type { Paradigm } from './types.js';

export const paradigms: Record<string, Paradigm<any, any, any>> = { [flashLag.id]: flashLag };

export function getParadigm(id: string): Paradigm<any, any, any> {
  const p = paradigms[id];
  if (!p) throw new RangeError(`Unknown paradigm '${id}'. Known: ${Object.keys(paradigms).join(', ')}.`);
  return p;
}

export type { SimulatedObserver, Paradigm, Scene, Shape, TrialSpec, AnsweredTrial, DisplayTiming, ResponseOption } from './types.js';
