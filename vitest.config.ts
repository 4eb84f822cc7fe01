import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Plugins (the example, the test fixtures) and the kit import the SDK by its package name: in the
  // checkout that is the source, not the built `packages/*/dist`, so one copy of it runs in the tests.
  resolve: {
    alias: {
      '@trackbridge/sdk': fileURLToPath(new URL('./sdk/index.ts', import.meta.url)),
      '@trackbridge/testing': fileURLToPath(new URL('./testing/index.ts', import.meta.url)),
      'trackbridge/sdk': fileURLToPath(new URL('./sdk/index.ts', import.meta.url)),
      'trackbridge/testing': fileURLToPath(new URL('./testing/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/test/**/*.test.ts', 'packages/connector-*/test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/leaks.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    pool: 'forks',
    // Two cores in CI: one file at a time per core keeps Redmine and Temporal from starving.
    maxWorkers: 2,
    // CI reads the JSON report to print its "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/results/vitest.json' }]] : ['default'],
  },
});
