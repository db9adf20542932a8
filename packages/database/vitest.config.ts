import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file makes its own PostgreSQL database and LibSQL file; two at a time fits 2 cores.
    maxWorkers: 2,
  },
});
