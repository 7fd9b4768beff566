/** IPC channels of the datasets feature: argument schemas and result types (merged into preload/contract.ts). */

export const datasetsSchemas = {} as const;

export interface DatasetResults {}

/** Channels of this feature answered on the computing thread (see main/bootstrap.ts). */
export const datasetsHeavyChannels: readonly string[] = [];
