/**
 * The main-process side of the contract, free of Electron: every argument is validated against
 * the contract's schema before a service sees it, and every failure becomes an error envelope.
 * The Electron entry binds `invoke` to ipcMain; tests bind it to a Playwright page.
 */
import { completeForm } from '../../paradigms/form-fields.js';
import { paradigms } from '../../paradigms/index.js';
import { channels, schemas, type Channel, type Envelope, type Results } from '../../preload/contract.js';
import { describeIssues, PredlabError, storageError } from '../errors.js';
import { analyseSession } from '../services/analysis.js';
import { exportSession } from '../services/export.js';
import { getModel, listModels } from '../services/models.js';
import { createParticipant, listParticipants } from '../services/participants.js';
import { initBackend } from '../../native-models/backend.js';
import { finishSession, getProtocol, getSession, listSessions, nextTrial, recordTrial, startSession } from '../services/sessions.js';
import { compareSessions } from '../services/compare.js';
import { exportStudyAfterSession } from '../services/study-export.js';
import { inspectModelTrial } from '../services/inspect.js';
import { reusableModelSession, runModelSession } from '../services/model-sessions.js';
import type { HandlerDeps } from './handler-types.js';
import { datasetsHandlers } from './datasets-handlers.js';
import { modelsHandlers } from './models-handlers.js';
import { workHandlers } from './work-handlers.js';
import { replicateHandlers } from './replicate-handlers.js';
import { studiesHandlers } from './studies-handlers.js';
import { trainingHandlers } from './training-handlers.js';
import { monitorsHandlers } from './monitors-handlers.js';

export type { HandlerDeps } from './handler-types.js';

type Handlers = { [C in Channel]: (args: any) => Results[C] | Promise<Results[C]> };

export function createHandlers(input: HandlerDeps) {
  // Every feature's closer, run by close() when the app quits.
  const closers: (() => Promise<void> | void)[] = [];
  const deps: HandlerDeps = { ...input, onClose: (c) => void closers.push(c) };
  const { db } = deps;
  const handlers: Handlers = {
    'paradigms:list': () =>
      [...paradigms.values()].map((p) => ({ id: p.id, name: p.name, description: p.description, instructions: p.instructions, responses: p.responses, prompt: p.prompt, defaults: p.defaults as Record<string, unknown>, form: completeForm(p), feedback: !!p.correctResponse, readout: { description: p.readout.description, unit: p.readout.unit, defaultLayer: p.readout.defaultLayer ?? null } })),
    'participants:create': (a) => createParticipant(db, a),
    'participants:list': () => listParticipants(db),
    'sessions:start': (a) => {
      const { companionModelId, ...req } = a;
      const model = companionModelId !== undefined ? getModel(db, companionModelId) : undefined;
      if (model && !deps.modelJobs) throw new PredlabError('unavailable', 'Background model sessions are not available here.');
      const session = startSession(db, { ...req, source: 'app' });
      if (model) deps.modelJobs!.start({ paradigmId: session.protocol.paradigmId, checkpoint: model.path, protocolId: session.protocol.id }, `${model.label} with session ${session.id}`);
      return session;
    },
    'sessions:next': (a) => nextTrial(db, a.sessionId),
    'sessions:record': (a) => recordTrial(db, a.sessionId, a),
    'sessions:finish': (a) => {
      const s = finishSession(db, a.sessionId, a.status);
      // The study's export is rewritten after the answer has gone back (it never fails a finish).
      setImmediate(() => exportStudyAfterSession(db, s.id, deps.log));
      return s;
    },
    'sessions:list': (a) => listSessions(db, a),
    'sessions:get': (a) => getSession(db, a.sessionId),
    'analysis:session': (a) => analyseSession(db, a.sessionId, a),
    'export:session': async (a) => {
      getSession(db, a.sessionId);
      const dir = await deps.chooseExportDir(`predlab-session-${a.sessionId}`);
      if (!dir) throw new PredlabError('invalid-argument', 'Export cancelled: no folder was chosen.');
      return exportSession(db, a.sessionId, a.format, dir);
    },
    'display:fullscreen': (a) => ({ fullscreen: deps.setFullScreen ? deps.setFullScreen(a.on) : false }),
    // Windows belong to the process that made them: the app's entry answers this one (bootstrap.ts) before it reaches here.
    'display:experimenter-window': () => {
      throw new PredlabError('unavailable', "The experimenter's window is opened by the app's window process.");
    },
    'models:list': () => listModels(db),
    'models:run-session': async (a) => {
      const model = getModel(db, a.modelId);
      const request = { paradigmId: getProtocol(db, a.protocolId).paradigmId, checkpoint: model.path, protocolId: a.protocolId, observer: a.observer ?? {}, again: a.again ?? false, ...(a.matchSessionId !== undefined ? { matchSessionId: a.matchSessionId } : {}) };
      if (!deps.modelJobs) return runModelSession(db, request);
      // Already answered with the same checkpoint and settings: that session, no job.
      const earlier = request.again ? null : reusableModelSession(db, request);
      if (earlier) return { ...earlier, reused: true };
      // In a worker thread, so the main process stays responsive while the model works.
      // again: the reuse check is done above; the worker need not fit the person once more to repeat it.
      const job = await deps.modelJobs.start({ ...request, again: true }, model.label).done;
      if (job.state !== 'done' || job.sessionId === null) throw new PredlabError('internal', `The model could not take the protocol: ${job.error}`);
      return getSession(db, job.sessionId);
    },
    'models:jobs': () => deps.modelJobs?.list() ?? [],
    'models:inspect-trial': (a) => inspectModelTrial(db, a.sessionId, a.trialIndex),
    'compare:sessions': (a) => compareSessions(db, a.sessionIds, { bootstrap: a.bootstrap ?? 500, excludeDroppedFrames: a.excludeDroppedFrames, fit: a.fit }),
    'engine:info': async () => {
      const r = await initBackend();
      return { backend: r.choice, detail: r.detail, patchedKernels: r.patchedKernels, skipped: r.skipped };
    },
    ...workHandlers(deps),
    ...modelsHandlers(deps),
    ...datasetsHandlers(deps),
    ...trainingHandlers(deps),
    ...replicateHandlers(deps),
    ...studiesHandlers(deps),
    ...monitorsHandlers(deps),
  };

  async function invoke(channel: unknown, rawArgs: unknown): Promise<Envelope<unknown>> {
    try {
      if (typeof channel !== 'string' || !(channels as string[]).includes(channel))
        throw new PredlabError('invalid-argument', `Unknown request '${String(channel)}'.`);
      const c = channel as Channel;
      const parsed = schemas[c].safeParse(rawArgs);
      if (!parsed.success) throw new PredlabError('invalid-argument', `Invalid arguments for ${c}: ${describeIssues(parsed.error.issues)}`);
      return { ok: true, value: await handlers[c](parsed.data) };
    } catch (caught) {
      // A SQLite failure (read-only, locked, damaged, full) is the user's to act on, not a bug.
      const e = storageError(caught) ?? caught;
      if (e instanceof PredlabError) return { ok: false, error: { code: e.code, message: e.message } };
      deps.log?.(`internal error in ${String(channel)}: ${(e as Error).stack ?? e}`);
      return { ok: false, error: { code: 'internal', message: `Something went wrong in PredLab (${(e as Error).message}). Your stored data is unaffected.` } };
    }
  }
  /** Cancel every feature's jobs and wait for each to clean up (the caller bounds the wait). */
  async function close(): Promise<void> {
    await Promise.allSettled(closers.map(async (c) => c()));
  }
  return { invoke, handlers, close };
}
