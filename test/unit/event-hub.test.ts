/**
 * Pushed progress (preload/channels/events.ts, main/event-hub.ts): a burst of changes becomes at
 * most EVENTS_PER_SECOND events carrying the newest state, the last change always arrives, and
 * only events of the contract reach the page's listeners.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../preload/api.js';
import { appEventSchema, EVENTS_PER_SECOND, MAX_EVENT_CHARS, type AppEvent } from '../../preload/channels/events.js';
import { EventHub } from '../../main/event-hub.js';

const work = (seconds: number): AppEvent => ({ topic: 'work', value: { channel: 'compare:sessions', waiting: 1, seconds } });

describe('the event hub', () => {
  it('coalesces a burst into few events, each made when sent, and never loses the last change', async () => {
    let state = 0;
    const sent: number[] = [];
    const hub = new EventHub(() => work(state), (e) => sent.push((e.value as { seconds: number }).seconds));
    const t0 = Date.now();
    while (Date.now() - t0 < 1000) {
      state++;
      hub.notify('work');
      await sleep(5);
    }
    state = -1; // the job's last change, notified once
    hub.notify('work');
    await sleep(2 * (1000 / EVENTS_PER_SECOND) + 50);
    hub.close();
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.length).toBeLessThanOrEqual(EVENTS_PER_SECOND + 2);
    expect(sent.at(-1)).toBe(-1);
    // Each event carried the state at its sending, not at the first notify of its burst.
    expect(sent.slice(0, -1).every((s, i, a) => i === 0 || s > a[i - 1]!)).toBe(true);
  });

  it('flush sends what waits at once (a CLI about to exit), and nothing twice', async () => {
    let state = 0;
    const sent: number[] = [];
    const hub = new EventHub(() => work(state), (e) => sent.push((e.value as { seconds: number }).seconds), 10_000);
    hub.notify('work');
    await sleep(20);
    state = 7;
    hub.notify('work'); // waits 10 s for its turn
    await hub.flush();
    expect(sent).toEqual([0, 7]);
    await hub.flush();
    hub.close();
    expect(sent).toEqual([0, 7]);
  });

  it('keeps one pace per job: two training runs are not coalesced into one', async () => {
    const sent: (number | undefined)[] = [];
    const hub = new EventHub((topic, key) => ({ topic: 'training', key: key!, value: { run: { id: key } as never, preview: null } }), (e) => sent.push(e.key));
    hub.notify('training', 1);
    hub.notify('training', 2);
    hub.notify('training', 1);
    await sleep(50);
    hub.close();
    expect(sent.sort()).toEqual([1, 2]);
  });

  it('sends nothing after close, and a status that cannot be read is skipped', async () => {
    const sent: AppEvent[] = [];
    let fail = true;
    const hub = new EventHub(() => {
      if (fail) throw new Error('the job is gone');
      return work(1);
    }, (e) => sent.push(e));
    hub.notify('work');
    await sleep(20);
    expect(sent).toEqual([]);
    fail = false;
    hub.notify('work');
    hub.close();
    await sleep(300);
    expect(sent).toEqual([]);
  });
});

describe('the push side of the contract', () => {
  it('refuses an unknown topic, a value that is not plain JSON, and one too large', () => {
    expect(appEventSchema.safeParse(work(1)).success).toBe(true);
    const bad = [
      { topic: 'shell', value: {} },
      { topic: 'work', value: { f: () => 1 } as unknown },
      { topic: 'work', value: 'x'.repeat(MAX_EVENT_CHARS) },
      { topic: 'work' },
      { topic: 'training', key: -1, value: {} },
      { topic: 'work', value: {}, extra: 1 },
    ];
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    bad.push({ topic: 'work', value: circular });
    for (const b of bad) expect(appEventSchema.safeParse(b).success, JSON.stringify(Object.keys(b))).toBe(false);
  });

  it("window.predlab's on(): a listener gets its topic's checked events until it unsubscribes", () => {
    let deliver: (e: unknown) => void = () => undefined;
    const api = createApi(async () => ({ ok: true, value: null }), (d) => (deliver = d));
    const got: unknown[] = [];
    const other: unknown[] = [];
    const off = api.on('work', (v) => got.push(v));
    api.on('imports', (v) => other.push(v));
    deliver(work(2));
    deliver({ topic: 'work', value: 'x'.repeat(MAX_EVENT_CHARS + 1) }); // refused
    deliver({ topic: 'nope', value: 1 }); // refused
    off();
    deliver(work(3));
    expect(got).toEqual([work(2).value]);
    expect(other).toEqual([]);
  });
});
