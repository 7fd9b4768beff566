// Development entry of the service thread (the app bundles service-thread.ts as service-thread.cjs).
import { register } from 'tsx/esm/api';

register();
await import('./service-thread.ts');
