/**
 * The online study: the protocol described in index.html, run with jsPsych 8 in any browser.
 * Browser check -> fullscreen -> card match and blind spot (virtual chinrest) -> refresh rate ->
 * session information -> instructions -> practice with feedback -> data trials (planned one by
 * one as a lab session plans them), breaks as configured -> the data: sent to JATOS when it
 * runs there, else offered as a download; then the completion link, if any.
 */
import { initJsPsych } from 'jspsych';
import jspsychCss from 'jspsych/css/jspsych.css?inline';
import browserCheck from '@jspsych/plugin-browser-check';
import fullscreen from '@jspsych/plugin-fullscreen';
import htmlKeyboardResponse from '@jspsych/plugin-html-keyboard-response';
import instructions from '@jspsych/plugin-instructions';
import surveyHtmlForm from '@jspsych/plugin-survey-html-form';
import virtualChinrest from '@jspsych/plugin-virtual-chinrest';
import { getParadigm } from '../../../paradigms/index.js';
import { OnlineRunner, onlineStudySchema, RUN_FIELDS, STUDY_ELEMENT_ID, type OnlineTrialData } from '../../../paradigms/online-study.js';
import { instructionsOf, paradigmParameters, practiceStimuli, runSettingsOf } from '../../../paradigms/run-settings.js';
import type { FrameTiming } from '../../../preload/contract.js';
import { calibrationPlugin } from './calibration-plugin.js';
import { makeStage, type OnlineContext } from './context.js';
import { jatosOf } from './jatos.js';
import { sessionInfoHtml } from './session-info-form.js';
import { trialPlugin } from './trial-plugin.js';
import { keyName, keysFor } from '../../../paradigms/response-keys.js';
import { CARD_IMAGE, STUDY_CSS } from './style.js';

const style = document.createElement('style');
style.textContent = jspsychCss + STUDY_CSS;
document.head.append(style);

const study = onlineStudySchema.parse(JSON.parse(document.getElementById(STUDY_ELEMENT_ID)!.textContent ?? ''));
const paradigm = getParadigm(study.paradigmId);
const params = paradigmParameters(study.parameters);
const run = runSettingsOf(study.parameters);
// Counterbalanced keys online: each participant's rotation is drawn here (no lab count to go by) and stored with every row.
const keys = keysFor(paradigm, run.keys, run.counterbalanceKeys, Math.floor(Math.random() * paradigm.responses.length));
const ctx: OnlineContext = { paradigm, params, run, keys, calibration: null, stage: makeStage(), presenter: null };
const jatos = jatosOf();

function start(): void {
  // The page's body is the display: keys reach jsPsych wherever the focus is. Under JATOS each
  // row is appended as it is written (one JSON line), so a participant who leaves early leaves
  // their answered trials; at the end the whole data replace them (one JSON array).
  const jsPsych = initJsPsych({ on_data_update: (row: unknown) => void jatos?.appendResultData(`${JSON.stringify(row)}\n`).catch(() => undefined) });
  const url = { ...(jatos?.urlQueryParameters ?? {}), ...jsPsych.data.urlVariables() } as Record<string, string | undefined>;
  const runId = crypto.randomUUID();
  const participant = (url.PROLIFIC_PID || url.pid || '').slice(0, 100) || `online-${runId.slice(0, 8)}`;
  jsPsych.data.addProperties({ [RUN_FIELDS.run]: runId, [RUN_FIELDS.participant]: participant, [RUN_FIELDS.study]: study.studyId, [RUN_FIELDS.protocol]: study.protocolId, [RUN_FIELDS.seed]: study.seed, [RUN_FIELDS.keys]: JSON.stringify(keys) });

  let runner: OnlineRunner | null = null;
  const keyList = paradigm.responses.map((r) => `<b>${keyName(keys[r.value] ?? r.key)}</b>: ${r.label}`).join('<br>');
  const Trial = trialPlugin(ctx);
  const frameTimingOf = (d: OnlineTrialData): FrameTiming => ({
    frameCount: d.frame_count, intervalMeanMs: d.frame_interval_mean_ms, intervalSdMs: d.frame_interval_sd_ms, intervalMaxMs: d.frame_interval_max_ms,
    droppedFrames: d.dropped_frames, criticalFrame: d.critical_frame, intervalsMs: JSON.parse(d.frame_intervals) as number[],
  });
  const pressSpace = (html: string, testid: string) => ({ type: htmlKeyboardResponse, stimulus: `<div data-testid="${testid}">${html}</div>`, choices: [' '] });

  const practice = practiceStimuli(paradigm, params, study.seed, run.practiceTrials).map((stimulus, i) => ({
    type: Trial, phase: 'practice', trial: { index: i, condition: paradigm.conditionKey(stimulus), stimulus },
  }));
  const dataTrial = {
    type: Trial,
    phase: 'test',
    trial: () => runner!.next(),
    on_finish: (data: OnlineTrialData) => {
      const t = runner!.next()!;
      runner!.answer(t, data.response, frameTimingOf(data));
    },
  };
  // A break after every `breakEvery` data trials, unless the protocol is done (as on the Run page).
  const breakScreen = {
    timeline: [pressSpace('<p>Take a short break.</p><p>Press <b>space</b> to go on.</p>', 'break')],
    conditional_function: () => {
      const next = runner!.next();
      return next !== null && run.breakEvery > 0 && next.index % run.breakEvery === 0;
    },
  };
  const finish = {
    type: htmlKeyboardResponse,
    choices: 'NO_KEYS',
    stimulus: '<p data-testid="end-message">Thank you for taking part!</p><p id="predlab-end-status"></p>',
    data: { predlab: 'end' },
    on_load: () => void end(),
  };

  async function end(): Promise<void> {
    const status = document.getElementById('predlab-end-status')!;
    const data = jsPsych.data.get().json();
    if (jatos) {
      status.textContent = 'Sending your answers…';
      await jatos.submitResultData(data);
      if (study.completionUrl) await jatos.endStudyAndRedirect(study.completionUrl, true);
      else await jatos.endStudy(true);
      return;
    }
    const file = `predlab-study-${study.studyId}-${participant.replace(/[^A-Za-z0-9_-]/g, '_')}-${runId.slice(0, 8)}.json`;
    status.innerHTML = `<p>Please download your data file and send it to the researcher as the study's invitation says.</p><button class="jspsych-btn" data-testid="download">Download your data</button>${study.completionUrl ? ` <a class="jspsych-btn" data-testid="complete" href="${encodeURI(study.completionUrl)}">Finish</a>` : ''}`;
    status.querySelector('button')!.addEventListener('click', () => jsPsych.data.get().localSave('json', file));
  }

  const timeline: unknown[] = [
    {
      type: browserCheck,
      features: ['width', 'height', 'browser', 'browser_version', 'mobile', 'os', 'fullscreen', 'vsync_rate'],
      inclusion_function: (d: { mobile: boolean; fullscreen: boolean }) => !d.mobile && d.fullscreen,
      exclusion_message: () => '<p data-testid="excluded">This study needs a desktop or laptop browser that can go full screen.</p>',
    },
    { type: fullscreen, fullscreen_mode: true, message: '<p data-testid="fullscreen">The study runs in full screen.</p>', button_label: 'Go full screen' },
    {
      type: virtualChinrest,
      blindspot_reps: study.calibration.blindspotReps,
      resize_units: 'none',
      item_path: CARD_IMAGE,
      viewing_distance_report: 'none',
    },
    { type: calibrationPlugin(ctx, study.calibration.viewingDistanceCm) },
    ...(study.sessionInfo.length ? [{ type: surveyHtmlForm, preamble: '<p>A few questions first.</p>', html: sessionInfoHtml(study.sessionInfo), button_label: 'Continue', data: { predlab: 'session-info' } }] : []),
    {
      type: instructions,
      pages: [`<div data-testid="instructions"><p>${escapeHtml(instructionsOf(run, paradigm, params, keys)).replace(/\n/g, '<br>')}</p><p>${keyList}</p><p>Press <b>space</b> to begin.</p></div>`],
      key_forward: ' ',
      show_clickable_nav: false,
    },
    ...(practice.length ? [...practice, pressSpace('<p>Practice done. The data trials come next, without feedback.</p><p>Press <b>space</b> to start.</p>', 'practice-done')] : []),
    {
      timeline: [dataTrial, breakScreen],
      on_timeline_start: () => void (runner ??= new OnlineRunner(paradigm, study, ctx.calibration!.refreshHz)),
      loop_function: () => runner!.next() !== null,
    },
    finish,
  ];
  void jsPsych.run(timeline as never);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

if (jatos) jatos.onLoad(start);
else start();
