/** Bundled into a page by presenter.test.ts: draws scenes with the app's own presenter. */
import { flashLag } from '../../paradigms/flash-lag/index.js';
import type { Scene } from '../../paradigms/types.js';
import { StimulusPresenter } from '../../renderer/src/stimulus/presenter.js';

function grab(canvas: HTMLCanvasElement): number[] {
  const c2 = document.createElement('canvas');
  c2.width = canvas.width;
  c2.height = canvas.height;
  const ctx = c2.getContext('2d')!;
  ctx.drawImage(canvas, 0, 0);
  const data = ctx.getImageData(0, 0, c2.width, c2.height).data;
  const grey: number[] = [];
  for (let i = 0; i < data.length; i += 4) grey.push(data[i]!);
  return grey;
}

function presenterOn(width: number, height: number, pxPerDeg: number, gamma = 1): StimulusPresenter {
  const canvas = document.createElement('canvas');
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  document.body.appendChild(canvas);
  return new StimulusPresenter(canvas, pxPerDeg, gamma);
}

/** Box-filter a grey image down by an integer factor (anti-aliasing by supersampling). */
function downsample(img: { width: number; height: number; grey: number[] }, f: number) {
  const w = img.width / f;
  const h = img.height / f;
  const grey: number[] = [];
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) s += img.grey[(i * f + a) * img.width + j * f + b]!;
      grey.push(s / (f * f));
    }
  return { width: w, height: h, grey };
}

Object.assign(window, {
  /** The scene at width x height, drawn `factor` times larger and averaged down. */
  drawSceneSupersampled(scene: Scene, width: number, height: number, pxPerDeg: number, factor: number) {
    const p = presenterOn(width * factor, height * factor, pxPerDeg * factor);
    p.draw(scene);
    return downsample({ width: p.canvas.width, height: p.canvas.height, grey: grab(p.canvas) }, factor);
  },
  drawScene(scene: Scene, width: number, height: number, pxPerDeg: number, gamma = 1) {
    const p = presenterOn(width, height, pxPerDeg, gamma);
    p.draw(scene);
    return { width: p.canvas.width, height: p.canvas.height, grey: grab(p.canvas) };
  },
  drawFlashLagFrame(stimulus: unknown, frame: number, refreshHz: number, width: number, height: number, pxPerDeg: number) {
    const p = presenterOn(width, height, pxPerDeg);
    p.draw(flashLag.scene(stimulus as never, frame / refreshHz, { frameRateHz: refreshHz }));
    return { width: p.canvas.width, height: p.canvas.height, grey: grab(p.canvas) };
  },
});
