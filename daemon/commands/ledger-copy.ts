import { resolve } from 'node:path'
import { copyLedger } from '../../ledger/copy.js'
import { describeUrl } from '../../ledger/postgres/engine.js'
import { CliError } from './cli-error.js'
import { printLine, table, type CommandIo } from './io.js'

export const LEDGER_USAGE = 'usage: harpoon ledger copy --to postgres://user:password@host:port/database [--from PATH] [--json]'

/**
 * `harpoon ledger copy --to postgres://…`: moves a stopped daemon's SQLite ledger (database.path, or
 * --from PATH, e.g. a file made by `harpoon backup`) into an empty PostgreSQL database and prints,
 * per table, the row counts and checksums of both sides. Exit 0 only when every table matches (and
 * the copy was committed); 1 on any mismatch (nothing committed) or error.
 */
export async function ledgerCopyCommand (databasePath: string, action: string | undefined, args: { to?: string, from?: string, json: boolean }, io: CommandIo): Promise<number> {
  if (action !== 'copy') throw new CliError(LEDGER_USAGE)
  if (args.to === undefined || args.to === '') throw new CliError(`--to is required\n${LEDGER_USAGE}`)
  const target = describeUrl(args.to)
  const source = resolve(args.from ?? databasePath)
  const report = await copyLedger(source, args.to)
  if (args.json) {
    printLine(io.stdout, JSON.stringify({ source, target, ...report }))
    return report.ok ? 0 : 1
  }
  const rows = report.tables.map((t) => ({
    table: t.table,
    'sqlite rows': String(t.sourceRows),
    'postgres rows': String(t.targetRows),
    'sqlite sha256': t.sourceSha256.slice(0, 16),
    'postgres sha256': t.targetSha256.slice(0, 16),
    check: t.ok ? 'ok' : 'MISMATCH'
  }))
  printLine(io.stdout, `Copy of ${source} (schema version ${report.schemaVersion}) to ${target}`)
  printLine(io.stdout, table(rows, ['table', 'sqlite rows', 'postgres rows', 'sqlite sha256', 'postgres sha256', 'check']))
  if (report.ok) {
    printLine(io.stdout, `All ${report.tables.length} tables match; the copy is committed. Set database.url (or HARPOON_DATABASE_URL) to this database and start the daemon.`)
    return 0
  }
  const bad = report.tables.filter((t) => !t.ok).map((t) => t.table)
  io.stderr.write(`harpoon: the copy differs from the SQLite ledger in ${bad.join(', ')}; nothing was committed, the target is still empty\n`)
  return 1
}
