/** The psychometric-function options of `analyze` and `compare` (--function, --lapse). */
import { Option, type Command } from 'commander';
import { DEFAULT_MAX_LAPSE, MAX_FIXED_RATE, PSYCHOMETRIC_FAMILIES, type FitChoice } from '../../paradigms/psychometric.js';
import { PredlabError } from '../errors.js';

function parseRates(v: string): 'free' | number {
  if (v.trim() === 'free') return 'free';
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x > MAX_FIXED_RATE) throw new PredlabError('invalid-argument', `--lapse takes 'free' or a fixed rate from 0 to ${MAX_FIXED_RATE}; got '${v}'.`);
  return x;
}

export function addFitOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--function <family>', 'psychometric function to fit').choices([...PSYCHOMETRIC_FAMILIES]).default('cumulative-gaussian'))
    .option('--lapse <free|rate>', `guess and lapse rates: 'free' (each fitted within a bound, ${DEFAULT_MAX_LAPSE} unless the paradigm holds adaptive data tighter; the output states it) or both fixed at a rate from 0 to ${MAX_FIXED_RATE}`, parseRates, 'free');
}

export const fitChoiceOf = (o: { function: FitChoice['family']; lapse: FitChoice['rates'] }): FitChoice => ({ family: o.function, rates: o.lapse });
