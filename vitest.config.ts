import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    // One test file per core, not vitest's default of one fewer: most files wait on registries, servers
    // and child processes rather than compute, and on the 2-core CI machine the default ran one file at a
    // time (the whole suite took 701 s with one worker, 372 s with two).
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
