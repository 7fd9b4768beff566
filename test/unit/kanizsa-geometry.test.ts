/** Kanizsa geometry: collinear edges at alpha = 0, the sign of fat/thin, a control with the same edges pointing away (nothing to complete), the frames of a trial. */
import { describe, expect, it } from 'vitest';
import { CONTROL_TURN_DEG, LEGACY_CONTROL_TURN_DEG, contourSegments, facingEdges, inducers, kanizsaParamsSchema, makeStimulus, mouthEdges, scene, trialDuration, type Inducer, type KanizsaCondition } from '../../paradigms/kanizsa/index.js';
import { createRng } from '../../paradigms/rng.js';
import type { Shape } from '../../paradigms/types.js';

const params = kanizsaParamsSchema.parse({ jitterDeg: 0 });
const stim = (condition: KanizsaCondition, alphaDeg: number, over: Record<string, unknown> = {}) => makeStimulus(kanizsaParamsSchema.parse({ jitterDeg: 0, ...over }), condition, alphaDeg, createRng(1));
const h = params.sideDeg / 2;

/** Every mouth edge as a ray: origin and unit direction. */
const rays = (list: Inducer[]) => list.flatMap((i) => mouthEdges(i).map((d) => ({ id: i.id, p: [i.x, i.y] as const, d })));
/** Two rays lie on one line: parallel, and each origin on the other's line. */
const collinear = (a: ReturnType<typeof rays>[number], b: ReturnType<typeof rays>[number]) =>
  Math.abs(a.d[0] * b.d[1] - a.d[1] * b.d[0]) < 1e-9 && Math.abs((b.p[0] - a.p[0]) * a.d[1] - (b.p[1] - a.p[1]) * a.d[0]) < 1e-9;

describe('Kanizsa geometry', () => {
  it('at alpha = 0 the inducers\' edges are collinear with the square\'s sides, pairwise, pointing at each other', () => {
    const r = rays(inducers(stim('illusory', 0)));
    const onSide = r.filter((x) => [x.p[0] + x.d[0] * h, x.p[1] + x.d[1] * h].some((v, axis) => Math.abs(v) <= h + 1e-9 && Math.abs(x.p[axis === 0 ? 1 : 0]) === h));
    expect(onSide).toHaveLength(8);
    // Each edge has exactly one partner on the same line, and they point toward each other.
    for (const a of r) {
      const partners = r.filter((b) => b.id !== a.id && collinear(a, b));
      expect(partners).toHaveLength(1);
      const b = partners[0]!;
      expect(a.d[0] * (b.p[0] - a.p[0]) + a.d[1] * (b.p[1] - a.p[1])).toBeGreaterThan(0);
    }
    // The outline is the square itself.
    for (const [, bend] of contourSegments(stim('illusory', 0))) expect(Math.max(Math.abs(bend[0]), Math.abs(bend[1]))).toBeCloseTo(h, 9);
  });

  it('positive alpha bows the left and right sides out (fat), negative in (thin)', () => {
    const bends = (alpha: number) => contourSegments(stim('illusory', alpha)).map(([, b]) => b);
    for (const alpha of [1, 4, 10]) {
      const fat = bends(alpha);
      const thin = bends(-alpha);
      const right = (bs: number[][]) => Math.max(...bs.map((b) => b[0]!));
      const left = (bs: number[][]) => Math.min(...bs.map((b) => b[0]!));
      expect(right(fat)).toBeCloseTo(h * (1 + Math.tan((alpha * Math.PI) / 180)), 9);
      expect(left(fat)).toBeCloseTo(-h * (1 + Math.tan((alpha * Math.PI) / 180)), 9);
      expect(right(thin)).toBeLessThan(h);
      expect(left(thin)).toBeGreaterThan(-h);
      // The inducers are rigid: the top and bottom sides bow the other way.
      expect(Math.max(...fat.map((b) => b[1]!))).toBeLessThan(h);
    }
  });

  it('the control keeps every edge on its illusory line with the same +-alpha, pointing away: no edges face each other', () => {
    for (const alpha of [0, 0.5, -2, 8, -20, 30]) {
      const ill = inducers(stim('illusory', alpha));
      const ctl = inducers(stim('control', alpha));
      ctl.forEach((c, k) => {
        // Same centre, mouth turned exactly outward: each edge on the same line, opposite half.
        expect([c.x, c.y]).toEqual([ill[k]!.x, ill[k]!.y]);
        const e = mouthEdges(c);
        const f = mouthEdges(ill[k]!);
        for (const d of e) expect(f.some((g) => Math.abs(d[0] + g[0]) < 1e-9 && Math.abs(d[1] + g[1]) < 1e-9)).toBe(true);
      });
      // The local rotation is the illusory figure's: each inducer turns by its own +-alpha.
      const turned = inducers(stim('control', 0));
      ctl.forEach((c, k) => expect(c.mouthDeg - turned[k]!.mouthDeg).toBeCloseTo(ill[k]!.mouthDeg - inducers(stim('illusory', 0))[k]!.mouthDeg, 9));
      // The illusory figure: one facing pair per side, between neighbours; the control: none.
      const pairs = facingEdges(ill, params.inducerRadiusDeg).map(([a, b]) => [a.inducer, b.inducer].sort().join('-')).sort();
      expect(pairs).toEqual(['bl-br', 'bl-tl', 'br-tr', 'tl-tr']);
      expect(facingEdges(ctl, params.inducerRadiusDeg)).toEqual([]);
    }
    const shapes = scene(stim('control', 3), params.preMs / 1000 + 0.5 / 60, { frameRateHz: 60 }).shapes;
    expect(shapes.filter((s) => s.kind === 'wedge-disc')).toHaveLength(4);
  });

  it('stores the control layout with the trial, and draws a stored one as it was', () => {
    expect(stim('control', 2).controlTurnDeg).toBe(CONTROL_TURN_DEG);
    expect(stim('illusory', 2).controlTurnDeg).toBeUndefined();
    // Trials without the field were stored before it and are drawn as they were shown: 30 degrees further.
    const { controlTurnDeg: _, ...bare } = stim('control', 2);
    expect(inducers(bare).map((i) => i.mouthDeg - 30)).toEqual(inducers(stim('control', 2)).map((i) => i.mouthDeg));
    expect(inducers({ ...bare, controlTurnDeg: LEGACY_CONTROL_TURN_DEG })).toEqual(inducers(bare));
    expect(facingEdges(inducers(bare), params.inducerRadiusDeg)).toEqual([]);
  });

  it('draws fixation, (discs,) the figure of its condition, (mask) on the right frames', () => {
    const timing = { frameRateHz: 60 };
    const kinds = (s: ReturnType<typeof stim>, frame: number) => scene(s, (frame + 0.5) / 60, timing).shapes.map((x: Shape) => x.kind).sort().join(',');
    // Entered in frames of a 60 Hz display, stored in ms: the display shows exactly those frames.
    const onset = stim('illusory', 2, { onset: 'discs', preFrames: 3, discFrames: 4, presentationFrames: 5, maskFrames: 2, displayHz: 60 });
    expect(onset.presentationS).toBeCloseTo(5 / 60, 6);
    expect(Math.round(trialDuration(onset, timing) * 60)).toBe(14);
    expect(kinds(onset, 2)).toBe('disc');
    expect(kinds(onset, 3)).toBe('disc,disc,disc,disc,disc');
    expect(kinds(onset, 7)).toBe('disc,wedge-disc,wedge-disc,wedge-disc,wedge-disc');
    expect(kinds(onset, 12)).toBe('disc,disc,disc,disc,disc');
    expect(kinds(onset, 13)).toBe('disc,disc,disc,disc,disc');
    const real = stim('real', 2);
    const figureAt = Math.round((params.preMs / 1000) * 60);
    expect(kinds(real, figureAt - 1)).toBe('disc');
    expect(kinds(real, figureAt)).toBe(['disc', ...Array(8).fill('line')].join(','));
    // Fixation is painted last, over anything else.
    expect(scene(real, (figureAt + 0.5) / 60, timing).shapes.at(-1)!.id).toBe('fixation');
  });
});
