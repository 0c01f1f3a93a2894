import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import type { Ledger } from '../../ledger/ledger.js'
import { caller } from '../auth.js'
import { ok } from '../envelope.js'
import type { Metrics } from '../metrics.js'
import { ErrorSchema, envelope, nullable } from '../schemas.js'

/** What the API shows of one modem (SPEC §4 GET /v1/modems); the modem layer fills it. */
export interface ModemStatus {
  id: string
  /** The merchant whose payments the modem's SMS settle; only its operator keys see the modem. */
  merchant: string
  port: string
  network: string | null
  msisdn: string | null
  connected: boolean
  signal_dbm: number | null
  registered: boolean | null
  sim_ready: boolean | null
  imei: string | null
  imsi: string | null
  last_sms_at: string | null
  storage_used: number | null
  storage_total: number | null
  counters: Record<string, number>
  last_error: string | null
  virtual?: boolean
  state?: string
  /** The `harpoon agent` the modem hangs on (its id is `agent/modem`); absent for this box's own modems. */
  agent?: string
  /** When that agent last reported (a heartbeat or a message). */
  last_contact_at?: string
}

/** The state of an agent's modem whose agent stopped reporting: nothing is known of it since. */
export const AGENT_OFFLINE = 'agent_offline'

/** A merchant's operator sees its own modems (IMSI, IMEI, wallet number), never another merchant's. */
export function modemsOf (modems: readonly ModemStatus[], merchantId: string): ModemStatus[] {
  return modems.filter((m) => m.merchant === merchantId)
}

export interface SystemRouteDeps {
  ledger: Ledger
  metrics: Metrics
  modems: () => readonly ModemStatus[]
  version: string
}

const ModemSchema = Type.Object({
  id: Type.String(),
  merchant: Type.String(),
  port: Type.String(),
  network: nullable(Type.String()),
  msisdn: nullable(Type.String()),
  connected: Type.Boolean(),
  signal_dbm: nullable(Type.Number()),
  registered: nullable(Type.Boolean()),
  sim_ready: nullable(Type.Boolean()),
  imei: nullable(Type.String()),
  imsi: nullable(Type.String()),
  last_sms_at: nullable(Type.String()),
  storage_used: nullable(Type.Number()),
  storage_total: nullable(Type.Number()),
  counters: Type.Record(Type.String(), Type.Number()),
  last_error: nullable(Type.String()),
  virtual: Type.Optional(Type.Boolean()),
  state: Type.Optional(Type.String()),
  agent: Type.Optional(Type.String({ description: 'the harpoon agent this modem hangs on; absent for the daemon\'s own modems' })),
  last_contact_at: Type.Optional(Type.String({ description: 'when that agent last reported' }))
})

export function systemRoutes (deps: SystemRouteDeps) {
  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.get('/healthz', {
      schema: {
        tags: ['system'],
        summary: 'Liveness and modem health (no key needed)',
        description: '200 with status "ok", or "degraded" when a configured modem is not connected; 503 when the database does not answer.'
      }
    }, async (_request, reply) => {
      let database = 'ok'
      try {
        await deps.ledger.ping()
      } catch {
        database = 'unavailable'
      }
      const modems = deps.modems().map((m) => ({ id: m.id, network: m.network, connected: m.connected, state: m.state ?? (m.connected ? 'connected' : 'disconnected'), last_error: m.last_error }))
      const status = database !== 'ok' ? 'down' : modems.every((m) => m.connected) ? 'ok' : 'degraded'
      return reply.code(database === 'ok' ? 200 : 503).send({ status, version: deps.version, database, modems })
    })

    app.get('/metrics', {
      config: { scope: 'operator' },
      schema: { tags: ['system'], summary: 'Prometheus metrics (operator key)' }
    }, async (_request, reply) => {
      const text = await deps.metrics.registry.metrics()
      return reply.type(deps.metrics.registry.contentType).send(text)
    })

    app.get('/v1/modems', {
      config: { scope: 'operator' },
      schema: { tags: ['operator'], summary: 'This merchant\'s modems and their health', response: { 200: envelope(Type.Array(ModemSchema)), 401: ErrorSchema, 403: ErrorSchema } }
    }, async (request) => ok(modemsOf(deps.modems(), caller(request).merchantId)))
  }
}
