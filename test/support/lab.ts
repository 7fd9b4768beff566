/** A lab as a user makes it, for e2e tests: a tiny checkpoint made by the CLI in the app's data folder, then the app on it. */
import path from 'node:path';
import { openApp, type AppHarness } from './app.js';
import { predlab } from './cli-child.js';
import { CALIBRATION, tempDir } from './db.js';

/** The app registers its own default model when it starts; 'tiny-prednet' is the CLI's. */
export async function openLabWithCliModel(): Promise<AppHarness> {
  const dataDir = tempDir('predlab-lab-');
  const r = predlab(['model', 'init', '--height', '32', '--width', '40', '--seed', '3', '--out', path.join(dataDir, 'tiny-prednet'), '--json'], { PREDLAB_DATA_DIR: dataDir });
  if (r.code !== 0) throw new Error(`predlab model init failed (${r.code}): ${r.stderr}`);
  return openApp({ dataDir, calibration: CALIBRATION });
}
