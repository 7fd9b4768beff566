/**
 * What every step of the online study shares once the display is calibrated: the paradigm, the
 * protocol's parameters and run settings, the calibration, and one presenter (one WebGL context
 * for the whole study, its canvas moved into each trial's display).
 */
import type { Paradigm } from '../../../paradigms/types.js';
import type { RunSettings } from '../../../paradigms/run-settings.js';
import type { Calibration } from '../../../preload/contract.js';
import { StimulusPresenter } from '../stimulus/presenter.js';
import type { ResponseKeys } from '../../../paradigms/response-keys.js';

export interface OnlineContext {
  paradigm: Paradigm<any, any, any>;
  /** The paradigm's parameters (without the run settings). */
  params: Record<string, unknown>;
  run: RunSettings;
  /** This participant's keys (the protocol's, rotated at random when it counterbalances them). */
  keys: ResponseKeys;
  calibration: Calibration | null;
  /** The stage: a full-window canvas and the line of text under it (prompt, feedback). */
  stage: { root: HTMLDivElement; canvas: HTMLCanvasElement; text: HTMLDivElement };
  presenter: StimulusPresenter | null;
}

export function makeStage(): OnlineContext['stage'] {
  const root = document.createElement('div');
  root.className = 'predlab-stage';
  const canvas = document.createElement('canvas');
  canvas.dataset.testid = 'stage';
  const text = document.createElement('div');
  text.className = 'predlab-stage-text';
  text.dataset.testid = 'stage-text';
  root.append(canvas, text);
  return { root, canvas, text };
}

/** The presenter, made on first use at the calibrated size (a page without WebGL fails here, once). */
export function presenterOf(ctx: OnlineContext): StimulusPresenter {
  if (!ctx.calibration) throw new Error('the display is not calibrated');
  ctx.presenter ??= new StimulusPresenter(ctx.stage.canvas, ctx.calibration.pxPerDeg);
  ctx.presenter.resize();
  return ctx.presenter;
}

/** Wait on the display's own clock (as the Run page does between trials). */
export function waitFrames(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const tick = (t: number) => (t - t0 >= ms ? resolve() : requestAnimationFrame(tick));
    requestAnimationFrame(tick);
  });
}
