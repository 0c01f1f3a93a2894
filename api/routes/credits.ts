import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { formatAmount, parseAmount } from '../../core/money.js'
import { isoSeconds } from '../../core/time.js'
import type { CreditLedger, CreditRow } from '../../ledger/credits.js'
import { ConflictError, NotFoundError } from '../../ledger/errors.js'
import type { Ledger } from '../../ledger/ledger.js'
import { decodeCursor, encodeCursor } from '../../ledger/payments.js'
import type { PaymentRow } from '../../ledger/payment-model.js'
import { caller } from '../auth.js'
import { okList } from '../envelope.js'
import { validationFailed } from '../http-errors.js'
import { commitResponse } from '../idempotency.js'
import { AmountInput, ErrorSchema, PaymentIdParams, PaymentSchema, envelope, listEnvelope, nullable } from '../schemas.js'

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
  status: Type.Union([Type.Literal('unmatched'), Type.Literal('matched'), Type.Literal('duplicate')]),
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

const ListQuery = (filter: string, values: readonly string[]) => Type.Object({
  [filter]: Type.Optional(Type.Union(values.map((v) => Type.Literal(v)))),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
}, { additionalProperties: false })

const CreditsQuery = ListQuery('status', ['unmatched', 'matched', 'duplicate'])
const SmsQuery = ListQuery('outcome', ['credit', 'debit', 'other', 'unparsed', 'untrusted', 'duplicate'])
const AssignBody = Type.Object({ payment: Type.String({ minLength: 1, maxLength: 200 }), note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false })
const ReconcileBody = Type.Object({
  telco_transaction_id: Type.String({ minLength: 1, maxLength: 64 }),
  amount: Type.Optional(AmountInput('the amount the customer says was paid; a different credit amount answers AMOUNT_MISMATCH')),
  note: Type.Optional(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })

interface SmsRow {
  id: number, modem_id: string, network: string | null, sender: string, text: string, smsc: string | null, sent_at: string | null,
  received_at: number, parts: number, complete: number, outcome: string | null, credit_public_id: string | null
}

export interface CreditRouteDeps {
  ledger: Ledger
  credits: CreditLedger
  /** The payment as the API shows it (with pay_to). */
  paymentView: (row: PaymentRow) => Static<typeof PaymentSchema>
}

/** Operator recovery (SPEC §4): the raw inbox, credits, assigning, and the customer's reconcile. */
export function creditRoutes (deps: CreditRouteDeps) {
  const { ledger, credits } = deps
  const db = ledger.db
  const smsList = db.prepare(`SELECT s.*, c.public_id AS credit_public_id FROM sms_messages s LEFT JOIN credits c ON c.id = s.credit_id
    WHERE s.merchant_id = @merchant AND s.mode = @mode AND s.id < @before AND (@outcome IS NULL OR s.outcome = @outcome) ORDER BY s.id DESC LIMIT @limit`)
  const paymentReference = db.prepare('SELECT reference FROM payments WHERE id = ?').pluck()

  function creditView (c: CreditRow): Static<typeof CreditSchema> {
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
      payment: c.payment_id === null ? null : paymentReference.get(c.payment_id) as string,
      match_method: c.match_method,
      received_at: isoSeconds(c.received_at)
    }
  }

  return async function register (app: FastifyInstance): Promise<void> {
    app.get('/sms', {
      config: { scope: 'operator' },
      schema: { tags: ['operator'], summary: 'The raw SMS inbox, newest first', querystring: SmsQuery, response: { 200: listEnvelope(SmsSchema), ...errors } }
    }, async (request) => {
      const auth = caller(request)
      const q = request.query as { outcome?: string, limit: number, cursor?: string }
      const before = q.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(q.cursor)
      const rows = smsList.all({ merchant: auth.merchantId, mode: auth.mode, before, outcome: q.outcome ?? null, limit: q.limit + 1 }) as SmsRow[]
      const items = rows.slice(0, q.limit)
      const hasMore = rows.length > q.limit
      return okList(items.map((r) => ({
        id: r.id, modem_id: r.modem_id, network: r.network, sender: r.sender, text: r.text, smsc: r.smsc, sent_at: r.sent_at,
        received_at: isoSeconds(r.received_at), parts: r.parts, complete: r.complete === 1, outcome: r.outcome, credit_id: r.credit_public_id
      })), hasMore, hasMore ? encodeCursor((items.at(-1) as SmsRow).id) : null)
    })

    app.get('/credits', {
      config: { scope: 'operator' },
      schema: { tags: ['operator'], summary: 'Telco credits, newest first', querystring: CreditsQuery, response: { 200: listEnvelope(CreditSchema), ...errors } }
    }, async (request) => {
      const auth = caller(request)
      const q = request.query as { status?: 'unmatched' | 'matched' | 'duplicate', limit: number, cursor?: string }
      const page = credits.list(auth, { status: q.status, limit: q.limit, before: q.cursor === undefined ? undefined : decodeCursor(q.cursor) })
      return okList(page.items.map(creditView), page.hasMore, page.hasMore ? encodeCursor((page.items.at(-1) as CreditRow).id) : null)
    })

    app.post('/credits/:id/assign', {
      config: { scope: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'Apply an unmatched credit to a payment',
        params: PaymentIdParams,
        body: AssignBody,
        response: { 200: envelope(Type.Object({ credit: CreditSchema, payment: PaymentSchema })), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params as { id: string }
      const body = request.body as Static<typeof AssignBody>
      return commitResponse(db, ledger.idempotency, request, reply, 200, () => {
        const credit = credits.get(auth, id)
        if (credit === undefined) throw new NotFoundError('credit')
        if (credit.status !== 'unmatched') throw new ConflictError('credit_not_unmatched', `credit is ${credit.status}; only an unmatched credit can be assigned`)
        const payment = ledger.payments.get(auth, body.payment)
        const updated = credits.assign(credit, payment, body.note ?? null)
        return { credit: creditView(credits.getById(credit.id) as CreditRow), payment: deps.paymentView(updated) }
      })
    })

    app.post('/payments/:id/reconcile', {
      config: { scope: 'payments:write' },
      schema: {
        tags: ['payments'],
        summary: 'Apply the credit with the telco transaction id from the customer\'s own SMS',
        params: PaymentIdParams,
        body: ReconcileBody,
        response: { 200: envelope(Type.Object({ outcome: Type.String(), payment: PaymentSchema })), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params as { id: string }
      const body = request.body as Static<typeof ReconcileBody>
      let amountMinor: number | null = null
      if (body.amount !== undefined) {
        amountMinor = parseAmount(body.amount)
        if (amountMinor === null || amountMinor <= 0) throw validationFailed([{ field: 'amount', message: 'must be a positive amount with at most 2 decimals' }])
      }
      return commitResponse(db, ledger.idempotency, request, reply, 200, () => {
        const payment = ledger.payments.get(auth, id)
        const result = credits.reconcile(auth, payment, body.telco_transaction_id, amountMinor, body.note ?? null)
        return { outcome: result.outcome, payment: deps.paymentView(result.payment) }
      })
    })
  }
}


