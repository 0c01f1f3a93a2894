import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { HarpoonError } from '../core/errors.js'
import { ensurePrivateDir, ensurePrivateFile, restrictFile } from '../core/private-files.js'
import { MIGRATIONS } from './migrations/index.js'
import type { Migration } from './migrations/migration.js'

export type Db = Database.Database

/**
 * Opens the ledger database on disk and brings its schema up to date.
 *
 * WAL lets the API read while a writer commits; `synchronous = FULL` makes every commit durable on
 * power loss (WAL's default NORMAL can lose the last transactions, and here a transaction is an
 * SMS that was already deleted from the SIM, or a payment a merchant was told about).
 */
export function openDatabase (path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  let db: Db
  try {
    if (path !== ':memory:') {
      // Owner-only whatever the umask (core/private-files.ts), before SQLite creates anything.
      ensurePrivateDir(dirname(path))
      ensurePrivateFile(path)
      restrictFile(`${path}-wal`)
      restrictFile(`${path}-shm`)
    }
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

export function migrate (db: Db, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  const newest = sorted.at(-1)?.version ?? 0
  const unknown = [...applied].filter((v) => v > newest)
  if (unknown.length > 0) {
    throw new HarpoonError('database_too_new', `database schema version ${Math.max(...unknown)} is newer than this release knows (${newest}); run the newer release or restore a backup`)
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  for (const m of sorted) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      db.exec(m.up)
      record.run(m.version, m.name, Date.now())
    }).immediate()
  }
}
