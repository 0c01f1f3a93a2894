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
 * PDUs stored per transaction: a burst on the SIM costs one commit (one fsync) per this many PDUs.
 * Bounded so one transaction never holds the writer (and, on SQLite, the event loop) for long.
 */
export const STORE_BATCH = 64

/**
 * One full pass over the SIM: list everything (`AT+CMGL=4`), commit the received PDUs through the
 * inbox port in batches (one transaction each, in listing order), and delete each PDU only once its
 * batch's commit has returned (durable). The deletes of one batch run while the next is being
 * stored. The listing, not `+CMTI`, is the source of truth. Stored outgoing messages (stat 2/3) are
 * left alone. A failure to store is not the modem's fault: the pass stops (`storeError`), the
 * session stays up, and nothing unstored is deleted.
 */
export async function scanOnce (session: AtSession, o: ScanOptions): Promise<ScanCounts> {
  const counts: ScanCounts = { listed: 0, stored: 0, duplicates: 0, undecodable: 0, deleted: 0, deleteFailures: 0, storeError: null }
  const listing = await session.send('AT+CMGL=4', { timeoutMs: o.listTimeoutMs })
  // Some modems answer an empty store with an error instead of a bare OK.
  if (listing.final.kind === 'cms' && listing.final.code === 321) return counts
  if (listing.final.kind !== 'ok') throw new Error(`AT+CMGL=4 answered ${describeFinal(listing.final)}`)
  const received = parseListing(listing.lines).filter((entry) => entry.stat !== 2 && entry.stat !== 3)
  counts.listed = received.length

  const remove = async (index: number): Promise<void> => {
    const del = await session.send(`AT+CMGD=${index}`)
    // 321 means the slot is already empty: the goal of the delete is met.
    if (del.final.kind === 'ok' || (del.final.kind === 'cms' && del.final.code === 321)) counts.deleted++
    else {
      counts.deleteFailures++
      o.logger.warn({ index, final: describeFinal(del.final) }, 'modem: delete failed; the next scan will see it again')
    }
  }
  // The deletes of the batches stored so far, in order; a failure (the port closed) ends the pass.
  let deleting: Promise<void> = Promise.resolve()
  let deleteError: unknown = null
  for (let start = 0; start < received.length && deleteError === null; start += STORE_BATCH) {
    const batch = received.slice(start, start + STORE_BATCH)
    const records = batch.map((entry) => toPduRecord(entry.pdu, o.memory, entry.index, entry.length ?? undefined))
    // Durable before anything else: if the store fails, nothing of this batch is deleted and the pass
    // ends here; the messages stay on the SIM and the next scan (soon, see the runner) stores them.
    let outcomes
    try {
      outcomes = await o.inbox.recordPdus(o.modem, records)
    } catch (err) {
      counts.storeError = err instanceof Error ? err : new Error(String(err))
      break
    }
    outcomes.forEach((outcome, i) => {
      const record = records[i] as (typeof records)[number]
      if (!outcome.isNew) counts.duplicates++
      else if (record.decoded === null) {
        counts.undecodable++
        o.logger.warn({ index: record.index, error: record.error }, 'modem: undecodable PDU stored raw')
      } else counts.stored++
      if (outcome.completed !== null) o.onMessage(outcome.completed)
    })
    const committed = batch.filter((entry) => entry.index >= 0).map((entry) => entry.index)
    deleting = deleting.then(async () => { for (const index of committed) await remove(index) })
      .catch((err: unknown) => { deleteError ??= err })
  }
  await deleting
  if (deleteError !== null) throw deleteError
  return counts
}
