/** The three.js presenter in real Chromium (WebGL): positions, sizes and luminances in pixels. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flashFrame, flashLag, flashLagParamsSchema, barX } from '../../paradigms/flash-lag/index.js';
import { planFromHistory } from '../../paradigms/types.js';
import type { Scene } from '../../paradigms/types.js';
import { presenterPage } from '../support/presenter-page.js';
import { rasterizeScene, type ModelView } from '../../paradigms/rasterize.js';

type Image = { width: number; height: number; grey: number[] };
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ browser, page } = await presenterPage());
});
afterAll(async () => browser?.close());

const px = (img: Image, x: number, y: number) => img.grey[Math.round(y) * img.width + Math.round(x)]!;
/** Columns of row y brighter than the threshold. */
const brightColumns = (img: Image, y: number, threshold = 200) => [...Array(img.width).keys()].filter((x) => px(img, x, y) > threshold);

describe('three.js presenter', () => {
  it('draws shapes where the calibration puts them, at the luminance asked for', async () => {
    const scene: Scene = {
      background: 0.5,
      shapes: [
        { kind: 'rect', id: 'bar', x: 2, y: 1, width: 0.4, height: 2, luminance: 1 },
        { kind: 'disc', id: 'fix', x: 0, y: 0, radius: 0.2, luminance: 0 },
      ],
    };
    const img: Image = await page.evaluate(([s]) => (window as any).drawScene(s, 400, 300, 20), [scene] as const);
    expect([img.width, img.height]).toEqual([400, 300]);
    expect(Math.abs(px(img, 50, 50) - 127.5)).toBeLessThanOrEqual(1); // background 0.5 -> 128
    expect(px(img, 240, 130)).toBe(255); // bar centre: 2 deg right, 1 deg up at 20 px/deg
    expect(px(img, 200, 150)).toBeLessThan(10); // fixation disc
    const cols = brightColumns(img, 130);
    expect(cols.length).toBeGreaterThanOrEqual(7);
    expect(cols.length).toBeLessThanOrEqual(9); // 0.4 deg = 8 px
    // pixel i covers [i, i+1): the bar spans 236..244
    expect((cols[0]! + cols.at(-1)! + 1) / 2).toBeCloseTo(240, 0);
  });

  it('puts the flash of a flash-lag trial on its frame, offset from the bar by the stimulus offset', async () => {
    const p = flashLagParamsSchema.parse({ offsetsDeg: [1], trialsPerOffset: 2, flashJitterDeg: 0 });
    const s = planFromHistory(flashLag, p, 1, 0)!.stimulus;
    const timing = { frameRateHz: 60 };
    const k = flashFrame(s, timing);
    const draw = (frame: number): Promise<Image> => page.evaluate(([st, f]) => (window as any).drawFlashLagFrame(st, f, 60, 800, 300, 20), [s, frame] as const);
    const on = await draw(k);
    const before = await draw(k - 1);
    const flashRow = 150 + (s.gapDeg / 2 + s.flashHeightDeg / 2) * 20;
    const barRow = 150 - (s.gapDeg / 2 + s.barHeightDeg / 2) * 20;
    expect(brightColumns(before, flashRow)).toEqual([]);
    const flashCols = brightColumns(on, flashRow);
    const barCols = brightColumns(on, barRow);
    const centre = (c: number[]) => (c[0]! + c.at(-1)! + 1) / 2;
    const barAtFlash = barX(s, k / 60);
    expect(centre(barCols)).toBeCloseTo(400 + barAtFlash * 20, 0);
    expect((centre(flashCols) - centre(barCols)) / 20).toBeCloseTo(s.direction * 1, 1);
  });

  it('issue 27: a lookup from gamma 2.2 sends L = 0.5 to pixel 255*0.5^(1/2.2) = 186 in the canvas, and the model gets the same linear 0.5', async () => {
    const scene: Scene = { background: 0, shapes: [{ kind: 'rect', id: 'patch', x: 0, y: 0, width: 4, height: 4, luminance: 0.5 }] };
    const img: Image = await page.evaluate(([s]) => (window as any).drawScene(s, 200, 200, 20, 2.2), [scene] as const);
    expect(Math.round(255 * 0.5 ** (1 / 2.2))).toBe(186);
    expect(px(img, 100, 100)).toBe(186);
    expect(px(img, 5, 5)).toBe(0); // black stays black
    const white: Image = await page.evaluate(([s]) => (window as any).drawScene(s, 200, 200, 20, 2.2), [{ ...scene, background: 1 }] as const);
    expect(px(white, 5, 5)).toBe(255); // white stays white
    // Gamma 1 (no profile, or 'assumed'): 255 L as before profiles.
    const linear: Image = await page.evaluate(([s]) => (window as any).drawScene(s, 200, 200, 20, 1), [scene] as const);
    expect(Math.abs(px(linear, 100, 100) - 127.5)).toBeLessThanOrEqual(1);
    // The model is given the scene's linear luminance: no gamma on its side, whatever the person's display.
    const model = rasterizeScene(scene, { width: 40, height: 40, channels: 1, fovDeg: 10, frameRateHz: 60 } satisfies ModelView);
    expect(model.data[20 * 40 + 20]).toBeCloseTo(0.5, 6);
  });
});

