// The online study's bundle: index.html and one script (study.js) with jsPsych, its plugins, the
// paradigms and the presenter inside; CSS goes in the script. The export fills in the study.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../../../dist/online', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    assetsInlineLimit: 100_000_000,
    modulePreload: false,
    rollupOptions: { output: { entryFileNames: 'study.js', codeSplitting: false } },
  },
});
