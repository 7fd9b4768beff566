/**
 * What a service thread's event says (preload/channels/events.ts): each topic carries the answer
 * of its status channel, read through the same handlers (so an event never says other than what
 * the page would be told if it asked). A training run's preview is added only when it is new.
 */
import { MAX_EVENT_CHARS, type AppEvent, type EventTopic } from '../../preload/channels/events.js';
import type { Args, Channel, Envelope, Results } from '../../preload/contract.js';

/** The status channel whose answer each topic (but training and work) carries. */
const LIST_CHANNEL = { 'model-sessions': 'models:jobs', replicate: 'replicate:jobs', imports: 'datasets:jobs', exports: 'datasets:export-jobs', download: 'models:download-status' } as const;

type Invoke = (channel: Channel, args: unknown) => Promise<Envelope<unknown>>;

export function eventSnapshots(invoke: Invoke): (topic: EventTopic, key: number | undefined) => Promise<AppEvent | null> {
  const ask = async <C extends Channel>(c: C, a: Args<C>): Promise<Results[C] | undefined> => {
    const e = await invoke(c, a);
    return e.ok ? (e.value as Results[C]) : undefined;
  };
  /** The preview epoch each run's events last carried. */
  const previewSent = new Map<number, number>();
  return async (topic, key) => {
    switch (topic) {
      case 'training': {
        if (key === undefined) return null;
        const run = await ask('training:status', { runId: key });
        if (!run) return null;
        let preview = null;
        if (run.previewEpoch !== null && previewSent.get(key) !== run.previewEpoch) {
          preview = (await ask('training:preview', { runId: key })) ?? null;
          if (preview) previewSent.set(key, preview.epoch);
          // Thumbnails of a very tall dataset could outgrow an event: the run's state goes without them.
          if (preview && JSON.stringify(preview).length > MAX_EVENT_CHARS / 2) preview = null;
        }
        return { topic, key, value: { run, preview } };
      }
      case 'work':
        return null; // the main thread's own (main/bootstrap.ts)
      default: {
        // One list or status per topic, as its channel answers it (null is a valid download status).
        const value = await ask(LIST_CHANNEL[topic], {});
        return value === undefined ? null : ({ topic, value } as AppEvent);
      }
    }
  };
}
