// Bundles the Electron main process and the preload with esbuild (the renderer is built by vite).
// The preload must be one CommonJS file: a sandboxed preload cannot require our modules.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', external: ['electron', 'better-sqlite3'] };

await Promise.all([
  build({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/main/main.cjs', format: 'cjs' }),
  build({ ...common, entryPoints: ['preload/preload.ts'], outfile: 'dist/preload/preload.cjs', format: 'cjs' }),
]);
console.log('built dist/main/main.cjs and dist/preload/preload.cjs');
