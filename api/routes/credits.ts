import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import { CREDIT_STATUSES, SMS_OUTCOMES } from '../../core/enums.js'
import { formatAmount } from '../../core/money.js'
import { isoSeconds } from '../../core/time.js'
import type { CreditRow } from '../../ledger/credits.js'
import { ConflictError, NotFoundError } from '../../ledger/errors.js'
import type { Ledger, LedgerStores } from '../../ledger/ledger.js'
import { decodeCursor, encodeCursor } from '../../ledger/payments.js'
import type { InboxEntry } from '../../ledger/sms-inbox.js'
import type { PaymentView } from '../payment-view.js'
import { reconcileAmount, type PaymentService } from '../payment-service.js'
import { caller } from '../auth.js'
import { okList } from '../envelope.js'
import { commitResponse } from '../idempotency.js'
import { notePayment, paymentState } from '../audit-trail.js'
import { AmountInput, ErrorSchema, PaymentIdParams, PaymentSchema, envelope, listEnvelope, literals, nullable } from '../schemas.js'

const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }

const CreditSchema = Type.Object({
  id: Type.String(),
  telco_provider: Type.String(),
  telco_transaction_id: Type.String(),
  amount: Type.String(),
  currency: Type.String(),
  payer_phone: nullable(Type.String()),
  payer_name: nullable(Type.String()),
  reference: nullable(Type.String()),
  balance: nullable(Type.String()),
  risk_flags: Type.Array(Type.String()),
  status: literals(CREDIT_STATUSES),
  payment: nullable(Type.String()),
  match_method: nullable(Type.String()),
  received_at: Type.String()
})

const SmsSchema = Type.Object({
  id: Type.Integer(),
  modem_id: Type.String(),
  network: nullable(Type.String()),
  sender: Type.String(),
  text: Type.String(),
  smsc: nullable(Type.String()),
  sent_at: nullable(Type.String()),
  received_at: Type.String(),
  parts: Type.Integer(),
  complete: Type.Boolean(),
  outcome: nullable(Type.String()),
  credit_id: nullable(Type.String())
})

const Page = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
}

const CreditsQuery = Type.Object({ status: Type.Optional(literals(CREDIT_STATUSES)), ...Page }, { additionalProperties: false })
const SmsQuery = Type.Object({ outcome: Type.Optional(literals(SMS_OUTCOMES)), ...Page }, { additionalProperties: false })
const AssignBody = Type.Object({ payment: Type.String({ minLength: 1, maxLength: 200 }), note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false })
const ReconcileBody = Type.Object({
  telco_transaction_id: Type.String({ minLength: 1, maxLength: 64 }),
  amount: Type.Optional(AmountInput('the amount the customer says was paid; a different credit amount answers AMOUNT_MISMATCH')),
  note: Type.Optional(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })

export interface CreditRouteDeps {
  ledger: Ledger
  /** The payment as the API shows it (with pay_to). */
  paymentView: PaymentView
  /** Reconcile is the shared service's, as /v1/transactions/{reference}/reconcile calls it too. */
  service: PaymentService
}

/** Operator recovery (SPEC §4): the raw inbox, credits, assigning, and the customer's reconcile. */
export function creditRoutes (deps: CreditRouteDeps) {
  const { ledger } = deps

  /** `stores`: the transaction the credit was changed in, or the ledger. */
  async function creditView (stores: Pick<LedgerStores, 'payments'>, c: CreditRow): Promise<Static<typeof CreditSchema>> {
    return {
      id: c.public_id,
      telco_provider: c.network,
      telco_transaction_id: c.telco_transaction_id,
      amount: formatAmount(c.amount_minor),
      currency: c.currency,
      payer_phone: c.payer_phone,
      payer_name: c.payer_name,
      reference: c.reference,
      balance: c.balance_minor === null ? null : formatAmount(c.balance_minor),
      risk_flags: JSON.parse(c.risk_flags) as string[],
      status: c.status,
      payment: c.payment_id === null ? null : await stores.payments.referenceOf(c.payment_id) ?? null,
      match_method: c.match_method,
      received_at: isoSeconds(c.received_at)
    }
  }

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.get('/sms', {
      config: { scope: 'operator' },
      schema: { tags: ['operator'], summary: 'The raw SMS inbox, newest first', querystring: SmsQuery, response: { 200: listEnvelope(SmsSchema), ...errors } }
    }, async (request) => {
      const auth = caller(request)
      const q = request.query
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
      const { items, hasMore } = await ledger.smsInbox.list(auth, { outcome: q.outcome, limit: q.limit, before })
      return okList(items.map((r) => ({
        id: r.id, modem_id: r.modemId, network: r.network, sender: r.sender, text: r.text, smsc: r.smsc, sent_at: r.sentAt,
        received_at: isoSeconds(r.receivedAt), parts: r.parts, complete: r.complete, outcome: r.outcome, credit_id: r.creditPublicId
      })), hasMore, hasMore ? encodeCursor((items.at(-1) as InboxEntry).id) : null)
    })

    app.get('/credits', {
      config: { scope: 'operator' },
      schema: { tags: ['operator'], summary: 'Telco credits, newest first', querystring: CreditsQuery, response: { 200: listEnvelope(CreditSchema), ...errors } }
    }, async (request) => {
      const auth = caller(request)
      const q = request.query
      const page = await ledger.credits.list(auth, { status: q.status, limit: q.limit, before: q.cursor === undefined ? undefined : decodeCursor(q.cursor) })
      const items = await Promise.all(page.items.map(async (c) => await creditView(ledger, c)))
      return okList(items, page.hasMore, page.hasMore ? encodeCursor((page.items.at(-1) as CreditRow).id) : null)
    })

    app.post('/credits/:id/assign', {
      config: { scope: 'operator', audit: { action: 'credit.assign', target: 'credit' } },
      schema: {
        tags: ['operator'],
        summary: 'Apply an unmatched credit to a payment',
        params: PaymentIdParams,
        body: AssignBody,
        response: { 200: envelope(Type.Object({ credit: CreditSchema, payment: PaymentSchema })), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      const body = request.body
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        const credit = await tx.credits.get(auth, id)
        if (credit === undefined) throw new NotFoundError('credit')
        if (credit.status !== 'unmatched') throw new ConflictError('credit_not_unmatched', `credit is ${credit.status}; only an unmatched credit can be assigned`)
        const payment = await tx.payments.get(auth, body.payment)
        const updated = await tx.credits.assign(credit, payment, body.note ?? null)
        note.targetId = credit.public_id
        note.before = { credit: { status: credit.status, payment: null }, payment: paymentState(payment) }
        note.after = { credit: { status: 'matched', payment: updated.reference }, payment: paymentState(updated) }
        return { credit: await creditView(tx, await tx.credits.getById(credit.id) as CreditRow), payment: await deps.paymentView(tx, updated) }
      })
    })

    app.post('/payments/:id/reconcile', {
      config: { scope: 'payments:write', audit: { action: 'payment.reconcile', target: 'payment' } },
      schema: {
        tags: ['payments'],
        summary: 'Apply the credit with the telco transaction id from the customer\'s own SMS',
        params: PaymentIdParams,
        body: ReconcileBody,
        response: { 200: envelope(Type.Object({ outcome: Type.String(), payment: PaymentSchema })), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      const body = request.body
      const amountMinor = reconcileAmount(body.amount)
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        const result = await deps.service.reconcile(tx, auth, id, { telcoTransactionId: body.telco_transaction_id, amountMinor, note: body.note ?? null })
        notePayment(note, result.before, result.payment)
        note.after = { outcome: result.outcome, telco_transaction_id: body.telco_transaction_id, ...paymentState(result.payment) }
        return { outcome: result.outcome, payment: await deps.paymentView(tx, result.payment) }
      })
    })
  }
}


