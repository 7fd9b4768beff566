/**
 * The PredNet engine from the command line: `predlab backend`, `data moving-bars`, `model ...`,
 * `train` and `dataset ...`, registered in this order (the order of `predlab --help`). The
 * commands live in checkpoint-commands.ts (model init, import-keras, download, info),
 * predict-commands.ts (model score, predict), train-commands.ts (data moving-bars, train) and
 * dataset-commands.ts.
 */
import type { Command } from 'commander';
import { describeBackend, initBackend } from '../../native-models/backend.js';
import { describeInference, inferenceStatus } from '../../native-models/onnx/engine.js';
import { trainingStatus } from '../../native-models/training/step-engine.js';
import { PredlabError } from '../errors.js';
import { addCheckpointCommands } from './checkpoint-commands.js';
import type { CliContext } from './context.js';
import { addDatasetCommands } from './dataset-commands.js';
import { addPredictCommands } from './predict-commands.js';
import { addTrainCommand, addTrainingVideoCommands } from './train-commands.js';

export function addModelCommands(program: Command, ctx: CliContext): void {
  const { emit } = ctx;

  program
    .command('backend')
    .description('show which compute backend PredNet runs on, which engines run inference and training (ONNX Runtime or tfjs), and why others were skipped')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const r = await initBackend();
      const invalid = (e: Error) => {
        throw new PredlabError('invalid-argument', e.message);
      };
      const inference = await inferenceStatus({ tfBackend: r.choice }).catch(invalid);
      const training = await trainingStatus(r.choice).catch(invalid);
      emit(o.json, { ...r, inference, training }, `${describeBackend(r)}\n${describeInference(inference)}\ntraining: ${training.name === null ? 'none (' : ''}${training.detail}${training.name === null ? ')' : ''}`);
    });

  addTrainingVideoCommands(program, ctx);

  const model = program.command('model').description('create, import, inspect and run PredNet checkpoints');
  addCheckpointCommands(model, ctx);
  addPredictCommands(model, ctx);

  addTrainCommand(program, ctx);

  // The dataset commands (training data) register with the model commands.
  addDatasetCommands(program, ctx);
}
