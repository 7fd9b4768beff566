/**
 * Errors a person can act on. They cross the IPC boundary as { code, message }. Here, below the
 * main process, so the engine (backend choice, checkpoints) and the main process throw the same type.
 */
export type ErrorCode = 'invalid-argument' | 'not-found' | 'conflict' | 'storage' | 'unavailable' | 'internal';

export class PredlabError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** A long list behind a one-line refusal (each file's checksum, every problem found): shown with --verbose. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'PredlabError';
  }
}

/** Format zod issues as "path: message; ...". */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
}

