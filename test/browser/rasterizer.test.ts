/**
 * The model's rasterizer and the three.js presenter draw the same scene alike: rendered at the
 * model's resolution in Chromium (WebGL, supersampled 4x and averaged down, as anti-aliasing)
 * and in Node, the images correlate at 0.99 or better.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flashFrame, flashLag, flashLagParamsSchema } from '../../paradigms/flash-lag/index.js';
import { rasterizeScene, type ModelView } from '../../native-models/raster/scene.js';
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
  const params = flashLagParamsSchema.parse({ offsetsDeg: [0.7], trialsPerOffset: 2, flashFrames: 1 });
  const stimulus = flashLag.planTrial(params, 3, 0, [])!.stimulus;
  const timing = { frameRateHz: view.frameRateHz };
  for (const [what, frame] of [['during the flash', flashFrame(stimulus, timing)], ['before the flash', 3]] as const)
    it(`flash-lag frame ${what}`, async () => {
      const scene = flashLag.scene(stimulus, frame / view.frameRateHz, timing);
      // Anti-aliased at the model's resolution: drawn 4x larger by three.js and averaged down.
      const web: { grey: number[] } = await page.evaluate(([s, w, h, k]) => (window as any).drawSceneSupersampled(s, w, h, k, 4), [scene, view.width, view.height, view.width / view.fovDeg] as const);
      const ours = rasterizeScene(scene, view).data.map((v) => v * 255);
      const r = correlation(web.grey, ours);
      expect(r).toBeGreaterThanOrEqual(0.99);
      // Same luminances, not only the same layout.
      const meanAbs = web.grey.reduce((s, v, i) => s + Math.abs(v - ours[i]!), 0) / ours.length;
      expect(meanAbs).toBeLessThan(3);
    });
});
