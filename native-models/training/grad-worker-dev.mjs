// Development entry of a gradient thread: registers tsx, then runs the TypeScript worker.
// (The app bundles grad-worker.ts to dist/main/grad-worker.cjs instead.)
import { register } from 'tsx/esm/api';

register();
await import('./grad-worker.ts');
