import type { Logger } from 'pino'
import { parseListing } from './at/parse.js'
import { describeFinal, type AtSession } from './at/session.js'
import type { CompleteSms, ModemRef, SmsInboxPort } from './inbox-port.js'
import { toPduRecord } from './pdu-record.js'

export interface ScanCounts {
  listed: number
  stored: number
  duplicates: number
  undecodable: number
  deleted: number
  deleteFailures: number
  /** Why the pass stopped early: a message could not be stored (the database is away). It stays on the SIM. */
  storeError: Error | null
}

export interface ScanOptions {
  readonly inbox: SmsInboxPort
  readonly modem: ModemRef
  readonly memory: string | null
  readonly logger: Logger
  readonly listTimeoutMs: number
  readonly onMessage: (sms: CompleteSms) => void
}

/**
 * One full pass over the SIM: list everything (`AT+CMGL=4`), commit each received PDU through the
 * inbox port, and only then delete it. The listing, not `+CMTI`, is the source of truth.
 * Stored outgoing messages (stat 2/3) are left alone. A failure to store is not the modem's fault:
 * the pass stops (`storeError`), the session stays up, and nothing unstored is deleted.
 */
export async function scanOnce (session: AtSession, o: ScanOptions): Promise<ScanCounts> {
  const counts: ScanCounts = { listed: 0, stored: 0, duplicates: 0, undecodable: 0, deleted: 0, deleteFailures: 0, storeError: null }
  const listing = await session.send('AT+CMGL=4', { timeoutMs: o.listTimeoutMs })
  // Some modems answer an empty store with an error instead of a bare OK.
  if (listing.final.kind === 'cms' && listing.final.code === 321) return counts
  if (listing.final.kind !== 'ok') throw new Error(`AT+CMGL=4 answered ${describeFinal(listing.final)}`)
  for (const entry of parseListing(listing.lines)) {
    if (entry.stat === 2 || entry.stat === 3) continue
    counts.listed++
    const record = toPduRecord(entry.pdu, o.memory, entry.index, entry.length ?? undefined)
    // Durable before anything else: if the store fails, nothing is deleted and the pass ends here;
    // the message stays on the SIM and the next scan (soon, see the runner) stores it.
    let outcome
    try {
      outcome = await o.inbox.recordPdu(o.modem, record)
    } catch (err) {
      counts.storeError = err instanceof Error ? err : new Error(String(err))
      return counts
    }
    if (!outcome.isNew) counts.duplicates++
    else if (record.decoded === null) {
      counts.undecodable++
      o.logger.warn({ index: entry.index, error: record.error }, 'modem: undecodable PDU stored raw')
    } else counts.stored++
    if (outcome.completed !== null) o.onMessage(outcome.completed)
    if (entry.index < 0) continue
    const del = await session.send(`AT+CMGD=${entry.index}`)
    // 321 means the slot is already empty: the goal of the delete is met.
    if (del.final.kind === 'ok' || (del.final.kind === 'cms' && del.final.code === 321)) counts.deleted++
    else {
      counts.deleteFailures++
      o.logger.warn({ index: entry.index, final: describeFinal(del.final) }, 'modem: delete failed; the next scan will see it again')
    }
  }
  return counts
}
