import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ENGINE_SPECIFIC_SUITES, PURE_SUITES, listed } from './suite-split.js'

const ROOT = join(import.meta.dirname, '..')
const FOLDERS = ['agent', 'api', 'channels', 'checkout', 'config', 'core', 'dashboard', 'daemon', 'fixtures', 'ingest', 'ledger', 'modem', 'parsers', 'webhooks', 'test']

function testFiles (): string[] {
  return FOLDERS.flatMap((folder) => readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(ROOT, join(ROOT, folder, f)).split('\\').join('/')))
}

// What a test calls to get a ledger, a daemon, or an API over one (test/helpers, test/support, test/webhooks).
const LEDGER_ENTRY_POINTS = /\b(openTestLedger|startTestApi|spawnDaemon|startKillable|testInbox|freshInbox|webhookHarness|testDatabase|openLedger|startDaemon|channelRigs)\b/

describe('the suites run twice, on SQLite and on PostgreSQL', () => {
  it('leaves out of the PostgreSQL run only files that never open a ledger, or choose their engine themselves', () => {
    const files = testFiles()
    expect(files.length).toBeGreaterThan(50)
    const pureButOpening = files.filter((f) => f !== 'test/suite-split.test.ts' && listed(f, PURE_SUITES) && LEDGER_ENTRY_POINTS.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(pureButOpening).toEqual([])
    // Every pattern still names something: a moved file must not leave a stale entry behind.
    for (const pattern of [...PURE_SUITES, ...ENGINE_SPECIFIC_SUITES]) {
      expect(files.some((f) => listed(f, [pattern])), pattern).toBe(true)
    }
  })
})
