import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{agent,api,channels,config,core,dashboard,daemon,fixtures,ingest,ledger,modem,parsers,webhooks,test}/**/*.test.ts'],
    // Real SQLite files, real ports and pseudo-terminals: give slow shared machines room,
    // but never assert on timing.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Checks the machine first (socat, chromium, …): installs what is missing as root with apt-get,
    // else stops with one message naming the command, instead of a wall of failing tests.
    globalSetup: ['test/system-needs.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
