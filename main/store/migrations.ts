/**
 * Numbered schema migrations. Never edit a released one: append a new number.
 * The version lives in PRAGMA user_version; PRAGMA application_id marks the file as PredLab's.
 */
export const APPLICATION_ID = 0x50524c42; // "PRLB"

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'participants, protocols, sessions, trials',
    sql: `
      CREATE TABLE participants (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('human', 'model')),
        label TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE protocols (
        id INTEGER PRIMARY KEY,
        paradigm_id TEXT NOT NULL,
        parameters TEXT NOT NULL,
        seed INTEGER NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        participant_id INTEGER NOT NULL REFERENCES participants(id),
        protocol_id INTEGER NOT NULL REFERENCES protocols(id),
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'aborted')),
        calibration TEXT NOT NULL DEFAULT '{}',
        app_version TEXT NOT NULL,
        started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ended_at TEXT
      );
      CREATE TABLE trials (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        trial_index INTEGER NOT NULL,
        condition TEXT NOT NULL,
        stimulus TEXT NOT NULL,
        response TEXT NOT NULL,
        rt_ms REAL,
        dropped_frames INTEGER NOT NULL DEFAULT 0,
        answered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (session_id, trial_index)
      );
      CREATE INDEX trials_session ON trials(session_id);
    `,
  },
  {
    version: 2,
    description: 'per-trial frame-timing summary and session source',
    sql: `
      ALTER TABLE trials ADD COLUMN frame_count INTEGER;
      ALTER TABLE trials ADD COLUMN frame_interval_mean_ms REAL;
      ALTER TABLE trials ADD COLUMN frame_interval_sd_ms REAL;
      ALTER TABLE trials ADD COLUMN frame_interval_max_ms REAL;
      ALTER TABLE trials ADD COLUMN critical_frame INTEGER;
      ALTER TABLE trials ADD COLUMN frame_intervals TEXT;
      ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'app';
    `,
  },
  {
    version: 3,
    description: 'model checkpoints known to the lab',
    sql: `
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        config TEXT NOT NULL,
        parameters INTEGER NOT NULL,
        source TEXT NOT NULL,
        training TEXT,
        registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
    `,
  },
  {
    version: 4,
    description: "per-trial details from the participant's side (e.g. a model observer's readout)",
    sql: `ALTER TABLE trials ADD COLUMN extra TEXT;`,
  },
  {
    version: 5,
    description: 'video datasets and their recordings (frames live in raw uint8 files under the data folder)',
    sql: `
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        height INTEGER NOT NULL CHECK (height > 0),
        width INTEGER NOT NULL CHECK (width > 0),
        channels INTEGER NOT NULL DEFAULT 3 CHECK (channels > 0),
        fps REAL NOT NULL CHECK (fps > 0),
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE recordings (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        file TEXT NOT NULL,
        frames INTEGER NOT NULL DEFAULT 0 CHECK (frames >= 0),
        source TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'complete', 'truncated')),
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE INDEX recordings_dataset ON recordings(dataset_id);
    `,
  },
  {
    version: 6,
    description: "participant kind 'simulated' (simulated observers, until now stored as 'model')",
    // SQLite cannot alter a CHECK: the table is rebuilt. Foreign keys are on during migrations, so
    // the drop's dangling session references are deferred and resolved again by re-inserting
    // every participant under its old id before the commit (a missing one fails the migration).
    sql: `
      PRAGMA defer_foreign_keys = ON;
      CREATE TEMP TABLE participants_v5 AS SELECT * FROM participants;
      DROP TABLE participants;
      CREATE TABLE participants (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('human', 'model', 'simulated')),
        label TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      INSERT INTO participants (id, kind, label, details, created_at)
        SELECT id, CASE WHEN kind = 'model' AND json_extract(details, '$.type') = 'simulated-observer' THEN 'simulated' ELSE kind END,
               label, details, created_at
        FROM participants_v5;
      DROP TABLE participants_v5;
    `,
  },
  {
    version: 7,
    description: 'studies: sessions grouped for a study-wide export (a session in at most one study)',
    // Deleting a study deletes its memberships, never its sessions; a session cannot be deleted
    // while it belongs to a study (foreign key), which no code path does anyway.
    sql: `
      CREATE TABLE studies (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
        description TEXT NOT NULL DEFAULT '',
        settings TEXT NOT NULL DEFAULT '{}',
        last_export TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE study_sessions (
        study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        session_id INTEGER NOT NULL UNIQUE REFERENCES sessions(id),
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (study_id, session_id)
      );
      CREATE INDEX study_sessions_study ON study_sessions(study_id);
    `,
  },
  {
    version: 8,
    description: 'jobs: recordings, imports, exports, downloads and training runs with their state, owner and the partial files they own (resolved at start-up when their owner died)',
    // A running job whose owner (host, pid, start time) no longer runs is resolved when the lab
    // is next opened for writing (main/services/jobs.ts): its recording finished if whole, marked
    // truncated with the frames on disk, or removed with its file; its partial files removed.
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('recording', 'import', 'export', 'download', 'training')),
        state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
        owner_host TEXT NOT NULL,
        owner_pid INTEGER NOT NULL,
        started_ms INTEGER NOT NULL,
        recording_id INTEGER REFERENCES recordings(id) ON DELETE SET NULL,
        created_dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
        expected_frames INTEGER,
        partials TEXT NOT NULL DEFAULT '[]',
        target TEXT,
        message TEXT,
        started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        ended_at TEXT
      );
      CREATE INDEX jobs_running ON jobs(state) WHERE state = 'running';
      CREATE INDEX jobs_recording ON jobs(recording_id);
    `,
  },
  {
    version: 9,
    description: "models: the SHA-256 of each checkpoint's weights.bin when registered (a version 1 manifest has no per-tensor checksums, so an edited manifest cannot hide changed weights)",
    // NULL for models registered before: recorded at their next use.
    sql: `ALTER TABLE models ADD COLUMN weights_sha256 TEXT;`,
  },
  {
    version: 10,
    description: 'monitor profiles (named display calibrations with their gamma), and the profile each session ran with',
    // A session also keeps a copy of its profile in its calibration (calibration.monitor), so
    // editing or deleting a profile never rewrites what a session was shown with. At most one
    // profile is chosen (the one new sessions use). Sessions before this have no profile: their
    // display was drawn with pixel = 255 L (gamma 'assumed').
    sql: `
      CREATE TABLE monitor_profiles (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) BETWEEN 1 AND 60),
        calibration TEXT NOT NULL,
        gamma REAL NOT NULL CHECK (gamma BETWEEN 1 AND 3.5),
        gamma_method TEXT NOT NULL CHECK (gamma_method IN ('assumed', 'entered', 'photometer', 'half-split')),
        gamma_data TEXT NOT NULL DEFAULT '{}',
        chosen INTEGER NOT NULL DEFAULT 0 CHECK (chosen IN (0, 1)),
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE UNIQUE INDEX monitor_profiles_chosen ON monitor_profiles(chosen) WHERE chosen = 1;
      ALTER TABLE sessions ADD COLUMN monitor_profile_id INTEGER REFERENCES monitor_profiles(id) ON DELETE SET NULL;
    `,
  },
  {
    version: 11,
    description: "sessions: the response keys of each session (answer -> key, JSON), so a protocol's own or counterbalanced keys are kept with the answers they gave",
    // NULL for sessions before: they used their paradigm's keys (and model sessions answer by value).
    sql: `ALTER TABLE sessions ADD COLUMN response_keys TEXT;`,
  },
];

export const LATEST_VERSION = migrations[migrations.length - 1]!.version;
