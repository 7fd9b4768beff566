#!/usr/bin/env node
// The predlab CLI runs the TypeScript sources through tsx, so it needs no build step.
// It uses node_modules' better-sqlite3, built for this Node (see README: "One install, two ABIs").
import { register } from 'tsx/esm/api';

register();
await import('../main/cli/index.ts');
