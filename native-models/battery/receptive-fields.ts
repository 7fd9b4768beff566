/**
 * Receptive fields measured, not assumed (issue 13 part 7): small-probe mapping. For the unit at
 * the centre of each layer's map (every channel, every unit type), short oriented bars are flashed
 * on a grid of positions around its nominal centre; the unit's response (mean over the steps after
 * the first, minus its response to a blank) gives its preferred orientation (the best bar) and its
 * centre (the response-weighted centroid of the positions above half the peak, at that orientation).
 * The grid is spaced 2^layer pixels (one unit of the layer's map) and the bar is 3 map units long.
 * Quick maps cover only the layers up to the headline probe's (E1), as quick experiments analyse.
 * Maps are cached per checkpoint as JSON under cacheDir, keyed by the responder's weights hash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { barSequence, sequenceOf } from '../../paradigms/battery-unit-stimuli.js';
import type { ExperimentContext, Probe, Responder, UnitType } from '../../paradigms/battery-types.js';
import { UNIT_TYPES } from '../../paradigms/battery-types.js';
import { analysedLayers, centralPosition, mean, runReduced, throwIfCancelled, unitTrace } from '../../paradigms/battery-units.js';

export const RF_ORIENTATIONS_DEG = [0, 45, 90, 135] as const;
const FORMAT = 'predlab-rf-map-1';

const unitRfSchema = z.object({
  layer: z.number().int().nonnegative(),
  type: z.enum(UNIT_TYPES as [UnitType, ...UnitType[]]),
  channel: z.number().int().nonnegative(),
  /** Map position of the unit (row, column) at its layer. */
  i: z.number().int().nonnegative(),
  j: z.number().int().nonnegative(),
  /** Measured centre in image pixels, and preferred orientation (degrees, 0 = horizontal). */
  x: z.number(),
  y: z.number(),
  orientationDeg: z.number(),
  /** Peak response increase over blank; responsive = it rose above zero for some probe. */
  peak: z.number(),
  responsive: z.boolean(),
});
export type UnitRf = z.infer<typeof unitRfSchema>;

const mapSchema = z.object({
  format: z.literal(FORMAT),
  key: z.string().nullable(),
  quick: z.boolean(),
  height: z.number(),
  width: z.number(),
  gridRadius: z.number().int(),
  units: z.array(unitRfSchema),
});
export type RfMap = z.infer<typeof mapSchema>;

/** Grid half-width in map units: 5 x 5 positions (3 x 3 quick). */
const gridRadiusOf = (quick: boolean) => (quick ? 1 : 2);
const FRAMES = 4;

function cacheFile(cacheDir: string, key: string, quick: boolean): string {
  if (!/^[0-9a-zA-Z_-]{1,128}$/.test(key)) throw new RangeError(`A receptive-field cache key must be 1-128 letters, digits, '-' or '_'; got ${JSON.stringify(key.slice(0, 40))}.`);
  return path.join(cacheDir, `rf-${key}-${quick ? 'quick' : 'full'}.json`);
}

function readCache(file: string, r: Responder): RfMap | null {
  if (!fs.existsSync(file)) return null;
  try {
    const parsed = mapSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    // A cache for another frame size (or damaged) is remeasured, not trusted.
    if (parsed.success && parsed.data.height === r.height && parsed.data.width === r.width) return parsed.data;
  } catch {
    /* unreadable: remeasure */
  }
  return null;
}

function writeCache(file: string, map: RfMap): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(map));
  fs.renameSync(tmp, file);
}

/** Maps measured in this process for responders without a file cache (several experiments read the same map). */
const measured = new WeakMap<Responder, Map<boolean, RfMap>>();

/** The map for this responder: from the cache when its key has one (else from memory), or measured (and cached). */
export async function receptiveFields(ctx: Pick<ExperimentContext, 'responder' | 'quick' | 'cacheDir' | 'signal' | 'onProgress'>): Promise<RfMap & { cached: boolean }> {
  const r = ctx.responder;
  const file = ctx.cacheDir && r.cacheKey ? cacheFile(ctx.cacheDir, r.cacheKey, ctx.quick) : null;
  const hit = file ? readCache(file, r) : (measured.get(r)?.get(ctx.quick) ?? null);
  if (hit) return { ...hit, cached: true };
  const map = await measureReceptiveFields(r, ctx);
  if (file) writeCache(file, map);
  else measured.set(r, (measured.get(r) ?? new Map<boolean, RfMap>()).set(ctx.quick, map));
  return { ...map, cached: false };
}

export async function measureReceptiveFields(r: Responder, ctx: Pick<ExperimentContext, 'quick' | 'signal' | 'onProgress'>): Promise<RfMap> {
  const g = gridRadiusOf(ctx.quick);
  const size = { height: r.height, width: r.width, channels: r.channels };
  const units: UnitRf[] = [];
  const layers = analysedLayers(r, ctx.quick);
  for (const layer of layers) {
    throwIfCancelled(ctx);
    const s = 2 ** layer;
    const centre = centralPosition(r, layer);
    const probes: Probe[] = UNIT_TYPES.map((type) => ({ layer, type }));
    const offsets: [number, number][] = [];
    for (let dy = -g; dy <= g; dy++) for (let dx = -g; dx <= g; dx++) offsets.push([dx * s, dy * s]);
    const stimuli = offsets.flatMap(([dx, dy]) =>
      RF_ORIENTATIONS_DEG.map((o) => barSequence(size, { x: centre.x + dx, y: centre.y + dy, length: 3 * s, width: Math.max(1, s / 2), orientationDeg: o }, FRAMES)),
    );
    stimuli.push(sequenceOf(size, Array<null>(FRAMES).fill(null)));
    // Per stimulus, per probe, per channel: the central unit's mean response after the first step.
    const responses = await runReduced(ctx, r, stimuli, FRAMES, { probes }, (recs) =>
      recs.map((rec, k) => Array.from({ length: r.unitChannels(probes[k]!) }, (_, ch) => mean(unitTrace(rec, ch, centre.i, centre.j).slice(1)))),
    );
    const blankResp = responses[responses.length - 1]!;
    probes.forEach((probe, k) => {
      const C = r.unitChannels(probe);
      for (let ch = 0; ch < C; ch++) {
        const base = blankResp[k]![ch]!;
        // resp[position][orientation]
        const resp = offsets.map((_, p) => RF_ORIENTATIONS_DEG.map((_o, o) => responses[p * RF_ORIENTATIONS_DEG.length + o]![k]![ch]! - base));
        let peak = -Infinity;
        let bestO = 0;
        resp.forEach((row) => row.forEach((v, o) => {
          if (v > peak) {
            peak = v;
            bestO = o;
          }
        }));
        let wx = 0;
        let wy = 0;
        let wsum = 0;
        offsets.forEach(([dx, dy], p) => {
          const w = Math.max(0, resp[p]![bestO]! - peak / 2);
          wx += w * dx;
          wy += w * dy;
          wsum += w;
        });
        const responsive = peak > 1e-6;
        units.push({
          layer,
          type: probe.type,
          channel: ch,
          i: centre.i,
          j: centre.j,
          x: centre.x + (responsive && wsum > 0 ? wx / wsum : 0),
          y: centre.y + (responsive && wsum > 0 ? wy / wsum : 0),
          orientationDeg: RF_ORIENTATIONS_DEG[bestO]!,
          peak: Number.isFinite(peak) ? peak : 0,
          responsive,
        });
      }
    });
    ctx.onProgress?.((layer + 1) / layers.length, `receptive fields: layer ${layer} mapped`);
  }
  return { format: FORMAT, key: r.cacheKey ?? null, quick: ctx.quick, height: r.height, width: r.width, gridRadius: g, units };
}
