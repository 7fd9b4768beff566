/**
 * The rotating-bar flash-lag display (Nijhawan 1994): scene geometry, trial plan, answers,
 * analysis units, and the readout's angles on frames drawn by the model's rasterizer.
 */
import { describe, expect, it } from 'vitest';
import {
  constantStimuliList,
  flashFrame,
  flashLag,
  flashLagParamsSchema,
  isAhead,
  readFlashLag,
  ROTATION_CENTRE_DEG,
  scene,
  trialDuration,
  type FlashLagStimulus,
} from '../../paradigms/flash-lag/index.js';
import { createRng } from '../../paradigms/rng.js';
import { planFromHistory, type AnsweredTrial, type RectShape, type Scene } from '../../paradigms/types.js';
import { rasterizeScene, type ModelView } from '../../paradigms/rasterize.js';

const at60 = { frameRateHz: 60 };
const rotating = (over: Record<string, unknown> = {}) => flashLagParamsSchema.parse({ motion: 'rotate', speedDegPerS: 90, travelDeg: 120, flashJitterDeg: 30, offsetsDeg: [-10, -5, 0, 5, 10], trialsPerOffset: 4, ...over });
function stim(over: Partial<FlashLagStimulus> = {}, params: Record<string, unknown> = {}): FlashLagStimulus {
  return { ...planFromHistory(flashLag, rotating(params), 1, 0)!.stimulus, direction: 1, startXDeg: 30, flashTimeS: 0.5, offsetDeg: 0, flashDurationS: 1 / 60, ...over };
}
const shapes = (s: Scene, prefix: string) => s.shapes.filter((x) => x.id === prefix || x.id.startsWith(`${prefix}-`)) as RectShape[];
/** Distance of a point from the line through fixation at `angleDeg`. */
const offAxis = (x: number, y: number, angleDeg: number) => Math.abs(-x * Math.sin((angleDeg * Math.PI) / 180) + y * Math.cos((angleDeg * Math.PI) / 180));

describe('rotating-bar scene(t)', () => {
  it('turns the central bar about fixation at the angular speed; fixation stays on top', () => {
    const s = stim();
    for (const t of [0, 0.2, 0.4]) {
      const sc = scene(s, t, at60);
      const [bar] = shapes(sc, 'bar');
      expect(bar).toMatchObject({ kind: 'rect', x: 0, y: 0, width: 6, height: s.barWidthDeg });
      expect(bar!.rotationDeg).toBeCloseTo(30 + 90 * t, 9);
      expect(sc.shapes.at(-1)!.id).toBe('fixation');
    }
    // Clockwise (direction -1) turns the other way.
    expect(shapes(scene(stim({ direction: -1, startXDeg: 150 }), 0.2, at60), 'bar')[0]!.rotationDeg).toBeCloseTo(150 - 18, 9);
  });

  it('at offset 0 the flashed outer segments are collinear with the bar, beyond both of its ends', () => {
    const s = stim({ offsetDeg: 0 });
    const k = flashFrame(s, at60);
    const sc = scene(s, k / 60, at60);
    const [bar] = shapes(sc, 'bar');
    const flash = shapes(sc, 'flash');
    expect(flash).toHaveLength(2);
    for (const f of flash) {
      expect(f.rotationDeg).toBeCloseTo(bar!.rotationDeg!, 9);
      expect(offAxis(f.x, f.y, bar!.rotationDeg!)).toBeLessThan(1e-9);
      // From innerRadius + gap (3.5) to outerRadius (6): centred at 4.75, 2.5 long.
      expect(Math.hypot(f.x, f.y)).toBeCloseTo(4.75, 9);
      expect(f.width).toBeCloseTo(2.5, 9);
    }
    expect(flash[0]!.x).toBeCloseTo(-flash[1]!.x, 9);
    expect(flash[0]!.y).toBeCloseTo(-flash[1]!.y, 9);
    expect(shapes(scene(s, (k - 1) / 60, at60), 'flash')).toHaveLength(0);
    expect(shapes(scene(s, (k + 1) / 60, at60), 'flash')).toHaveLength(0);
  });

  it('offsets are degrees of rotation ahead along the motion, either way round', () => {
    for (const direction of [1, -1] as const) {
      const s = stim({ direction, startXDeg: direction === 1 ? 30 : 150, offsetDeg: 7 });
      const k = flashFrame(s, at60);
      const sc = scene(s, k / 60, at60);
      const barAngle = shapes(sc, 'bar')[0]!.rotationDeg!;
      for (const f of shapes(sc, 'flash')) {
        expect(f.rotationDeg! - barAngle).toBeCloseTo(7 * direction, 9);
        expect(offAxis(f.x, f.y, barAngle + 7 * direction)).toBeLessThan(1e-9);
      }
    }
  });

  it('inner flash: the central bar flashes inside rotating outer segments', () => {
    const s = stim({ flashSegment: 'inner', offsetDeg: -4 });
    const sc = scene(s, flashFrame(s, at60) / 60, at60);
    const bars = shapes(sc, 'bar');
    const [flash] = shapes(sc, 'flash');
    expect(bars).toHaveLength(2);
    expect(flash).toMatchObject({ x: 0, y: 0, width: 6, height: s.flashWidthDeg });
    expect(flash!.rotationDeg! - bars[0]!.rotationDeg!).toBeCloseTo(-4, 9);
  });

  it('flash-initiated and flash-terminated rotation start and stop at the flash', () => {
    const init = stim({ variant: 'flash-initiated' });
    const k = flashFrame(init, at60);
    expect(shapes(scene(init, (k - 1) / 60, at60), 'bar')).toHaveLength(0);
    expect(shapes(scene(init, k / 60, at60), 'bar')[0]!.rotationDeg).toBeCloseTo(30 + 90 * 0.5, 9);
    const term = stim({}, { variant: 'flash-terminated', blankAfterFlashMs: 250 });
    expect(term.blankAfterFlashMs).toBe(250);
    expect(shapes(scene(term, k / 60, at60), 'bar')[0]!.rotationDeg).toBeCloseTo(75, 9);
    // Bar and flash vanish together; fixation alone for the blank that follows.
    for (const f of [k + 1, k + 10, k + 15]) expect(scene(term, f / 60, at60).shapes.map((x) => x.id)).toEqual(['fixation']);
    expect(trialDuration(term, at60)).toBeCloseTo((k + 1) / 60 + 0.25, 9);
  });
});

describe('rotating-bar trial plan and answers', () => {
  it('plans the path centred on the vertical, jittered flashes, balanced directions', () => {
    const p = rotating();
    const list = constantStimuliList(p, 4);
    expect(list).toHaveLength(20);
    for (const t of list) {
      expect(t.stimulus).toMatchObject({ motion: 'rotate', flashSegment: 'outer', innerRadiusDeg: 3, outerRadiusDeg: 6 });
      expect(t.stimulus.startXDeg).toBe(ROTATION_CENTRE_DEG - (t.stimulus.direction * p.travelDeg) / 2);
      // Orientation at the flash, relative to the path's centre, within the jitter.
      const along = (t.stimulus.flashTimeS * p.speedDegPerS - p.travelDeg / 2);
      expect(Math.abs(along)).toBeLessThanOrEqual(p.flashJitterDeg / 2);
    }
    for (const o of p.offsetsDeg) expect(list.filter((t) => t.stimulus.offsetDeg === o && t.stimulus.direction === 1)).toHaveLength(2);
    // The translating bar's trials keep their old shape (no rotating-bar fields).
    expect(constantStimuliList(flashLagParamsSchema.parse({}), 4)[0]!.stimulus).not.toHaveProperty('motion');
  });

  it("'left' is counter-clockwise of the bar (left of its upper half): ahead when it turns counter-clockwise", () => {
    expect(isAhead({ direction: 1, motion: 'rotate' }, 'left')).toBe(true);
    expect(isAhead({ direction: -1, motion: 'rotate' }, 'right')).toBe(true);
    expect(isAhead({ direction: 1 }, 'right')).toBe(true);
    // A simulated observer who sees every flash ahead answers by the same rule.
    const rng = createRng(1);
    const observer = { pse: -100, sigma: 1, guess: 0, lapse: 0 };
    for (const t of constantStimuliList(rotating(), 2)) expect(isAhead(t.stimulus, flashLag.simulateResponse(t.stimulus, observer, rng))).toBe(true);
  });

  it('the form shows the rotating-bar fields, and speed and path in their own units, only for the rotating bar', () => {
    const shown = (motion: string) => flashLag.form.filter((f) => !f.showWhen || f.showWhen.key !== 'motion' || f.showWhen.values.includes(motion));
    for (const motion of ['translate', 'rotate']) {
      const keys = shown(motion).map((f) => f.key);
      // One field per key whichever display is chosen (the page keys its fields by parameter).
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.includes('flashSegment')).toBe(motion === 'rotate');
    }
    expect(shown('rotate').find((f) => f.key === 'speedDegPerS')).toMatchObject({ label: 'Angular speed', unit: 'deg of rotation/s' });
    expect(shown('translate').find((f) => f.key === 'speedDegPerS')).toMatchObject({ label: 'Bar speed', unit: 'deg/s' });
    expect(shown('rotate').find((f) => f.key === 'travelDeg')!.unit).toBe('deg of rotation');
    expect(flashLag.defaults.motion).toBe('translate');
  });

  it('refuses outer segments that would have no length', () => {
    const r = flashLagParamsSchema.safeParse({ motion: 'rotate', innerRadiusDeg: 5, gapDeg: 1, outerRadiusDeg: 6 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/outerRadiusDeg must exceed innerRadiusDeg \+ gapDeg \(6 deg\)/);
    expect(flashLagParamsSchema.safeParse({ motion: 'spin' }).success).toBe(false);
  });
});

describe('rotating-bar analysis', () => {
  it('gives the PSE in degrees of rotation and as an arc at the flash eccentricity', () => {
    const p = rotating({ offsetsDeg: [-12, -8, -4, 0, 4, 8, 12, 16], trialsPerOffset: 40 });
    const rng = createRng(3);
    const observer = { pse: 5, sigma: 3, guess: 0, lapse: 0 };
    const trials: AnsweredTrial<FlashLagStimulus>[] = constantStimuliList(p, 8).map((t) => ({ index: t.index, stimulus: t.stimulus, response: flashLag.simulateResponse(t.stimulus, observer, rng) }));
    const a = flashLag.analyse(p, trials, { bootstrap: 50 });
    const st = (k: string) => a.conditions[0]!.statistics.find((s) => s.key === k)!;
    expect(a.xUnit).toBe('deg of rotation');
    expect(a.group).toBe('rotating bar, outer flash, continuous, 90 deg of rotation/s');
    expect(st('pse-deg').unit).toBe('deg of rotation');
    expect(st('pse-deg').value!).toBeGreaterThan(3.5);
    expect(st('pse-deg').value!).toBeLessThan(6.5);
    expect(st('pse-visual-deg').value!).toBeCloseTo((st('pse-deg').value! * Math.PI * 4.75) / 180, 9);
    expect(st('pse-visual-deg').label).toMatch(/4\.75 deg eccentricity/);
    expect(st('pse-ms').value!).toBeCloseTo((st('pse-deg').value! / 90) * 1000, 9);
  });
});

describe('rotating-bar readout on rasterized frames', () => {
  const view: ModelView = { width: 80, height: 64, channels: 1, fovDeg: 20, frameRateHz: 10 };
  /** A prediction of k + 1 frames whose frame k is `frame` (the readout reads frame flash + delay, never another). */
  const asFrame = (frame: Float32Array, k: number) => {
    const out = new Float32Array((k + 1) * frame.length);
    out.set(frame, k * frame.length);
    return out;
  };
  it('returns the orientations put in: bar, flash and their offset, for both flashed segments', () => {
    const errors: number[] = [];
    for (const flashSegment of ['outer', 'inner'] as const)
      for (const direction of [1, -1] as const)
        for (const start of [10, 47, 90, 133])
          for (const offsetDeg of [-20, -7.5, -2, 0, 3, 11]) {
            const s = stim({ flashSegment, direction, startXDeg: start, offsetDeg, flashTimeS: 0.3, speedDegPerS: 30 });
            const k = flashFrame(s, view);
            const frame = rasterizeScene(scene(s, k / view.frameRateHz, view), view).data;
            const r = readFlashLag(asFrame(frame, k), s, view, 0, k + 1);
            const barAngle = start + direction * 30 * (k / view.frameRateHz);
            const wrap = (d: number) => ((((d + 90) % 180) + 180) % 180) - 90;
            expect(r.perceivedOffsetDeg).not.toBeNull();
            errors.push(Math.abs(r.perceivedOffsetDeg! - offsetDeg), Math.abs(wrap(r.barXDeg! - barAngle)), Math.abs(wrap(r.flashXDeg! - barAngle - direction * offsetDeg)));
          }
    // Sampling limit: the central bar is 24 px long, and 0.4 deg of rotation at its mean radius
    // (1.5 deg = 6 px) is 0.04 px; the outer segments, further out, read to about 0.2 deg.
    expect(Math.max(...errors)).toBeLessThan(0.6);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(0.2);
  });

  it('finds no flash in a frame without one, and a clockwise offset is behind for a counter-clockwise bar', () => {
    const s = stim({ startXDeg: 60, speedDegPerS: 30, flashTimeS: 0.3 });
    const k = flashFrame(s, view);
    const before = rasterizeScene(scene(s, (k - 1) / view.frameRateHz, view), view).data;
    const r = readFlashLag(asFrame(before, k), s, view, 0, k + 1);
    expect(r.barXDeg).not.toBeNull();
    expect(r.flashXDeg).toBeNull();
    expect(r.perceivedOffsetDeg).toBeNull();
    const behind = { ...s, offsetDeg: -6 };
    const answer = flashLag.readout.read({ frames: k + 1, prediction: asFrame(rasterizeScene(scene(behind, k / view.frameRateHz, view), view).data, k) }, behind, { view, settings: { decisionNoise: 0, readoutDelayFrames: 0, seed: 1, noReadout: 'exclude' }, index: 0, prepared: null, criticalFrame: k });
    expect(answer.perceived!).toBeCloseTo(-6, 0);
    expect(answer.response).toBe('right');
  });
});
