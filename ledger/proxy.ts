import { createHash, randomUUID } from 'node:crypto'
import type { Mode } from '../core/enums.js'
import { randomBase62 } from '../core/ids.js'
import { columns } from './columns.js'
import { NotFoundError } from './errors.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

/** `mpk_` + 40 base62: the MoMo proxy's X-Proxy-Api-Key, and the key its forwards are signed with. */
const KEY_PREFIX = 'mpk_'

export interface ProxyClient {
  id: string
  name: string
  merchantId: string
  mode: Mode
  /** The webhook endpoint (kind momo_proxy) its forwards go through. */
  endpointId: string
  /** Where final states go when a request names no callbackUrl. */
  callbackUrl: string
  hint: string
  createdAt: number
  revokedAt: number | null
}

/** A client with its key, returned exactly once, at creation. */
export interface NewProxyClient extends ProxyClient { apiKey: string }

export interface ProxyRequestRow {
  reference_id: string
  client_id: string
  payment_id: number
  external_id: string
  payer_type: string
  payer_id: string
  payer_message: string
  payee_note: string
  callback_url: string | null
  forwarded_status: string | null
  forward_delivery_id: string | null
  created_at: number
}

const REQUEST_COLUMNS = columns<ProxyRequestRow>()(['reference_id', 'client_id', 'payment_id', 'external_id', 'payer_type', 'payer_id', 'payer_message',
  'payee_note', 'callback_url', 'forwarded_status', 'forward_delivery_id', 'created_at'])

interface ClientRow {
  id: string
  name: string
  merchant_id: string
  mode: Mode
  endpoint_id: string
  url: string
  hint: string
  created_at: number
  revoked_at: number | null
}

export type NewProxyRequest = Omit<ProxyRequestRow, 'forwarded_status' | 'forward_delivery_id' | 'created_at'>

function hashKey (key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

function toClient (r: ClientRow): ProxyClient {
  return { id: r.id, name: r.name, merchantId: r.merchant_id, mode: r.mode, endpointId: r.endpoint_id, callbackUrl: r.url, hint: r.hint, createdAt: r.created_at, revokedAt: r.revoked_at }
}

/**
 * Clients and requests of the MoMo proxy's API (api/compat/). A client is also a webhook endpoint
 * of kind `momo_proxy` whose signing secret is its key, so its forwards are the webhook outbox's
 * deliveries: claimed, leased, retried and SSRF-guarded like every other.
 */
export interface ProxyStore {
  createClient: (input: { name: string, merchantId: string, mode: Mode, callbackUrl: string }) => Promise<NewProxyClient>
  clients: () => Promise<ProxyClient[]>
  /** Stops the key working at once; forwards already written still go out. */
  revokeClient: (id: string) => Promise<ProxyClient>
  /** The client a key belongs to, unless revoked. */
  authenticate: (key: string) => Promise<ProxyClient | null>
  client: (id: string) => Promise<ProxyClient | undefined>
  /** Inside the transaction that creates the request's payment. */
  createRequest: (input: NewProxyRequest) => Promise<ProxyRequestRow>
  request: (referenceId: string) => Promise<ProxyRequestRow | undefined>
  requestOfPayment: (paymentId: number) => Promise<ProxyRequestRow | undefined>
  /** Inside the transaction of the change being forwarded. */
  markForwarded: (referenceId: string, status: string, deliveryId: string) => Promise<void>
}

export class SqlProxyStore implements ProxyStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async createClient (input: { name: string, merchantId: string, mode: Mode, callbackUrl: string }): Promise<NewProxyClient> {
    const apiKey = `${KEY_PREFIX}${randomBase62(40)}`
    const id = `pxc_${randomBase62(16)}`
    return await this.#s.write(async (tx) => {
      const endpoint = await tx.webhookEndpoints.create({ merchantId: input.merchantId, mode: input.mode }, {
        id: randomUUID(), url: input.callbackUrl, events: [], description: `MoMo proxy client ${input.name}`, secret: apiKey, kind: 'momo_proxy'
      })
      await tx.ex.run(sql`INSERT INTO proxy_clients (id, name, merchant_id, endpoint_id, key_hash, hint, created_at)
        VALUES (${id}, ${input.name}, ${input.merchantId}, ${endpoint.id}, ${hashKey(apiKey)}, ${`${apiKey.slice(0, 8)}…${apiKey.slice(-4)}`}, ${tx.now()})`)
      return { ...await tx.proxy.client(id) as ProxyClient, apiKey }
    })
  }

  async clients (): Promise<ProxyClient[]> {
    const rows = await this.#s.ex.all<ClientRow>(sql`SELECT c.id, c.name, c.merchant_id, e.mode, c.endpoint_id, e.url, c.hint, c.created_at, c.revoked_at
      FROM proxy_clients c JOIN webhook_endpoints e ON e.id = c.endpoint_id ORDER BY c.created_at, c.id`)
    return rows.map(toClient)
  }

  async revokeClient (id: string): Promise<ProxyClient> {
    return await this.#s.write(async (tx) => {
      await tx.ex.run(sql`UPDATE proxy_clients SET revoked_at = ${tx.now()} WHERE id = ${id} AND revoked_at IS NULL`)
      const client = await tx.proxy.client(id)
      if (client === undefined) throw new NotFoundError('proxy client')
      return client
    })
  }

  async authenticate (key: string): Promise<ProxyClient | null> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null
    const row = await this.#s.ex.get<ClientRow>(sql`SELECT c.id, c.name, c.merchant_id, e.mode, c.endpoint_id, e.url, c.hint, c.created_at, c.revoked_at
      FROM proxy_clients c JOIN webhook_endpoints e ON e.id = c.endpoint_id WHERE c.key_hash = ${hashKey(key)} AND c.revoked_at IS NULL`)
    return row === undefined ? null : toClient(row)
  }

  async client (id: string): Promise<ProxyClient | undefined> {
    const row = await this.#s.ex.get<ClientRow>(sql`SELECT c.id, c.name, c.merchant_id, e.mode, c.endpoint_id, e.url, c.hint, c.created_at, c.revoked_at
      FROM proxy_clients c JOIN webhook_endpoints e ON e.id = c.endpoint_id WHERE c.id = ${id}`)
    return row === undefined ? undefined : toClient(row)
  }

  async createRequest (input: NewProxyRequest): Promise<ProxyRequestRow> {
    this.#s.inTransaction('recording a proxy request')
    return await this.#s.ex.get<ProxyRequestRow>(sql`INSERT INTO proxy_requests (reference_id, client_id, payment_id, external_id, payer_type, payer_id,
        payer_message, payee_note, callback_url, created_at)
      VALUES (${input.reference_id}, ${input.client_id}, ${input.payment_id}, ${input.external_id}, ${input.payer_type}, ${input.payer_id},
        ${input.payer_message}, ${input.payee_note}, ${input.callback_url}, ${this.#s.now()})
      RETURNING ${REQUEST_COLUMNS}`) as ProxyRequestRow
  }

  async request (referenceId: string): Promise<ProxyRequestRow | undefined> {
    return await this.#s.ex.get<ProxyRequestRow>(sql`SELECT ${REQUEST_COLUMNS} FROM proxy_requests WHERE reference_id = ${referenceId}`)
  }

  async requestOfPayment (paymentId: number): Promise<ProxyRequestRow | undefined> {
    return await this.#s.ex.get<ProxyRequestRow>(sql`SELECT ${REQUEST_COLUMNS} FROM proxy_requests WHERE payment_id = ${paymentId}`)
  }

  async markForwarded (referenceId: string, status: string, deliveryId: string): Promise<void> {
    this.#s.inTransaction('recording a proxy forward')
    await this.#s.ex.run(sql`UPDATE proxy_requests SET forwarded_status = ${status}, forward_delivery_id = ${deliveryId} WHERE reference_id = ${referenceId}`)
  }
}
