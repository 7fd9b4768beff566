/**
 * The contract's push side: what the main process tells the page without being asked. Every long
 * job (training, background model sessions, paper-battery runs, imports, exports, the model
 * download, the computing thread's analyses and fits) sends an event when its progress or state
 * changes, carrying what the job's status channel answers, so no page polls. Events are checked
 * against `appEventSchema` before they leave the main process, as invoke arguments are before
 * they enter it; the preload passes on only events that pass it.
 */
import { z } from 'zod';
import type { ModelJob } from '../../paradigms/records.js';
import type { DatasetJob } from './datasets.js';
import type { DownloadJob } from './models.js';
import type { ReplicateJob } from './replicate.js';
import type { RunPreview, TrainingRun } from './training.js';
import type { WorkStatus } from './work.js';
import { id } from '../schema-parts.js';

/** The Electron channel events travel on (main -> page only; the page cannot send on it). */
export const EVENT_CHANNEL = 'predlab:event';

/** What each topic's event carries. */
export interface EventValues {
  /** One training run (as training:status answers); `preview` when an epoch made a new one. */
  training: { run: TrainingRun; preview: RunPreview | null };
  /** Background model sessions (as models:jobs answers). */
  'model-sessions': ModelJob[];
  /** Paper-battery runs (as replicate:jobs answers). */
  replicate: ReplicateJob[];
  /** Dataset imports (as datasets:jobs answers). */
  imports: DatasetJob[];
  /** Dataset exports (as datasets:export-jobs answers). */
  exports: DatasetJob[];
  /** The released-model download (as models:download-status answers). */
  download: DownloadJob | null;
  /** The computing thread: analyses, comparisons, fits, the trial inspector (as work:status answers). */
  work: WorkStatus;
}

export type EventTopic = keyof EventValues;
export const EVENT_TOPICS = ['training', 'model-sessions', 'replicate', 'imports', 'exports', 'download', 'work'] as const satisfies readonly EventTopic[];

/** One event; `key` names the job when a topic has one per job (a training run's id). */
export type AppEvent = { [T in EventTopic]: { topic: T; key?: number; value: EventValues[T] } }[EventTopic];

/** The largest event (a training preview's thumbnails are the big ones: about 100 kB). */
export const MAX_EVENT_CHARS = 2_000_000;
/** The most events one topic (and job) sends a second: progress is coalesced, the last state always sent. */
export const EVENTS_PER_SECOND = 4;

/** Data that crosses as it is: no functions, symbols or big integers, no cycles (a diverged loss, NaN, may be sent). */
const plainJsonOfAtMost = (v: unknown, max: number): boolean => {
  try {
    const text = JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'function' || typeof x === 'symbol' || typeof x === 'bigint') throw new TypeError('not plain JSON');
      return x;
    });
    return text !== undefined && text.length <= max;
  } catch {
    return false;
  }
};

export const appEventSchema = z
  .object({ topic: z.enum(EVENT_TOPICS), key: id.optional(), value: z.unknown() })
  .strict()
  .refine((e) => e.value !== undefined && plainJsonOfAtMost(e.value, MAX_EVENT_CHARS), { message: `an event's value must be plain JSON of at most ${MAX_EVENT_CHARS} characters`, path: ['value'] });

/** A listener of one topic; `key` as in AppEvent. */
export type EventListener<T extends EventTopic> = (value: EventValues[T], key: number | undefined) => void;
