import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { HarpoonError } from '../../core/errors.js'
import { ensurePrivateFile } from '../../core/private-files.js'
import { CliError } from './cli-error.js'
import { printLine, type CommandIo } from './io.js'

export interface BackupSummary {
  path: string
  bytes: number
  schema_version: number
  integrity: string
  counts: Record<string, number>
  payments_by_status: Record<string, number>
}

/** The tables an operator recognises; enough to see at a glance that the copy holds the business. */
const COUNTED = ['merchants', 'api_keys', 'payments', 'credits', 'sms_messages', 'events', 'webhook_endpoints', 'webhook_deliveries'] as const

/**
 * `harpoon backup PATH` (SPEC §3): an online, consistent copy through SQLite's backup API while the
 * daemon keeps running and writing. A file copy of a live WAL database can tear (the main file and
 * the -wal disagree); the backup API copies one committed snapshot and restarts by itself if another
 * connection writes mid-copy.
 *
 * The copy goes to a temporary file beside PATH and is renamed into place only once complete and
 * checked, so PATH is never a half-written database (a full disk or a Ctrl-C leaves PATH as it was).
 */
export async function backupCommand (databasePath: string, target: string | undefined, args: { force: boolean, json: boolean }, io: CommandIo): Promise<number> {
  if (target === undefined || target === '') throw new CliError('usage: harpoon backup PATH [--force] [--json]')
  const source = resolve(databasePath)
  const dest = resolve(target)
  if (dest === source) throw new CliError('the backup path is the live database itself; choose another file')
  if (!existsSync(source)) throw new HarpoonError('backup_no_database', `no database at ${source} (check database.path in the config)`)
  if (existsSync(dest) && !args.force) throw new HarpoonError('backup_exists', `${dest} already exists; choose a new name or pass --force to replace it`)
  if (!existsSync(dirname(dest))) throw new HarpoonError('backup_no_directory', `directory ${dirname(dest)} does not exist`)

  // Read-only and without migrations: a backup must never change the database it copies, even when
  // this CLI is a newer release than the daemon that is running.
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
  if (args.json) {
    printLine(io.stdout, JSON.stringify(summary))
  } else {
    const statuses = Object.entries(summary.payments_by_status).map(([s, n]) => `${s} ${n}`).join(', ')
    printLine(io.stdout, [
      `Backed up ${source}`,
      `       to ${dest} (${formatBytes(summary.bytes)}, schema version ${summary.schema_version}, integrity ok)`,
      ...COUNTED.map((t) => `  ${t.padEnd(20)} ${summary.counts[t] ?? 0}`),
      `  payments by status   ${statuses === '' ? '(none)' : statuses}`,
      `Restore: stop the daemon, copy this file to database.path, start the daemon.`
    ].join('\n'))
  }
  return 0
}

function inspect (file: string, shownAs: string): BackupSummary {
  // Read-write on purpose: the copy carries the WAL flag, and only a writable connection removes
  // its -wal/-shm files on close, leaving one self-contained file to rename.
  const copy = new Database(file, { fileMustExist: true })
  try {
    const integrity = (copy.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check).join('; ')
    const counts: Record<string, number> = {}
    for (const t of COUNTED) counts[t] = copy.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number
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

function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}
