/** Messages between the main thread (main/bootstrap.ts) and a service thread (main/service-thread.ts). */
import type { AppEvent } from '../preload/channels/events.js';
import type { Envelope } from '../preload/contract.js';

/** 'light': every quick channel on the lab database; 'heavy': analysis, comparison, the model engine. */
export type ServiceRole = 'light' | 'heavy';

export interface ServiceThreadData {
  role: ServiceRole;
  dbFile: string;
  /** Root of the app's files (the default model lives under it); only the light thread registers it. */
  appRoot: string;
  /** The default set's folders when not under appRoot (an installed app's copies in the data folder), instance 1 first. */
  defaultModelDirs?: { instance: number; dir: string }[];
  nativeBinding?: string;
  /** Its model-call counters (main/thread-stop.ts); set by gatedWorker. */
  ortGate?: SharedArrayBuffer;
}

/** A function of the main thread a handler needs (the export folder and import source dialogs, logging). */
export type CallbackName = 'chooseExportDir' | 'chooseImportSource' | 'modelMirror' | 'log';

export type ToThread = { type: 'call'; id: number; channel: string; args: unknown } | { type: 'callback-result'; id: number; value: unknown } | { type: 'close' };

export type FromThread =
  | { type: 'ready' }
  /** After a 'close': every job of the thread cancelled and ended, its database closed. */
  | { type: 'closed' }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; envelope: Envelope<unknown> }
  /** A job's progress or state changed (pushed to the page). */
  | { type: 'event'; event: AppEvent }
  | { type: 'callback'; id: number; name: CallbackName; args: unknown[] };
