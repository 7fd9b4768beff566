/** IPC channels of the replicate feature: argument schemas and result types (merged into preload/contract.ts). */

export const replicateSchemas = {} as const;

export interface ReplicateResults {}

/** Channels of this feature answered on the computing thread (see main/bootstrap.ts). */
export const replicateHeavyChannels: readonly string[] = [];
