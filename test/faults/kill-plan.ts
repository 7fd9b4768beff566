/** What the kill campaign's children do, shared by the child (kill-child.ts) and the test that checks them. */
import { createRng, subSeed } from '../../paradigms/rng.js';

/** The campaign's seed: PREDLAB_FAULT_SEED replays a run (the test prints the one it used). */
export const CAMPAIGN_SEED = process.env.PREDLAB_FAULT_SEED ? Number(process.env.PREDLAB_FAULT_SEED) : 20261128;

export const PERSON_LABEL = 'kill-campaign';

/** An adaptive protocol: resuming must rebuild the staircases from the stored answers. */
export const MODEL_PROTOCOL = {
  paradigmId: 'flash-lag',
  parameters: { design: 'staircase', staircaseTrials: 30, offsetsDeg: [-1, 0, 1] },
  seed: 11,
} as const;

export const PERSON_PROTOCOL = {
  paradigmId: 'flash-lag',
  parameters: { design: 'staircase', staircaseTrials: 100, offsetsDeg: [-1, 0, 1] },
  seed: 7,
} as const;

/** The answer given to trial `index` (so the parent knows what every stored trial must hold). */
export function answerFor(index: number): { response: 'left' | 'right'; rtMs: number } {
  return { response: (index * 7) % 5 < 2 ? 'left' : 'right', rtMs: 200 + index };
}

/** Milliseconds the person waits after answer `i`: often 0 (so kills land inside the writes), else up to 15. */
export function paceMs(seed: number, i: number): number {
  const r = createRng(subSeed(seed, i)).next();
  return r < 0.4 ? 0 : Math.round((r - 0.4) * 25);
}
