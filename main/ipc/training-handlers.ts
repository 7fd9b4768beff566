/** Handlers of the training channels (preload/channels/training.ts): runs of the thread's TrainingRuns. */
import path from 'node:path';
import type { trainingSchemas, TrainingResults } from '../../preload/channels/training.js';
import { TrainingRuns } from '../services/training-jobs.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function trainingHandlers(deps: HandlerDeps): FeatureHandlers<typeof trainingSchemas, TrainingResults> {
  // Made on first use: only the light service thread answers these channels (none is heavy).
  let runs: TrainingRuns | null = null;
  const r = () => {
    if (runs) return runs;
    runs = new TrainingRuns(deps.db, path.dirname(path.resolve(deps.db.name)));
    runs.onChange = (runId) => deps.notify?.('training', runId);
    return runs;
  };
  deps.onClose?.(() => runs?.stopAll());
  return {
    'training:setup': () => r().setup(),
    'training:start': (a) => r().start(a),
    'training:runs': () => r().list(),
    'training:status': (a) => r().get(a.runId),
    'training:preview': (a) => r().preview(a.runId),
    'training:pause': (a) => r().pause(a.runId),
    'training:resume': (a) => r().resume(a.runId),
    'training:cancel': (a) => r().cancel(a.runId),
  };
}
