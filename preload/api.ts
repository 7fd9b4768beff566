/**
 * Builds `window.predlab` from the contract over any transport. The Electron preload passes
 * ipcRenderer.invoke and its event channel; tests pass a Playwright binding to the real services.
 */
import { channels, type Args, type Channel, type Envelope, type Results } from './contract.js';
import { appEventSchema, type AppEvent, type EventListener, type EventTopic } from './channels/events.js';

export type Transport = (channel: Channel, args: unknown) => Promise<Envelope<unknown>>;
/** Hands the transport's pushed events (unchecked) to `deliver`, once. */
export type EventSource = (deliver: (event: unknown) => void) => void;

/** An error from the Node side, with a code the UI can branch on. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type PredlabApi = { [C in Channel]: (args: Args<C>) => Promise<Results[C]> } & {
  /** Listen to one topic's events (progress, completion, failure of long jobs); returns the unsubscribe. */
  on<T extends EventTopic>(topic: T, listener: EventListener<T>): () => void;
};

export function createApi(transport: Transport, events?: EventSource): PredlabApi {
  const api = {} as Record<string, unknown>;
  for (const channel of channels) {
    api[channel] = async (args: unknown) => {
      const env = await transport(channel, args ?? {});
      if (env.ok) return env.value;
      throw new ApiError(env.error.code, env.error.message);
    };
  }
  const listeners = new Map<EventTopic, Set<(value: unknown, key: number | undefined) => void>>();
  events?.((raw) => {
    // Checked here too: only the contract's events reach the page's code.
    const parsed = appEventSchema.safeParse(raw);
    if (!parsed.success) return;
    const e = parsed.data as AppEvent;
    for (const l of listeners.get(e.topic) ?? []) {
      try {
        l(e.value, e.key);
      } catch (err) {
        console.error(err); // one listener's bug does not starve the others
      }
    }
  });
  api.on = (topic: EventTopic, listener: (value: unknown, key: number | undefined) => void) => {
    const set = listeners.get(topic) ?? new Set();
    listeners.set(topic, set);
    set.add(listener);
    return () => void set.delete(listener);
  };
  return Object.freeze(api) as unknown as PredlabApi;
}
