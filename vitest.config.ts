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
    // Bounds on a hung test, never what a test checks. Several tests start registries or CLI processes and
    // took 12-16 s of the old 20 s on this 2-core machine with the whole suite running beside them.
    testTimeout: 45_000,
    hookTimeout: 60_000,
  },
});
