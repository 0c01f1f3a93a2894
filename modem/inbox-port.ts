import type { Mode } from '../core/enums.js'
import type { Network } from './network.js'
import type { SmsDeliver, PduError } from './pdu/types.js'

/**
 * The storage port reception writes through. Implemented by the ledger (SQLite); modem/ never
 * imports ledger/. Every method commits durably before it returns: the session sends AT+CMGD only
 * after the `recordPdus` call that stored that PDU has resolved.
 */

export type { Mode } from '../core/enums.js'

export interface ModemRef {
  /** The configured id (`mtn-1`). */
  readonly id: string
  /**
   * The identity that follows the messages: `imsi:…` when the SIM answered AT+CIMI, else `imei:…`,
   * else `id:…`. Dedup and multipart groups are keyed by it, so a port renumbering changes nothing.
   */
  readonly key: string
  readonly network: Network | null
  readonly mode: Mode
}

export interface PduRecord {
  /** The line exactly as the modem printed it (lenient framing is undone only for hashing). */
  readonly rawHex: string
  /** sha256 (hex) of the raw TPDU, SMSC prefix excluded, upper-case. */
  readonly tpduHash: string
  readonly storage: string | null
  readonly index: number | null
  readonly decoded: SmsDeliver | null
  readonly error: PduError | null
}

export interface SmscTimestamp {
  /** ISO 8601 with the SMSC's own offset, e.g. `2025-01-15T10:30:00+00:00`. */
  readonly iso: string
  readonly utcMs: number
}

export interface CompleteSms {
  /** Row id in the inbox (`sms_messages.id`): what ingest marks processed. */
  readonly id: number
  readonly modemId: string
  readonly network: Network | null
  readonly mode: Mode
  readonly sender: string
  readonly text: string
  readonly smsc: string | null
  /** Null when the SCTS was not a valid date: use `receivedAt`. */
  readonly sentAt: SmscTimestamp | null
  readonly receivedAt: number
  /** Raw PDU hex of every part held, in sequence order. */
  readonly parts: readonly string[]
  /** False when released after the multipart timeout with parts missing. */
  readonly complete: boolean
}

export interface RecordOutcome {
  /** False when this (modem key, TPDU hash) was already stored: a re-read after a crash. */
  readonly isNew: boolean
  /** The message this PDU completed, already committed with it; null for a held part or a duplicate. */
  readonly completed: CompleteSms | null
}

export interface SmsInboxPort {
  /** Stores one PDU (a routed one, read off the wire); committed before it resolves. */
  recordPdu: (modem: ModemRef, pdu: PduRecord) => Promise<RecordOutcome>
  /**
   * Stores PDUs read together (a listing's), in order, in one transaction: one commit for all of
   * them, so a burst on the SIM costs one fsync per batch instead of one per PDU. Resolves (one
   * outcome per PDU, in order) only once that commit is durable; rejects with nothing stored.
   */
  recordPdus: (modem: ModemRef, pdus: readonly PduRecord[]) => Promise<RecordOutcome[]>
  /** Releases multipart groups whose newest part is older than the timeout, flagged incomplete. Committed. */
  releaseExpired: (now: number) => CompleteSms[] | Promise<CompleteSms[]>
  /** Messages recorded but not yet marked processed by ingest: handed again after a restart. */
  unprocessed: () => CompleteSms[] | Promise<CompleteSms[]>
}
