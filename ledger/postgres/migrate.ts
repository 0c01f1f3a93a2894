import { HarpoonError } from '../../core/errors.js'
import { assertKnownVersions, type Migration } from '../migration.js'
import type { PostgresEngine } from './engine.js'
import { POSTGRES_MIGRATIONS } from './migrations/index.js'

/**
 * The advisory lock every node takes before it looks at the schema: two daemons starting together
 * on one database queue up here, and the second finds the work done. Any fixed number would do;
 * this one spells "HPNM". A session lock, so a node that dies mid-way releases it with its connection.
 */
const MIGRATION_LOCK = 0x48504e4d

/**
 * Brings the database's schema up to date: each missing step in version order (gaps in the numbers
 * are fine, ledger/migration.ts), each in its own transaction (PostgreSQL DDL is transactional, so a
 * failed step leaves nothing half-made). Refuses a database that holds a step this release does not
 * know, above its newest or in a gap (`database_too_new`). Returns the versions it applied.
 */
export async function migratePostgres (engine: PostgresEngine, migrations: readonly Migration[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  return await engine.session(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)')
      const rows = (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows
      const applied = new Set(rows.map((r) => r.version))
      assertKnownVersions(applied, sorted)
      const done: number[] = []
      for (const m of sorted) {
        if (applied.has(m.version)) continue
        await client.query('BEGIN')
        try {
          await client.query(m.up) // several statements: the simple protocol runs them in order
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()])
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {})
          throw new HarpoonError('migration_failed', `PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, [], { cause: err })
        }
        done.push(m.version)
      }
      return done
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    }
  })
}
