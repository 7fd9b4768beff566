// Development entry of the replicate worker (the app bundles replicate-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./replicate-worker.ts');
