/** An app-side training run (the Training page's TrainingRuns) in its own process, SIGKILLed by interrupted-jobs.test.ts once an epoch is saved. */
import { TrainingRuns } from '../../main/services/training-jobs.js';
import { openDatabase } from '../../main/store/db.js';

const [dbFile, dataDir] = process.argv.slice(2) as [string, string];
const runs = new TrainingRuns(openDatabase(dbFile), dataDir);
const run = runs.start({ dataset: 'bars', start: { kind: 'new', preset: 'small', seed: 3 }, options: { nt: 4, batchSize: 2, samplesPerEpoch: 4, valSequences: 2, epochs: 200 } });
const timer = setInterval(() => {
  if (!runs.get(run.id).resumable) return;
  clearInterval(timer);
  process.stdout.write(`epoch saved: run ${run.id}\n`);
}, 50);
