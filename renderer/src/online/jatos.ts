/**
 * The one place the study talks to JATOS. jatos.js is not on npm: JATOS serves it beside the
 * study and it defines a global `jatos`; under any other host there is none, and the study offers
 * its data as a download instead.
 */
export interface JatosApi {
  onLoad(callback: () => void): void;
  /** Replaces the run's result data on the server. */
  submitResultData(data: string): Promise<unknown>;
  /** Adds to the run's result data on the server (kept if the participant leaves early). */
  appendResultData(data: string): Promise<unknown>;
  endStudy(successful?: boolean, message?: string): Promise<unknown>;
  endStudyAndRedirect(url: string, successful?: boolean, message?: string): Promise<unknown>;
  /** The query parameters of the study link (PROLIFIC_PID and the like). */
  urlQueryParameters?: Record<string, string>;
}

export function jatosOf(scope: unknown = globalThis): JatosApi | null {
  const j = (scope as { jatos?: Partial<JatosApi> }).jatos;
  return j && typeof j.onLoad === 'function' && typeof j.submitResultData === 'function' && typeof j.appendResultData === 'function' && typeof j.endStudy === 'function' ? (j as JatosApi) : null;
}
