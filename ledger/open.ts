import { HarpoonError } from '../core/errors.js'
import type { Engine } from './engine.js'
import { adoptLedgerSecretKey, createLedger, type Ledger, type LedgerOptions } from './ledger.js'
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
  /** PostgreSQL: told when a pooled or listening connection dies (the database restarted); it heals by itself. */
  onConnectionError?: (err: Error) => void
  /** PostgreSQL: connections in this node's pool (default 10). */
  poolSize?: number
}

/** Opens the engine the settings name and brings its schema up to date (migrations run here, at start). */
export async function openEngine (settings: DatabaseSettings, options: Omit<OpenOptions, 'secretKey'> = {}): Promise<Engine> {
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
    case 'postgres': {
      // Loaded only here: a SQLite daemon (and every CLI command on one) never loads the pg client.
      const { openPostgresEngine } = await import('./postgres/engine.js')
      const { migratePostgres } = await import('./postgres/migrate.js')
      const engine = await openPostgresEngine(settings.url as string, {
        ...(options.onAfterCommitError === undefined ? {} : { onAfterCommitError: options.onAfterCommitError }),
        ...(options.onConnectionError === undefined ? {} : { onConnectionError: options.onConnectionError }),
        ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize })
      })
      try {
        // Under an advisory lock: nodes starting together on one database migrate it once.
        await migratePostgres(engine)
      } catch (err) {
        await engine.close()
        throw err
      }
      return engine
    }
  }
}

/** The ledger over the database the settings name, migrated and ready. */
export async function openLedger (settings: DatabaseSettings, options: OpenOptions): Promise<Ledger> {
  const ledger = createLedger(await openEngine(settings, options), options)
  try {
    await adoptLedgerSecretKey(ledger)
  } catch (err) {
    await ledger.close()
    throw err
  }
  return ledger
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
