import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import { isoOrNull, isoSeconds } from '../../core/time.js'
import { NotFoundError } from '../../ledger/errors.js'
import type { Ledger } from '../../ledger/ledger.js'
import { caller } from '../auth.js'
import type { PaymentView } from '../payment-view.js'
import { ok } from '../envelope.js'
import { OverviewSchema, overviewView } from '../overview.js'
import { ErrorSchema, PaymentIdParams, PaymentSchema, envelope, nullable } from '../schemas.js'
import { AGENT_OFFLINE, modemsOf, type ModemStatus } from './system.js'

export interface OperatorRouteDeps {
  ledger: Ledger
  modems: () => readonly ModemStatus[]
  paymentView: PaymentView
  silenceAlarmMinutes: number
  /** When this process started: the silence clock's zero when no SMS arrived since. */
  startedAt: number
  now?: () => number
}

const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema }
const nullableString = nullable(Type.String())

const StatusSchema = Type.Object({
  merchant: Type.String(),
  mode: Type.String(),
  pending_payments: Type.Integer(),
  oldest_pending_at: nullableString,
  last_sms_at: nullableString,
  silent_since: Type.String(),
  silence_alarm_minutes: Type.Number(),
  alarm: Type.Boolean(),
  modems_total: Type.Integer(),
  modems_connected: Type.Integer(),
  agents_offline: Type.Array(Type.Object({ agent: Type.String(), last_contact_at: nullableString }), { description: 'harpoon agents of this merchant that stopped reporting; any raises the alarm' })
})

const EventSchema = Type.Object({ id: Type.Integer(), type: Type.String(), created_at: Type.String(), data: Type.Unknown() })
const LookupSchema = Type.Object({ found_by: Type.String(), payment: PaymentSchema, events: Type.Array(EventSchema) })

/**
 * The two operator calls the dashboard needs that the rest of the API lacks: the silence alarm's
 * inputs, and a payment lookup that also takes a telco transaction id and returns the payment's
 * events.
 */
export function operatorRoutes (deps: OperatorRouteDeps) {
  const now = deps.now ?? Date.now
  const { ledger } = deps

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.get('/v1/operator/status', {
      config: { scope: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'What the dashboard\'s alarm banner needs',
        description: 'alarm is true when payments are PENDING and no SMS has arrived for dashboard.silence_alarm_minutes (counted from start-up when none arrived since), or when an agent of this merchant stopped reporting (agents_offline).',
        response: { 200: envelope(StatusSchema), ...errors }
      }
    }, async (request) => {
      const auth = caller(request)
      const p = await ledger.stats.pendingPayments(auth)
      // Any SMS of the caller's mode counts, whoever it was for: the alarm is about the modems going
      // quiet. Mode matters: test SMS (virtual modems, POST /v1/test/sms) must not quiet a live alarm.
      const last = await ledger.smsInbox.lastReceivedAt(auth.mode)
      const silentSince = Math.max(last ?? 0, deps.startedAt)
      const modems = modemsOf(deps.modems(), auth.merchantId)
      const offline = new Map<string, string | null>()
      for (const m of modems) if (m.agent !== undefined && m.state === AGENT_OFFLINE) offline.set(m.agent, m.last_contact_at ?? null)
      const silent = p.count > 0 && now() - silentSince >= deps.silenceAlarmMinutes * 60_000
      return ok({
        merchant: auth.merchantId,
        mode: auth.mode,
        pending_payments: p.count,
        oldest_pending_at: isoOrNull(p.oldestCreatedAt),
        last_sms_at: isoOrNull(last),
        silent_since: isoSeconds(silentSince),
        silence_alarm_minutes: deps.silenceAlarmMinutes,
        alarm: silent || offline.size > 0,
        modems_total: modems.length,
        modems_connected: modems.filter((m) => m.connected).length,
        agents_offline: [...offline].map(([agent, at]) => ({ agent, last_contact_at: at }))
      })
    })

    app.get('/v1/operator/overview', {
      config: { scope: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'What the dashboard\'s overview charts show: money in, payments by outcome, time to confirmation, unmatched credits, webhook success, SMS per modem',
        response: { 200: envelope(OverviewSchema), ...errors }
      }
    }, async (request) => {
      const t = now()
      return ok(overviewView(await ledger.stats.overview(caller(request), t), t))
    })

    app.get('/v1/operator/payments/:id', {
      config: { scope: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Find a payment by reference, HPN code, client_reference or telco transaction id, with its events',
        params: PaymentIdParams,
        response: { 200: envelope(LookupSchema), ...errors }
      }
    }, async (request) => {
      const auth = caller(request)
      const { id } = request.params
      const term = id.trim()
      let found = await ledger.payments.find(auth, term)
      let foundBy = 'payment'
      if (found === undefined) {
        const paymentId = await ledger.credits.paymentIdOfTelcoTransaction(auth, term)
        found = paymentId === undefined ? undefined : await ledger.payments.getById(paymentId)
        foundBy = 'telco_transaction_id'
      }
      if (found === undefined) throw new NotFoundError('payment')
      const events = (await ledger.events.ofPayment(found.id)).map((e) => ({ id: e.id, type: e.type, created_at: isoSeconds(e.createdAt), data: e.data }))
      return ok({ found_by: foundBy, payment: await deps.paymentView(ledger, found), events })
    })
  }
}
