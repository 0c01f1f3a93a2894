import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { parseAmount } from '../../../core/money.js'
import type { MtnProductCredentials } from '../client.js'
import type { MtnProduct, MtnStatus } from '../wire.js'
import { PartyBehaviourSchema, type PartyBehaviour } from './behaviour.js'
import { FaultSchema, type FaultInput } from './faults.js'
import { applySettingsPatch, SimSettingsPatchSchema, type SimSettingsPatch } from './settings.js'
import type { SimState } from './state.js'

const StatusQuery = Type.Object({ status: Type.Optional(Type.Union([Type.Literal('PENDING'), Type.Literal('SUCCESSFUL'), Type.Literal('FAILED')])) })
const ActionParams = Type.Object({ referenceId: Type.String(), action: Type.Union([Type.Literal('approve'), Type.Literal('reject'), Type.Literal('expire'), Type.Literal('fail')]) })
const FaultsBody = Type.Union([FaultSchema, Type.Object({ faults: Type.Array(FaultSchema, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false })])
const BalanceBody = Type.Object({ availableBalance: Type.String({ pattern: '^\\d{1,13}(\\.\\d{1,2})?$' }) }, { additionalProperties: false })
const AdvanceBody = Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 366 * 24 * 3_600_000 }) }, { additionalProperties: false })

function notFound (reply: FastifyReply, what: string): { error: string } {
  void reply.code(404)
  return { error: `no ${what}` }
}

/**
 * The operator's side door, under `/_sim`: play the customer (approve, reject, let expire), change
 * behaviour while running (settings, per-number scripts, faults, balances), move the clock, and see
 * what the simulator received and sent. Plain JSON, `{ "error": "…" }` on mistakes.
 */
export function controlRoutes (app: FastifyInstance, state: SimState, credentials: Record<MtnProduct, MtnProductCredentials>): void {
  app.get('/_sim', async () => ({
    environment: state.environment,
    currency: state.currency,
    now: new Date(state.clock.now()).toISOString(),
    manualClock: state.clock.manual,
    requests: state.list('collection').length,
    transfers: state.list('disbursement').length
  }))

  app.get('/_sim/credentials', async () => credentials)

  app.get('/_sim/settings', async () => state.settings)
  app.patch<{ Body: SimSettingsPatch }>('/_sim/settings', { schema: { body: SimSettingsPatchSchema } }, async (req) => {
    state.settings = applySettingsPatch(state.settings, req.body)
    return state.settings
  })

  app.get('/_sim/numbers', async () => state.numbers())
  app.put<{ Params: { partyId: string }, Body: PartyBehaviour }>('/_sim/numbers/:partyId', { schema: { body: PartyBehaviourSchema } }, async (req) => {
    state.setNumber(req.params.partyId, req.body)
    return { [req.params.partyId]: state.behaviourOf(req.params.partyId) }
  })
  app.delete<{ Params: { partyId: string } }>('/_sim/numbers/:partyId', async (req, reply) => {
    return state.deleteNumber(req.params.partyId) ? { [req.params.partyId]: state.behaviourOf(req.params.partyId) } : notFound(reply, `override for ${req.params.partyId}`)
  })

  app.get('/_sim/faults', async () => state.faults.list())
  app.post<{ Body: FaultInput | { faults: FaultInput[] } }>('/_sim/faults', { schema: { body: FaultsBody } }, async (req, reply) => {
    const inputs = 'faults' in req.body ? req.body.faults : [req.body]
    const added = inputs.map((f) => state.faults.add(f))
    void reply.code(201)
    return added
  })
  app.delete('/_sim/faults', async () => { state.faults.clear(); return state.faults.list() })

  for (const [path, product] of [['requests', 'collection'], ['transfers', 'disbursement']] as const) {
    const noun = product === 'collection' ? 'request to pay' : 'transfer'
    app.get<{ Querystring: { status?: MtnStatus } }>(`/_sim/${path}`, { schema: { querystring: StatusQuery } }, async (req) => state.list(product, req.query.status).map((t) => state.view(t)))
    app.get<{ Params: { referenceId: string } }>(`/_sim/${path}/:referenceId`, async (req, reply) => {
      const tx = state.find(product, req.params.referenceId)
      return tx === undefined ? notFound(reply, `${noun} ${req.params.referenceId}`) : state.view(tx)
    })
    app.post<{ Params: { referenceId: string, action: 'approve' | 'reject' | 'expire' | 'fail' } }>(
      `/_sim/${path}/:referenceId/:action`, { schema: { params: ActionParams } }, async (req, reply) => {
        const tx = state.find(product, req.params.referenceId)
        if (tx === undefined) return notFound(reply, `${noun} ${req.params.referenceId}`)
        const action = req.params.action
        // The body is optional (curl -X POST with none); only `fail` reads it.
        const given = (req.body as { reason?: unknown } | undefined)?.reason
        if (action === 'fail' && given !== undefined && (typeof given !== 'string' || !/^[A-Z_]{2,60}$/.test(given))) {
          void reply.code(400)
          return { error: 'reason must be an MTN reason code such as NOT_ENOUGH_FUNDS' }
        }
        const reason = action === 'reject' ? 'APPROVAL_REJECTED' : action === 'expire' ? state.settings.approvalTimeoutReason : typeof given === 'string' ? given : 'INTERNAL_PROCESSING_ERROR'
        const decided = state.decide(tx, action === 'approve' ? 'SUCCESSFUL' : 'FAILED', reason, 'operator')
        if (!decided) {
          void reply.code(409)
          return { error: `${noun} ${tx.referenceId} is already ${tx.status}`, ...state.view(tx) }
        }
        return state.view(tx)
      })
  }

  app.get('/_sim/balances', async () => ({ collection: state.balance('collection'), disbursement: state.balance('disbursement'), currency: state.currency }))
  app.put<{ Params: { product: string }, Body: { availableBalance: string } }>('/_sim/balances/:product', { schema: { body: BalanceBody } }, async (req, reply) => {
    const product = req.params.product
    if (product !== 'collection' && product !== 'disbursement') return notFound(reply, `product ${product}`)
    state.balances[product] = parseAmount(req.body.availableBalance) ?? 0
    return { [product]: state.balance(product), currency: state.currency }
  })

  app.get('/_sim/clock', async () => ({ now: new Date(state.clock.now()).toISOString(), manual: state.clock.manual, timers: state.clock.pending() }))
  app.post<{ Body: { ms: number } }>('/_sim/clock/advance', { schema: { body: AdvanceBody } }, async (req) => {
    state.clock.advance(req.body.ms)
    return { now: new Date(state.clock.now()).toISOString(), manual: state.clock.manual, timers: state.clock.pending() }
  })

  app.post('/_sim/tokens/expire', async () => ({ expired: state.expireTokens() }))

  app.get<{ Querystring: { since?: number } }>('/_sim/log', { schema: { querystring: Type.Object({ since: Type.Optional(Type.Integer({ minimum: 0 })) }) } }, async (req) => state.received(req.query.since ?? 0))

  app.post('/_sim/reset', async () => { state.reset(); return { reset: true } })
}
