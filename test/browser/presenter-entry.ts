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

function presenterOn(width: number, height: number, pxPerDeg: number): StimulusPresenter {
  const canvas = document.createElement('canvas');
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  document.body.appendChild(canvas);
  return new StimulusPresenter(canvas, pxPerDeg);
}

Object.assign(window, {
  drawScene(scene: Scene, width: number, height: number, pxPerDeg: number) {
    const p = presenterOn(width, height, pxPerDeg);
    p.draw(scene);
    return { width: p.canvas.width, height: p.canvas.height, grey: grab(p.canvas) };
  },
  drawFlashLagFrame(stimulus: unknown, frame: number, refreshHz: number, width: number, height: number, pxPerDeg: number) {
    const p = presenterOn(width, height, pxPerDeg);
    p.draw(flashLag.scene(stimulus as never, frame / refreshHz, { frameRateHz: refreshHz }));
    return { width: p.canvas.width, height: p.canvas.height, grey: grab(p.canvas) };
  },
});
