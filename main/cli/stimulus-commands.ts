/** `predlab stimulus render`: a trial as a model sees it, written as .npy (T, H, W, C) float32. */
import { Option, type Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { writeNpy } from '../../native-models/npy.js';
import { OBSERVER_DEFAULTS } from '../../paradigms/observer-settings.js';
import { PredlabError } from '../errors.js';
import { renderTrial } from '../services/stimulus-render.js';
import { parseSize } from './format.js';
import type { CliContext } from './context.js';

export function addStimulusCommands(program: Command, ctx: CliContext & { readDatabase: () => ReturnType<CliContext['database']>; collectParam: (v: string, acc: Record<string, unknown>) => Record<string, unknown> }): void {
  const { emit, integer, number } = ctx;
  program
    .command('stimulus')
    .description('what a model sees of a trial')
    .command('render')
    .description("a trial rasterized at a model's size, field of view and frame rate, as .npy (T, H, W, C) float32 in [0, 1]")
    .option('--paradigm <id>', 'paradigm id (see `predlab paradigms`)')
    .option('--param <key=value>', 'paradigm parameter (repeatable); durations may be given in frames of a display with displayHz', ctx.collectParam, {})
    .option('--seed <n>', 'seed of the trial list', integer('--seed'), 1)
    .option('--protocol <id>', "a stored protocol's trials instead of --paradigm/--param/--seed", integer('--protocol'))
    .option('--trial <k>', 'trial index (adaptive designs: the design\'s first trial)', integer('--trial'), 0)
    .option('--fps <hz>', 'model frames per second', number('--fps'), OBSERVER_DEFAULTS.frameRateHz)
    .option('--fov <deg>', "degrees across the image width", number('--fov'), OBSERVER_DEFAULTS.fovDeg)
    .option('--size <HxW>', 'image size in pixels', '64x80')
    .addOption(new Option('--channels <n>', 'grey (1) or RGB (3)').choices(['1', '3']).default('3'))
    .addOption(new Option('--temporal <mode>', "integrate: each frame sums the light over its exposure; sample: each frame is what a display at the model's rate draws").choices(['integrate', 'sample']).default('integrate'))
    .option('--exposure <fraction>', 'integrate mode: fraction of each frame interval the shutter is open', number('--exposure'), OBSERVER_DEFAULTS.exposure)
    .option('--sub-samples <n>', 'integrate mode: instants sampled per frame (motion blur)', integer('--sub-samples'), OBSERVER_DEFAULTS.subSamples)
    .requiredOption('--out <file.npy>', 'the .npy file to write (must not exist)')
    .option('--json', 'machine-readable output')
    .action((o) => {
      if (o.protocol !== undefined && (o.paradigm !== undefined || Object.keys(o.param).length)) throw new PredlabError('invalid-argument', '--protocol fixes the trials; leave out --paradigm and --param.');
      const out = path.resolve(o.out);
      if (!out.endsWith('.npy')) throw new PredlabError('invalid-argument', `--out must name a .npy file; got ${o.out}.`);
      if (fs.existsSync(out)) throw new PredlabError('conflict', `${out} already exists; choose another name or delete it first.`);
      if (!fs.existsSync(path.dirname(out))) throw new PredlabError('not-found', `The folder ${path.dirname(out)} does not exist.`);
      const r = renderTrial(o.protocol !== undefined ? ctx.readDatabase() : null, {
        paradigmId: o.paradigm,
        parameters: o.param,
        seed: o.seed,
        protocolId: o.protocol,
        trial: o.trial,
        ...parseSize(o.size),
        channels: Number(o.channels),
        fovDeg: o.fov,
        frameRateHz: o.fps,
        temporalMode: o.temporal,
        exposure: o.exposure,
        subSamples: o.subSamples,
      });
      // Written beside, then moved: a failure leaves no half-written file.
      const partial = `${out}.partial`;
      writeNpy(partial, { dtype: 'float32', shape: r.shape, data: r.frames });
      fs.renameSync(partial, out);
      const [T, H, W, C] = r.shape;
      emit(
        o.json,
        { out, shape: r.shape, dtype: 'float32', frameRateHz: r.view.frameRateHz, temporal: r.view.temporal, criticalFrame: r.criticalFrame, condition: r.condition, stimulus: r.stimulus },
        `Wrote ${out}: (${T}, ${H}, ${W}, ${C}) float32, ${T} frames at ${r.view.frameRateHz} frames/s (${(T / r.view.frameRateHz).toFixed(3)} s), ${r.view.temporal!.mode} mode; trial ${o.trial} (${r.condition}); critical event in frame ${r.criticalFrame ?? 'none'}.`,
      );
    });
}
