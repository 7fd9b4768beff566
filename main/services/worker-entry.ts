/**
 * Where a worker's code is: its TypeScript source (through a tiny tsx bootstrap) when running
 * from the sources (CLI, tests), or the file esbuild bundled beside main.cjs in the app.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = (here: string) => path.resolve(path.dirname(here), '../..');

export function workerEntry(devBootstrap: string, bundled: string): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.join(root(here), devBootstrap);
  return path.join(path.dirname(here), bundled);
}
