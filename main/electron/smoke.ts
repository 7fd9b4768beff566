/**
 * The packaged app's smoke run (`PredLab --smoke`, the release workflow starts each installer's app
 * with it): these steps run *in the page*, through window.predlab and the real IPC, serialised with
 * Function.prototype.toString (so: no imports, no outside names). No paradigm is named (DESIGN.md):
 * each is tried, with its parameters cut to their smallest (integers at their minimum, lists to
 * their first values), until one takes a session: a person simulated by this code answers a
 * two-trial session, and the shipped default model takes a one-trial protocol, on ONNX Runtime
 * (the model session falls back to tfjs when ONNX Runtime's native library does not load: the
 * smoke run fails then, as that is a packaging fault); ten frames recorded into a dataset are then
 * exported as MP4 with the shipped ffmpeg (the export folder is the app's choice in smoke mode).
 * test/unit/smoke-steps.test.ts runs the same serialised function on the real services in Node.
 */
import type { PredlabApi } from '../../preload/api.js';

export interface SmokeReport {
  api: string;
  require: string;
  process: string;
  title: string;
  paradigms: number;
  models: number;
  paradigm: string;
  simulated: { sessionId: number; status: string; answered: number; total: number };
  /** inference: the engine the model session ran on ('onnxruntime': the unpacked native library loaded). */
  model: { sessionId: number; status: string; answered: number; total: number; label: string; inference: string; backend: string };
  /** Ten recorded frames exported as MP4: ffmpeg, run from app.asar.unpacked. */
  video: { state: string; message: string };
}

export async function smokeSteps(api: PredlabApi): Promise<SmokeReport> {
  const calibration = { method: 'screen-width' as const, screenWidthPx: 1280, screenWidthCm: 34.5, viewingDistanceCm: 57, refreshHz: 60, pxPerDeg: 36.9 };
  const frameTiming = { frameCount: 60, intervalMeanMs: 16.7, intervalSdMs: 0.1, intervalMaxMs: 17, droppedFrames: 0, criticalFrame: 30, intervalsMs: [] };
  /** The paradigm's defaults with integers at their minimum and number lists cut to `n` values. */
  const smallest = (p: Awaited<ReturnType<PredlabApi['paradigms:list']>>[number], n: number) => {
    const params: Record<string, unknown> = { ...p.defaults };
    for (const f of p.form) {
      if (f.type === 'integer' && typeof f.min === 'number') params[f.key] = f.min;
      if (f.type === 'numbers' && Array.isArray(params[f.key])) params[f.key] = (params[f.key] as number[]).slice(0, n);
    }
    return params;
  };
  const paradigms = await api['paradigms:list']({});
  const models = await api['models:list']({});
  const model = models.find((m) => /default/.test(m.label));
  if (!model) throw new Error(`the default model is not registered (models: ${models.map((m) => m.label).join(', ') || 'none'})`);
  const refusals: string[] = [];
  for (const p of paradigms) {
    let person;
    try {
      person = await api['sessions:start']({ participant: { label: 'smoke run' }, paradigmId: p.id, parameters: smallest(p, 2), seed: 1, calibration });
    } catch (e) {
      refusals.push(`${p.id}: ${(e as Error).message}`);
      continue;
    }
    if (person.total !== 2) {
      await api['sessions:finish']({ sessionId: person.id, status: 'aborted' });
      refusals.push(`${p.id}: ${person.total} trials, not 2`);
      continue;
    }
    const answer = p.responses[0]!.value;
    for (let trial = await api['sessions:next']({ sessionId: person.id }); trial; trial = await api['sessions:next']({ sessionId: person.id })) {
      await api['sessions:record']({ sessionId: person.id, trialIndex: trial.index, response: answer, rtMs: 400, frameTiming });
    }
    const simulated = await api['sessions:finish']({ sessionId: person.id, status: 'complete' });
    // A one-trial protocol for the model: a session is how a protocol is made; it is stopped at once.
    const holder = await api['sessions:start']({ participant: { label: 'smoke run' }, paradigmId: p.id, parameters: smallest(p, 1), seed: 2, calibration });
    await api['sessions:finish']({ sessionId: holder.id, status: 'aborted' });
    const ran = await api['models:run-session']({ modelId: model.id, protocolId: holder.protocol.id, again: true });
    const details = ran.participant.details as { inference?: unknown; backend?: unknown };
    await api['datasets:create']({ name: 'smoke', height: 16, width: 16, fps: 10 });
    const capture = await api['datasets:capture-begin']({ dataset: 'smoke', source: 'smoke run' });
    const frames = new Uint8Array(capture.frameBytes * 10);
    for (let i = 0; i < frames.length; i++) frames[i] = (i * 7) % 256;
    await api['datasets:capture-append']({ recordingId: capture.recording.id, frames });
    await api['datasets:capture-finish']({ recordingId: capture.recording.id });
    let job = await api['datasets:export']({ name: 'smoke', format: 'mp4' });
    // The export is a job: polled, at most a minute.
    for (let waited = 0; job.state === 'running' && waited < 120; waited++) {
      await new Promise((r) => setTimeout(r, 500));
      const id = job.id;
      job = (await api['datasets:export-jobs']({})).find((j) => j.id === id) ?? job;
    }
    return {
      api: typeof (globalThis as { predlab?: unknown }).predlab,
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      title: (globalThis as { document?: { title: string } }).document?.title ?? '',
      paradigms: paradigms.length,
      models: models.length,
      paradigm: p.id,
      simulated: { sessionId: simulated.id, status: simulated.status, answered: simulated.answered, total: simulated.total },
      model: { sessionId: ran.id, status: ran.status, answered: ran.answered, total: ran.total, label: model.label, inference: String(details.inference), backend: String(details.backend) },
      video: { state: job.state, message: job.message ?? '' },
    };
  }
  throw new Error(`no paradigm took a two-trial session: ${refusals.join('; ')}`);
}

/** What the report must say for the smoke run to pass (null: it passed). */
export function smokeFailure(r: SmokeReport): string | null {
  if (r.simulated.status !== 'complete' || r.simulated.answered !== 2) return `the simulated session ended ${r.simulated.status} with ${r.simulated.answered} of 2 trials`;
  if (r.model.status !== 'complete' || r.model.answered !== r.model.total || r.model.total !== 1) return `the model session ended ${r.model.status} with ${r.model.answered} of ${r.model.total} trials`;
  if (r.video.state !== 'done') return `the MP4 export (ffmpeg) ended ${r.video.state}: ${r.video.message}`;
  if (r.model.inference !== 'onnxruntime') return `the model session ran on ${r.model.inference} (tfjs ${r.model.backend}), not ONNX Runtime: its native library did not load`;
  return null;
}
