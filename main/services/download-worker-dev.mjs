// Development entry of the download worker (the app bundles download-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./download-worker.ts');
