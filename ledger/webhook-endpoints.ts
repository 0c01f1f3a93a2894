import { webhookSecretContext } from './secrets-at-rest.js'
import { ALL_EVENTS, type EndpointKind, type EventType, type Mode } from '../core/enums.js'
import { NotFoundError } from './errors.js'
import type { Owner } from './modes.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'
import { columns } from './columns.js'

export interface Endpoint {
  id: string
  /** `webhook`: a merchant's endpoint; `momo_proxy`: a MoMo proxy client's forward target (never listed as a webhook). */
  kind: EndpointKind
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

/** A change to an endpoint; `events` is already checked and normalised (webhooks/endpoints.ts). */
export interface EndpointChanges {
  url?: string | undefined
  events?: string[] | undefined
  description?: string | null | undefined
  isActive?: boolean | undefined
}

export interface NewEndpoint {
  id: string
  url: string
  /** Checked and normalised event names, or `["*"]`. */
  events: string[]
  description: string | null
  /** The first signing secret. */
  secret: string
  /** Default `webhook`. */
  kind?: EndpointKind
}

/**
 * Webhook endpoints and their signing secrets, per merchant AND mode: a test key never sees a live
 * endpoint. URL safety and secret generation belong to webhooks/; this stores what they decided.
 */
export interface WebhookEndpointStore {
  create: (owner: Owner, input: NewEndpoint) => Promise<Endpoint>
  /** The owner's endpoint, or NotFoundError (another owner's included). */
  get: (owner: Owner, id: string) => Promise<Endpoint>
  /** Any owner's endpoint, for the dispatcher. */
  byId: (id: string) => Promise<Endpoint | undefined>
  list: (owner: Owner) => Promise<Endpoint[]>
  /** Active endpoints of the owner that want this event. */
  subscribers: (owner: Owner, type: EventType) => Promise<Endpoint[]>
  /**
   * The endpoint whose secret signs deliveries to a payment's own `webhook_url`: the owner's oldest
   * active endpoint (the first one `GET /v1/webhooks` lists that is active), or undefined.
   */
  signer: (owner: Owner) => Promise<Endpoint | undefined>
  update: (owner: Owner, id: string, changes: EndpointChanges) => Promise<Endpoint>
  /** Deleted endpoints stay as rows so their deliveries keep their history. */
  remove: (owner: Owner, id: string) => Promise<Endpoint>
  /** Adds `secret`; every secret valid now stays valid `overlapSeconds` more (0 = revoke at once). */
  rotateSecret: (owner: Owner, id: string, secret: string, overlapSeconds: number) => Promise<{ endpoint: Endpoint, previousExpiresAt: number }>
  /** Secrets valid at this moment, newest first. */
  secretsOf: (id: string) => Promise<string[]>
  recordSuccess: (id: string) => Promise<void>
  /** Counts a failure; returns when the current run of failures began. */
  recordFailure: (id: string) => Promise<number>
  /** Stops deliveries to an endpoint; its pending deliveries wait, kept for replay or re-enabling. */
  disable: (id: string, reason: string) => Promise<boolean>
}

interface EndpointRow {
  id: string
  kind: EndpointKind
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

const ENDPOINT_COLUMNS = columns<EndpointRow>()(['id', 'kind', 'merchant_id', 'mode', 'url', 'events', 'description', 'is_active', 'disabled_reason',
  'last_success_at', 'last_failure_at', 'consecutive_failures', 'failing_since', 'created_at', 'updated_at'])

function toEndpoint (r: EndpointRow): Endpoint {
  return {
    id: r.id,
    kind: r.kind,
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

const WEBHOOK = literal('webhook' satisfies EndpointKind)

export class SqlWebhookEndpointStore implements WebhookEndpointStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async create (owner: Owner, input: NewEndpoint): Promise<Endpoint> {
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      await tx.ex.run(sql`INSERT INTO webhook_endpoints (id, kind, merchant_id, mode, url, events, description, created_at, updated_at)
        VALUES (${input.id}, ${input.kind ?? 'webhook'}, ${owner.merchantId}, ${owner.mode}, ${input.url}, ${JSON.stringify(input.events)}, ${input.description}, ${t}, ${t})`)
      await tx.ex.run(sql`INSERT INTO webhook_secrets (endpoint_id, secret, created_at, expires_at) VALUES (${input.id}, ${tx.shared.secrets.seal(input.secret, webhookSecretContext(input.id))}, ${t}, NULL)`)
      return await tx.webhookEndpoints.byId(input.id) as Endpoint
    })
  }

  async get (owner: Owner, id: string): Promise<Endpoint> {
    const row = await this.#s.ex.get<EndpointRow>(sql`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
      WHERE id = ${id} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND kind = ${WEBHOOK} AND deleted_at IS NULL`)
    if (row === undefined) throw new NotFoundError('webhook endpoint')
    return toEndpoint(row)
  }

  async byId (id: string): Promise<Endpoint | undefined> {
    const row = await this.#s.ex.get<EndpointRow>(sql`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ${id} AND deleted_at IS NULL`)
    return row === undefined ? undefined : toEndpoint(row)
  }

  async list (owner: Owner): Promise<Endpoint[]> {
    const rows = await this.#s.ex.all<EndpointRow>(sql`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND kind = ${WEBHOOK} AND deleted_at IS NULL ORDER BY created_at, id`)
    return rows.map(toEndpoint)
  }

  async subscribers (owner: Owner, type: EventType): Promise<Endpoint[]> {
    const rows = await this.#s.ex.all<EndpointRow>(sql`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND kind = ${WEBHOOK} AND is_active = 1 AND deleted_at IS NULL ORDER BY created_at, id`)
    return rows.map(toEndpoint).filter((e) => e.events.includes(ALL_EVENTS) || e.events.includes(type))
  }

  async signer (owner: Owner): Promise<Endpoint | undefined> {
    const row = await this.#s.ex.get<EndpointRow>(sql`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND is_active = 1 AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1`)
    return row === undefined ? undefined : toEndpoint(row)
  }

  async update (owner: Owner, id: string, changes: EndpointChanges): Promise<Endpoint> {
    return await this.#s.write(async (tx) => {
      const e = await tx.webhookEndpoints.get(owner, id)
      const reactivated = changes.isActive === true && !e.isActive
      const isActive = changes.isActive ?? e.isActive
      const disabledReason = isActive ? null : changes.isActive === false ? 'disabled by the merchant' : e.disabledReason
      // Re-enabling starts a fresh failure run, or the 5-day rule would disable it again at once.
      const consecutiveFailures = reactivated ? 0 : e.consecutiveFailures
      const failingSince = reactivated ? null : e.failingSince
      await tx.ex.run(sql`UPDATE webhook_endpoints SET url = ${changes.url ?? e.url}, events = ${JSON.stringify(changes.events ?? e.events)},
          description = ${changes.description === undefined ? e.description : changes.description}, is_active = ${isActive ? 1 : 0},
          disabled_reason = ${disabledReason}, consecutive_failures = ${consecutiveFailures}, failing_since = ${failingSince}, updated_at = ${tx.now()}
        WHERE id = ${id}`)
      return await tx.webhookEndpoints.get(owner, id)
    })
  }

  async remove (owner: Owner, id: string): Promise<Endpoint> {
    return await this.#s.write(async (tx) => {
      const e = await tx.webhookEndpoints.get(owner, id)
      const t = tx.now()
      await tx.ex.run(sql`UPDATE webhook_endpoints SET deleted_at = ${t}, is_active = 0, updated_at = ${t} WHERE id = ${id}`)
      return { ...e, isActive: false }
    })
  }

  async rotateSecret (owner: Owner, id: string, secret: string, overlapSeconds: number): Promise<{ endpoint: Endpoint, previousExpiresAt: number }> {
    return await this.#s.write(async (tx) => {
      const endpoint = await tx.webhookEndpoints.get(owner, id)
      const t = tx.now()
      const until = t + overlapSeconds * 1000
      await tx.ex.run(sql`UPDATE webhook_secrets SET expires_at = ${until} WHERE endpoint_id = ${id} AND (expires_at IS NULL OR expires_at > ${until})`)
      await tx.ex.run(sql`INSERT INTO webhook_secrets (endpoint_id, secret, created_at, expires_at) VALUES (${id}, ${tx.shared.secrets.seal(secret, webhookSecretContext(id))}, ${t}, NULL)`)
      return { endpoint, previousExpiresAt: until }
    })
  }

  async secretsOf (id: string): Promise<string[]> {
    const rows = await this.#s.ex.all<{ secret: string }>(sql`SELECT secret FROM webhook_secrets
      WHERE endpoint_id = ${id} AND (expires_at IS NULL OR expires_at > ${this.#s.now()}) ORDER BY id DESC`)
    return rows.map((r) => this.#s.shared.secrets.open(r.secret, webhookSecretContext(id)))
  }

  async recordSuccess (id: string): Promise<void> {
    await this.#s.ex.run(sql`UPDATE webhook_endpoints SET last_success_at = ${this.#s.now()}, consecutive_failures = 0, failing_since = NULL WHERE id = ${id}`)
  }

  async recordFailure (id: string): Promise<number> {
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      return await tx.ex.value<number>(sql`UPDATE webhook_endpoints SET last_failure_at = ${t}, consecutive_failures = consecutive_failures + 1,
          failing_since = COALESCE(failing_since, ${t})
        WHERE id = ${id} RETURNING failing_since`) ?? t
    })
  }

  async disable (id: string, reason: string): Promise<boolean> {
    const { changes } = await this.#s.ex.run(sql`UPDATE webhook_endpoints SET is_active = 0, disabled_reason = ${reason}, updated_at = ${this.#s.now()}
      WHERE id = ${id} AND is_active = 1`)
    return changes === 1
  }
}
