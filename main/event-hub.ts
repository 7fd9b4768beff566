/**
 * Pushed progress (preload/channels/events.ts): a job calls `notify(topic, key)` whenever its state
 * or progress changes; the hub sends at most EVENTS_PER_SECOND events per topic and job, each made
 * when it is sent (so a burst of changes becomes one event with the newest state, and the last
 * change is never lost). Used in each service thread (jobs) and on the main thread (work status).
 */
import { EVENTS_PER_SECOND, type AppEvent, type EventTopic } from '../preload/channels/events.js';

export type Notify = (topic: EventTopic, key?: number) => void;

export class EventHub {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly last = new Map<string, number>();
  private closed = false;

  constructor(
    /** The event as it stands now (null: nothing to say, e.g. the job is gone). */
    private readonly snapshot: (topic: EventTopic, key: number | undefined) => Promise<AppEvent | null> | AppEvent | null,
    private readonly send: (event: AppEvent) => void,
    private readonly minIntervalMs = 1000 / EVENTS_PER_SECOND,
  ) {}

  readonly notify: Notify = (topic, key) => {
    const k = `${topic}:${key ?? ''}`;
    if (this.closed || this.pending.has(k)) return;
    const wait = Math.max(0, (this.last.get(k) ?? -Infinity) + this.minIntervalMs - Date.now());
    const timer = setTimeout(() => {
      this.pending.delete(k);
      this.last.set(k, Date.now());
      void Promise.resolve()
        .then(() => this.snapshot(topic, key))
        .then((e) => {
          if (e && !this.closed) this.send(e);
        })
        .catch(() => undefined); // a status that cannot be read now is read at the next change
    }, wait);
    timer.unref?.();
    this.pending.set(k, timer);
  };

  close(): void {
    this.closed = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}
