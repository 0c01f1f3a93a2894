import type { AttemptOutcome, DeliveryStatus, EventType, Mode } from '../core/enums.js'
import { ConflictError, InvalidFieldError, NotFoundError } from './errors.js'
import type { LedgerTx } from './ledger.js'
import type { Owner } from './modes.js'
import { pageOf } from './page.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'
import { columns } from './columns.js'

export interface Delivery {
  id: string
  webhookId: string
  endpointId: string
  merchantId: string
  mode: Mode
  eventType: EventType
  body: string
  /**
   * Where this delivery goes instead of its endpoint's URL: a payment's own `webhook_url`, or a MoMo
   * proxy request's own callbackUrl; null for the endpoint's own rows.
   */
  targetUrl: string | null
  status: DeliveryStatus
  attempts: number
  retryIndex: number
  maxRetries: number | null
  nextAttemptAt: number | null
  /** Until when the node that claimed it may send it (null: not claimed). */
  leaseExpiresAt: number | null
  lastAttemptAt: number | null
  lastStatusCode: number | null
  lastError: string | null
  deliveredAt: number | null
  deadAt: number | null
  replays: number
  createdAt: number
}

/** What a claim returns of a row: what to send and where, its retry state and its lease (the rest the sender never reads). */
export type ClaimedDelivery = Pick<Delivery, 'id' | 'webhookId' | 'endpointId' | 'eventType' | 'body' | 'targetUrl' | 'retryIndex' | 'maxRetries' | 'leaseExpiresAt'>

/** One outbox row to write: the body is the exact bytes every attempt will send. */
export interface NewDelivery {
  id: string
  webhookId: string
  endpointId: string
  merchantId: string
  mode: Mode
  eventId: number | null
  eventType: EventType
  body: string
  /** Retries allowed after the first attempt; null = the configured schedule's length. */
  maxRetries: number | null
  /**
   * Overrides the endpoint's URL for this delivery only. For a payment's own `webhook_url` the row
   * belongs to the endpoint whose secret signs it (eventId then null).
   */
  targetUrl?: string | null
  /**
   * Born claimed by this lease owner for `leaseMs` (the test call sends the row itself): no poll
   * loop, of this process or another node, can claim it between its insert and its send.
   */
  lease?: { owner: string, leaseMs: number }
}

/** What the dispatcher decided after an attempt, applied in one transaction. */
export type AttemptVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry', delayMs: number }
  | { kind: 'dead' }

/** What one attempt saw (webhooks/http-sender.ts SendResult has these fields). */
export interface AttemptResult {
  statusCode: number | null
  error: string | null
  responseBody: string
  durationMs: number
}

export interface CompleteInput {
  delivery: Pick<Delivery, 'id' | 'retryIndex'>
  leaseOwner: string
  startedAt: number
  result: AttemptResult
  verdict: AttemptVerdict
  /** More writes that must commit with the attempt (endpoint health), run only if the lease held. */
  alsoRecord?: (tx: LedgerTx) => Promise<void>
}

/** A 2xx attempt to record with others of its batch (recordDelivered). */
export interface DeliveredAttempt {
  id: string
  startedAt: number
  statusCode: number
  responseBody: string
  durationMs: number
  /** The endpoint whose health this success refreshes; null when the row went to its own URL (a payment's webhook_url). */
  healthOf: string | null
}

export interface DeliveryQuery { endpointId: string, status?: DeliveryStatus | undefined, limit: number, cursor?: string | undefined }

export interface DeliveryAttempt {
  outcome: AttemptOutcome
  status_code: number | null
  error: string | null
  duration_ms: number | null
  started_at: number
}

/**
 * The transactional outbox: one row per (event, endpoint), written in the transaction of the change
 * (webhooks/outbox.ts subscribes to the ledger's events). The dispatcher claims due rows under a
 * lease (owner + expiry), so a crash mid-send leaves a row another start re-claims once the lease
 * lapses, and a row waiting for its retry has exactly one `next_attempt_at`.
 */
export interface WebhookDeliveryStore {
  insert: (delivery: NewDelivery) => Promise<Delivery>
  /**
   * Claims up to `limit` due deliveries for `leaseOwner` until `leaseMs` from now, at most
   * `room(endpointId)` of each endpoint (what the caller may still hold of it: its free slots, and
   * for a fast endpoint the rows it sends next), taken in turn across endpoints so one endpoint's
   * backlog never fills the batch. All in one transaction (one commit for the batch). A row whose
   * previous lease lapsed was abandoned mid-attempt by a stopped or crashed process; that attempt is
   * logged as abandoned (its outcome is unknown) and is not counted as a failure.
   */
  claimDue: (leaseOwner: string, leaseMs: number, limit: number, room: (endpointId: string) => number) => Promise<ClaimedDelivery[]>
  /** Gives a claimed row back untouched (its endpoint went away between claim and send). */
  release: (id: string, leaseOwner: string) => Promise<void>
  /**
   * Records an attempt and its consequence. Returns false when the lease was lost (this process
   * took longer than the lease and another claimed the row): then nothing is written.
   */
  complete: (input: CompleteInput) => Promise<boolean>
  /**
   * `complete` for many delivered attempts of one lease owner at once: one transaction, one
   * statement for the rows, one for their attempts, one health update per endpoint. Returns the ids
   * recorded; a row whose lease was lost is left as it is, like `complete` leaves it.
   */
  recordDelivered: (leaseOwner: string, attempts: readonly DeliveredAttempt[]) => Promise<Set<string>>
  /** The owner's delivery, or NotFoundError. */
  get: (owner: Owner, id: string) => Promise<Delivery>
  byId: (id: string) => Promise<Delivery | undefined>
  list: (query: DeliveryQuery) => Promise<{ items: Delivery[], hasMore: boolean, nextCursor: string | null }>
  attempts: (id: string) => Promise<DeliveryAttempt[]>
  /**
   * Sends a delivery again with the same webhook_id and body (dead letters included): due now, on
   * a fresh retry schedule. A delivery being sent right now is left alone.
   */
  replay: (owner: Owner, id: string) => Promise<Delivery>
}

interface DeliveryRow {
  id: string
  webhook_id: string
  endpoint_id: string
  merchant_id: string
  mode: Mode
  event_type: EventType
  body: string
  target_url: string | null
  status: DeliveryStatus
  attempts: number
  retry_index: number
  max_retries: number | null
  next_attempt_at: number | null
  lease_owner: string | null
  lease_expires_at: number | null
  last_attempt_at: number | null
  last_status_code: number | null
  last_error: string | null
  delivered_at: number | null
  dead_at: number | null
  replays: number
  created_at: number
}

const DELIVERY_COLUMNS = columns<DeliveryRow>()(['id', 'webhook_id', 'endpoint_id', 'merchant_id', 'mode', 'event_type', 'body', 'target_url', 'status', 'attempts',
  'retry_index', 'max_retries', 'next_attempt_at', 'lease_owner', 'lease_expires_at', 'last_attempt_at', 'last_status_code', 'last_error',
  'delivered_at', 'dead_at', 'replays', 'created_at'])

type ClaimedRow = Pick<DeliveryRow, 'id' | 'webhook_id' | 'endpoint_id' | 'event_type' | 'body' | 'target_url' | 'retry_index' | 'max_retries' | 'lease_expires_at'>

/**
 * A claim returns these alone: the 13 other columns of each row cost the claim's statement and
 * its row objects for nothing the sender reads (README, Performance: webhook_fanout).
 */
const CLAIMED_COLUMNS = columns<ClaimedRow>()(['id', 'webhook_id', 'endpoint_id', 'event_type', 'body', 'target_url', 'retry_index', 'max_retries', 'lease_expires_at'])

function toClaimed (r: ClaimedRow): ClaimedDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    endpointId: r.endpoint_id,
    eventType: r.event_type,
    body: r.body,
    targetUrl: r.target_url,
    retryIndex: r.retry_index,
    maxRetries: r.max_retries,
    leaseExpiresAt: r.lease_expires_at
  }
}

function toDelivery (r: DeliveryRow): Delivery {
  return {
    ...toClaimed(r),
    merchantId: r.merchant_id,
    mode: r.mode,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    deadAt: r.dead_at,
    replays: r.replays,
    createdAt: r.created_at
  }
}

const PENDING = literal('pending' satisfies DeliveryStatus)
const DELIVERED = literal('delivered' satisfies DeliveryStatus & AttemptOutcome)

/**
 * Claims, releases and outcomes guard themselves: each UPDATE names the lease it expects in its WHERE
 * clause, endpoint health moves by increments, and on PostgreSQL the due rows are locked (`FOR UPDATE
 * SKIP LOCKED`) as they are found. READ COMMITTED is enough for them, and spares the nodes of a shared
 * ledger the serialization retries that SERIALIZABLE would cost on every busy endpoint row.
 */
const SELF_GUARDED = { isolation: 'read_committed' } as const
const ABANDONED = 'the daemon stopped during this attempt; its outcome is unknown, so it is sent again'

const encodeCursor = (createdAt: number, id: string): string => Buffer.from(`d:${createdAt}:${id}`).toString('base64url')
function decodeCursor (cursor: string): { createdAt: number, id: string } {
  const m = /^d:(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (m === null) throw new InvalidFieldError('cursor', 'is not a cursor this API returned')
  return { createdAt: Number(m[1]), id: m[2] as string }
}

interface DueRow { id: string, endpoint_id: string, lease_owner: string | null, next_attempt_at: number }

export class SqlWebhookDeliveryStore implements WebhookDeliveryStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async insert (d: NewDelivery): Promise<Delivery> {
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      const row = await tx.ex.get<DeliveryRow>(sql`INSERT INTO webhook_deliveries (id, webhook_id, endpoint_id, merchant_id, mode, event_id, event_type, body,
          target_url, status, max_retries, next_attempt_at, created_at, lease_owner, lease_expires_at)
        VALUES (${d.id}, ${d.webhookId}, ${d.endpointId}, ${d.merchantId}, ${d.mode}, ${d.eventId}, ${d.eventType}, ${d.body},
          ${d.targetUrl ?? null}, ${PENDING}, ${d.maxRetries}, ${t}, ${t}, ${d.lease?.owner ?? null}, ${d.lease === undefined ? null : t + d.lease.leaseMs})
        RETURNING ${DELIVERY_COLUMNS}`)
      return toDelivery(row as DeliveryRow)
    })
  }

  async claimDue (leaseOwner: string, leaseMs: number, limit: number, room: (endpointId: string) => number): Promise<ClaimedDelivery[]> {
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      const found = await due(tx, { now: t, limit, room })
      if (found.length === 0) return []
      const rows = new Map((await claimRows(tx, found.map((c) => c.id), leaseOwner, t + leaseMs, t)).map((r) => [r.id, r]))
      const claimed: ClaimedDelivery[] = []
      // In due()'s order (endpoints taken in turn), whatever order the UPDATE returned its rows in.
      for (const c of found) {
        const row = rows.get(c.id)
        if (row === undefined) continue
        if (c.lease_owner !== null) {
          await tx.ex.run(sql`INSERT INTO webhook_attempts (delivery_id, outcome, status_code, error, response_body, duration_ms, started_at)
            VALUES (${c.id}, ${'abandoned' satisfies AttemptOutcome}, NULL, ${ABANDONED}, NULL, NULL, ${t})`)
        }
        claimed.push(toClaimed(row))
      }
      return claimed
    }, SELF_GUARDED)
  }

  async release (id: string, leaseOwner: string): Promise<void> {
    await this.#s.ex.run(sql`UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ${id} AND lease_owner = ${leaseOwner}`)
  }

  async complete (input: CompleteInput): Promise<boolean> {
    const { delivery, result, verdict } = input
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      const status: DeliveryStatus = verdict.kind === 'delivered' ? 'delivered' : verdict.kind === 'dead' ? 'dead' : 'pending'
      const { changes } = await tx.ex.run(sql`UPDATE webhook_deliveries SET status = ${status}, attempts = attempts + 1,
          retry_index = ${verdict.kind === 'delivered' ? delivery.retryIndex : delivery.retryIndex + 1},
          next_attempt_at = ${verdict.kind === 'retry' ? t + verdict.delayMs : null}, lease_owner = NULL, lease_expires_at = NULL,
          last_attempt_at = ${input.startedAt}, last_status_code = ${result.statusCode}, last_error = ${result.error},
          delivered_at = COALESCE(${verdict.kind === 'delivered' ? t : null}, delivered_at), dead_at = ${verdict.kind === 'dead' ? t : null}
        WHERE id = ${delivery.id} AND lease_owner = ${input.leaseOwner}`)
      if (changes !== 1) return false
      const outcome: AttemptOutcome = verdict.kind === 'delivered' ? 'delivered' : 'failed'
      await tx.ex.run(sql`INSERT INTO webhook_attempts (delivery_id, outcome, status_code, error, response_body, duration_ms, started_at)
        VALUES (${delivery.id}, ${outcome}, ${result.statusCode}, ${result.error}, ${result.responseBody}, ${result.durationMs}, ${input.startedAt})`)
      await input.alsoRecord?.(tx)
      return true
    }, SELF_GUARDED)
  }

  async recordDelivered (leaseOwner: string, attempts: readonly DeliveredAttempt[]): Promise<Set<string>> {
    if (attempts.length === 0) return new Set()
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      // One JSON array parameter a statement, each attempt [id, started_at, status_code, response_body, duration_ms]:
      // the statements are prepared once whatever the batch's size.
      const rowsOf = (list: readonly DeliveredAttempt[]): string => JSON.stringify(list.map((a) => [a.id, a.startedAt, a.statusCode, a.responseBody, a.durationMs]))
      const updated = await tx.ex.all<{ id: string }>(tx.ex.dialect === 'postgres'
        ? sql`UPDATE webhook_deliveries AS d SET status = ${DELIVERED}, attempts = d.attempts + 1, next_attempt_at = NULL, lease_owner = NULL,
              lease_expires_at = NULL, last_attempt_at = (a.e->>1)::bigint, last_status_code = (a.e->>2)::bigint, last_error = NULL,
              delivered_at = ${t}, dead_at = NULL
            FROM json_array_elements(${rowsOf(attempts)}::json) AS a(e)
            WHERE d.id = a.e->>0 AND d.lease_owner = ${leaseOwner}
            RETURNING d.id`
        : sql`UPDATE webhook_deliveries SET status = ${DELIVERED}, attempts = attempts + 1, next_attempt_at = NULL, lease_owner = NULL,
              lease_expires_at = NULL, last_attempt_at = json_extract(a.value, '$[1]'), last_status_code = json_extract(a.value, '$[2]'),
              last_error = NULL, delivered_at = ${t}, dead_at = NULL
            FROM json_each(${rowsOf(attempts)}) AS a
            WHERE webhook_deliveries.id = json_extract(a.value, '$[0]') AND webhook_deliveries.lease_owner = ${leaseOwner}
            RETURNING webhook_deliveries.id`)
      const recorded = new Set(updated.map((r) => r.id))
      if (recorded.size === 0) return recorded
      const kept = recorded.size === attempts.length ? attempts : attempts.filter((a) => recorded.has(a.id))
      await tx.ex.run(tx.ex.dialect === 'postgres'
        ? sql`INSERT INTO webhook_attempts (delivery_id, outcome, status_code, error, response_body, duration_ms, started_at)
            SELECT a.e->>0, ${DELIVERED}, (a.e->>2)::bigint, NULL, a.e->>3, (a.e->>4)::bigint, (a.e->>1)::bigint
            FROM json_array_elements(${rowsOf(kept)}::json) WITH ORDINALITY AS a(e, n) ORDER BY a.n`
        : sql`INSERT INTO webhook_attempts (delivery_id, outcome, status_code, error, response_body, duration_ms, started_at)
            SELECT json_extract(value, '$[0]'), ${DELIVERED}, json_extract(value, '$[2]'), NULL, json_extract(value, '$[3]'),
              json_extract(value, '$[4]'), json_extract(value, '$[1]')
            FROM json_each(${rowsOf(kept)}) ORDER BY key`)
      for (const endpointId of new Set(kept.map((a) => a.healthOf))) {
        if (endpointId !== null) await tx.webhookEndpoints.recordSuccess(endpointId)
      }
      return recorded
    }, SELF_GUARDED)
  }

  async get (owner: Owner, id: string): Promise<Delivery> {
    const row = await this.#s.ex.get<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ${id} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode}`)
    if (row === undefined) throw new NotFoundError('webhook delivery')
    return toDelivery(row)
  }

  async byId (id: string): Promise<Delivery | undefined> {
    const row = await this.#s.ex.get<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ${id}`)
    return row === undefined ? undefined : toDelivery(row)
  }

  async list (query: DeliveryQuery): Promise<{ items: Delivery[], hasMore: boolean, nextCursor: string | null }> {
    const from = query.cursor === undefined ? { createdAt: Number.MAX_SAFE_INTEGER, id: '' } : decodeCursor(query.cursor)
    // 'g' sorts after every hex digit and dash: the first page starts above every id of its millisecond.
    const id = from.id === '' ? 'g' : from.id
    const limit = query.limit + 1
    const rows = query.status === undefined
      ? await this.#s.ex.all<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
          WHERE endpoint_id = ${query.endpointId} AND (created_at < ${from.createdAt} OR (created_at = ${from.createdAt} AND id < ${id}))
          ORDER BY created_at DESC, id DESC LIMIT ${limit}`)
      : await this.#s.ex.all<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = ${query.endpointId} AND status = ${query.status}
          AND (created_at < ${from.createdAt} OR (created_at = ${from.createdAt} AND id < ${id})) ORDER BY created_at DESC, id DESC LIMIT ${limit}`)
    const page = pageOf(rows, query.limit)
    const items = page.items.map(toDelivery)
    const last = items.at(-1)
    const hasMore = page.hasMore
    return { items, hasMore, nextCursor: hasMore && last !== undefined ? encodeCursor(last.createdAt, last.id) : null }
  }

  async attempts (id: string): Promise<DeliveryAttempt[]> {
    return await this.#s.ex.all<DeliveryAttempt>(sql`SELECT outcome, status_code, error, duration_ms, started_at FROM webhook_attempts
      WHERE delivery_id = ${id} ORDER BY id`)
  }

  async replay (owner: Owner, id: string): Promise<Delivery> {
    return await this.#s.write(async (tx) => {
      await tx.webhookDeliveries.get(owner, id)
      const row = await tx.ex.get<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ${id}`) as DeliveryRow
      const t = tx.now()
      if (row.lease_expires_at !== null && row.lease_expires_at > t) throw new ConflictError('delivery_in_flight', 'this delivery is being sent right now')
      if ((await tx.webhookEndpoints.byId(row.endpoint_id))?.isActive !== true) {
        throw new ConflictError('endpoint_inactive', 'the endpoint is disabled or deleted; re-enable it before replaying')
      }
      const rearmed = await tx.ex.get<DeliveryRow>(sql`UPDATE webhook_deliveries SET status = ${PENDING}, retry_index = 0, next_attempt_at = ${t}, dead_at = NULL,
          replays = replays + 1
        WHERE id = ${id} RETURNING ${DELIVERY_COLUMNS}`)
      return toDelivery(rearmed as DeliveryRow)
    })
  }
}

/**
 * Due rows, at most `room` of each endpoint and none of an endpoint without room, so a backlog on
 * one slow endpoint can never fill the batch and starve the others; then taken in turn across
 * endpoints (each one's oldest first) up to `limit`. One indexed probe per active endpoint: a window
 * over every due row cost 4 ms a claim with 5,000 waiting, which capped delivery at about 280/s
 * (README, Performance: webhook_fanout).
 */
async function due (tx: LedgerScope, q: { now: number, limit: number, room: (endpointId: string) => number }): Promise<DueRow[]> {
  const byEndpoint: DueRow[][] = []
  const endpoints = await tx.ex.all<{ id: string }>(sql`SELECT id FROM webhook_endpoints WHERE is_active = 1 AND deleted_at IS NULL`)
  for (const { id: endpoint } of endpoints) {
    const room = Math.min(q.limit, Math.floor(q.room(endpoint)))
    if (room <= 0) continue
    byEndpoint.push(tx.ex.dialect === 'postgres'
      // Rows another node is claiming right now are skipped, not waited for: it will have them.
      ? await tx.ex.all<DueRow>(sql`SELECT id, endpoint_id, lease_owner, next_attempt_at FROM webhook_deliveries
          WHERE endpoint_id = ${endpoint} AND status = ${PENDING} AND next_attempt_at <= ${q.now} AND (lease_expires_at IS NULL OR lease_expires_at <= ${q.now})
          ORDER BY next_attempt_at, id LIMIT ${room} FOR UPDATE SKIP LOCKED`)
      : await tx.ex.all<DueRow>(sql`SELECT id, endpoint_id, lease_owner, next_attempt_at FROM webhook_deliveries
          WHERE endpoint_id = ${endpoint} AND status = ${PENDING} AND next_attempt_at <= ${q.now} AND (lease_expires_at IS NULL OR lease_expires_at <= ${q.now})
          ORDER BY next_attempt_at, id LIMIT ${room}`))
  }
  const rows: DueRow[] = []
  for (let i = 0; rows.length < q.limit && byEndpoint.some((list) => i < list.length); i++) {
    for (const list of byEndpoint) {
      const row = list[i]
      if (row !== undefined && rows.length < q.limit) rows.push(row)
    }
  }
  return rows
}

/**
 * Takes the lease of the due, unleased rows among `ids`, in one statement (the ids as one JSON array
 * parameter, so the statement is prepared once whatever their number): one UPDATE a claim instead of
 * one a row, which cost 48 µs a delivery in webhook_fanout. The WHERE clause is the guard: of two
 * claimers of the same row only one changes it (on PostgreSQL, at READ COMMITTED, the second
 * re-checks the row after the first commits and finds it leased).
 */
async function claimRows (tx: LedgerScope, ids: readonly string[], owner: string, until: number, now: number): Promise<ClaimedRow[]> {
  const list = JSON.stringify(ids)
  return tx.ex.dialect === 'postgres'
    ? await tx.ex.all<ClaimedRow>(sql`UPDATE webhook_deliveries SET lease_owner = ${owner}, lease_expires_at = ${until}
        WHERE id IN (SELECT jsonb_array_elements_text(${list}::jsonb)) AND status = ${PENDING} AND next_attempt_at <= ${now}
          AND (lease_expires_at IS NULL OR lease_expires_at <= ${now})
        RETURNING ${CLAIMED_COLUMNS}`)
    : await tx.ex.all<ClaimedRow>(sql`UPDATE webhook_deliveries SET lease_owner = ${owner}, lease_expires_at = ${until}
        WHERE id IN (SELECT value FROM json_each(${list})) AND status = ${PENDING} AND next_attempt_at <= ${now}
          AND (lease_expires_at IS NULL OR lease_expires_at <= ${now})
        RETURNING ${CLAIMED_COLUMNS}`)
}
