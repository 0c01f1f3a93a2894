import { join } from 'node:path'
import type { Executor } from '../../ledger/engine.js'
import type { Ledger } from '../../ledger/ledger.js'
import { openLedger, type DatabaseSettings } from '../../ledger/open.js'
import { testExecutor } from '../../ledger/testing.js'
import { tempDir } from './temp-dir.js'

/**
 * The one place tests get a ledger (and the database settings a spawned daemon's config uses), so
 * the whole suite can run on another engine by changing this file.
 */
export function testDatabase (dir: string): DatabaseSettings {
  return { path: join(dir, 'harpoon.db') }
}

export interface TestLedger {
  readonly ledger: Ledger
  /** Raw statements for assertions on rows (ledger/testing.ts). */
  readonly rows: Executor
  readonly database: DatabaseSettings
  readonly dir: string
  /** A restart: closes this ledger and opens the same database again. */
  reopen: () => Promise<TestLedger>
  /** Closes the ledger (a second call does nothing). */
  close: () => Promise<void>
  /** Closes the ledger and removes its directory, unless the caller gave the directory. */
  cleanup: () => Promise<void>
}

export interface TestLedgerOptions {
  now?: () => number
  /** Use this directory (kept at cleanup); default: a fresh temporary one. */
  dir?: string
}

/** A migrated ledger on a fresh database. */
export async function openTestLedger (options: TestLedgerOptions = {}): Promise<TestLedger> {
  const temp = options.dir === undefined ? tempDir('harpoon-ledger-') : null
  const dir = options.dir ?? (temp as { path: string }).path
  const database = testDatabase(dir)
  const open = async (): Promise<TestLedger> => {
    const ledger = await openLedger(database, { now: options.now })
    let closed = false
    const close = async (): Promise<void> => {
      if (closed) return
      closed = true
      await ledger.close()
    }
    return {
      ledger,
      rows: testExecutor(ledger),
      database,
      dir,
      reopen: async () => { await close(); return await open() },
      close,
      cleanup: async () => { await close(); temp?.cleanup() }
    }
  }
  return await open()
}
