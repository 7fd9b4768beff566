/**
 * `predlab --events ...`: a long command prints the app's pushed events (preload/channels/events.ts)
 * as the page would receive them, one JSON object a line on stderr, instead of its progress text:
 * the same topics and values (what the job's status channel answers), checked against the same
 * appEventSchema and sent through the same EventHub (at most 4 a second per job, the newest state,
 * the last one always printed). stdout keeps the command's result (--json as ever).
 */
import { appEventSchema, type AppEvent, type EventTopic, type EventValues } from '../../preload/channels/events.js';
import { EventHub } from '../event-hub.js';

export class CliEvents {
  private readonly latest = new Map<string, AppEvent>();
  private readonly hub: EventHub;

  constructor(
    /** Off: update() does nothing and the command prints its progress text as before. */
    readonly enabled: boolean,
    write: (line: string) => void,
  ) {
    this.hub = new EventHub(
      (topic, key) => this.latest.get(`${topic}:${key ?? ''}`) ?? null,
      (e) => {
        const checked = appEventSchema.safeParse(e);
        // An event the page would refuse is not printed either (it is a bug, said once as such).
        write(checked.success ? `${JSON.stringify(e)}\n` : `{"error":"event refused by the contract: ${checked.error.issues[0]?.message ?? 'invalid'}"}\n`);
      },
    );
  }

  /** The job's state now (a copy is kept: later changes to `value` are the next event's). */
  update<T extends EventTopic>(topic: T, value: EventValues[T], key?: number): void {
    if (!this.enabled) return;
    this.latest.set(`${topic}:${key ?? ''}`, { topic, value: structuredClone(value), ...(key === undefined ? {} : { key }) } as AppEvent);
    this.hub.notify(topic, key);
  }

  /** Print what is waiting (call before the command returns). */
  async flush(): Promise<void> {
    await this.hub.flush();
  }
}
