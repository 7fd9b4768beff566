/**
 * The computing thread's work as the page sees it: what is being computed and since when, and a
 * way to stop it. Answered by the main thread itself (main/bootstrap.ts), which is never busy.
 */
import { z } from 'zod';

export const workSchemas = {
  'work:status': z.object({}).strict(),
  /** Stops the computation under way (analysis, comparison, inspector); its callers get a 'cancelled' error. */
  'work:cancel': z.object({}).strict(),
} as const;

export interface WorkStatus {
  /** The oldest computation still waiting for its answer, or null when the thread is idle. */
  channel: string | null;
  /** How many calls wait on the computing thread. */
  waiting: number;
  seconds: number;
}

export interface WorkResults {
  'work:status': WorkStatus;
  'work:cancel': { cancelled: number };
}

/** Answered on the main thread, before any service thread sees them. */
export const MAIN_THREAD_CHANNELS: ReadonlySet<string> = new Set(Object.keys(workSchemas));
export const workHeavyChannels: readonly string[] = [];
