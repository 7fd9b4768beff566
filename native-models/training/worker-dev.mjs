// Development entry of the training worker: registers tsx, then runs the TypeScript worker.
// (The app bundles worker.ts to dist/main/training-worker.cjs instead.)
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
