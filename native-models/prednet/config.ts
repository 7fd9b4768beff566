/** PredNet architecture, as in the reference Keras code (Lotter, Kreiman & Cox 2017). */
import { z } from 'zod';

const sizes = z.array(z.number().int().positive().max(4096));
const filt = z.array(z.number().int().positive().max(15));

export const predNetConfigSchema = z
  .object({
    height: z.number().int().positive().max(4096),
    width: z.number().int().positive().max(4096),
    /** Channels of A/Ahat per layer; the first is the input's channels. */
    stackSizes: sizes.min(1),
    /** Channels of R per layer. */
    rStackSizes: sizes.min(1),
    /** Filter sizes of the A (target) convolutions, one per layer above the first. */
    aFiltSizes: filt,
    ahatFiltSizes: filt,
    rFiltSizes: filt,
    pixelMax: z.number().positive().default(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const L = c.stackSizes.length;
    const want = (key: 'rStackSizes' | 'aFiltSizes' | 'ahatFiltSizes' | 'rFiltSizes', n: number) => {
      if (c[key].length !== n) ctx.addIssue({ code: 'custom', path: [key], message: `${key} needs ${n} entries for ${L} layer(s); got ${c[key].length}` });
    };
    want('rStackSizes', L);
    want('aFiltSizes', L - 1);
    want('ahatFiltSizes', L);
    want('rFiltSizes', L);
    const f = 2 ** (L - 1);
    if (c.height % f !== 0 || c.width % f !== 0)
      ctx.addIssue({ code: 'custom', path: ['height'], message: `image sides must be divisible by 2^(layers-1) = ${f}; got ${c.height}x${c.width}` });
  });

export type PredNetConfig = z.output<typeof predNetConfigSchema>;

export const PRESETS = {
  /** The configuration trained on KITTI in the paper: 6,915,948 parameters. */
  kitti: { height: 128, width: 160, stackSizes: [3, 48, 96, 192], rStackSizes: [3, 48, 96, 192], aFiltSizes: [3, 3, 3], ahatFiltSizes: [3, 3, 3, 3], rFiltSizes: [3, 3, 3, 3], pixelMax: 1 },
  /** A quarter-size model that trains in reasonable time on a CPU. */
  small: { height: 64, width: 80, stackSizes: [3, 16, 32, 64], rStackSizes: [3, 16, 32, 64], aFiltSizes: [3, 3, 3], ahatFiltSizes: [3, 3, 3, 3], rFiltSizes: [3, 3, 3, 3], pixelMax: 1 },
} satisfies Record<string, PredNetConfig>;
export type PresetName = keyof typeof PRESETS;

export function layerCount(c: PredNetConfig): number {
  return c.stackSizes.length;
}

/** Shapes of every weight, in Keras's naming: layer_{i,f,c,o,ahat,a}_{l}/{kernel,bias}. */
export function kerasWeightShapes(c: PredNetConfig): Map<string, number[]> {
  const L = layerCount(c);
  const shapes = new Map<string, number[]>();
  for (let l = 0; l < L; l++) {
    const inR = 2 * c.stackSizes[l]! + c.rStackSizes[l]! + (l < L - 1 ? c.rStackSizes[l + 1]! : 0);
    for (const g of ['i', 'f', 'c', 'o']) {
      shapes.set(`layer_${g}_${l}/kernel`, [c.rFiltSizes[l]!, c.rFiltSizes[l]!, inR, c.rStackSizes[l]!]);
      shapes.set(`layer_${g}_${l}/bias`, [c.rStackSizes[l]!]);
    }
    shapes.set(`layer_ahat_${l}/kernel`, [c.ahatFiltSizes[l]!, c.ahatFiltSizes[l]!, c.rStackSizes[l]!, c.stackSizes[l]!]);
    shapes.set(`layer_ahat_${l}/bias`, [c.stackSizes[l]!]);
    if (l < L - 1) {
      shapes.set(`layer_a_${l}/kernel`, [c.aFiltSizes[l]!, c.aFiltSizes[l]!, 2 * c.stackSizes[l]!, c.stackSizes[l + 1]!]);
      shapes.set(`layer_a_${l}/bias`, [c.stackSizes[l + 1]!]);
    }
  }
  return shapes;
}

export function parameterCount(c: PredNetConfig): number {
  let n = 0;
  for (const s of kerasWeightShapes(c).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}

export const OUTPUT_MODES_HELP = "'prediction', 'error', or a layer's units: R0, E0, A0, Ahat0, R1, ...";

export type OutputMode = 'prediction' | 'error' | { unit: 'R' | 'E' | 'A' | 'Ahat'; layer: number };

export function parseOutputMode(mode: string, c: PredNetConfig): OutputMode {
  if (mode === 'prediction' || mode === 'error') return mode;
  const m = /^(R|E|A|Ahat)(\d+)$/.exec(mode);
  if (!m) throw new RangeError(`Unknown output mode '${mode}': use ${OUTPUT_MODES_HELP}.`);
  const layer = Number(m[2]);
  if (layer >= layerCount(c)) throw new RangeError(`Output mode '${mode}': this model has layers 0..${layerCount(c) - 1}.`);
  return { unit: m[1] as 'R' | 'E' | 'A' | 'Ahat', layer };
}
