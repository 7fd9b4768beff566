import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      // Unit and browser files run two at a time (vitest's default is one fewer than the cores: 1 on
      // the 2-core CI machine); the fault and e2e projects, one file at a time, run after them.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 60_000, maxWorkers: 2 } },
      // The fault campaign (kills, IPC fuzz, damaged inputs): one file at a time, it spawns its own children.
      { test: { name: 'faults', include: ['test/faults/**/*.test.ts'], environment: 'node', testTimeout: 180_000, hookTimeout: 120_000, fileParallelism: false } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000, maxWorkers: 2 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
