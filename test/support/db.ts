import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../main/store/db.js';

export function tempDir(prefix = 'predlab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh database file in a temporary folder. */
export function tempDb(): { db: Db; file: string; dir: string } {
  const dir = tempDir();
  const file = path.join(dir, 'lab.sqlite');
  return { db: openDatabase(file), file, dir };
}

export const CALIBRATION = { method: 'screen-width', screenWidthPx: 1280, screenWidthCm: 34.5, viewingDistanceCm: 57, refreshHz: 60, pxPerDeg: 36.9 } as const;

export const FRAME_TIMING = { frameCount: 60, intervalMeanMs: 16.7, intervalSdMs: 0.1, intervalMaxMs: 17, droppedFrames: 0, criticalFrame: 30, intervalsMs: [] as number[] };

/**
 * Copy rows made by today's code into a lab file kept at an older schema (an upgrade test's "old
 * lab"): only the columns that schema has, in id order. Today's services write today's columns,
 * so an old lab is filled this way rather than by running them on it.
 */
export function copyRowsInto(target: Db, source: Db, tables: readonly string[]): void {
  for (const table of tables) {
    const columns = (target.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    const rows = source.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY id`).all() as Record<string, unknown>[];
    const insert = target.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
    target.transaction(() => rows.forEach((r) => insert.run(r)))();
  }
}

/** `read` on another connection to the lab file (what a CLI process or the app wrote), closed after. */
export function readLab<T>(file: string, read: (db: Db) => T): T {
  const db = openDatabase(file);
  try {
    return read(db);
  } finally {
    db.close();
  }
}
