/**
 * The experimenter's view in a second window: the Run page posts what its experimenter panel
 * shows, the second window (index.html#experimenter, on another screen) renders it. Both are the
 * app's own pages of one origin, so a BroadcastChannel carries it without the main process.
 */
import type { ModelJob, SessionAnalysis, SessionInfo } from '../../../preload/contract.js';

export const EXPERIMENTER_HASH = '#experimenter';

/** One answered trial as the experimenter sees it. */
export interface TrialLogEntry {
  index: number;
  condition: string;
  response: string;
  rtMs: number | null;
  dropped: number;
  meanMs: number;
  sdMs: number;
  maxMs: number;
  /** The service scheduled a repeat of this trial (dropped frames near its critical event). */
  repeated: boolean;
  repeatOf: number | null;
}
const CHANNEL = 'predlab-experimenter';

export interface ExperimenterState {
  session: SessionInfo | null;
  progress: { answered: number; total: number };
  practice: { done: number; correct: number; scored: number };
  log: TrialLogEntry[];
  analysis: SessionAnalysis | null;
  jobs: ModelJob[];
  refreshHz: number | null;
}

/** The participant's side: post each new state (a structured clone: plain data only). */
export function experimenterSender(): { post(state: ExperimenterState): void; close(): void } {
  const channel = new BroadcastChannel(CHANNEL);
  let last: ExperimenterState | null = null;
  // A window opened later asks for the current state.
  channel.onmessage = (e) => {
    if ((e.data as { type?: string }).type === 'hello' && last) channel.postMessage({ type: 'state', state: last });
  };
  return {
    post(state) {
      last = state;
      channel.postMessage({ type: 'state', state });
    },
    close: () => channel.close(),
  };
}

/** The experimenter's window: every state as it arrives. */
export function experimenterReceiver(onState: (s: ExperimenterState) => void): () => void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (e) => {
    const m = e.data as { type?: string; state?: ExperimenterState };
    if (m.type === 'state' && m.state) onState(m.state);
  };
  channel.postMessage({ type: 'hello' });
  return () => channel.close();
}
