import { randomBytes } from 'node:crypto'
import { SECRET_KEY_BYTES, SecretBox } from '../secret-box.js'
import { HarpoonError } from '../../core/errors.js'
import type { CompleteSms, ModemRef, PduRecord, RecordOutcome, SmsInboxPort } from '../../modem/inbox-port.js'
import type { Executor } from '../engine.js'
import { LedgerScope, type Shared } from '../scope.js'
import { ApiKeyCache } from '../api-key-cache.js'
import type { InboxRules } from '../sms-inbox.js'
import { literal, sql } from '../sql.js'
import { SqliteEngine } from '../sqlite/engine.js'
import { migrate } from '../sqlite/migrate.js'
import { AGENT_MIGRATIONS } from './migrations/index.js'

type OutboxState = 'pending' | 'forwarded' | 'refused'
const PENDING = literal('pending' satisfies OutboxState)
const FORWARDED = literal('forwarded' satisfies OutboxState)
const REFUSED = literal('refused' satisfies OutboxState)

/** One thing to hand to the central: a message's raw PDUs, or one undecodable PDU. */
export interface ForwardItem {
  /** The outbox row: the agent's sequence number, increasing in the order messages were stored. */
  readonly seq: number
  readonly modemId: string
  /** The modem identity the PDUs were stored under (`imsi:…`): part of the central's dedup key. */
  readonly modemKey: string
  readonly network: string | null
  /** Raw PDU hex as the modem listed them, in part order. */
  readonly pdus: readonly string[]
  /** False for a message released with parts missing, and for an undecodable PDU. */
  readonly complete: boolean
  readonly storedAt: number
}

export interface Backlog {
  /** Stored and not yet acknowledged by the central. */
  readonly pending: number
  readonly oldestPendingAt: number | null
  /** Taken out of the queue by hand (`harpoon agent skip`): kept here, forwarded again only by a replay. */
  readonly skipped: number
  readonly forwarded: number
  readonly lastForwardedAt: number | null
  readonly byModem: ReadonlyArray<{ modemId: string, pending: number, oldestPendingAt: number }>
}

/**
 * The agent's local store of raw messages (an SQLite file of its own, ledger/agent/migrations):
 * what the modems read is committed here before the SIM copy is deleted, queued in the outbox in
 * the same transaction, and leaves the queue only when the central acknowledged it. Acknowledged
 * messages are kept for `purge` to remove after the retention time, so a re-read PDU is still
 * recognised and `replay` can send the whole store again.
 */
export interface AgentStore {
  /** The storage port the modem layer writes through (commits before it resolves). */
  inboxPort: (rules: InboxRules) => SmsInboxPort
  /** The oldest pending item of one modem, or null when its queue is empty. */
  next: (modemId: string) => Promise<ForwardItem | null>
  /** Modems that have pending items (including modems no longer configured). */
  modemsWithBacklog: () => Promise<string[]>
  /** The central acknowledged the item (accepted now, or already had it). */
  forwarded: (seq: number, centralSmsId: number | null) => Promise<void>
  /** Takes an item out of the queue by hand (`harpoon agent skip`): kept in the store, never forwarded until a replay. False when no such pending item. */
  refused: (seq: number, reason: string) => Promise<boolean>
  backlog: () => Promise<Backlog>
  /** Puts every item still held (acknowledged or skipped) back in the queue, in its old order; returns how many. */
  replay: () => Promise<number>
  /** Removes items acknowledged before `before`, with their messages and PDUs; returns how many. */
  purge: (before: number) => Promise<number>
  close: () => Promise<void>
}

interface ItemRow {
  seq: number
  modem_id: string
  stored_at: number
  message_id: number | null
  m_key: string | null
  m_network: string | null
  m_raw: string | null
  m_complete: number | null
  p_key: string | null
  p_raw: string | null
}

/** Per connection (the store has a writer and a reader). */
const AGENT_STORE_PAGE_CACHE_KIB = 2_048

/** Opens (creating and migrating) the agent store at `path`. */
export async function openAgentStore (path: string, options: { now?: () => number } = {}): Promise<AgentStore> {
  // A small page cache: the store's working set is the head of each modem's queue and the latest
  // PDUs, and a site's box may be small; the default 16 MiB per connection would grow the agent's
  // memory with the store for the first several thousand messages (npm run bench agent_rss).
  const engine = new SqliteEngine(path, { pageCacheKib: AGENT_STORE_PAGE_CACHE_KIB })
  try {
    const first = engine.connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() as { name: string } | undefined
    if (first !== undefined) {
      const v1 = engine.connection.prepare('SELECT name FROM schema_migrations WHERE version = 1').pluck().get() as string | undefined
      // A ledger file shares the migrations table but not the schema: refuse it rather than misread it.
      if (v1 !== undefined && v1 !== AGENT_MIGRATIONS[0]?.name) throw new HarpoonError('database_open_failed', `${path} is not an agent store (it is a Harpoon ledger?); give agent.store_path a file of its own`)
    }
    migrate(engine.connection, AGENT_MIGRATIONS)
  } catch (err) {
    await engine.close()
    throw err
  }
  return new SqliteAgentStore(engine, options.now ?? Date.now)
}

/** An agent's store keeps no secrets (only its inbox and outbox): a key no one keeps, so nothing could be sealed for later. */
const NO_SECRETS = new SecretBox(randomBytes(SECRET_KEY_BYTES))

class SqliteAgentStore implements AgentStore {
  readonly #engine: SqliteEngine
  readonly #shared: Shared
  readonly #now: () => number

  constructor (engine: SqliteEngine, now: () => number) {
    this.#engine = engine
    this.#now = now
    // Only the inbox store's statements run here: an agent holds no payments, so it never draws a code.
    this.#shared = { engine, now, subscribers: [], keyTouched: new Map(), keyCache: new ApiKeyCache(engine), secrets: NO_SECRETS, drawCode: () => { throw new Error('an agent store holds no payments') } }
  }

  inboxPort (rules: InboxRules): SmsInboxPort {
    return {
      recordPdu: async (modem, pdu) => (await this.#recordPdus(modem, [pdu], rules))[0] as RecordOutcome,
      recordPdus: async (modem, pdus) => await this.#recordPdus(modem, pdus, rules),
      releaseExpired: async (now) => await this.#engine.transaction(async (t) => {
        const released = await new LedgerScope(t, t, this.#shared).smsInbox.releaseExpired(now, rules)
        for (const sms of released) await this.#enqueueMessage(t, sms)
        return released
      }),
      // Every message was queued in the transaction that stored it: nothing is left to hand over.
      unprocessed: async () => []
    }
  }

  /** A batch in one transaction; each completed message (or undecodable PDU) queued for forwarding in it. */
  async #recordPdus (modem: ModemRef, pdus: readonly PduRecord[], rules: InboxRules): Promise<RecordOutcome[]> {
    return await this.#engine.transaction(async (t) => {
      const inbox = new LedgerScope(t, t, this.#shared).smsInbox
      const outcomes: RecordOutcome[] = []
      for (const pdu of pdus) {
        const outcome = await inbox.recordPdu(modem, pdu, rules)
        if (outcome.completed !== null) await this.#enqueueMessage(t, outcome.completed)
        else if (outcome.isNew && pdu.decoded === null) {
          await t.run(sql`INSERT INTO outbox (modem_id, pdu_id, stored_at)
            SELECT modem_id, id, received_at FROM sms_pdus WHERE modem_key = ${modem.key} AND tpdu_hash = ${pdu.tpduHash}`)
        }
        outcomes.push(outcome)
      }
      return outcomes
    })
  }

  async #enqueueMessage (t: Executor, sms: CompleteSms): Promise<void> {
    await t.run(sql`INSERT INTO outbox (modem_id, message_id, stored_at) VALUES (${sms.modemId}, ${sms.id}, ${sms.receivedAt})`)
  }

  async next (modemId: string): Promise<ForwardItem | null> {
    const row = await this.#engine.get<ItemRow>(sql`SELECT o.id AS seq, o.modem_id, o.stored_at, o.message_id,
        m.modem_key AS m_key, m.network AS m_network, m.raw AS m_raw, m.complete AS m_complete, p.modem_key AS p_key, p.raw_hex AS p_raw
      FROM outbox o LEFT JOIN sms_messages m ON m.id = o.message_id LEFT JOIN sms_pdus p ON p.id = o.pdu_id
      WHERE o.modem_id = ${modemId} AND o.state = ${PENDING} ORDER BY o.id LIMIT 1`)
    if (row === undefined) return null
    const isMessage = row.message_id !== null
    return {
      seq: row.seq,
      modemId: row.modem_id,
      modemKey: (isMessage ? row.m_key : row.p_key) as string,
      network: row.m_network,
      pdus: isMessage ? JSON.parse(row.m_raw as string) as string[] : [row.p_raw as string],
      complete: isMessage && row.m_complete === 1,
      storedAt: row.stored_at
    }
  }

  async modemsWithBacklog (): Promise<string[]> {
    const rows = await this.#engine.all<{ modem_id: string }>(sql`SELECT DISTINCT modem_id FROM outbox WHERE state = ${PENDING} ORDER BY modem_id`)
    return rows.map((r) => r.modem_id)
  }

  async forwarded (seq: number, centralSmsId: number | null): Promise<void> {
    await this.#engine.run(sql`UPDATE outbox SET state = ${FORWARDED}, forwarded_at = ${this.#now()}, central_sms_id = ${centralSmsId}
      WHERE id = ${seq} AND state = ${PENDING}`)
  }

  async refused (seq: number, reason: string): Promise<boolean> {
    const { changes } = await this.#engine.run(sql`UPDATE outbox SET state = ${REFUSED}, refusal = ${reason.slice(0, 1000)} WHERE id = ${seq} AND state = ${PENDING}`)
    return changes === 1
  }

  async backlog (): Promise<Backlog> {
    const byModem = await this.#engine.all<{ modemId: string, pending: number, oldestPendingAt: number }>(sql`SELECT modem_id AS "modemId",
        COUNT(*) AS "pending", MIN(stored_at) AS "oldestPendingAt" FROM outbox WHERE state = ${PENDING} GROUP BY modem_id ORDER BY modem_id`)
    const totals = await this.#engine.get<{ refused: number, forwarded: number, last: number | null }>(sql`SELECT
        (SELECT COUNT(*) FROM outbox WHERE state = ${REFUSED}) AS "refused",
        (SELECT COUNT(*) FROM outbox WHERE state = ${FORWARDED}) AS "forwarded",
        (SELECT MAX(forwarded_at) FROM outbox WHERE state = ${FORWARDED}) AS "last"`)
    return {
      pending: byModem.reduce((n, m) => n + m.pending, 0),
      oldestPendingAt: byModem.length === 0 ? null : Math.min(...byModem.map((m) => m.oldestPendingAt)),
      skipped: totals?.refused ?? 0,
      forwarded: totals?.forwarded ?? 0,
      lastForwardedAt: totals?.last ?? null,
      byModem
    }
  }

  async replay (): Promise<number> {
    const { changes } = await this.#engine.run(sql`UPDATE outbox SET state = ${PENDING}, forwarded_at = NULL WHERE state IN (${FORWARDED}, ${REFUSED})`)
    return changes
  }

  async purge (before: number): Promise<number> {
    let total = 0
    // In slices, so the writer is never held long and a purge after months offline stays small in memory.
    for (;;) {
      const n = await this.#engine.transaction(async (t) => {
        const due = await t.all<{ id: number, message_id: number | null, pdu_id: number | null }>(sql`SELECT id, message_id, pdu_id FROM outbox
          WHERE state = ${FORWARDED} AND forwarded_at < ${before} ORDER BY forwarded_at LIMIT 500`)
        for (const row of due) {
          await t.run(sql`DELETE FROM outbox WHERE id = ${row.id}`)
          if (row.pdu_id !== null) await t.run(sql`DELETE FROM sms_pdus WHERE id = ${row.pdu_id}`)
          if (row.message_id === null) continue
          // The message's parts, and copies of them that arrived after it was assembled (grouped with it).
          await t.run(sql`DELETE FROM sms_pdus WHERE message_id = ${row.message_id}
            OR group_id IN (SELECT id FROM sms_part_groups WHERE message_id = ${row.message_id})`)
          await t.run(sql`DELETE FROM sms_part_groups WHERE message_id = ${row.message_id}`)
          await t.run(sql`DELETE FROM sms_messages WHERE id = ${row.message_id}`)
        }
        return due.length
      })
      total += n
      if (n < 500) return total
    }
  }

  async close (): Promise<void> { await this.#engine.close() }
}
