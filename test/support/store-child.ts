/**
 * Opens a lab database in a child process (run as another user by test/unit/store.test.ts, so
 * file permissions apply even when the tests run as root) and prints what happened as JSON.
 * Usage: node --import tsx test/support/store-child.ts read|write <file>
 */
import { openDatabase } from '../../main/store/db.js';

const [mode, file] = process.argv.slice(2) as ['read' | 'write', string];
try {
  const db = openDatabase(file, { readonly: mode === 'read' });
  const trials = (db.prepare('SELECT count(*) AS n FROM trials').get() as { n: number }).n;
  if (mode === 'write') db.prepare("INSERT INTO participants (kind, label) VALUES ('human', 'child')").run();
  db.close();
  console.log(JSON.stringify({ ok: true, trials }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: (e as Error).name, message: (e as Error).message }));
}
