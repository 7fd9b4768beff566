// Bundles the Electron main process, the preload and the training worker with esbuild (the
// renderer is built by vite). The preload must be one CommonJS file: a sandboxed preload cannot
// require our modules. Native and WebAssembly packages stay in node_modules (they load files
// next to themselves).
import { build } from 'esbuild';

const external = ['electron', 'better-sqlite3', '@tensorflow/*', 'h5wasm', 'h5wasm/*', 'onnxruntime-node', '@resvg/*', 'webgpu'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external,
  // vega-canvas's Node build awaits an optional 'canvas' package at top level, which CommonJS
  // cannot hold; the battery plots render SVG without a canvas, so its canvas-less build serves.
  alias: { 'vega-canvas': './node_modules/vega-canvas/build/vega-canvas.browser.js' },
  format: 'cjs',
  // import.meta.url in CommonJS output (used to find the worker beside the bundle).
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: "const __import_meta_url = require('url').pathToFileURL(__filename).href;" },
};

await Promise.all([
  build({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/main/main.cjs' }),
  build({ ...common, entryPoints: ['native-models/training/worker.ts'], outfile: 'dist/main/training-worker.cjs' }),
  build({ ...common, entryPoints: ['native-models/training/grad-worker.ts'], outfile: 'dist/main/grad-worker.cjs' }),
  build({ ...common, entryPoints: ['main/services/model-session-worker.ts'], outfile: 'dist/main/model-session-worker.cjs' }),
  build({ ...common, entryPoints: ['main/services/replicate-worker.ts'], outfile: 'dist/main/replicate-worker.cjs' }),
  build({ ...common, entryPoints: ['main/service-thread.ts'], outfile: 'dist/main/service-thread.cjs' }),
  build({ ...common, entryPoints: ['main/services/download-worker.ts'], outfile: 'dist/main/download-worker.cjs' }),
  build({ ...common, entryPoints: ['main/integrity-worker.ts'], outfile: 'dist/main/integrity-worker.cjs' }),
  build({ ...common, external: ['electron'], entryPoints: ['preload/preload.ts'], outfile: 'dist/preload/preload.cjs' }),
]);
console.log('built dist/main (main, service thread, training and model-session workers) and dist/preload');
