/** The default model's data and validation sequences, as scripts/train-default-model.ts defines them. */
import { splitByRecording, type VideoData } from '../../native-models/training/data.js';

export const DEFAULT_MODEL_SEED = 20261128;
/** The shipped checkpoint's data: things leave the frame (keepInView false), as when it was trained; the generator's default since keeps them in view. */
export const DEFAULT_MODEL_DATA = { height: 64, width: 80, channels: 3, recordings: 360, framesPerRecording: 30, seed: DEFAULT_MODEL_SEED, keepInView: false };
export const NT = 10;
/** Seed of the extra training recordings (prepare.ts --extra-recordings). */
export const EXTRA_SEED = DEFAULT_MODEL_SEED + 1;
const VAL_FRACTION = 0.1;
const VAL_SEQUENCES = 48;

/** Training starts, and the validation sequences evenly spaced over the held-out recordings. */
export function defaultModelValidationStarts(v: VideoData): { train: number[]; validation: number[] } {
  const split = splitByRecording(v, NT, VAL_FRACTION, DEFAULT_MODEL_SEED);
  const n = Math.min(VAL_SEQUENCES, split.validation.length);
  return { train: split.train, validation: [...Array(n).keys()].map((i) => split.validation[Math.floor((i * split.validation.length) / n)]!) };
}
