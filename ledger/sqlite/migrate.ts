import type Database from 'better-sqlite3'
import { HarpoonError } from '../../core/errors.js'
import { MIGRATIONS } from './migrations/index.js'
import type { Migration } from '../migration.js'

/**
 * Brings a SQLite ledger's schema up to date: every migration not yet recorded in
 * `schema_migrations`, in version order, each in its own IMMEDIATE transaction with its record.
 * A database that holds a version this release does not know refuses to start (`database_too_new`):
 * running an older release on it could misread or damage what the newer one wrote.
 *
 * Synchronous, on the writer connection, before the engine serves anything.
 */
export function migrate (db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
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
