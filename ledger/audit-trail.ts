import { hash as digest } from 'node:crypto'
import { columns } from './columns.js'
import type { Mode } from './modes.js'
import { pageOf } from './page.js'
import { decodeCursor, encodeCursor } from './payments.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

/**
 * Who made a change: an API key (with the client's address) or an operator at the CLI (the OS
 * user; no address).
 */
export type AuditActor =
  | { readonly type: 'key', readonly id: string, readonly address: string | null }
  | { readonly type: 'cli', readonly id: string }

/** One change to record. `before`/`after` are JSON-able snapshots with every secret already taken out. */
export interface AuditChange {
  readonly actor: AuditActor
  /** The owner the change concerns; null for what belongs to the whole box (a new merchant). */
  readonly merchantId: string | null
  readonly mode: Mode | null
  /** `payment.cancel`, `key.create`, `webhook.rotate_secret`, … */
  readonly action: string
  readonly targetType: string | null
  readonly targetId: string | null
  readonly before: unknown
  readonly after: unknown
}

/** A record as stored and shown. */
export interface AuditRecord {
  readonly seq: number
  readonly at: number
  readonly actorType: AuditActor['type']
  readonly actorId: string
  readonly address: string | null
  readonly merchantId: string | null
  readonly mode: Mode | null
  readonly action: string
  readonly targetType: string | null
  readonly targetId: string | null
  /** The stored JSON text, exactly as hashed. */
  readonly beforeState: string | null
  readonly afterState: string | null
  readonly prevHash: string
  readonly hash: string
}

export interface AuditQuery {
  /** Records of this owner, and those of no owner (box-wide actions). */
  readonly merchantId: string
  readonly mode: Mode
  readonly targetType?: string | undefined
  readonly targetId?: string | undefined
  /** The key (its id) or CLI user that acted. */
  readonly actorId?: string | undefined
  readonly from?: number | undefined
  readonly to?: number | undefined
  readonly limit: number
  readonly cursor?: string | undefined
}

/** What `harpoon audit verify` found: intact, or the first record that breaks the chain and why. */
export type AuditVerdict =
  | { readonly ok: true, readonly records: number, readonly headHash: string }
  | { readonly ok: false, readonly records: number, readonly brokenAt: number, readonly reason: string }

/** The prev_hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64)

interface TrailRow {
  seq: number
  at: number
  actor_type: AuditActor['type']
  actor_id: string
  address: string | null
  merchant_id: string | null
  mode: Mode | null
  action: string
  target_type: string | null
  target_id: string | null
  before_state: string | null
  after_state: string | null
  prev_hash: string
  hash: string
}

const TRAIL_COLUMNS = columns<TrailRow>()(['seq', 'at', 'actor_type', 'actor_id', 'address', 'merchant_id', 'mode', 'action', 'target_type',
  'target_id', 'before_state', 'after_state', 'prev_hash', 'hash'])

/**
 * The hash of a record: sha256 over the previous record's hash and every column but `hash`, as one
 * JSON array (unambiguous: no two different records give the same text). The snapshots are hashed
 * as the stored text, never re-serialised.
 */
export function recordHash (r: Omit<TrailRow, 'hash'>): string {
  const fields = [r.prev_hash, r.seq, r.at, r.actor_type, r.actor_id, r.address, r.merchant_id, r.mode, r.action, r.target_type, r.target_id,
    r.before_state, r.after_state]
  // One-shot hash of the UTF-8 text: the same digest as a Hash object fed it, without making one.
  return digest('sha256', JSON.stringify(fields), 'hex')
}

const snapshot = (value: unknown): string | null => value === undefined || value === null ? null : JSON.stringify(value)

/**
 * The operators' audit trail (issue 16): every state-changing API call and CLI action, appended in
 * the transaction of the change, chained by hash. Not `audit` (audit.ts): that is the log of a
 * channel payment's provider legs.
 */
export interface AuditTrailStore {
  /**
   * Takes the chain before anything else in a transaction that will append (its first statement):
   * on PostgreSQL a `LOCK TABLE` issued before the transaction reads anything, so appends from
   * several nodes queue instead of colliding and retrying (a serializable transaction that read the
   * head before another moved it would be rolled back). SQLite has one writer: nothing to do.
   */
  lockChain: () => Promise<void>
  /** Appends one record to the chain; inside the change's transaction only, so neither exists without the other. */
  append: (change: AuditChange) => Promise<void>
  /** An owner's records (and the box-wide ones), newest first, keyset-paged. */
  list: (query: AuditQuery) => Promise<{ items: AuditRecord[], hasMore: boolean, nextCursor: string | null }>
  /** Walks the whole chain from the first record: every seq present, every hash recomputed, the head matching. */
  verify: () => Promise<AuditVerdict>
}

export class SqlAuditTrailStore implements AuditTrailStore {
  readonly #s: LedgerScope
  /**
   * The chain's head as this transaction holds it, once locked (PostgreSQL) or moved by an append:
   * nobody else can move it before this transaction ends. A store belongs to one scope, so to one
   * transaction (a retried transaction runs in a new one).
   */
  #head: { seq: number, hash: string } | null = null
  constructor (scope: LedgerScope) { this.#s = scope }

  async lockChain (): Promise<void> {
    const tx = this.#s.inTransaction('locking the audit trail')
    if (tx.dialect !== 'postgres') return
    // EXCLUSIVE: blocks other appends (they update the head) but not readers of the trail. The head
    // is read right behind the lock, in the same round trip (pipelined): PostgreSQL runs the read
    // once the lock is held, so it sees the head no other transaction can move any more.
    const [, head] = await Promise.all([
      tx.run(sql`LOCK TABLE audit_trail_head IN EXCLUSIVE MODE`),
      tx.get<{ seq: number, hash: string }>(sql`SELECT seq, hash FROM audit_trail_head WHERE id = 1`)
    ])
    this.#head = head ?? { seq: 0, hash: GENESIS_HASH }
  }

  async append (change: AuditChange): Promise<void> {
    const tx = this.#s.inTransaction('an audit record')
    // The head is read and moved in this transaction: SQLite has one writer; on PostgreSQL two
    // appends that read the same head cannot both commit (the second is serialised and run again),
    // so several daemons keep one chain.
    const prev = this.#head ?? (await tx.get<{ seq: number, hash: string }>(sql`SELECT seq, hash FROM audit_trail_head WHERE id = 1`)) ?? { seq: 0, hash: GENESIS_HASH }
    const a = change.actor
    const row: Omit<TrailRow, 'hash'> = {
      seq: prev.seq + 1,
      at: this.#s.now(),
      actor_type: a.type,
      actor_id: a.id.slice(0, 200),
      address: a.type === 'key' ? a.address : null,
      merchant_id: change.merchantId,
      mode: change.mode,
      action: change.action,
      target_type: change.targetType,
      target_id: change.targetId === null ? null : change.targetId.slice(0, 300),
      before_state: snapshot(change.before),
      after_state: snapshot(change.after),
      prev_hash: prev.hash
    }
    const hash = recordHash(row)
    // Both writes at once (on PostgreSQL one round trip, pipelined): the record does not depend on
    // the head's answer, and a head that did not move fails the whole transaction either way.
    const [moved] = await Promise.all([
      tx.run(sql`INSERT INTO audit_trail_head (id, seq, hash) VALUES (1, ${row.seq}, ${hash})
        ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash WHERE audit_trail_head.seq = ${prev.seq}`),
      tx.run(sql`INSERT INTO audit_trail (seq, at, actor_type, actor_id, address, merchant_id, mode, action, target_type, target_id,
          before_state, after_state, prev_hash, hash)
        VALUES (${row.seq}, ${row.at}, ${row.actor_type}, ${row.actor_id}, ${row.address}, ${row.merchant_id}, ${row.mode}, ${row.action},
          ${row.target_type}, ${row.target_id}, ${row.before_state}, ${row.after_state}, ${row.prev_hash}, ${hash})`)
    ])
    if (moved.changes !== 1) throw new Error('the audit trail head moved under this transaction')
    this.#head = { seq: row.seq, hash }
  }

  async list (q: AuditQuery): Promise<{ items: AuditRecord[], hasMore: boolean, nextCursor: string | null }> {
    const before = q.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(q.cursor)
    const targetType = q.targetType ?? null
    const targetId = q.targetId ?? null
    const actorId = q.actorId ?? null
    const from = q.from ?? null
    const to = q.to ?? null
    // Each filter is "absent, or matches": the casts give PostgreSQL a type for a NULL parameter.
    const rows = await this.#s.ex.all<TrailRow>(sql`SELECT ${TRAIL_COLUMNS} FROM audit_trail
      WHERE seq < ${before}
        AND (merchant_id IS NULL OR merchant_id = ${q.merchantId}) AND (mode IS NULL OR mode = ${q.mode})
        AND (CAST(${targetType} AS TEXT) IS NULL OR target_type = ${targetType})
        AND (CAST(${targetId} AS TEXT) IS NULL OR target_id = ${targetId})
        AND (CAST(${actorId} AS TEXT) IS NULL OR actor_id = ${actorId})
        AND (CAST(${from} AS BIGINT) IS NULL OR at >= ${from}) AND (CAST(${to} AS BIGINT) IS NULL OR at <= ${to})
      ORDER BY seq DESC LIMIT ${q.limit + 1}`)
    const { items, hasMore } = pageOf(rows, q.limit)
    return { items: items.map(toRecord), hasMore, nextCursor: hasMore && items.length > 0 ? encodeCursor((items.at(-1) as TrailRow).seq) : null }
  }

  async verify (): Promise<AuditVerdict> {
    const BATCH = 1000
    let expected = 1
    let prevHash = GENESIS_HASH
    let records = 0
    for (;;) {
      const rows = await this.#s.ex.all<TrailRow>(sql`SELECT ${TRAIL_COLUMNS} FROM audit_trail WHERE seq >= ${expected} ORDER BY seq LIMIT ${BATCH}`)
      for (const r of rows) {
        if (r.seq !== expected) return broken(records, expected, `record ${expected} is missing (deleted): the next one is ${r.seq}`)
        if (r.prev_hash !== prevHash) return broken(records, r.seq, `its prev_hash does not match record ${r.seq - 1}'s hash (a record before it was edited, or it was)`)
        const { hash, ...rest } = r
        if (recordHash(rest) !== hash) return broken(records, r.seq, 'its contents do not match its hash (edited)')
        prevHash = hash
        expected++
        records++
      }
      if (rows.length < BATCH) break
    }
    // Records before `expected` are intact; the head must name the last of them, or the newest were deleted.
    const head = await this.#s.ex.get<{ seq: number, hash: string }>(sql`SELECT seq, hash FROM audit_trail_head WHERE id = 1`)
    const headSeq = head?.seq ?? 0
    if (headSeq > records) return broken(records, records + 1, `record ${records + 1} is missing (deleted): the chain's head says it ends at ${headSeq}`)
    if (headSeq < records || (head !== undefined && head.hash !== prevHash)) {
      return broken(records, headSeq === 0 ? 1 : headSeq, 'the chain\'s head does not match the records (edited)')
    }
    return { ok: true, records, headHash: prevHash }
  }
}

function broken (records: number, seq: number, reason: string): AuditVerdict {
  return { ok: false, records, brokenAt: seq, reason }
}

function toRecord (r: TrailRow): AuditRecord {
  return {
    seq: r.seq,
    at: r.at,
    actorType: r.actor_type,
    actorId: r.actor_id,
    address: r.address,
    merchantId: r.merchant_id,
    mode: r.mode,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    beforeState: r.before_state,
    afterState: r.after_state,
    prevHash: r.prev_hash,
    hash: r.hash
  }
}
