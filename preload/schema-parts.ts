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

/** A display's calibration as a session stores it (sizes in degrees -> pixels, refresh rate). */
export const calibrationSchema = z
  .object({
    screenWidthCm: z.number().finite().positive().max(1000),
    screenWidthPx: z.number().int().positive().max(100000),
    viewingDistanceCm: z.number().finite().positive().max(1000),
    refreshHz: z.number().finite().min(20).max(1000),
    pxPerDeg: z.number().finite().positive(),
    method: z.enum(['screen-width', 'credit-card']),
    devicePixelRatio: z.number().finite().positive().optional(),
  })
  .strict();
export type Calibration = z.infer<typeof calibrationSchema>;
