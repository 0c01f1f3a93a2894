import type { Mode, PduStatus, SmsOutcome } from '../core/enums.js'
import type { CompleteSms, ModemRef, PduRecord, RecordOutcome, SmsInboxPort } from '../modem/inbox-port.js'
import type { Network } from '../modem/network.js'
import type { PartText } from '../modem/pdu/assemble.js'
import { agentOfModemId } from './agents.js'
import type { Ledger } from './ledger.js'
import type { Owner } from './modes.js'
import { pageOf } from './page.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'

/** Joins the parts of a message; the modem layer's `assembleText`, passed in so ledger/ imports only its types. */
export type AssembleText = (parts: readonly PartText[]) => string | null

/** How the inbox turns PDUs into messages: the modem layer's rules, handed in by the caller. */
export interface InboxRules {
  readonly assemble: AssembleText
  /** Parts still missing this long after the newest one arrived are released as incomplete. */
  readonly partTimeoutMs?: number
  /**
   * The modems whose messages this node settles (its own; every node reads its own modems). Several
   * daemons share one PostgreSQL ledger, and another node's message belongs to that node's merchant
   * mapping. An agent's modem (`kumasi/mtn-1`) belongs to no node: its merchant is in the ledger, so
   * any node settles (or retries) its messages. Absent: every modem's.
   */
  readonly modems?: readonly string[]
}

export const DEFAULT_PART_TIMEOUT_MS = 10 * 60_000

/** A message that did not come through a modem (typed into the API in test mode). */
export interface TextSmsInput {
  mode: Mode
  /** The wallet it counts against; `api` for messages typed into the API. */
  modemId: string
  network: Network
  sender: string
  text: string
}

/** One row of the operator's raw inbox (SPEC §4 GET /v1/sms). */
export interface InboxEntry {
  id: number
  modemId: string
  network: string | null
  sender: string
  text: string
  smsc: string | null
  sentAt: string | null
  receivedAt: number
  parts: number
  complete: boolean
  outcome: SmsOutcome | null
  creditPublicId: string | null
}

export interface InboxQuery {
  outcome?: SmsOutcome | undefined
  limit: number
  /** Only messages with a smaller id (the page cursor). */
  before?: number | undefined
}

/**
 * The SMS inbox: every raw PDU read from a SIM, multipart groups waiting for their parts, and the
 * assembled messages ingest settles. `recordPdu` commits before it resolves (the SIM copy may go
 * only then); on SQLite, with `synchronous = FULL`, that commit is on disk.
 */
export interface SmsInboxStore {
  /** Stores one PDU (once per modem and TPDU hash) and, when it completes a message, the message. */
  recordPdu: (modem: ModemRef, pdu: PduRecord, rules: InboxRules) => Promise<RecordOutcome>
  /** Stores PDUs in order, as `recordPdu` each, in one transaction; an outcome per PDU. */
  recordPdus: (modem: ModemRef, pdus: readonly PduRecord[], rules: InboxRules) => Promise<RecordOutcome[]>
  /** Releases multipart groups whose newest part is older than the timeout, flagged incomplete. */
  releaseExpired: (now: number, rules: InboxRules) => Promise<CompleteSms[]>
  /**
   * Releases now, flagged incomplete, the open multipart group holding this PDU: an agent released
   * it with parts missing, so no more are coming this way. Null when no open group holds it.
   */
  releaseGroupOf: (modem: ModemRef, tpduHash: string, rules: InboxRules) => Promise<CompleteSms | null>
  /** Messages stored but not yet settled by ingest, oldest first; only those of `modems` when given. */
  unprocessed: (modems?: readonly string[]) => Promise<CompleteSms[]>
  /**
   * Takes a stored message for settlement, inside the settling transaction: true for the one caller
   * that finds it unsettled. A write, not a read, so two settlers of one message (a retry pass and a
   * fresh delivery, or two nodes) queue on its row and the second finds it taken.
   */
  claim: (id: number) => Promise<boolean>
  /** Records what became of a message; only the first settlement counts (returns false after that). */
  markProcessed: (id: number, outcome: SmsOutcome, creditId?: number | null, merchantId?: string | null) => Promise<boolean>
  /** Stores a message typed into the API as a complete, one-part SMS. */
  storeText: (input: TextSmsInput, receivedAt: number) => Promise<CompleteSms>
  /** The merchant's settled inbox, newest first. */
  list: (owner: Owner, query: InboxQuery) => Promise<{ items: InboxEntry[], hasMore: boolean }>
  /** When the newest SMS of this mode arrived, whoever it was for (the dashboard's silence alarm). */
  lastReceivedAt: (mode: Mode) => Promise<number | null>
}

interface MessageRow {
  id: number
  modem_id: string
  network: string | null
  mode: Mode
  sender: string
  text: string
  smsc: string | null
  sent_at: string | null
  sent_at_ms: number | null
  received_at: number
  raw: string
  complete: number
}

interface PartRow { seq: number, encoding: PartText['encoding'], text: string | null, payload_hex: string, raw_hex: string }
interface GroupRow { id: number, modem_key: string, modem_id: string, network: string | null, mode: Mode, sender: string, total: number }

interface PduRow {
  status: PduStatus
  error_code: string | null
  error: string | null
  group_id: number | null
  seq: number | null
  sender: string | null
  smsc: string | null
  sent_at: string | null
  sent_at_ms: number | null
  encoding: string | null
  text: string | null
  payload_hex: string | null
}

const PART = literal('part' satisfies PduStatus)

// U+0000 and halves of a surrogate pair without their other half: what a SIM or a typed message can
// carry but PostgreSQL cannot store (nor can UTF-8 say the halves), so an insert would fail on every
// retry. The raw PDUs are kept as hex; only the decoded text is made storable, the same on every engine.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Text as stored: the unstorable characters above become U+FFFD. */
export function storableText (text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD')
}
function storableOrNull (text: string | null): string | null {
  return text === null ? null : storableText(text)
}

const NO_DECODE = { error_code: null, error: null, group_id: null, seq: null, sender: null, smsc: null, sent_at: null, sent_at_ms: null, encoding: null, text: null, payload_hex: null } as const

export class SqlSmsInboxStore implements SmsInboxStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async recordPdu (modem: ModemRef, pdu: PduRecord, rules: InboxRules): Promise<RecordOutcome> {
    return await this.#s.write(async (tx) => await new PduWriter(tx, rules).record(modem, pdu))
  }

  async recordPdus (modem: ModemRef, pdus: readonly PduRecord[], rules: InboxRules): Promise<RecordOutcome[]> {
    return await this.#s.write(async (tx) => {
      const writer = new PduWriter(tx, rules)
      const outcomes: RecordOutcome[] = []
      // In order: a part read after its group's other parts completes the message within this batch.
      for (const pdu of pdus) outcomes.push(await writer.record(modem, pdu))
      return outcomes
    })
  }

  async releaseExpired (now: number, rules: InboxRules): Promise<CompleteSms[]> {
    return await this.#s.write(async (tx) => {
      const timeout = rules.partTimeoutMs ?? DEFAULT_PART_TIMEOUT_MS
      const due = await tx.ex.all<{ id: number, modem_id: string }>(sql`SELECT id, modem_id FROM sms_part_groups WHERE message_id IS NULL AND last_part_at <= ${now - timeout} ORDER BY id`)
      const writer = new PduWriter(tx, rules)
      const released: CompleteSms[] = []
      for (const g of due) if (owns(rules.modems, g.modem_id)) released.push(await writer.assembleGroup(g.id, false, now))
      return released
    })
  }

  async releaseGroupOf (modem: ModemRef, tpduHash: string, rules: InboxRules): Promise<CompleteSms | null> {
    return await this.#s.write(async (tx) => {
      const groupId = await tx.ex.value<number>(sql`SELECT g.id FROM sms_pdus p JOIN sms_part_groups g ON g.id = p.group_id
        WHERE p.modem_key = ${modem.key} AND p.tpdu_hash = ${tpduHash} AND g.message_id IS NULL`)
      return groupId === undefined ? null : await new PduWriter(tx, rules).assembleGroup(groupId, false, tx.now())
    })
  }

  async unprocessed (modems?: readonly string[]): Promise<CompleteSms[]> {
    const rows = await this.#s.ex.all<MessageRow>(sql`SELECT id, modem_id, network, mode, sender, text, smsc, sent_at, sent_at_ms, received_at, raw, complete
      FROM sms_messages WHERE processed = 0 ORDER BY id`)
    return rows.filter((r) => owns(modems, r.modem_id)).map(toCompleteSms)
  }

  async claim (id: number): Promise<boolean> {
    return (await this.#s.ex.run(sql`UPDATE sms_messages SET processed = 1 WHERE id = ${id} AND processed = 0`)).changes === 1
  }

  async markProcessed (id: number, outcome: SmsOutcome, creditId: number | null = null, merchantId: string | null = null): Promise<boolean> {
    // `outcome IS NULL`: unsettled, or claimed by this transaction and not yet given its outcome.
    const { changes } = await this.#s.ex.run(sql`UPDATE sms_messages SET processed = 1, outcome = ${outcome}, credit_id = ${creditId}, merchant_id = ${merchantId}
      WHERE id = ${id} AND outcome IS NULL`)
    return changes === 1
  }

  async storeText (input: TextSmsInput, receivedAt: number): Promise<CompleteSms> {
    const row = await this.#s.write(async (tx) => await tx.ex.get<MessageRow>(sql`INSERT INTO sms_messages (modem_id, modem_key, network, mode, sender, text,
        smsc, sent_at, sent_at_ms, received_at, parts, parts_expected, complete, raw)
      VALUES (${input.modemId}, ${`text:${input.modemId}`}, ${input.network}, ${input.mode}, ${storableText(input.sender)}, ${storableText(input.text)},
        NULL, NULL, NULL, ${receivedAt}, 1, 1, 1, '[]')
      RETURNING id, modem_id, network, mode, sender, text, smsc, sent_at, sent_at_ms, received_at, raw, complete`))
    return toCompleteSms(row as MessageRow)
  }

  async list (owner: Owner, query: InboxQuery): Promise<{ items: InboxEntry[], hasMore: boolean }> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER
    const limit = query.limit + 1
    type Row = Omit<InboxEntry, 'complete'> & { complete: number }
    const rows = query.outcome === undefined
      ? await this.#s.ex.all<Row>(sql`SELECT s.id, s.modem_id AS "modemId", s.network, s.sender, s.text, s.smsc, s.sent_at AS "sentAt",
            s.received_at AS "receivedAt", s.parts, s.complete, s.outcome, c.public_id AS "creditPublicId"
          FROM sms_messages s LEFT JOIN credits c ON c.id = s.credit_id
          WHERE s.merchant_id = ${owner.merchantId} AND s.mode = ${owner.mode} AND s.id < ${before} ORDER BY s.id DESC LIMIT ${limit}`)
      : await this.#s.ex.all<Row>(sql`SELECT s.id, s.modem_id AS "modemId", s.network, s.sender, s.text, s.smsc, s.sent_at AS "sentAt",
            s.received_at AS "receivedAt", s.parts, s.complete, s.outcome, c.public_id AS "creditPublicId"
          FROM sms_messages s LEFT JOIN credits c ON c.id = s.credit_id
          WHERE s.merchant_id = ${owner.merchantId} AND s.mode = ${owner.mode} AND s.id < ${before} AND s.outcome = ${query.outcome}
          ORDER BY s.id DESC LIMIT ${limit}`)
    const { items, hasMore } = pageOf(rows, query.limit)
    return { items: items.map((r) => ({ ...r, complete: r.complete === 1 })), hasMore }
  }

  async lastReceivedAt (mode: Mode): Promise<number | null> {
    // Newest row first by id, so this stays a short backwards walk however large the inbox grows.
    return await this.#s.ex.value<number>(sql`SELECT received_at FROM sms_messages WHERE mode = ${mode} ORDER BY id DESC LIMIT 1`) ?? null
  }
}

/** The statements of recording one PDU, inside one transaction. */
class PduWriter {
  readonly #tx: LedgerScope
  readonly #rules: InboxRules

  constructor (tx: LedgerScope, rules: InboxRules) {
    this.#tx = tx
    this.#rules = rules
  }

  /**
   * Stores one PDU. The row in `sms_pdus` is the claim: `(modem_key, tpdu_hash)` is unique, so a PDU
   * read twice (a rescan after a crash, two readers at once) is stored once, and the reader whose
   * insert came back empty knows it holds a copy. Multipart groups are opened the same way
   * (`sms_part_groups_open`). Everything else this PDU causes is written after its claim.
   */
  async record (modem: ModemRef, pdu: PduRecord): Promise<RecordOutcome> {
    const ex = this.#tx.ex
    const now = this.#tx.now()
    const claim = async (row: PduRow): Promise<number | undefined> => await ex.value<number>(sql`INSERT INTO sms_pdus (modem_key, modem_id, tpdu_hash, raw_hex, storage,
        sim_index, status, error_code, error, group_id, seq, sender, smsc, sent_at, sent_at_ms, encoding, text, payload_hex, received_at)
      VALUES (${modem.key}, ${modem.id}, ${pdu.tpduHash}, ${pdu.rawHex}, ${pdu.storage}, ${pdu.index}, ${row.status}, ${row.error_code}, ${row.error},
        ${row.group_id}, ${row.seq}, ${row.sender}, ${row.smsc}, ${row.sent_at}, ${row.sent_at_ms}, ${row.encoding}, ${row.text}, ${row.payload_hex}, ${now})
      ON CONFLICT (modem_key, tpdu_hash) DO NOTHING
      RETURNING id`)
    const copy: RecordOutcome = { isNew: false, completed: null }
    const held: RecordOutcome = { isNew: true, completed: null }
    const sms = pdu.decoded
    if (sms === null) {
      // Kept raw and flagged, so an operator can see it and a better decoder can read it later.
      const id = await claim({ ...NO_DECODE, status: 'undecodable', error_code: pdu.error?.code ?? 'unknown', error: pdu.error?.message ?? null })
      return id === undefined ? copy : held
    }
    // The sender keys multipart groups too: cleaned once, here, so every statement sees the same text.
    const sender = storableText(sms.sender)
    const decoded = {
      ...NO_DECODE,
      sender, smsc: storableOrNull(sms.smsc), sent_at: sms.sentAt?.local ?? null, sent_at_ms: sms.sentAt?.utcMs ?? null,
      encoding: sms.encoding, text: storableOrNull(sms.text), payload_hex: sms.payloadHex
    }
    const c = sms.concat
    if (c === null || c.total === 1) {
      const pduId = await claim({ ...decoded, status: 'message', seq: 1 })
      if (pduId === undefined) return copy
      const part: PartRow = { seq: 1, encoding: sms.encoding, text: sms.text, payload_hex: sms.payloadHex, raw_hex: pdu.rawHex }
      const messageId = await this.#insertMessage({ modem_key: modem.key, modem_id: modem.id, network: modem.network, mode: modem.mode, sender, total: 1 },
        [part], true, { smsc: decoded.smsc, sent_at: sms.sentAt?.local ?? null, sent_at_ms: sms.sentAt?.utcMs ?? null }, now)
      await ex.run(sql`UPDATE sms_pdus SET message_id = ${messageId} WHERE id = ${pduId}`)
      return { isNew: true, completed: await this.#load(messageId) }
    }
    const group = { modem_key: modem.key, sender, ref_bits: c.refBits, ref: c.ref, total: c.total }
    let groupId = await this.#openGroup(group)
    let pduId: number | undefined
    if (groupId === undefined) {
      // A resent copy of a part of a message already assembled moments ago: keep it, count it once.
      const timeout = this.#rules.partTimeoutMs ?? DEFAULT_PART_TIMEOUT_MS
      const recent = await ex.value<number>(sql`SELECT g.id FROM sms_part_groups g JOIN sms_pdus p ON p.group_id = g.id AND p.seq = ${c.seq} AND p.payload_hex = ${sms.payloadHex}
        WHERE g.modem_key = ${modem.key} AND g.sender = ${sender} AND g.ref_bits = ${c.refBits} AND g.ref = ${c.ref} AND g.total = ${c.total}
          AND g.message_id IS NOT NULL AND g.last_part_at >= ${now - timeout}`)
      if (recent !== undefined) return await claim({ ...decoded, status: 'duplicate_part', group_id: recent, seq: c.seq }) === undefined ? copy : held
      pduId = await claim({ ...decoded, status: 'part', seq: c.seq })
      if (pduId === undefined) return copy
      // The first part of its message: open the group (or join the one a concurrent reader just opened).
      await ex.run(sql`INSERT INTO sms_part_groups (modem_key, modem_id, network, mode, sender, ref_bits, ref, total, first_part_at, last_part_at)
        VALUES (${modem.key}, ${modem.id}, ${modem.network}, ${modem.mode}, ${sender}, ${c.refBits}, ${c.ref}, ${c.total}, ${now}, ${now})
        ON CONFLICT (modem_key, sender, ref_bits, ref, total) WHERE message_id IS NULL DO NOTHING`)
      groupId = await this.#openGroup(group) as number
      await ex.run(sql`UPDATE sms_pdus SET group_id = ${groupId} WHERE id = ${pduId}`)
    } else if (await ex.value(sql`SELECT 1 FROM sms_pdus WHERE group_id = ${groupId} AND seq = ${c.seq} AND status = ${PART}`) !== undefined) {
      return await claim({ ...decoded, status: 'duplicate_part', group_id: groupId, seq: c.seq }) === undefined ? copy : held
    } else {
      pduId = await claim({ ...decoded, status: 'part', group_id: groupId, seq: c.seq })
      if (pduId === undefined) return copy
    }
    await ex.run(sql`UPDATE sms_part_groups SET last_part_at = ${now} WHERE id = ${groupId}`)
    const have = await ex.value<number>(sql`SELECT COUNT(*) FROM sms_pdus WHERE group_id = ${groupId} AND status = ${PART}`) ?? 0
    if (have < c.total) return held
    return { isNew: true, completed: await this.assembleGroup(groupId, true, now) }
  }

  async #openGroup (g: { modem_key: string, sender: string, ref_bits: number, ref: number, total: number }): Promise<number | undefined> {
    return await this.#tx.ex.value<number>(sql`SELECT id FROM sms_part_groups
      WHERE modem_key = ${g.modem_key} AND sender = ${g.sender} AND ref_bits = ${g.ref_bits} AND ref = ${g.ref} AND total = ${g.total} AND message_id IS NULL`)
  }

  async assembleGroup (groupId: number, complete: boolean, now: number): Promise<CompleteSms> {
    const ex = this.#tx.ex
    const g = await ex.get<GroupRow>(sql`SELECT id, modem_key, modem_id, network, mode, sender, total FROM sms_part_groups WHERE id = ${groupId}`) as GroupRow
    const parts = await ex.all<PartRow>(sql`SELECT seq, encoding, text, payload_hex, raw_hex FROM sms_pdus WHERE group_id = ${groupId} AND status = ${PART} ORDER BY seq`)
    // The first part held stands for the message's SMSC and time.
    const head = await ex.get<{ smsc: string | null, sent_at: string | null, sent_at_ms: number | null }>(
      sql`SELECT smsc, sent_at, sent_at_ms FROM sms_pdus WHERE group_id = ${groupId} AND status = ${PART} ORDER BY seq LIMIT 1`)
    const messageId = await this.#insertMessage(g, parts, complete, head ?? { smsc: null, sent_at: null, sent_at_ms: null }, now)
    await ex.run(sql`UPDATE sms_part_groups SET message_id = ${messageId} WHERE id = ${groupId}`)
    await ex.run(sql`UPDATE sms_pdus SET message_id = ${messageId} WHERE group_id = ${groupId} AND status = ${PART}`)
    return await this.#load(messageId)
  }

  async #insertMessage (g: Omit<GroupRow, 'id'>, parts: readonly PartRow[], complete: boolean,
    head: { smsc: string | null, sent_at: string | null, sent_at_ms: number | null }, now: number): Promise<number> {
    const text = this.#rules.assemble(parts.map((p) => ({ seq: p.seq, encoding: p.encoding, text: p.text, payloadHex: p.payload_hex }))) ?? ''
    return await this.#tx.ex.value<number>(sql`INSERT INTO sms_messages (modem_id, modem_key, network, mode, sender, text, smsc, sent_at, sent_at_ms,
        received_at, parts, parts_expected, complete, raw)
      VALUES (${g.modem_id}, ${g.modem_key}, ${g.network}, ${g.mode}, ${g.sender}, ${storableText(text)}, ${head.smsc}, ${head.sent_at}, ${head.sent_at_ms},
        ${now}, ${parts.length}, ${g.total}, ${complete ? 1 : 0}, ${JSON.stringify(parts.map((p) => p.raw_hex))})
      RETURNING id`) as number
  }

  async #load (id: number): Promise<CompleteSms> {
    const row = await this.#tx.ex.get<MessageRow>(sql`SELECT id, modem_id, network, mode, sender, text, smsc, sent_at, sent_at_ms, received_at, raw, complete
      FROM sms_messages WHERE id = ${id}`)
    return toCompleteSms(row as MessageRow)
  }
}

function owns (modems: readonly string[] | undefined, modemId: string): boolean {
  return modems === undefined || modems.includes(modemId) || agentOfModemId(modemId) !== null
}

function toCompleteSms (r: MessageRow): CompleteSms {
  return {
    id: r.id,
    modemId: r.modem_id,
    network: r.network as Network | null,
    mode: r.mode,
    sender: r.sender,
    text: r.text,
    smsc: r.smsc,
    sentAt: r.sent_at === null || r.sent_at_ms === null ? null : { iso: r.sent_at, utcMs: r.sent_at_ms },
    receivedAt: r.received_at,
    parts: JSON.parse(r.raw) as string[],
    complete: r.complete === 1
  }
}

/**
 * The modem layer's storage port over the ledger: each call commits before it resolves, so the
 * session deletes a message from the SIM (AT+CMGD) only once it is stored (with the rest of its batch).
 */
export function smsInboxPort (ledger: Ledger, rules: InboxRules): SmsInboxPort {
  return {
    recordPdu: async (modem, pdu) => await ledger.smsInbox.recordPdu(modem, pdu, rules),
    recordPdus: async (modem, pdus) => await ledger.smsInbox.recordPdus(modem, pdus, rules),
    releaseExpired: async (now) => await ledger.smsInbox.releaseExpired(now, rules),
    unprocessed: async () => await ledger.smsInbox.unprocessed(rules.modems)
  }
}
