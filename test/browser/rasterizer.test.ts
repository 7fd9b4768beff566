/**
 * The model's rasterizer and the three.js presenter draw the same scene alike: rendered at the
 * model's resolution in Chromium (WebGL, supersampled 4x and averaged down, as anti-aliasing)
 * and in Node, the images correlate at 0.99 or better.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flashFrame, flashLag, flashLagParamsSchema } from '../../paradigms/flash-lag/index.js';
import { planFromHistory, type Scene, type ShapeKind } from '../../paradigms/types.js';
import { figureFrame, kanizsa, kanizsaParamsSchema, makeStimulus } from '../../paradigms/kanizsa/index.js';
import { createRng } from '../../paradigms/rng.js';
import { rasterizeScene, type ModelView } from '../../paradigms/rasterize.js';
import { presenterPage } from '../support/presenter-page.js';

let browser: Browser;
let page: Page;
beforeAll(async () => {
  ({ browser, page } = await presenterPage());
});
afterAll(async () => browser?.close());

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('rasterizer vs three.js', () => {
  const view: ModelView = { width: 80, height: 64, channels: 1, fovDeg: 20, frameRateHz: 10 };
  const params = flashLagParamsSchema.parse({ offsetsDeg: [0.7], trialsPerOffset: 2, flashDurationMs: 100 });
  const stimulus = planFromHistory(flashLag, params, 3, 0)!.stimulus;
  const timing = { frameRateHz: view.frameRateHz };
  async function agree(scene: Scene) {
    // Anti-aliased at the model's resolution: drawn 4x larger by three.js and averaged down.
    const web: { grey: number[] } = await page.evaluate(([s, w, h, k]) => (window as any).drawSceneSupersampled(s, w, h, k, 4), [scene, view.width, view.height, view.width / view.fovDeg] as const);
    const ours = rasterizeScene(scene, view).data.map((v) => v * 255);
    // Same luminances, not only the same layout.
    const meanAbs = web.grey.reduce((s, v, i) => s + Math.abs(v - ours[i]!), 0) / ours.length;
    return { r: correlation(web.grey, ours), meanAbs };
  }

  for (const [what, frame] of [['during the flash', flashFrame(stimulus, timing)], ['before the flash', 3]] as const)
    it(`flash-lag frame ${what}`, async () => {
      const { r, meanAbs } = await agree(flashLag.scene(stimulus, frame / view.frameRateHz, timing));
      expect(r).toBeGreaterThanOrEqual(0.99);
      expect(meanAbs).toBeLessThan(3);
    });

  // The rotating bar (Nijhawan 1994): rotated segments through and in line with fixation, at an
  // oblique orientation, with the outer or the inner segment flashed.
  for (const flashSegment of ['outer', 'inner'] as const) {
    const rotating = flashLagParamsSchema.parse({ motion: 'rotate', flashSegment, speedDegPerS: 60, travelDeg: 90, flashJitterDeg: 20, offsetsDeg: [9], trialsPerOffset: 2, flashDurationMs: 100 });
    const s = planFromHistory(flashLag, rotating, 3, 0)!.stimulus;
    for (const [what, frame] of [['during the flash', flashFrame(s, timing)], ['before the flash', 2]] as const)
      it(`rotating-bar frame ${what} (${flashSegment} segment flashed)`, async () => {
        const scene = flashLag.scene(s, frame / view.frameRateHz, timing);
        expect(scene.shapes.filter((x) => x.id.startsWith('flash')).length > 0).toBe(what === 'during the flash');
        const { r, meanAbs } = await agree(scene);
        expect(r).toBeGreaterThanOrEqual(0.99);
        expect(meanAbs).toBeLessThan(3);
      });
  }

  // Flash-terminated, both displays: the bar stopped with the flash, then the blank after it
  // (fixation alone), which a readout delay past the flash now reads.
  for (const motion of ['translate', 'rotate'] as const) {
    const term = flashLagParamsSchema.parse({ motion, variant: 'flash-terminated', blankAfterFlashMs: 300, flashDurationMs: 200, offsetsDeg: [0.7], trialsPerOffset: 2, ...(motion === 'rotate' ? { speedDegPerS: 60, travelDeg: 90, flashJitterDeg: 20, offsetsDeg: [9] } : {}) });
    const s = planFromHistory(flashLag, term, 3, 0)!.stimulus;
    const k = flashFrame(s, timing);
    for (const [what, frame, ids] of [['on the flash\'s last frame', k + 1, ['bar', 'flash', 'fixation']], ['in the blank after the flash', k + 3, ['fixation']]] as const)
      it(`flash-terminated ${motion} frame ${what}`, async () => {
        const scene = flashLag.scene(s, frame / view.frameRateHz, timing);
        expect([...new Set(scene.shapes.map((x) => x.id.replace(/-2$/, '')))].sort()).toEqual([...ids].sort());
        const { r, meanAbs } = await agree(scene);
        expect(r).toBeGreaterThanOrEqual(0.99);
        expect(meanAbs).toBeLessThan(3);
      });
  }

  for (const condition of ['illusory', 'real', 'control'] as const)
    it(`Kanizsa ${condition} figure`, async () => {
      const s = makeStimulus(kanizsaParamsSchema.parse({}), condition, 6, createRng(2));
      const { r, meanAbs } = await agree(kanizsa.scene(s, figureFrame(s, timing) / view.frameRateHz, timing));
      expect(r).toBeGreaterThanOrEqual(0.99);
      expect(meanAbs).toBeLessThan(3);
    });

  // Every shape kind, rotated, off-centre and asymmetric, so a flipped axis or angle shows.
  const single: Record<ShapeKind, Scene['shapes'][number]> = {
    rect: { kind: 'rect', id: 'r', x: 2, y: 1.5, width: 6, height: 1.5, rotationDeg: 30, luminance: 0.9 },
    disc: { kind: 'disc', id: 'd', x: -3, y: 1, radius: 3, luminance: 0.1 },
    'wedge-disc': { kind: 'wedge-disc', id: 'w', x: 2, y: -1, radius: 4, wedgeDeg: 90, rotationDeg: 135, luminance: 0 },
    polygon: { kind: 'polygon', id: 'p', x: -2, y: 0, points: [[-3, -2], [4, -1], [1, 3], [0, 0.5]], rotationDeg: 20, luminance: 1 },
    line: { kind: 'line', id: 'l', x1: -7, y1: -4, x2: 6, y2: 3, width: 0.6, luminance: 0.95 },
  };
  for (const [kind, shape] of Object.entries(single))
    it(`draws a ${kind} alike`, async () => {
      const { r, meanAbs } = await agree({ background: 0.5, shapes: [shape] });
      expect(r).toBeGreaterThanOrEqual(0.99);
      expect(meanAbs).toBeLessThan(3);
    });

  it('honours the paint order of overlapping shapes (later on top) in both drawers', async () => {
    const shapes = Object.values(single);
    const forward = { background: 0.5, shapes };
    const backward = { background: 0.5, shapes: shapes.slice().reverse() };
    for (const scene of [forward, backward]) {
      const { r, meanAbs } = await agree(scene);
      expect(r).toBeGreaterThanOrEqual(0.99);
      expect(meanAbs).toBeLessThan(3);
    }
    // The order matters here (the shapes overlap), so agreement above is not by luck.
    const a = rasterizeScene(forward, view).data;
    const b = rasterizeScene(backward, view).data;
    expect(a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length).toBeGreaterThan(0.02);
  });
});
