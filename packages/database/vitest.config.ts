import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Rebuilds dist/ when stale, once, before any file runs (the shadow worker and the CLI run dist/).
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file makes its own PostgreSQL database and LibSQL file; two at a time fits 2 cores.
    maxWorkers: 2,
  },
});
