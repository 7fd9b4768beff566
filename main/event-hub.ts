/**
 * Pushed progress (preload/channels/events.ts): a job calls `notify(topic, key)` whenever its state
 * or progress changes; the hub sends at most EVENTS_PER_SECOND events per topic and job, each made
 * when it is sent (so a burst of changes becomes one event with the newest state, and the last
 * change is never lost). Used in each service thread (jobs) and on the main thread (work status).
 */
import { EVENTS_PER_SECOND, type AppEvent, type EventTopic } from '../preload/channels/events.js';

export type Notify = (topic: EventTopic, key?: number) => void;

export class EventHub {
  private readonly last = new Map<string, number>();
  private closed = false;

  constructor(
    /** The event as it stands now (null: nothing to say, e.g. the job is gone). */
    private readonly snapshot: (topic: EventTopic, key: number | undefined) => Promise<AppEvent | null> | AppEvent | null,
    private readonly send: (event: AppEvent) => void,
    private readonly minIntervalMs = 1000 / EVENTS_PER_SECOND,
  ) {}

  private readonly pending = new Map<string, { timer: NodeJS.Timeout; fire: () => Promise<void> }>();

  readonly notify: Notify = (topic, key) => {
    const k = `${topic}:${key ?? ''}`;
    if (this.closed || this.pending.has(k)) return;
    const wait = Math.max(0, (this.last.get(k) ?? -Infinity) + this.minIntervalMs - Date.now());
    const fire = () => {
      clearTimeout(timer);
      this.pending.delete(k);
      this.last.set(k, Date.now());
      return Promise.resolve()
        .then(() => this.snapshot(topic, key))
        .then((e) => {
          if (e && !this.closed) this.send(e);
        })
        .catch(() => undefined); // a status that cannot be read now is read at the next change
    };
    const timer = setTimeout(() => void fire(), wait);
    timer.unref?.();
    this.pending.set(k, { timer, fire });
  };

  /** Send every waiting event now (a process about to exit: the CLI's last event is never lost). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.fire()));
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}
