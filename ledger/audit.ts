import type { AuditLegKind } from '../core/enums.js'
import { columns } from './columns.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

/** Bodies are kept up to this many characters each: enough for every provider and app body we send or get. */
export const AUDIT_BODY_LIMIT = 16 * 1024

/** One leg to record. Whoever records it has already redacted every secret. */
export interface AuditLegInput {
  paymentId: number | null
  channelId: string | null
  kind: Exclude<AuditLegKind, 'forward'>
  /** What the leg did: `initialize`, `requesttopay`, `token`, `callback`, … */
  operation: string | null
  referenceId: string | null
  method: string
  url: string
  requestHeaders: Record<string, string> | null
  requestBody: string | null
  statusCode: number | null
  responseBody: string | null
  error: string | null
  durationMs: number | null
  startedAt: number
}

/** A leg as the audit log shows it, forwards to apps (from the webhook attempts) included. */
export type AuditLeg = Omit<AuditLegInput, 'paymentId' | 'kind'> & { kind: AuditLegKind }

interface LegRow {
  id: number
  payment_id: number | null
  channel_id: string | null
  kind: Exclude<AuditLegKind, 'forward'>
  operation: string | null
  reference_id: string | null
  method: string
  url: string
  request_headers: string | null
  request_body: string | null
  status_code: number | null
  response_body: string | null
  error: string | null
  duration_ms: number | null
  started_at: number
}

const LEG_COLUMNS = columns<LegRow>()(['id', 'payment_id', 'channel_id', 'kind', 'operation', 'reference_id', 'method', 'url', 'request_headers',
  'request_body', 'status_code', 'response_body', 'error', 'duration_ms', 'started_at'])

interface ForwardRow {
  attempt_id: number
  event_type: string
  endpoint_kind: string
  url: string
  body: string
  outcome: string
  status_code: number | null
  error: string | null
  response_body: string | null
  duration_ms: number | null
  started_at: number
}

const clip = (text: string | null): string | null => text === null || text.length <= AUDIT_BODY_LIMIT ? text : `${text.slice(0, AUDIT_BODY_LIMIT)}…[cut]`

/**
 * The audit log of channel payments: every app request, provider call and callback as a row here;
 * every forward to an app is a webhook attempt already, read from there (one record, not two).
 */
export interface AuditStore {
  /** Records one leg (outside or inside a transaction). */
  record: (leg: AuditLegInput) => Promise<void>
  /** Every leg of a payment, oldest first. */
  ofPayment: (paymentId: number) => Promise<AuditLeg[]>
  /** Legs of a channel that name no payment we know (forged or stray callbacks), newest first. */
  strays: (channelId: string, limit: number) => Promise<AuditLeg[]>
}

export class SqlAuditStore implements AuditStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async record (leg: AuditLegInput): Promise<void> {
    await this.#s.ex.run(sql`INSERT INTO audit_legs (payment_id, channel_id, kind, operation, reference_id, method, url, request_headers, request_body,
        status_code, response_body, error, duration_ms, started_at)
      VALUES (${leg.paymentId}, ${leg.channelId}, ${leg.kind}, ${leg.operation}, ${leg.referenceId}, ${leg.method}, ${leg.url.slice(0, 2000)},
        ${leg.requestHeaders === null ? null : JSON.stringify(leg.requestHeaders)}, ${clip(leg.requestBody)}, ${leg.statusCode}, ${clip(leg.responseBody)},
        ${leg.error === null ? null : leg.error.slice(0, 1000)}, ${leg.durationMs}, ${leg.startedAt})`)
  }

  async ofPayment (paymentId: number): Promise<AuditLeg[]> {
    const legs = (await this.#s.ex.all<LegRow>(sql`SELECT ${LEG_COLUMNS} FROM audit_legs WHERE payment_id = ${paymentId} ORDER BY id`)).map(toLeg)
    const forwards = await this.#s.ex.all<ForwardRow>(sql`SELECT a.id AS attempt_id, d.event_type, e.kind AS endpoint_kind,
        COALESCE(d.target_url, e.url) AS url, d.body, a.outcome, a.status_code, a.error, a.response_body, a.duration_ms, a.started_at
      FROM webhook_attempts a
        JOIN webhook_deliveries d ON d.id = a.delivery_id
        JOIN events ev ON ev.id = d.event_id
        JOIN webhook_endpoints e ON e.id = d.endpoint_id
      WHERE ev.payment_id = ${paymentId}
      ORDER BY a.id`)
    const all = [...legs, ...forwards.map((f): AuditLeg => ({
      kind: 'forward',
      channelId: null,
      operation: f.endpoint_kind === 'momo_proxy' ? 'momo_proxy_callback' : f.event_type,
      referenceId: null,
      method: 'POST',
      url: f.url,
      requestHeaders: null,
      requestBody: clip(f.body),
      statusCode: f.status_code,
      responseBody: clip(f.response_body),
      error: f.error,
      durationMs: f.duration_ms,
      startedAt: f.started_at
    }))]
    // Stable: legs recorded in the same millisecond keep their own order.
    return all.map((leg, i) => ({ leg, i })).sort((a, b) => a.leg.startedAt - b.leg.startedAt || a.i - b.i).map((x) => x.leg)
  }

  async strays (channelId: string, limit: number): Promise<AuditLeg[]> {
    const rows = await this.#s.ex.all<LegRow>(sql`SELECT ${LEG_COLUMNS} FROM audit_legs WHERE channel_id = ${channelId} AND payment_id IS NULL ORDER BY id DESC LIMIT ${limit}`)
    return rows.map(toLeg)
  }
}

function toLeg (r: LegRow): AuditLeg {
  return {
    kind: r.kind,
    channelId: r.channel_id,
    operation: r.operation,
    referenceId: r.reference_id,
    method: r.method,
    url: r.url,
    requestHeaders: r.request_headers === null ? null : JSON.parse(r.request_headers) as Record<string, string>,
    requestBody: r.request_body,
    statusCode: r.status_code,
    responseBody: r.response_body,
    error: r.error,
    durationMs: r.duration_ms,
    startedAt: r.started_at
  }
}
