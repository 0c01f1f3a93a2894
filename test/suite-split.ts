/**
 * Which test files `npm test` runs a second time on PostgreSQL (vitest.config.ts, project
 * `postgres`): every file except those listed here. Patterns are a file, or a folder followed by `/**`.
 */

/** Files that never reach a ledger: pure parsers, codecs, clients, simulators, the machine check. */
export const PURE_SUITES = [
  'parsers/**', 'core/**', 'config/**', 'channels/ipay/**', 'channels/mtn-momo/**', 'agent/central-url.test.ts', 'agent/protocol.test.ts',
  'modem/at/**', 'modem/pdu/**', 'modem/virtual/binding.test.ts', 'modem/probe.test.ts',
  'webhooks/signer.test.ts', 'webhooks/ssrf.test.ts', 'webhooks/http-sender.test.ts',
  'daemon/readme.test.ts', 'daemon/commands/ipay-sim.test.ts', 'daemon/commands/mtn-sim.test.ts',
  'ledger/hpn-code.test.ts', 'fixtures/postgres-server.test.ts', 'test/system-needs.test.ts', 'test/suite-split.test.ts'
]

/**
 * Files that choose their engine themselves (each engine's own suite, the engine choice, a daemon on
 * a PostgreSQL server of its own that the test stops) or test a SQLite-only feature (backup, file
 * modes, ledger copy from SQLite, an agent's own store): once is enough.
 */
export const ENGINE_SPECIFIC_SUITES = [
  'ledger/open.test.ts', 'ledger/sqlite/**', 'ledger/postgres/**', 'ledger/agent/**', 'test/e2e/database-outage.test.ts',
  'test/e2e/backup.test.ts', 'test/e2e/file-permissions.test.ts', 'test/e2e/ledger-copy.test.ts'
]

export const NOT_ON_POSTGRES = [...PURE_SUITES, ...ENGINE_SPECIFIC_SUITES]

/** True when `file` (relative, with forward slashes) matches one of the patterns above. */
export function listed (file: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p.endsWith('/**') ? file.startsWith(p.slice(0, -2)) : file === p)
}
