import { HarpoonError } from '../core/errors.js'
import type { Engine } from './engine.js'
import { createLedger, type Ledger, type LedgerOptions } from './ledger.js'
import { backupSqlite, type BackupSummary } from './sqlite/backup.js'
import { SqliteEngine } from './sqlite/engine.js'
import { migrate } from './sqlite/migrate.js'

export type { BackupSummary } from './sqlite/backup.js'

/** Where the ledger lives: `config.database`. A `url` chooses PostgreSQL; without one, the SQLite file at `path`. */
export interface DatabaseSettings {
  readonly path: string
  readonly url?: string | null | undefined
}

export type EngineKind = 'sqlite' | 'postgres'

/** For logs: the SQLite path, or the PostgreSQL URL without its password. */
export function describeDatabase (settings: DatabaseSettings): string {
  if (engineKind(settings) === 'sqlite') return settings.path
  try {
    const url = new URL(settings.url as string)
    if (url.password !== '') url.password = '***'
    return url.toString()
  } catch {
    return 'postgres (unreadable url)'
  }
}

export function engineKind (settings: DatabaseSettings): EngineKind {
  return settings.url === undefined || settings.url === null || settings.url === '' ? 'sqlite' : 'postgres'
}

export interface OpenOptions extends LedgerOptions {
  /** Told about an `afterCommit` callback that threw (its transaction had committed). */
  onAfterCommitError?: (err: unknown) => void
}

/** Opens the engine the settings name and brings its schema up to date (migrations run here, at start). */
export async function openEngine (settings: DatabaseSettings, options: OpenOptions = {}): Promise<Engine> {
  const kind = engineKind(settings)
  switch (kind) {
    case 'sqlite': {
      const engine = new SqliteEngine(settings.path, options.onAfterCommitError === undefined ? {} : { onAfterCommitError: options.onAfterCommitError })
      try {
        migrate(engine.connection)
      } catch (err) {
        await engine.close()
        throw err
      }
      return engine
    }
    case 'postgres':
      // The seam of the PostgreSQL engine: `openPostgresEngine(url)` from ./postgres/engine.ts, then
      // its migrator, the same way as above.
      throw new HarpoonError('database_engine_unavailable', 'database.url names a PostgreSQL database, but this build has no PostgreSQL engine yet; remove database.url (and HARPOON_DATABASE_URL) to use the SQLite file at database.path')
  }
}

/** The ledger over the database the settings name, migrated and ready. */
export async function openLedger (settings: DatabaseSettings, options: OpenOptions = {}): Promise<Ledger> {
  return createLedger(await openEngine(settings, options), options)
}

/**
 * `harpoon backup`: a consistent online copy of the ledger. SQLite copies its file through the
 * backup API (ledger/sqlite/backup.ts); a PostgreSQL ledger is backed up with the database's own
 * tools.
 */
export async function backupLedger (settings: DatabaseSettings, target: string, options: { force: boolean }): Promise<BackupSummary> {
  switch (engineKind(settings)) {
    case 'sqlite':
      return await backupSqlite(settings.path, target, options)
    case 'postgres':
      throw new HarpoonError('backup_use_pg_dump', 'the ledger is in PostgreSQL (database.url): back it up with pg_dump (e.g. pg_dump --format=custom), or your provider\'s snapshots; harpoon backup copies SQLite ledgers only')
  }
}
