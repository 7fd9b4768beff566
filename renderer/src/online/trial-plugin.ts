/**
 * jsPsych plugin 'predlab-trial': one trial of the protocol drawn with the desktop's presenter
 * and frame loop (presentTrial: frame k shows scene(k / refresh), every frame's timestamp kept),
 * answered with the paradigm's keys. Its data are the fields a lab session stores with a trial.
 */
import { ParameterType, type JsPsych, type JsPsychPlugin, type TrialType } from 'jspsych';
import { trialData } from '../../../paradigms/online-study.js';
import { FEEDBACK_S } from '../../../paradigms/run-settings.js';
import type { TrialSpec } from '../../../paradigms/types.js';
import { presentTrial } from '../stimulus/runTrial.js';
import { presenterOf, waitFrames, type OnlineContext } from './context.js';
import { keyName, promptFor } from '../../../paradigms/response-keys.js';

const info = {
  name: 'predlab-trial',
  version: '1.0.0',
  parameters: {
    /** The planned trial: index, condition and stimulus. */
    trial: { type: ParameterType.COMPLEX, default: undefined },
    phase: { type: ParameterType.SELECT, options: ['practice', 'test'], default: 'test' },
  },
  data: {
    response: { type: ParameterType.STRING },
    rt: { type: ParameterType.FLOAT },
  },
} as const;
type Info = typeof info;

export function trialPlugin(ctx: OnlineContext) {
  return class PredlabTrialPlugin implements JsPsychPlugin<Info> {
    static info = info;
    constructor(private readonly jsPsych: JsPsych) {}

    trial(display: HTMLElement, trial: TrialType<Info>): void {
      void this.run(display, trial.trial as TrialSpec, trial.phase as 'practice' | 'test');
    }

    private async run(display: HTMLElement, planned: TrialSpec, phase: 'practice' | 'test'): Promise<void> {
      const { paradigm, params, run, stage } = ctx;
      const calibration = ctx.calibration!;
      display.replaceChildren(stage.root);
      stage.root.dataset.phase = phase;
      stage.text.textContent = '';
      const presenter = presenterOf(ctx);
      const rest = paradigm.restScene(params);
      presenter.draw(rest);
      await waitFrames(run.itiMs);
      const shown = await presentTrial(presenter, paradigm, planned.stimulus, calibration.refreshHz, rest);
      stage.text.textContent = `${promptFor(paradigm, ctx.keys)} (${paradigm.responses.map((r) => `${keyName(ctx.keys[r.value] ?? r.key)}: ${r.label}`).join('; ')})`;
      stage.root.dataset.awaiting = 'answer';
      const listening = performance.now();
      const answer = await new Promise<{ key: string; rt: number }>((resolve) =>
        this.jsPsych.pluginAPI.getKeyboardResponse({ callback_function: resolve, valid_responses: paradigm.responses.map((r) => ctx.keys[r.value] ?? r.key), rt_method: 'performance', persist: false, allow_held_key: false }),
      );
      delete stage.root.dataset.awaiting;
      const option = paradigm.responses.find((r) => this.jsPsych.pluginAPI.compareKeys(ctx.keys[r.value] ?? r.key, answer.key))!;
      // As on the Run page: the answer time from the first frame after the stimulus.
      const rtMs = Math.max(0, answer.rt + listening - shown.offsetTimeMs);
      stage.text.textContent = '';
      if (phase === 'practice' && paradigm.correctResponse) {
        const right = paradigm.correctResponse(planned.stimulus);
        const label = paradigm.responses.find((o) => o.value === right)?.label ?? right;
        stage.text.textContent = right === null ? 'Either answer is fine on this one.' : option.value === right ? 'Correct' : `Not quite: the answer was ${label}`;
        await waitFrames(FEEDBACK_S * 1000);
        stage.text.textContent = '';
      }
      stage.root.remove();
      this.jsPsych.finishTrial({ ...trialData(phase, planned, option.value, rtMs, shown.frameTiming, calibration.refreshHz, calibration.pxPerDeg) });
    }
  };
}
