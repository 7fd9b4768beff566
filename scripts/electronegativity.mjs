// Electronegativity (Doyensec's Electron security linter) over the Electron entry and the
// preload. Fails on any finding that is not in ACCEPTED (each reviewed, see README "Security").
// The package's own CLI breaks on the project's commander version, so its runner is called here.
import run from '@doyensec/electronegativity';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
/** Reviewed and accepted: check id -> why, or -> { why, only(issue) } to accept just one form of it. */
const ACCEPTED = {
  // Flags any preload script. Ours (preload/preload.ts) exposes only the contract's channels
  // through contextBridge, each to ipcRenderer.invoke, with contextIsolation and sandbox on.
  PRELOAD_JS_CHECK: 'reviewed: the preload exposes only the typed contract channels (README, Security)',
  // The page's CSP is found (renderer/index.html); Google's CSP evaluator then rates
  // script-src 'self' "maybe weak" (FIRM) in case the origin hosts JSONP, Angular or user uploads.
  // app://predlab serves only the built renderer. No CSP (MEDIUM) or a weak one (CERTAIN) still fails.
  CSP_GLOBAL_CHECK: {
    why: "reviewed: script-src 'self' on app://, which serves only the built renderer",
    only: (i) => i.file === 'renderer/index.html' && i.severity.name === 'LOW' && i.confidence.name === 'FIRM',
  },
};

// One input folder, so the global checks (navigation limits, permission handler, CSP) see the
// whole app: the Electron entry, its security policy, the bootstrap, the preload and the page
// (whose meta CSP equals the header's, test/unit/ipc.test.ts).
const files = ['main/electron/main.ts', 'main/electron/security.ts', 'main/bootstrap.ts', 'preload/preload.ts', 'preload/api.ts', 'renderer/index.html'];
const input = fs.mkdtempSync(path.join(os.tmpdir(), 'predlab-electronegativity-'));
for (const f of files) {
  fs.mkdirSync(path.join(input, path.dirname(f)), { recursive: true });
  fs.copyFileSync(f, path.join(input, f));
}

let failed = 0;
const r = await run({ input, electronVersionOverride: electronVersion, isRelative: true });
fs.rmSync(input, { recursive: true, force: true });
for (const e of r.errors) {
  console.log(`  could not parse ${e.file}: ${e.message ?? e.error}`);
  failed++;
}
for (const i of r.issues) {
  const rule = ACCEPTED[i.id];
  const accepted = typeof rule === 'string' ? rule : rule && rule.only(i) ? rule.why : undefined;
  if (!accepted) failed++;
  console.log(`  ${accepted ? 'accepted' : 'FINDING '} ${i.id} (${i.severity.name}, ${i.confidence.name}) ${i.file}:${i.location.line}${accepted ? ` - ${accepted}` : `\n           ${i.description}`}`);
}
const high = r.issues.filter((i) => i.severity.name === 'HIGH').length;
console.log(`electronegativity (Electron ${electronVersion}): ${r.issues.length} finding(s) in ${files.length} files, ${high} high, ${failed} not accepted`);
process.exit(failed ? 1 : 0);
