import type { Clock } from '../core/time.js'
import type { CompleteSms, ModemRef, Mode, PduRecord, RecordOutcome, SmsInboxPort } from '../modem/inbox-port.js'
import type { Network } from '../modem/network.js'
import type { PartText } from '../modem/pdu/assemble.js'
import type { Statement } from 'better-sqlite3'
import type { Db } from './db.js'

/** Joins the parts of a message; the modem layer's `assembleText`, passed in so ledger/ imports only its types. */
export type AssembleText = (parts: readonly PartText[]) => string | null

export interface SqliteSmsInboxOptions {
  readonly assemble: AssembleText
  readonly clock: Clock
  /** Parts still missing this long after the newest one arrived are released as incomplete. */
  readonly partTimeoutMs?: number
}

export const DEFAULT_PART_TIMEOUT_MS = 10 * 60_000

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

/**
 * The SQLite side of the inbox port. Each call is one IMMEDIATE transaction on a database opened
 * with synchronous=FULL, so when it returns the PDU is on disk and the SIM copy may go.
 */
export class SqliteSmsInbox implements SmsInboxPort {
  readonly #db: Db
  readonly #assemble: AssembleText
  readonly #clock: Clock
  readonly #timeoutMs: number
  readonly #statements = new Map<string, Statement>()

  constructor (db: Db, options: SqliteSmsInboxOptions) {
    this.#db = db
    this.#assemble = options.assemble
    this.#clock = options.clock
    this.#timeoutMs = options.partTimeoutMs ?? DEFAULT_PART_TIMEOUT_MS
  }

  /** Each statement is prepared once, on first use, and reused: reception runs these per PDU. */
  #sql (source: string): Statement {
    let statement = this.#statements.get(source)
    if (statement === undefined) {
      statement = this.#db.prepare(source)
      this.#statements.set(source, statement)
    }
    return statement
  }

  recordPdu (modem: ModemRef, pdu: PduRecord): RecordOutcome {
    return this.#db.transaction((): RecordOutcome => {
      const seen = this.#sql('SELECT 1 FROM sms_pdus WHERE modem_key = ? AND tpdu_hash = ?').get(modem.key, pdu.tpduHash)
      if (seen !== undefined) return { isNew: false, completed: null }
      const now = this.#clock.now()
      const insert = this.#sql(`INSERT INTO sms_pdus (modem_key, modem_id, tpdu_hash, raw_hex, storage, sim_index, status, error_code, error,
        group_id, seq, sender, smsc, sent_at, sent_at_ms, encoding, text, payload_hex, received_at)
        VALUES (@modem_key, @modem_id, @tpdu_hash, @raw_hex, @storage, @sim_index, @status, @error_code, @error, @group_id, @seq,
        @sender, @smsc, @sent_at, @sent_at_ms, @encoding, @text, @payload_hex, @received_at)`)
      const base = {
        modem_key: modem.key, modem_id: modem.id, tpdu_hash: pdu.tpduHash, raw_hex: pdu.rawHex, storage: pdu.storage,
        sim_index: pdu.index, error_code: null, error: null, group_id: null, seq: null,
        sender: null, smsc: null, sent_at: null, sent_at_ms: null, encoding: null, text: null, payload_hex: null, received_at: now
      }
      const sms = pdu.decoded
      if (sms === null) {
        // Kept raw and flagged, so an operator can see it and a better decoder can read it later.
        insert.run({ ...base, status: 'undecodable', error_code: pdu.error?.code ?? 'unknown', error: pdu.error?.message ?? null })
        return { isNew: true, completed: null }
      }
      const decodedCols = {
        sender: sms.sender, smsc: sms.smsc, sent_at: sms.sentAt?.local ?? null, sent_at_ms: sms.sentAt?.utcMs ?? null,
        encoding: sms.encoding, text: sms.text, payload_hex: sms.payloadHex
      }
      const c = sms.concat
      if (c === null || c.total === 1) {
        const pduId = Number(insert.run({ ...base, ...decodedCols, status: 'message', seq: 1 }).lastInsertRowid)
        const messageId = this.#insertMessage(modem.key, modem.id, modem.network, modem.mode, sms.sender, [{ seq: 1, encoding: sms.encoding, text: sms.text, payload_hex: sms.payloadHex, raw_hex: pdu.rawHex }], 1, true, sms.smsc, sms.sentAt?.local ?? null, sms.sentAt?.utcMs ?? null, now)
        this.#sql('UPDATE sms_pdus SET message_id = ? WHERE id = ?').run(messageId, pduId)
        return { isNew: true, completed: this.#load(messageId) }
      }
      let group = this.#sql(`SELECT id FROM sms_part_groups WHERE modem_key = ? AND sender = ? AND ref_bits = ? AND ref = ? AND total = ? AND message_id IS NULL`)
        .get(modem.key, sms.sender, c.refBits, c.ref, c.total) as { id: number } | undefined
      const samePart = (groupId: number): boolean => this.#sql("SELECT 1 FROM sms_pdus WHERE group_id = ? AND seq = ? AND status = 'part'").get(groupId, c.seq) !== undefined
      if (group === undefined) {
        // A resent copy of a part of a message already assembled moments ago: keep it, count it once.
        const recent = this.#sql(`SELECT g.id FROM sms_part_groups g JOIN sms_pdus p ON p.group_id = g.id AND p.seq = ? AND p.payload_hex = ?
          WHERE g.modem_key = ? AND g.sender = ? AND g.ref_bits = ? AND g.ref = ? AND g.total = ? AND g.message_id IS NOT NULL AND g.last_part_at >= ?`)
          .get(c.seq, sms.payloadHex, modem.key, sms.sender, c.refBits, c.ref, c.total, now - this.#timeoutMs) as { id: number } | undefined
        if (recent !== undefined) {
          insert.run({ ...base, ...decodedCols, status: 'duplicate_part', group_id: recent.id, seq: c.seq })
          return { isNew: true, completed: null }
        }
        const id = Number(this.#sql(`INSERT INTO sms_part_groups (modem_key, modem_id, network, mode, sender, ref_bits, ref, total, first_part_at, last_part_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(modem.key, modem.id, modem.network, modem.mode, sms.sender, c.refBits, c.ref, c.total, now, now).lastInsertRowid)
        group = { id }
      } else if (samePart(group.id)) {
        insert.run({ ...base, ...decodedCols, status: 'duplicate_part', group_id: group.id, seq: c.seq })
        return { isNew: true, completed: null }
      }
      insert.run({ ...base, ...decodedCols, status: 'part', group_id: group.id, seq: c.seq })
      this.#sql('UPDATE sms_part_groups SET last_part_at = ? WHERE id = ?').run(now, group.id)
      const have = this.#sql("SELECT COUNT(*) FROM sms_pdus WHERE group_id = ? AND status = 'part'").pluck().get(group.id) as number
      if (have < c.total) return { isNew: true, completed: null }
      return { isNew: true, completed: this.#assembleGroup(group.id, true, now) }
    }).immediate()
  }

  releaseExpired (now: number): CompleteSms[] {
    return this.#db.transaction((): CompleteSms[] => {
      const due = this.#sql('SELECT id FROM sms_part_groups WHERE message_id IS NULL AND last_part_at <= ? ORDER BY id').pluck().all(now - this.#timeoutMs) as number[]
      return due.map((id) => this.#assembleGroup(id, false, now))
    }).immediate()
  }

  unprocessed (): CompleteSms[] {
    const ids = this.#sql('SELECT id FROM sms_messages WHERE processed = 0 ORDER BY id').pluck().all() as number[]
    return ids.map((id) => this.#load(id))
  }

  /** For ingest: record what became of a message. Call inside ingest's own transaction. */
  markProcessed (id: number, outcome: string, creditId: number | null = null): void {
    this.#sql('UPDATE sms_messages SET processed = 1, outcome = ?, credit_id = ? WHERE id = ?').run(outcome, creditId, id)
  }

  #assembleGroup (groupId: number, complete: boolean, now: number): CompleteSms {
    const g = this.#sql('SELECT id, modem_key, modem_id, network, mode, sender, total FROM sms_part_groups WHERE id = ?').get(groupId) as GroupRow
    const parts = this.#sql("SELECT seq, encoding, text, payload_hex, raw_hex FROM sms_pdus WHERE group_id = ? AND status = 'part' ORDER BY seq").all(groupId) as PartRow[]
    // The first part held stands for the message's SMSC and time.
    const head = this.#sql("SELECT smsc, sent_at, sent_at_ms FROM sms_pdus WHERE group_id = ? AND status = 'part' ORDER BY seq LIMIT 1").get(groupId) as { smsc: string | null, sent_at: string | null, sent_at_ms: number | null }
    const messageId = this.#insertMessage(g.modem_key, g.modem_id, g.network as Network | null, g.mode, g.sender, parts, g.total, complete, head.smsc, head.sent_at, head.sent_at_ms, now)
    this.#sql('UPDATE sms_part_groups SET message_id = ? WHERE id = ?').run(messageId, groupId)
    this.#sql("UPDATE sms_pdus SET message_id = ? WHERE group_id = ? AND status = 'part'").run(messageId, groupId)
    return this.#load(messageId)
  }

  #insertMessage (modemKey: string, modemId: string, network: Network | null, mode: Mode, sender: string, parts: readonly PartRow[], expected: number,
    complete: boolean, smsc: string | null, sentAt: string | null, sentAtMs: number | null, now: number): number {
    const text = this.#assemble(parts.map((p) => ({ seq: p.seq, encoding: p.encoding, text: p.text, payloadHex: p.payload_hex }))) ?? ''
    return Number(this.#sql(`INSERT INTO sms_messages (modem_id, modem_key, network, mode, sender, text, smsc, sent_at, sent_at_ms, received_at, parts, parts_expected, complete, raw)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(modemId, modemKey, network, mode, sender, text, smsc, sentAt, sentAtMs, now, parts.length, expected, complete ? 1 : 0, JSON.stringify(parts.map((p) => p.raw_hex))).lastInsertRowid)
  }

  #load (id: number): CompleteSms {
    const r = this.#sql('SELECT id, modem_id, network, mode, sender, text, smsc, sent_at, sent_at_ms, received_at, raw, complete FROM sms_messages WHERE id = ?').get(id) as MessageRow
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
}
