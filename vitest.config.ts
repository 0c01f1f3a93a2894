import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{api,channels,config,core,dashboard,daemon,fixtures,ingest,ledger,modem,parsers,webhooks,test}/**/*.test.ts'],
    // Real SQLite files, real ports and pseudo-terminals: give slow shared machines room,
    // but never assert on timing.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
