/** The registry of paradigms. A new paradigm is one new folder plus one line here. */
import { flashLag } from './flash-lag/index.js';
import { kanizsa } from './kanizsa/index.js';
import type { Paradigm } from './types.js';

// A Map, so names like 'toString' or '__proto__' are unknown paradigms rather than Object's own.
export const paradigms: ReadonlyMap<string, Paradigm<any, any, any>> = new Map<string, Paradigm<any, any, any>>([
  [flashLag.id, flashLag],
  [kanizsa.id, kanizsa],
]);

export function getParadigm(id: string): Paradigm<any, any, any> {
  const p = paradigms.get(id);
  if (!p) throw new RangeError(`Unknown paradigm '${id}'. Known: ${[...paradigms.keys()].join(', ')}.`);
  return p;
}

export type {
  SimulatedObserver, Paradigm, Scene, Shape, TrialSpec, AnsweredTrial, DisplayTiming, ResponseOption, AnalysisResult, ConditionResult, Statistic, ParamField, ModelView,
} from './types.js';
