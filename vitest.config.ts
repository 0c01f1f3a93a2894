import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{api,config,core,dashboard,daemon,fixtures,ingest,ledger,modem,parsers,webhooks,test}/**/*.test.ts'],
    // Real SQLite files, real ports and pseudo-terminals: give slow shared machines room,
    // but never assert on timing.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One real PostgreSQL server for the run (initdb in a temp folder); tests take a fresh
    // database each from test/helpers/postgres-database.ts.
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
