import { join } from 'node:path'
import type { Executor } from '../../ledger/engine.js'
import type { Ledger } from '../../ledger/ledger.js'
import { testSecretKey } from '../secret-key.js'
import { engineKind, openLedger, type DatabaseSettings, type EngineKind } from '../../ledger/open.js'
import { testExecutor } from '../../ledger/testing.js'
import { createTestDatabase } from './postgres-database.js'
import { tempDir } from './temp-dir.js'

/**
 * The engine this test run's ledgers use: `HARPOON_TEST_ENGINE=postgres` (the `postgres` project of
 * vitest.config.ts sets it) or SQLite. Tests that must behave differently per engine ask here.
 */
export function testEngine (): EngineKind {
  const chosen = process.env['HARPOON_TEST_ENGINE']
  if (chosen === undefined || chosen === '' || chosen === 'sqlite') return 'sqlite'
  if (chosen === 'postgres') return 'postgres'
  throw new Error(`HARPOON_TEST_ENGINE=${chosen}: expected sqlite or postgres`)
}

// One database per test directory: a daemon restarted on the same directory finds its ledger again.
const databases = new Map<string, Promise<DatabaseSettings>>()

/**
 * The one place tests get the database settings of a ledger (and of a spawned daemon's config), so
 * the whole suite runs on either engine: the SQLite file `harpoon.db` in `dir`, or, on PostgreSQL, a
 * fresh database on the run's server (test/helpers/postgres-database.ts), the same one for every call
 * with the same `dir`, dropped when the test that created it ends.
 */
export async function testDatabase (dir: string, engine: EngineKind = testEngine()): Promise<DatabaseSettings> {
  const path = join(dir, 'harpoon.db')
  if (engine === 'sqlite') return { path }
  const key = `${engine}:${dir}`
  let settings = databases.get(key)
  if (settings === undefined) {
    settings = createTestDatabase({ onDrop: () => { databases.delete(key) } }).then((db) => ({ path, url: db.url }))
    databases.set(key, settings)
    settings.catch(() => { databases.delete(key) })
  }
  return await settings
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
  /** Draws each new payment's HPN code (ledger/ledger.ts LedgerOptions); default: at random. */
  drawCode?: () => string
}

/** A migrated ledger on a fresh database of the run's engine. */
export async function openTestLedger (options: TestLedgerOptions = {}): Promise<TestLedger> {
  const temp = options.dir === undefined ? tempDir('harpoon-ledger-') : null
  const dir = options.dir ?? (temp as { path: string }).path
  const database = await testDatabase(dir)
  const open = async (): Promise<TestLedger> => {
    // A small pool: a test ledger serves one test, and a run holds many at once on one server.
    const ledger = await openLedger(database, { secretKey: testSecretKey(), now: options.now, drawCode: options.drawCode, ...(engineKind(database) === 'postgres' ? { poolSize: 5 } : {}) })
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
