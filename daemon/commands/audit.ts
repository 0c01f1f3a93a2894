import { userInfo } from 'node:os'
import type { AuditActor, AuditChange } from '../../ledger/audit-trail.js'
import type { Ledger, LedgerTx } from '../../ledger/ledger.js'
import { CliError } from './cli-error.js'
import { printLine, type CommandIo } from './io.js'

/** The operator at the CLI: the OS user running the command. */
export function cliActor (): AuditActor {
  let id: string
  try {
    id = userInfo().username
  } catch {
    // No passwd entry for this uid (a container): the number is still who it was.
    id = `uid:${process.getuid?.() ?? 'unknown'}`
  }
  return { type: 'cli', id }
}

/**
 * A CLI change that is recorded: one transaction that takes the audit chain first (so, on
 * PostgreSQL, it queues behind the daemons' audited changes instead of colliding with them).
 */
export async function cliTransact<T> (ledger: Ledger, fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
  return await ledger.transact(async (tx) => {
    await tx.auditTrail.lockChain()
    return await fn(tx)
  })
}

/** Appends a CLI action to the audit trail, inside the transaction of its change (see cliTransact). */
export async function recordCliChange (tx: LedgerTx, change: Omit<AuditChange, 'actor'>): Promise<void> {
  await tx.auditTrail.append({ actor: cliActor(), ...change })
}

/**
 * `harpoon audit verify [--json]`: walks the audit trail's hash chain; exit 0 when intact, 1 naming
 * the first record that is edited or missing.
 */
export async function auditCommand (ledger: Ledger, action: string | undefined, args: { json: boolean }, io: CommandIo): Promise<number> {
  if (action !== 'verify') throw new CliError(`usage: harpoon ${AUDIT_USAGE}`)
  const verdict = await ledger.auditTrail.verify()
  if (args.json) {
    printLine(io.stdout, JSON.stringify(verdict.ok
      ? { ok: true, records: verdict.records, head_hash: verdict.headHash }
      : { ok: false, records_intact: verdict.records, broken_at: verdict.brokenAt, reason: verdict.reason }))
  } else if (verdict.ok) {
    printLine(io.stdout, `Audit trail intact: ${verdict.records} record${verdict.records === 1 ? '' : 's'}, head ${verdict.headHash}.`)
  } else {
    printLine(io.stdout, `Audit trail BROKEN at record ${verdict.brokenAt}: ${verdict.reason}. Records 1 to ${verdict.records} are intact.`)
  }
  return verdict.ok ? 0 : 1
}

export const AUDIT_USAGE = 'audit verify [--json]   checks the audit trail\'s hash chain; exit 1 names the first edited or deleted record'
