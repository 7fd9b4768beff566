// Development entry of the model-session worker (the app bundles model-session-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./model-session-worker.ts');
