/** The preload's `window.predlab`, typed by the contract. */
import type { PredlabApi } from '../../../preload/api.js';

declare global {
  interface Window {
    predlab?: PredlabApi;
  }
}

export function getApi(): PredlabApi | null {
  return window.predlab ?? null;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
