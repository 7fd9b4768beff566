/** IPC channels of the training feature: argument schemas and result types (merged into preload/contract.ts). */

export const trainingSchemas = {} as const;

export interface TrainingResults {}

/** Channels of this feature answered on the computing thread (see main/bootstrap.ts). */
export const trainingHeavyChannels: readonly string[] = [];
