/** IPC channels of the studies feature: argument schemas and result types (merged into preload/contract.ts). */
import { z } from 'zod';
import type { ParticipantKind, SessionInfo } from '../../paradigms/records.js';
import { DEFAULT_SESSION_INFO } from '../../paradigms/run-settings.js';
import { MAX_BLINDSPOT_REPS, type OnlineExportResult, type OnlineImportResult } from '../../paradigms/online-study.js';
import { id } from '../schema-parts.js';

/** The fields the Run page's session-information dialog knows (a study picks among them). */
const SESSION_INFO_KEYS = DEFAULT_SESSION_INFO.map((f) => f.key);

/** Limits: names and texts a person types, and how much one study may hold. */
export const STUDY_NAME_MAX = 100;
export const STUDY_DESCRIPTION_MAX = 2000;
export const STUDY_INFO_FIELDS_MAX = 20;
export const STUDY_INFO_FIELD_MAX = 40;
export const STUDY_FOLDER_MAX = 1024;
/** Sessions one study holds (its export writes a file per session). */
export const STUDY_SESSIONS_MAX = 2000;

/** POSIX (/…), Windows drive (C:\… or C:/…) or UNC (\\server\…) absolute paths; a relative one would depend on where PredLab was started. */
const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

const name = z.string().trim().min(1, 'a study needs a name').max(STUDY_NAME_MAX);

/** Authors one study names. */
export const STUDY_AUTHORS_MAX = 50;

export const studySettingsSchema = z
  .object({
    /** Fields asked in the session-information dialog (e.g. age, handedness, eye, notes). */
    sessionInfoFields: z
      .array(
        z
          .string()
          .trim()
          .min(1)
          .max(STUDY_INFO_FIELD_MAX)
          .refine((k) => SESSION_INFO_KEYS.includes(k), { message: `a session-information field is one of the Run dialog's: ${SESSION_INFO_KEYS.join(', ')}` }),
      )
      .max(STUDY_INFO_FIELDS_MAX)
      .optional(),
    /** The study's authors, one name each (the BIDS dataset's Authors). */
    authors: z.array(z.string().trim().min(1).max(200)).max(STUDY_AUTHORS_MAX).optional(),
    /** Where the study export is written automatically after each session; absent: <data folder>/studies. */
    exportDir: z
      .string()
      .trim()
      .max(STUDY_FOLDER_MAX)
      .regex(ABSOLUTE_PATH, 'must be an absolute folder path (e.g. /home/me/exports or C:\\exports)')
      .nullable()
      .optional(),
    /** Write the study export at the end of each of its sessions (default true). */
    autoExport: z.boolean().optional(),
  })
  .strict();
export type StudySettings = z.infer<typeof studySettingsSchema>;

/**
 * Settings a page may set. The export folder is not among them: a page never names a place to
 * write files; it is chosen in the main process's folder dialog (studies:choose-folder).
 */
const pageSettingsSchema = studySettingsSchema.omit({ exportDir: true });

export const studiesSchemas = {
  'studies:list': z.object({}).strict(),
  'studies:get': z.object({ studyId: id }).strict(),
  'studies:create': z.object({ name, description: z.string().max(STUDY_DESCRIPTION_MAX).optional(), settings: pageSettingsSchema.optional() }).strict(),
  'studies:update': z.object({ studyId: id, name: name.optional(), description: z.string().max(STUDY_DESCRIPTION_MAX).optional(), settings: pageSettingsSchema.optional() }).strict(),
  'studies:delete': z.object({ studyId: id }).strict(),
  'studies:add-session': z.object({ studyId: id, sessionId: id }).strict(),
  /** Several sessions at once (the ones ticked among sameTrials): all or none. */
  'studies:add-sessions': z.object({ studyId: id, sessionIds: z.array(id).min(1).max(STUDY_SESSIONS_MAX) }).strict(),
  'studies:remove-session': z.object({ studyId: id, sessionId: id }).strict(),
  /** Ask for the folder the study's export is written to after each session (a folder dialog in the app). */
  'studies:choose-folder': z.object({ studyId: id }).strict(),
  /** Write the study export now: into the study's folder, or (choose) a folder the user picks. */
  'studies:export': z.object({ studyId: id, choose: z.boolean().optional() }).strict(),
  /**
   * Put the study's protocol online: a static jsPsych study, or (jatos) a JATOS study archive,
   * written into a new folder inside one the user picks in the main process's folder dialog.
   */
  'studies:export-online': z
    .object({
      studyId: id,
      jatos: z.boolean().optional(),
      blindspotReps: z.number().int().min(0).max(MAX_BLINDSPOT_REPS).optional(),
      completionUrl: z.string().trim().max(2000).regex(/^https?:\/\/\S+$/, 'must be an http(s) address').optional(),
    })
    .strict(),
  /** Read an online study's data back: the file is picked in the main process's open dialog. */
  'studies:import-online': z.object({ studyId: id }).strict(),
} as const;

/** The outcome of the newest export of a study (on demand or automatic). */
export interface StudyExportStatus {
  at: string;
  trigger: 'manual' | 'auto';
  ok: boolean;
  folder: string;
  /** Set when ok: the files written and the trial rows in the CSV. */
  files?: string[];
  rows?: number;
  /** Set when not ok: what went wrong, in words a person can act on. */
  error?: string;
}

export interface Study {
  id: number;
  name: string;
  description: string;
  settings: StudySettings;
  createdAt: string;
  /** Participants per kind (people, simulated observers, models), each label counted once however many sessions it has. */
  counts: Record<ParticipantKind, number>;
  /** Sessions in the study. */
  sessionTotal: number;
  lastExport: StudyExportStatus | null;
  /** Where the automatic export goes (settings.exportDir, else the default under the data folder). */
  exportFolder: string;
}

export interface StudyDetail extends Study {
  sessions: SessionInfo[];
  /**
   * Sessions in no study that took the trials of one of the study's sessions (a model or a
   * simulated observer run on a person's protocol): listed for the user to choose, never added
   * by themselves.
   */
  sameTrials: SessionInfo[];
}

export interface StudyExportResult {
  folder: string;
  files: string[];
  rows: number;
  sessions: number;
}

export interface StudyResults {
  'studies:list': Study[];
  'studies:get': StudyDetail;
  'studies:create': Study;
  'studies:update': Study;
  'studies:choose-folder': Study;
  'studies:delete': { deleted: number; sessionsKept: number };
  'studies:add-session': StudyDetail;
  'studies:add-sessions': StudyDetail;
  'studies:remove-session': StudyDetail;
  'studies:export': StudyExportResult;
  'studies:export-online': OnlineExportResult;
  'studies:import-online': OnlineImportResult;
}

/**
 * Channels of this feature answered on the computing thread (see main/bootstrap.ts): none. The
 * export records its outcome in the study, and the computing thread's connection only reads.
 */
export const studiesHeavyChannels: readonly string[] = [];
