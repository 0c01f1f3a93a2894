import { randomUUID } from 'node:crypto'
import { randomHex } from '../core/ids.js'
import { isoSeconds } from '../core/time.js'
import type { Db } from '../ledger/db.js'
import { ConflictError, InvalidFieldError, NotFoundError } from '../ledger/errors.js'
import type { EventSubscriber, EventType } from '../ledger/events.js'
import type { Mode, Owner } from '../ledger/modes.js'
import type { Endpoint, EndpointRepository } from './endpoints.js'
import type { SendResult } from './http-sender.js'

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const
export type DeliveryStatus = typeof DELIVERY_STATUSES[number]

export interface Delivery {
  id: string
  webhookId: string
  endpointId: string
  merchantId: string
  mode: Mode
  eventType: EventType
  body: string
  status: DeliveryStatus
  attempts: number
  retryIndex: number
  maxRetries: number | null
  nextAttemptAt: number | null
  lastAttemptAt: number | null
  lastStatusCode: number | null
  lastError: string | null
  deliveredAt: number | null
  deadAt: number | null
  replays: number
  createdAt: number
}

interface DeliveryRow {
  id: string
  webhook_id: string
  endpoint_id: string
  merchant_id: string
  mode: Mode
  event_type: EventType
  body: string
  status: DeliveryStatus
  attempts: number
  retry_index: number
  max_retries: number | null
  next_attempt_at: number | null
  lease_owner: string | null
  last_attempt_at: number | null
  last_status_code: number | null
  last_error: string | null
  delivered_at: number | null
  dead_at: number | null
  replays: number
  created_at: number
}

function toDelivery (r: DeliveryRow): Delivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    endpointId: r.endpoint_id,
    merchantId: r.merchant_id,
    mode: r.mode,
    eventType: r.event_type,
    body: r.body,
    status: r.status,
    attempts: r.attempts,
    retryIndex: r.retry_index,
    maxRetries: r.max_retries,
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

export const newWebhookId = (): string => `whk_${randomHex(16)}`

/**
 * The SPEC §5 envelope, serialised once: this string is stored and is what every attempt signs and
 * sends, so a retry or replay can never differ from the first send by a byte.
 */
export function envelopeBody (type: EventType, webhookId: string, occurredAt: number, data: Record<string, unknown>): string {
  const envelope: Record<string, unknown> = { event: type, webhook_id: webhookId, timestamp: isoSeconds(occurredAt) }
  // A payment event carries the payment's `sequence` beside `timestamp` too: receivers order by it.
  if (typeof data['sequence'] === 'number') envelope['sequence'] = data['sequence']
  envelope['data'] = data
  if (type === 'webhook.test') envelope['test'] = true
  return JSON.stringify(envelope)
}

/** What the dispatcher decided after an attempt, applied in one transaction. */
export type AttemptVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry', delayMs: number }
  | { kind: 'dead' }

export interface CompleteInput {
  delivery: Delivery
  leaseOwner: string
  startedAt: number
  result: SendResult
  verdict: AttemptVerdict
  /** More writes that must commit with the attempt (endpoint health), run only if the lease held. */
  alsoRecord?: () => void
}

export interface DeliveryQuery { endpointId: string, status?: DeliveryStatus | undefined, limit: number, cursor?: string | undefined }

const encodeCursor = (createdAt: number, id: string): string => Buffer.from(`d:${createdAt}:${id}`).toString('base64url')
function decodeCursor (cursor: string): { createdAt: number, id: string } {
  const m = /^d:(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (m === null) throw new InvalidFieldError('cursor', 'is not a cursor this API returned')
  return { createdAt: Number(m[1]), id: m[2] as string }
}

/**
 * The transactional outbox. `subscriber` runs inside the ledger transaction of every event and
 * writes one delivery per subscribed endpoint; the dispatcher then claims due rows under a lease
 * (owner + expiry), so a crash mid-send leaves a row another start re-claims once the lease lapses,
 * and a row waiting for its retry has exactly one `next_attempt_at`.
 */
export function createOutbox (db: Db, endpoints: EndpointRepository, now: () => number = Date.now) {
  const insert = db.prepare(`INSERT INTO webhook_deliveries (id, webhook_id, endpoint_id, merchant_id, mode, event_id, event_type, body,
      status, max_retries, next_attempt_at, created_at)
    VALUES (@id, @webhook_id, @endpoint_id, @merchant_id, @mode, @event_id, @event_type, @body, 'pending', @max_retries, @now, @now)`)
  const byId = db.prepare('SELECT * FROM webhook_deliveries WHERE id = ?')
  const byOwner = db.prepare('SELECT * FROM webhook_deliveries WHERE id = ? AND merchant_id = ? AND mode = ?')
  // Due rows, at most `per` per endpoint and none for endpoints already at their limit, so a backlog
  // on one slow endpoint can never fill the batch and starve the others. One indexed probe per
  // active endpoint: a window over every due row cost 4 ms a claim with 5,000 waiting, which capped
  // delivery at about 280/s (README, Performance: webhook_fanout).
  const activeEndpoints = db.prepare('SELECT id FROM webhook_endpoints WHERE is_active = 1 AND deleted_at IS NULL').pluck()
  const dueOf = db.prepare(`SELECT id, endpoint_id, lease_owner, next_attempt_at FROM webhook_deliveries
    WHERE endpoint_id = @endpoint AND status = 'pending' AND next_attempt_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
    ORDER BY next_attempt_at, id LIMIT @per`)
  function due (q: { now: number, limit: number, per: number, busy: ReadonlySet<string> }): Array<{ id: string, endpoint_id: string, lease_owner: string | null }> {
    const rows: Array<{ id: string, endpoint_id: string, lease_owner: string | null, next_attempt_at: number }> = []
    for (const endpoint of activeEndpoints.all() as string[]) {
      if (!q.busy.has(endpoint)) rows.push(...dueOf.all({ endpoint, now: q.now, per: q.per }) as typeof rows)
    }
    return rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, q.limit)
  }
  const claim = db.prepare(`UPDATE webhook_deliveries SET lease_owner = @owner, lease_expires_at = @until
    WHERE id = @id AND status = 'pending' AND next_attempt_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
    RETURNING *`)
  const insertAttempt = db.prepare(`INSERT INTO webhook_attempts (delivery_id, outcome, status_code, error, response_body, duration_ms, started_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)`)
  const finish = db.prepare(`UPDATE webhook_deliveries SET status = @status, attempts = attempts + 1, retry_index = @retry_index,
      next_attempt_at = @next_attempt_at, lease_owner = NULL, lease_expires_at = NULL, last_attempt_at = @started_at,
      last_status_code = @status_code, last_error = @error, delivered_at = COALESCE(@delivered_at, delivered_at), dead_at = @dead_at
    WHERE id = @id AND lease_owner = @owner`)
  const rearm = db.prepare(`UPDATE webhook_deliveries SET status = 'pending', retry_index = 0, next_attempt_at = ?, dead_at = NULL,
      replays = replays + 1 WHERE id = ?`)
  const listAll = db.prepare(`SELECT * FROM webhook_deliveries WHERE endpoint_id = @endpoint AND (created_at < @at OR (created_at = @at AND id < @id))
    ORDER BY created_at DESC, id DESC LIMIT @limit`)
  const listByStatus = db.prepare(`SELECT * FROM webhook_deliveries WHERE endpoint_id = @endpoint AND status = @status
      AND (created_at < @at OR (created_at = @at AND id < @id)) ORDER BY created_at DESC, id DESC LIMIT @limit`)
  const release = db.prepare('UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?')
  const attemptsOf = db.prepare('SELECT outcome, status_code, error, duration_ms, started_at FROM webhook_attempts WHERE delivery_id = ? ORDER BY id')

  function get (owner: Owner, id: string): Delivery {
    const row = byOwner.get(id, owner.merchantId, owner.mode) as DeliveryRow | undefined
    if (row === undefined) throw new NotFoundError('webhook delivery')
    return toDelivery(row)
  }

  function enqueue (endpoint: Endpoint, type: EventType, eventId: number | null, occurredAt: number, data: Record<string, unknown>, maxRetries: number | null): Delivery {
    const id = randomUUID()
    const webhookId = newWebhookId()
    insert.run({
      id, webhook_id: webhookId, endpoint_id: endpoint.id, merchant_id: endpoint.merchantId, mode: endpoint.mode, event_id: eventId,
      event_type: type, body: envelopeBody(type, webhookId, occurredAt, data), max_retries: maxRetries, now: now()
    })
    return toDelivery(byId.get(id) as DeliveryRow)
  }

  /** Written inside the ledger transaction: the deliveries commit or roll back with the change. */
  const subscriber: EventSubscriber = (_db, event) => {
    for (const endpoint of endpoints.subscribers(event, event.type)) {
      enqueue(endpoint, event.type, event.id, event.createdAt, event.data, null)
    }
  }

  return {
    subscriber,

    /** A `webhook.test` delivery for one endpoint, due now, tried once (replayable like any other). */
    enqueueTest (endpoint: Endpoint): Delivery {
      const t = now()
      return enqueue(endpoint, 'webhook.test', null, t, {
        message: 'This is a test webhook from your Harpoon daemon.', endpoint_id: endpoint.id, mode: endpoint.mode, sent_at: isoSeconds(t)
      }, 0)
    },

    /**
     * Claims up to `limit` due deliveries for `owner` until `leaseMs` from now, keeping every
     * endpoint within `perEndpoint` attempts counting those already `inFlight`.
     * A row whose previous lease lapsed was abandoned mid-attempt by a stopped or crashed process;
     * that attempt is logged as abandoned (its outcome is unknown) and is not counted as a failure.
     */
    claimDue (owner: string, leaseMs: number, limit: number, perEndpoint: number, inFlight: ReadonlyMap<string, number>): Delivery[] {
      return db.transaction(() => {
        const t = now()
        const busy = new Set([...inFlight].filter(([, n]) => n >= perEndpoint).map(([id]) => id))
        const counts = new Map(inFlight)
        const claimed: Delivery[] = []
        for (const c of due({ now: t, limit: limit * 2, per: perEndpoint, busy })) {
          if (claimed.length >= limit) break
          const n = counts.get(c.endpoint_id) ?? 0
          if (n >= perEndpoint) continue
          const row = claim.get({ id: c.id, owner, until: t + leaseMs, now: t }) as DeliveryRow | undefined
          if (row === undefined) continue
          counts.set(c.endpoint_id, n + 1)
          if (c.lease_owner !== null) insertAttempt.run(c.id, 'abandoned', null, 'the daemon stopped during this attempt; its outcome is unknown, so it is sent again', null, null, t)
          claimed.push(toDelivery(row))
        }
        return claimed
      }).immediate()
    },

    /** Gives a claimed row back untouched (its endpoint went away between claim and send). */
    release (id: string, owner: string): void {
      release.run(id, owner)
    },

    /** Claims one delivery now, if it is due and unleased (the test call). */
    claim (owner: string, id: string, leaseMs: number): Delivery | null {
      const t = now()
      const row = claim.get({ id, owner, until: t + leaseMs, now: t }) as DeliveryRow | undefined
      return row === undefined ? null : toDelivery(row)
    },

    /**
     * Records an attempt and its consequence. Returns false when the lease was lost (this process
     * took longer than the lease and another claimed the row): then nothing is written.
     */
    complete (input: CompleteInput): boolean {
      const { delivery, result, verdict } = input
      return db.transaction(() => {
        const t = now()
        const info = finish.run({
          id: delivery.id,
          owner: input.leaseOwner,
          status: verdict.kind === 'delivered' ? 'delivered' : verdict.kind === 'dead' ? 'dead' : 'pending',
          retry_index: verdict.kind === 'delivered' ? delivery.retryIndex : delivery.retryIndex + 1,
          next_attempt_at: verdict.kind === 'retry' ? t + verdict.delayMs : null,
          started_at: input.startedAt,
          status_code: result.statusCode,
          error: result.error,
          delivered_at: verdict.kind === 'delivered' ? t : null,
          dead_at: verdict.kind === 'dead' ? t : null
        })
        if (info.changes !== 1) return false
        insertAttempt.run(delivery.id, verdict.kind === 'delivered' ? 'delivered' : 'failed', result.statusCode, result.error, result.responseBody, result.durationMs, input.startedAt)
        input.alsoRecord?.()
        return true
      }).immediate()
    },

    get,

    byId (id: string): Delivery | undefined {
      const row = byId.get(id) as DeliveryRow | undefined
      return row === undefined ? undefined : toDelivery(row)
    },

    list (query: DeliveryQuery): { items: Delivery[], hasMore: boolean, nextCursor: string | null } {
      const from = query.cursor === undefined ? { createdAt: Number.MAX_SAFE_INTEGER, id: '' } : decodeCursor(query.cursor)
      const params = { endpoint: query.endpointId, status: query.status, at: from.createdAt, id: from.id === '' ? 'g' : from.id, limit: query.limit + 1 }
      const rows = (query.status === undefined ? listAll.all(params) : listByStatus.all(params)) as DeliveryRow[]
      const items = rows.slice(0, query.limit).map(toDelivery)
      const last = items.at(-1)
      const hasMore = rows.length > query.limit
      return { items, hasMore, nextCursor: hasMore && last !== undefined ? encodeCursor(last.createdAt, last.id) : null }
    },

    attempts (id: string): Array<{ outcome: string, status_code: number | null, error: string | null, duration_ms: number | null, started_at: number }> {
      return attemptsOf.all(id) as Array<{ outcome: string, status_code: number | null, error: string | null, duration_ms: number | null, started_at: number }>
    },

    /**
     * Sends a delivery again with the same webhook_id and body (dead letters included): due now, on
     * a fresh retry schedule. A delivery being sent right now is left alone.
     */
    replay (owner: Owner, id: string): Delivery {
      return db.transaction(() => {
        const d = get(owner, id)
        const row = byId.get(id) as DeliveryRow & { lease_expires_at: number | null }
        if (row.lease_expires_at !== null && row.lease_expires_at > now()) throw new ConflictError('delivery_in_flight', 'this delivery is being sent right now')
        if (endpoints.byId(d.endpointId)?.isActive !== true) throw new ConflictError('endpoint_inactive', 'the endpoint is disabled or deleted; re-enable it before replaying')
        rearm.run(now(), id)
        return toDelivery(byId.get(id) as DeliveryRow)
      }).immediate()
    }
  }
}

export type Outbox = ReturnType<typeof createOutbox>
