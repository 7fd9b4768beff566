/** Schema pieces every channel file uses (kept apart from contract.ts so feature files can import them without a cycle). */
import { z } from 'zod';

export const id = z.number().int().positive();
/** Free-form JSON objects (participant details, parameters) are capped in size. */
export const MAX_JSON_CHARS = 16_384;
const jsonLength = (v: unknown): number => {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY; // circular or not JSON: refused like an oversized value
  }
};
export const json = z.record(z.string(), z.unknown()).refine((v) => jsonLength(v) <= MAX_JSON_CHARS, { message: `must be plain JSON of at most ${MAX_JSON_CHARS} characters` });
