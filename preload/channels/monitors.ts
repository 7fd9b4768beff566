/** IPC channels of monitor profiles (named display calibrations with their gamma): argument schemas and result types (merged into preload/contract.ts). */
import { z } from 'zod';
import { GAMMA_MAX, GAMMA_MIN, HALF_SPLIT_MATCHES_MAX, LUMINANCE_MAX, MONITOR_NAME_MAX, PHOTOMETER_POINTS_MAX, PHOTOMETER_POINTS_MIN, type MonitorProfile } from '../../paradigms/monitor-profile.js';
import { pxPerDegFor } from '../../paradigms/monitor-geometry.js';
import { calibrationSchema, id } from '../schema-parts.js';

const name = z.string().trim().min(1, 'a monitor profile needs a name').max(MONITOR_NAME_MAX, `a monitor profile's name has at most ${MONITOR_NAME_MAX} characters`);
const gammaValue = z.number().finite().min(GAMMA_MIN, `gamma is at least ${GAMMA_MIN}`).max(GAMMA_MAX, `gamma is at most ${GAMMA_MAX}`);
const level = z.number().int('a grey level is a whole number').min(0, 'a grey level is 0-255').max(255, 'a grey level is 0-255');

/** How the gamma was obtained, with what it rests on; the service computes the gamma of 'photometer' and 'half-split' itself. */
export const gammaInputSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('assumed') }).strict(),
  z.object({ method: z.literal('entered'), value: gammaValue }).strict(),
  z
    .object({
      method: z.literal('photometer'),
      points: z
        .array(z.object({ level, luminance: z.number().finite().min(0, 'a luminance is not negative').max(LUMINANCE_MAX, `a luminance is at most ${LUMINANCE_MAX} cd/m²`) }).strict())
        .min(PHOTOMETER_POINTS_MIN, `the photometer fit needs at least ${PHOTOMETER_POINTS_MIN} readings`)
        .max(PHOTOMETER_POINTS_MAX, `at most ${PHOTOMETER_POINTS_MAX} photometer readings`),
    })
    .strict(),
  z
    .object({
      method: z.literal('half-split'),
      matches: z
        .array(z.object({ target: z.number().finite().gt(0).lt(1), level: z.number().int().min(1, 'a matching grey is 1-254').max(254, 'a matching grey is 1-254') }).strict())
        .min(1, 'the half-split method needs at least one match')
        .max(HALF_SPLIT_MATCHES_MAX),
    })
    .strict(),
]);
export type GammaInput = z.infer<typeof gammaInputSchema>;

/**
 * A profile's calibration, whose pixels per degree follow from its own screen and distance (to
 * 0.5 %: the page rounds the width in pixels): a profile that says 75 cm while drawing at 57 cm's
 * scale would put a false distance in every session's record.
 */
export const profileCalibrationSchema = calibrationSchema.superRefine((c, ctx) => {
  const expected = pxPerDegFor(c.screenWidthPx / c.screenWidthCm, c.viewingDistanceCm);
  if (Math.abs(c.pxPerDeg - expected) > 0.005 * expected)
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['pxPerDeg'], message: `${c.pxPerDeg} px/deg does not follow from the profile's screen (${c.screenWidthPx} px over ${c.screenWidthCm} cm) at ${c.viewingDistanceCm} cm, which gives ${expected.toFixed(2)}` });
});

export const monitorProfileInputSchema = z.object({ name, calibration: profileCalibrationSchema, gamma: gammaInputSchema }).strict();
export type MonitorProfileInput = z.infer<typeof monitorProfileInputSchema>;

export const monitorsSchemas = {
  'monitors:list': z.object({}).strict(),
  'monitors:create': monitorProfileInputSchema.extend({ choose: z.boolean().optional() }).strict(),
  'monitors:update': z.object({ profileId: id, name: name.optional(), calibration: profileCalibrationSchema.optional(), gamma: gammaInputSchema.optional() }).strict(),
  /** The profile new sessions use (the Run page's choice). */
  'monitors:choose': z.object({ profileId: id }).strict(),
  /** Sessions that ran with it keep their copy; the chosen profile is refused while others exist. */
  'monitors:delete': z.object({ profileId: id }).strict(),
} as const;

export interface MonitorResults {
  'monitors:list': MonitorProfile[];
  'monitors:create': MonitorProfile;
  'monitors:update': MonitorProfile;
  'monitors:choose': MonitorProfile;
  /** The deleted profile, and how many sessions ran with it (they keep their copy). */
  'monitors:delete': { profile: MonitorProfile; sessions: number };
}
