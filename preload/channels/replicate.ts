/** IPC channels of the replicate feature (the Paper battery page): argument schemas and result types (merged into preload/contract.ts). */
import { z } from 'zod';
import { id } from '../schema-parts.js';

/** Limits: checkpoints per job (each runs every chosen experiment), experiments per job, jobs kept in the list. */
export const REPLICATE_MAX_MODELS = 8;
export const REPLICATE_MAX_EXPERIMENTS = 10;
export const REPLICATE_MAX_JOBS = 50;

export const replicateSchemas = {
  'replicate:experiments': z.object({}).strict(),
  'replicate:start': z
    .object({
      modelIds: z.array(id).min(1, 'choose at least one model').max(REPLICATE_MAX_MODELS, `at most ${REPLICATE_MAX_MODELS} models per run`),
      experiments: z.array(z.string().min(1).max(40)).min(1, 'choose at least one experiment').max(REPLICATE_MAX_EXPERIMENTS),
      quick: z.boolean(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    })
    .strict(),
  'replicate:jobs': z.object({}).strict(),
  'replicate:cancel': z.object({ jobId: id }).strict(),
  'replicate:report': z.object({ jobId: id }).strict(),
  /** Copy a finished job's folder to one the user chooses. */
  'replicate:save': z.object({ jobId: id }).strict(),
} as const;

export interface ReplicateExperimentInfo {
  id: string;
  title: string;
}

export interface ReplicateJob {
  id: number;
  /** The models' labels. */
  label: string;
  experiments: string[];
  quick: boolean;
  state: 'running' | 'done' | 'error' | 'cancelled';
  fraction: number;
  message: string;
  /** Folder the files are written to. */
  out: string;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** One experiment's card: our plot beside the published result, the verdict with its statistic. */
export interface ReplicateCard {
  id: string;
  title: string;
  published: string;
  verdict: string;
  effect: boolean | null;
  spread: { name: string; unit: string; mean: number; min: number; max: number; n: number } | null;
  checkpoints: {
    label: string;
    effect: boolean | null;
    text: string;
    statistic: { name: string; value: number; unit: string; ci?: [number, number] } | null;
    /** The tests the verdict rests on, each against a null observer (untrained network, copy-last, oracle) or a paired change. */
    comparisons: { name: string; value: number | null; unit: string; ci: [number, number] | null; rule: string; holds: boolean | null }[];
    /** The null observers' own values beside the model's. */
    beside: { who: string; text: string }[];
    notes: string[];
    table: { columns: string[]; rows: string[][] } | null;
  }[];
  /** The plot (SVG text, drawn by the page as an image). */
  svg: string;
  folder: string;
}

export interface ReplicateReport {
  jobId: number;
  out: string;
  markdown: string;
  cards: ReplicateCard[];
}

export interface ReplicateResults {
  'replicate:experiments': ReplicateExperimentInfo[];
  'replicate:start': ReplicateJob;
  'replicate:jobs': ReplicateJob[];
  'replicate:cancel': ReplicateJob;
  'replicate:report': ReplicateReport;
  'replicate:save': { folder: string | null };
}

/** Channels of this feature answered on the computing thread (see main/bootstrap.ts): none; the work runs in its own worker. */
export const replicateHeavyChannels: readonly string[] = [];
