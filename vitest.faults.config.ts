import { defineConfig } from 'vitest/config'

/**
 * `npm run test:faults`: kill -9, fuzzing and misbehaving modems against the built daemon. Separate
 * from `npm test` because it is long; it asserts on outcomes only, never on timing.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    // The run's PostgreSQL server, for suites that run on both engines (test/helpers/postgres-database.ts).
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } }
  }
})
