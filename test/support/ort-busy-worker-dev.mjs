// Development entry of test/support/ort-busy-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./ort-busy-worker.ts');
