/**
 * jsPsych plugin 'predlab-calibration': turns the card match (and blind-spot distance) the
 * virtual-chinrest plugin measured into the lab's calibration (makeCalibration, as the Calibrate
 * page does for a credit card), and measures the refresh rate the way the desktop does (median
 * requestAnimationFrame interval). Its data: the calibration, and what the browser reports.
 */
import type { JsPsych, JsPsychPlugin, TrialType } from 'jspsych';
import { makeCalibration, measureRefreshRate } from '../lib/calibration.js';
import type { OnlineContext } from './context.js';

const info = { name: 'predlab-calibration', version: '1.0.0', parameters: {}, data: {} } as const;
type Info = typeof info;

export function calibrationPlugin(ctx: OnlineContext, assumedDistanceCm: number) {
  return class PredlabCalibrationPlugin implements JsPsychPlugin<Info> {
    static info = info;
    constructor(private readonly jsPsych: JsPsych) {}

    trial(display: HTMLElement, _trial: TrialType<Info>): void {
      display.innerHTML = '<p data-testid="measuring">Measuring your display; please wait a moment.</p>';
      const card = this.jsPsych.data.get().filter({ trial_type: 'virtual-chinrest' }).last(1).values()[0] as { item_width_px?: number; view_dist_mm?: number } | undefined;
      void measureRefreshRate(90).then(({ hz, intervalsMs }) => {
        const measuredDistance = card?.view_dist_mm !== undefined && card.view_dist_mm > 0 ? card.view_dist_mm / 10 : null;
        ctx.calibration = makeCalibration({
          method: 'credit-card',
          screenWidthPx: window.screen.width,
          cardWidthPx: card?.item_width_px ?? NaN,
          viewingDistanceCm: measuredDistance ?? assumedDistanceCm,
          refreshHz: hz,
        });
        display.innerHTML = '';
        this.jsPsych.finishTrial({
          predlab: 'calibration',
          calibration: JSON.stringify(ctx.calibration),
          viewing_distance: measuredDistance !== null ? 'blind spot' : 'assumed',
          // The participant's clock: when they took the study (the import's own time is the session's start).
          taken_at: new Date().toISOString(),
          refresh_intervals: JSON.stringify(intervalsMs.map((x) => Math.round(x * 1000) / 1000)),
          user_agent: navigator.userAgent,
          screen_width: window.screen.width,
          screen_height: window.screen.height,
          window_width: window.innerWidth,
          window_height: window.innerHeight,
          device_pixel_ratio: window.devicePixelRatio,
        });
      });
    }
  };
}
