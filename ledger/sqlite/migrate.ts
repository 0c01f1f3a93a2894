import type Database from 'better-sqlite3'
import { MIGRATIONS } from './migrations/index.js'
import { assertKnownVersions, type Migration } from '../migration.js'

/**
 * Brings a SQLite ledger's schema up to date: every migration not yet recorded in
 * `schema_migrations`, in version order, each in its own IMMEDIATE transaction with its record.
 * Numbers may have gaps (ledger/migration.ts). A database that holds a version this release does not
 * know, above its newest or in a gap, refuses to start (`database_too_new`):
 * running an older release on it could misread or damage what the newer one wrote.
 *
 * Synchronous, on the writer connection, before the engine serves anything.
 */
export function migrate (db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  assertKnownVersions(applied, sorted)
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const pending = sorted.filter((m) => !applied.has(m.version))
  if (pending.length === 0) return
  // The engine's writer keeps its statement and savepoint journals in memory (temp_store = MEMORY,
  // ledger/sqlite/engine.ts), right for its small transactions. A migration may rewrite a whole table
  // (an UPDATE of every payment journals every page it touches) or sort one into a new index: that
  // goes to temp files, as SQLite's default has it, and not into the daemon's memory.
  const inMemory = db.pragma('temp_store', { simple: true }) === 2
  if (inMemory) db.pragma('temp_store = FILE')
  try {
    for (const m of pending) {
      db.transaction(() => {
        db.exec(m.up)
        record.run(m.version, m.name, Date.now())
      }).immediate()
    }
  } finally {
    if (inMemory) db.pragma('temp_store = MEMORY')
  }
}
