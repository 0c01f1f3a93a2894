import { defineConfig } from 'vitest/config'
import { TEST_SECRET_KEY_HEX } from './test/secret-key.js'

/**
 * `npm run test:faults`: kill -9, fuzzing and misbehaving modems against the built daemon. Separate
 * from `npm test` because it is long; it asserts on outcomes only, never on timing.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    // The daemons a fault test spawns and the test reading their ledger seal secrets with one key; the
    // engines refuse a nested transaction here and in every daemon a test starts (NestingGuard).
    env: { HARPOON_SECRET_KEY: TEST_SECRET_KEY_HEX, HARPOON_CHECK_NESTING: '1' },
    testTimeout: 300_000,
    hookTimeout: 60_000,
    // Checks the machine first (socat, chromium, postgresql, …): installs what is missing as root with
    // apt-get, else stops with one message naming the command, instead of a wall of failing tests.
    // Then the run's PostgreSQL server (test/helpers/postgres-database.ts).
    globalSetup: ['test/system-needs.ts', 'test/helpers/postgres-global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } }
  }
})
