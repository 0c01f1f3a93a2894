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
  for (const m of sorted) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      db.exec(m.up)
      record.run(m.version, m.name, Date.now())
    }).immediate()
  }
}
