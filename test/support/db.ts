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
