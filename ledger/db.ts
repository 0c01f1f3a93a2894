import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { HarpoonError } from '../core/errors.js'
import { migrate } from './sqlite/migrate.js'
import { MIGRATIONS } from './sqlite/migrations/index.js'
import type { Migration } from './sqlite/migrations/migration.js'

export type Db = Database.Database

/**
 * Opens the ledger database on disk and brings its schema up to date.
 *
 * WAL lets the API read while a writer commits; `synchronous = FULL` makes every commit durable on
 * power loss (WAL's default NORMAL can lose the last transactions, and here a transaction is an
 * SMS that was already deleted from the SIM, or a payment a merchant was told about).
 */
export function openDatabase (path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  let db: Db
  try {
    db = new Database(path)
  } catch (err) {
    throw new HarpoonError('database_open_failed', `cannot open database at ${path}: ${(err as Error).message}`, [], { cause: err })
  }
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db, migrations)
  return db
}
