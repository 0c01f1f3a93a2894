import { configDefaults, defineConfig } from 'vitest/config'
import { NOT_ON_POSTGRES } from './test/suite-split.js'
import { TEST_SECRET_KEY_HEX } from './test/secret-key.js'

const ALL = ['{agent,api,channels,checkout,config,core,dashboard,daemon,fixtures,ingest,ledger,modem,parsers,webhooks,test}/**/*.test.ts']

export default defineConfig({
  test: {
    // Real SQLite files, a real PostgreSQL server, real ports and pseudo-terminals: give slow shared
    // machines room, but never assert on timing.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Checks the machine first (socat, chromium, postgresql, …): installs what is missing as root with
    // apt-get, else stops with one message naming the command, instead of a wall of failing tests.
    // Then one real PostgreSQL server for the run (initdb in a temp folder); tests take a fresh
    // database each from test/helpers/postgres-database.ts.
    globalSetup: ['test/system-needs.ts', 'test/helpers/postgres-global-setup.ts'],
    // An error reaching a route without an HTTP status in core/error-codes.ts fails the test.
    setupFiles: ['test/helpers/unmapped-errors.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // `npm run coverage`: V8's own counters (no instrumenting build), of the code the test processes
    // run themselves; daemons the end-to-end tests spawn from dist/ are not counted.
    coverage: {
      provider: 'v8',
      include: ['{agent,api,channels,checkout,config,core,dashboard,daemon,ingest,ledger,modem,parsers,webhooks}/**/*.ts'],
      exclude: ['**/*.test.ts', '**/*.conformance.ts'],
      reporter: ['text-summary', 'json-summary']
    },
    // HARPOON_CHECK_NESTING: the engines refuse a nested transaction (ledger/engine.ts NestingGuard),
    // here and in every daemon a test starts.
    // The whole suite on SQLite, and every file that touches the ledger again on PostgreSQL
    // (test/helpers/ledger.ts reads HARPOON_TEST_ENGINE). `npx vitest run --project sqlite` runs one.
    projects: [
      { extends: true, test: { name: 'sqlite', include: ALL, env: { HARPOON_TEST_ENGINE: 'sqlite', HARPOON_SECRET_KEY: TEST_SECRET_KEY_HEX, HARPOON_CHECK_NESTING: '1' } } },
      { extends: true, test: { name: 'postgres', include: ALL, exclude: [...configDefaults.exclude, ...NOT_ON_POSTGRES], env: { HARPOON_TEST_ENGINE: 'postgres', HARPOON_SECRET_KEY: TEST_SECRET_KEY_HEX, HARPOON_CHECK_NESTING: '1' } } }
    ]
  }
})
