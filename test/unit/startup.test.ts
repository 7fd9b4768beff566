/**
 * Start-up failures (issue 8, defect 6): the real bootstrap on a damaged lab, and what the app
 * then does (main/startup.ts): a message naming the problem and the way out, the
 * single-instance lock released, exit status 1. Only the dialog itself is Electron's.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServices } from '../../main/bootstrap.js';
import { APPLICATION_ID } from '../../main/store/migrations.js';
import { startOrExplain } from '../../main/startup.js';
import { tempDir } from '../support/db.js';

const root = path.resolve(import.meta.dirname, '../..');

async function startApp(dataDir: string, appRoot = root) {
  const shown: { title: string; detail: string }[] = [];
  const events: string[] = [];
  const ui = {
    showError: (title: string, detail: string) => void shown.push({ title, detail }),
    releaseSingleInstanceLock: () => void events.push('release'),
    exit: (code: number) => void events.push(`exit ${code}`),
  };
  const services = await startOrExplain(() => startServices({ dataDir, appRoot, chooseExportDir: async () => null }), ui, dataDir);
  await services?.close();
  return { services, shown, events };
}

describe('when the app cannot start', () => {
  it('a file that is not a database: says so and how to recover, releases the lock, exits 1', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'predlab.sqlite'), 'this is not a database, just text that is long enough');
    const before = fs.readFileSync(path.join(dir, 'predlab.sqlite'));
    const r = await startApp(dir);
    expect(r.services).toBeNull();
    expect(r.shown).toHaveLength(1);
    expect(r.shown[0]!.detail).toMatch(/is not a SQLite database/);
    expect(r.shown[0]!.detail).toContain(path.join(dir, 'backups'));
    expect(r.shown[0]!.detail).toMatch(/PREDLAB_DATA_DIR/);
    expect(r.events).toEqual(['release', 'exit 1']);
    expect(fs.readFileSync(path.join(dir, 'predlab.sqlite'))).toEqual(before);
  });

  it('a database from a newer PredLab: asks to update', async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, 'predlab.sqlite'));
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma('user_version = 999');
    db.close();
    const r = await startApp(dir);
    expect(r.shown[0]!.detail).toMatch(/newer PredLab .*Update PredLab/s);
    expect(r.events).toEqual(['release', 'exit 1']);
  });

  it('a damaged default model: names it', async () => {
    const appRoot = tempDir();
    const model = path.join(appRoot, 'native-models', 'default-model');
    fs.mkdirSync(model, { recursive: true });
    fs.writeFileSync(path.join(model, 'predlab-checkpoint.json'), '{"format": "predlab-checkpoint", "trunc');
    const r = await startApp(tempDir(), appRoot);
    expect(r.shown[0]!.detail).toContain('predlab-checkpoint.json');
    expect(r.events).toEqual(['release', 'exit 1']);
  });

  it('a healthy lab starts, with nothing shown', async () => {
    const r = await startApp(tempDir());
    expect(r.services).not.toBeNull();
    expect(r.shown).toEqual([]);
    expect(r.events).toEqual([]);
  });
});
