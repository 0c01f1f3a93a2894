import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { HarpoonError } from '../../core/errors.js'
import { ensurePrivateFile } from '../../core/private-files.js'

export interface BackupSummary {
  path: string
  bytes: number
  schema_version: number
  integrity: string
  counts: Record<string, number>
  payments_by_status: Record<string, number>
}

/** The tables an operator recognises; enough to see at a glance that the copy holds the business. */
export const COUNTED_TABLES = ['merchants', 'api_keys', 'payments', 'credits', 'sms_messages', 'events', 'webhook_endpoints', 'webhook_deliveries'] as const

/**
 * An online, consistent copy of a SQLite ledger through SQLite's backup API while the daemon keeps
 * running and writing. A file copy of a live WAL database can tear (the main file and the -wal
 * disagree); the backup API copies one committed snapshot and restarts by itself if another
 * connection writes mid-copy.
 *
 * The copy goes to a temporary file beside `target` and is renamed into place only once complete
 * and checked, so `target` is never a half-written database (a full disk or a Ctrl-C leaves it as
 * it was). The source is opened read-only and never migrated: a backup must not change the
 * database it copies, even when this CLI is a newer release than the daemon that is running.
 */
export async function backupSqlite (databasePath: string, target: string, options: { force: boolean }): Promise<BackupSummary> {
  const source = resolve(databasePath)
  const dest = resolve(target)
  if (!existsSync(source)) throw new HarpoonError('backup_no_database', `no database at ${source} (check database.path in the config)`)
  if (existsSync(dest) && !options.force) throw new HarpoonError('backup_exists', `${dest} already exists; choose a new name or pass --force to replace it`)
  if (!existsSync(dirname(dest))) throw new HarpoonError('backup_no_directory', `directory ${dirname(dest)} does not exist`)

  const db = new Database(source, { readonly: true, fileMustExist: true })
  const partial = join(dirname(dest), `.${basename(dest)}.partial-${process.pid}`)
  let summary: BackupSummary
  try {
    db.pragma('busy_timeout = 5000')
    // Owner-only before a byte is copied (it holds secrets and phone numbers); the rename keeps the mode.
    ensurePrivateFile(partial)
    // After the first step, copy everything that is left in one step: a step is one read
    // transaction (WAL readers do not block the daemon's writers), so a busy daemon cannot keep
    // restarting a page-by-page copy forever.
    await db.backup(partial, { progress: () => 1_000_000 })
    summary = inspect(partial, dest)
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  } finally {
    db.close()
  }
  if (summary.integrity !== 'ok') {
    rmSync(partial, { force: true })
    throw new HarpoonError('backup_corrupt', `the copy failed its integrity check (${summary.integrity}); the database at ${source} needs attention`)
  }
  renameSync(partial, dest)
  return summary
}

function inspect (file: string, shownAs: string): BackupSummary {
  // Read-write on purpose: the copy carries the WAL flag, and only a writable connection removes
  // its -wal/-shm files on close, leaving one self-contained file to rename.
  const copy = new Database(file, { fileMustExist: true })
  try {
    const integrity = (copy.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check).join('; ')
    const counts: Record<string, number> = {}
    for (const t of COUNTED_TABLES) counts[t] = copy.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number
    const byStatus = copy.prepare('SELECT status, count(*) AS n FROM payments GROUP BY status ORDER BY status').all() as Array<{ status: string, n: number }>
    const version = copy.prepare('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck().get() as number
    return {
      path: shownAs,
      bytes: statSync(file).size,
      schema_version: version,
      integrity,
      counts,
      payments_by_status: Object.fromEntries(byStatus.map((r) => [r.status, r.n]))
    }
  } finally {
    copy.close()
  }
}
