/**
 * Hostile and damaged files that size work or hide a failure (issue 21, items 5, 6, 10, 11):
 * each is refused through the CLI with one line naming the file and the reason, no stack trace,
 * and nothing is stored.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { predlab } from '../support/cli-child.js';
import { tempDir } from '../support/db.js';

/** One line on stderr (progress lines aside), no stack, exit 1. */
function refusedInOneLine(r: { code: number | null; stdout: string; stderr: string }, says: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n').filter((l) => !/^(imported|exported) \d+/.test(l)), r.stderr).toHaveLength(1);
  expect(r.stderr + r.stdout).not.toMatch(/^\s+at /m);
  expect(r.stderr).toMatch(says);
}

describe('an image folder with an unreadable image', () => {
  it('is refused, naming the image; nothing is stored (not a silently shorter recording)', () => {
    const dir = tempDir('predlab-bad-image-');
    const images = path.join(dir, 'images');
    fs.mkdirSync(images);
    for (const i of [1, 2, 3]) {
      const r = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=40x30', '-frames:v', '1', path.join(images, `${i}.png`)]);
      expect(r.status).toBe(0);
    }
    fs.writeFileSync(path.join(images, '2.png'), 'not a PNG at all');
    const lab = path.join(dir, 'lab.sqlite');
    const r = predlab(['--db', lab, 'dataset', 'import', images, '--dataset', 'im']);
    refusedInOneLine(r, /1 of 3 images could not be read: 2\.png\. .*Nothing was stored\./);
    const db = new Database(lab, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM recordings').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM datasets').get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT state FROM jobs").all()).toEqual([{ state: 'failed' }]);
    } finally {
      db.close();
    }
    expect(fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.u8'))).toEqual([]);
  });
});
