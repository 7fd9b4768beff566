/** IPC channels of the studies feature: argument schemas and result types (merged into preload/contract.ts). */

export const studiesSchemas = {} as const;

export interface StudyResults {}

/** Channels of this feature answered on the computing thread (see main/bootstrap.ts). */
export const studiesHeavyChannels: readonly string[] = [];
