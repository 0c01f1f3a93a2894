import { randomUUID } from 'node:crypto'
import type { Db } from '../ledger/db.js'
import { InvalidFieldError, NotFoundError } from '../ledger/errors.js'
import { EVENT_TYPES, type EventType } from '../ledger/events.js'
import type { Mode, Owner } from '../ledger/modes.js'
import { generateSecret } from './signer.js'

/** Event names an endpoint may subscribe to; `webhook.test` is sent by the test call whatever the list. */
export const SUBSCRIBABLE_EVENTS = EVENT_TYPES.filter((e) => e !== 'webhook.test')
export const ALL_EVENTS = '*'

export interface Endpoint {
  id: string
  merchantId: string
  mode: Mode
  url: string
  events: string[]
  description: string | null
  isActive: boolean
  disabledReason: string | null
  lastSuccessAt: number | null
  lastFailureAt: number | null
  consecutiveFailures: number
  failingSince: number | null
  createdAt: number
  updatedAt: number
}

interface EndpointRow {
  id: string
  merchant_id: string
  mode: Mode
  url: string
  events: string
  description: string | null
  is_active: number
  disabled_reason: string | null
  last_success_at: number | null
  last_failure_at: number | null
  consecutive_failures: number
  failing_since: number | null
  created_at: number
  updated_at: number
}

function toEndpoint (r: EndpointRow): Endpoint {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    mode: r.mode,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    description: r.description,
    isActive: r.is_active === 1,
    disabledReason: r.disabled_reason,
    lastSuccessAt: r.last_success_at,
    lastFailureAt: r.last_failure_at,
    consecutiveFailures: r.consecutive_failures,
    failingSince: r.failing_since,
    createdAt: r.created_at,
    updatedAt: r.updated_at
  }
}

/** `["*"]`, an omitted list or an empty one all mean every event; names are checked and deduplicated. */
export function normaliseEvents (events: readonly string[] | undefined): string[] {
  if (events === undefined || events.length === 0 || events.includes(ALL_EVENTS)) return [ALL_EVENTS]
  const unknown = events.filter((e) => !(SUBSCRIBABLE_EVENTS as readonly string[]).includes(e))
  if (unknown.length > 0) throw new InvalidFieldError('events', `has unknown event names: ${unknown.join(', ')} (known: ${SUBSCRIBABLE_EVENTS.join(', ')} or "*")`)
  return [...new Set(events)]
}

export interface EndpointChanges {
  url?: string | undefined
  events?: string[] | undefined
  description?: string | null | undefined
  isActive?: boolean | undefined
}

/**
 * Webhook endpoints and their secrets, per merchant AND mode: a test key never sees a live endpoint.
 * URL safety is checked by the caller before anything is stored (it needs DNS, which is async).
 */
export function createEndpointRepository (db: Db, now: () => number = Date.now) {
  const insert = db.prepare(`INSERT INTO webhook_endpoints (id, merchant_id, mode, url, events, description, created_at, updated_at)
    VALUES (@id, @merchant_id, @mode, @url, @events, @description, @now, @now)`)
  const insertSecret = db.prepare('INSERT INTO webhook_secrets (endpoint_id, secret, created_at, expires_at) VALUES (?, ?, ?, NULL)')
  const byOwner = db.prepare('SELECT * FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND mode = ? AND deleted_at IS NULL')
  const byId = db.prepare('SELECT * FROM webhook_endpoints WHERE id = ? AND deleted_at IS NULL')
  const list = db.prepare('SELECT * FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND deleted_at IS NULL ORDER BY created_at, id')
  const active = db.prepare('SELECT * FROM webhook_endpoints WHERE merchant_id = ? AND mode = ? AND is_active = 1 AND deleted_at IS NULL ORDER BY created_at, id')
  const update = db.prepare(`UPDATE webhook_endpoints SET url = @url, events = @events, description = @description, is_active = @is_active,
      disabled_reason = @disabled_reason, consecutive_failures = @consecutive_failures, failing_since = @failing_since, updated_at = @now WHERE id = @id`)
  const remove = db.prepare('UPDATE webhook_endpoints SET deleted_at = ?, is_active = 0, updated_at = ? WHERE id = ?')
  const validSecrets = db.prepare('SELECT secret FROM webhook_secrets WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC').pluck()
  const expireSecrets = db.prepare('UPDATE webhook_secrets SET expires_at = ? WHERE endpoint_id = ? AND (expires_at IS NULL OR expires_at > ?)')
  const success = db.prepare(`UPDATE webhook_endpoints SET last_success_at = ?, consecutive_failures = 0, failing_since = NULL WHERE id = ?`)
  const failure = db.prepare(`UPDATE webhook_endpoints SET last_failure_at = @now, consecutive_failures = consecutive_failures + 1,
      failing_since = COALESCE(failing_since, @now) WHERE id = @id RETURNING failing_since`).pluck()
  const disable = db.prepare('UPDATE webhook_endpoints SET is_active = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND is_active = 1')

  function owned (owner: Owner, id: string): Endpoint {
    const row = byOwner.get(id, owner.merchantId, owner.mode) as EndpointRow | undefined
    if (row === undefined) throw new NotFoundError('webhook endpoint')
    return toEndpoint(row)
  }

  return {
    /** Returns the endpoint and its first secret, which is never shown again. */
    create (owner: Owner, input: { url: string, events?: string[] | undefined, description?: string | null | undefined }): { endpoint: Endpoint, secret: string } {
      const id = randomUUID()
      const secret = generateSecret()
      const t = now()
      db.transaction(() => {
        insert.run({ id, merchant_id: owner.merchantId, mode: owner.mode, url: input.url, events: JSON.stringify(normaliseEvents(input.events)), description: input.description ?? null, now: t })
        insertSecret.run(id, secret, t)
      })()
      return { endpoint: owned(owner, id), secret }
    },

    get: owned,

    /** Any owner's endpoint, for the dispatcher. */
    byId (id: string): Endpoint | undefined {
      const row = byId.get(id) as EndpointRow | undefined
      return row === undefined ? undefined : toEndpoint(row)
    },

    list (owner: Owner): Endpoint[] {
      return (list.all(owner.merchantId, owner.mode) as EndpointRow[]).map(toEndpoint)
    },

    /** Active endpoints of the owner that want this event. */
    subscribers (owner: Owner, type: EventType): Endpoint[] {
      return (active.all(owner.merchantId, owner.mode) as EndpointRow[]).map(toEndpoint)
        .filter((e) => e.events.includes(ALL_EVENTS) || e.events.includes(type))
    },

    update (owner: Owner, id: string, changes: EndpointChanges): Endpoint {
      const e = owned(owner, id)
      const reactivated = changes.isActive === true && !e.isActive
      const isActive = changes.isActive ?? e.isActive
      update.run({
        id,
        url: changes.url ?? e.url,
        events: JSON.stringify(changes.events === undefined ? e.events : normaliseEvents(changes.events)),
        description: changes.description === undefined ? e.description : changes.description,
        is_active: isActive ? 1 : 0,
        disabled_reason: isActive ? null : changes.isActive === false ? 'disabled by the merchant' : e.disabledReason,
        // Re-enabling starts a fresh failure run, or the 5-day rule would disable it again at once.
        consecutive_failures: reactivated ? 0 : e.consecutiveFailures,
        failing_since: reactivated ? null : e.failingSince,
        now: now()
      })
      return owned(owner, id)
    },

    remove (owner: Owner, id: string): Endpoint {
      const e = owned(owner, id)
      const t = now()
      remove.run(t, t, id)
      return { ...e, isActive: false }
    },

    /** A new secret; every secret valid now stays valid `overlapSeconds` more (0 = revoke at once). */
    rotateSecret (owner: Owner, id: string, overlapSeconds: number): { endpoint: Endpoint, secret: string, previousExpiresAt: number } {
      const e = owned(owner, id)
      const secret = generateSecret()
      const t = now()
      const until = t + overlapSeconds * 1000
      db.transaction(() => {
        expireSecrets.run(until, id, until)
        insertSecret.run(id, secret, t)
      })()
      return { endpoint: e, secret, previousExpiresAt: until }
    },

    /** Secrets valid at this moment, newest first. */
    secretsOf (id: string): string[] {
      return validSecrets.all(id, now()) as string[]
    },

    recordSuccess (id: string): void {
      success.run(now(), id)
    },

    /** Counts a failure; returns when the current run of failures began. */
    recordFailure (id: string): number {
      return failure.get({ id, now: now() }) as number
    },

    /** Stops deliveries to an endpoint; its pending deliveries wait, kept for replay or re-enabling. */
    disable (id: string, reason: string): boolean {
      return disable.run(reason, now(), id).changes === 1
    }
  }
}

export type EndpointRepository = ReturnType<typeof createEndpointRepository>
