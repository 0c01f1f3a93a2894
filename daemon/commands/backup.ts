import { resolve } from 'node:path'
import { backupLedger, engineKind, type DatabaseSettings } from '../../ledger/open.js'
import { CliError } from './cli-error.js'
import { printLine, type CommandIo } from './io.js'

/**
 * `harpoon backup PATH` (SPEC §3): an online, consistent copy of the ledger while the daemon keeps
 * running and writing (ledger/sqlite/backup.ts says how), checked and summarised.
 */
export async function backupCommand (database: DatabaseSettings, target: string | undefined, args: { force: boolean, json: boolean }, io: CommandIo): Promise<number> {
  if (target === undefined || target === '') throw new CliError('usage: harpoon backup PATH [--force] [--json]')
  if (engineKind(database) === 'sqlite' && resolve(target) === resolve(database.path)) {
    throw new CliError('the backup path is the live database itself; choose another file')
  }
  const summary = await backupLedger(database, target, { force: args.force })
  if (args.json) {
    printLine(io.stdout, JSON.stringify(summary))
  } else {
    const statuses = Object.entries(summary.payments_by_status).map(([s, n]) => `${s} ${n}`).join(', ')
    printLine(io.stdout, [
      `Backed up ${resolve(database.path)}`,
      `       to ${summary.path} (${formatBytes(summary.bytes)}, schema version ${summary.schema_version}, integrity ok)`,
      ...Object.entries(summary.counts).map(([t, n]) => `  ${t.padEnd(20)} ${n}`),
      `  payments by status   ${statuses === '' ? '(none)' : statuses}`,
      'Restore: stop the daemon, copy this file to database.path, start the daemon.'
    ].join('\n'))
  }
  return 0
}

function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}
