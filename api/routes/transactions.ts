import type { Static } from '@sinclair/typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { typed } from '../typed.js'
import { formatAmount } from '../../core/money.js'
import { CUSTOMER_PHONE_RULE, normaliseNetworkPhone } from '../../core/networks.js'
import type { GuideNetwork, PaymentGuide } from '../../core/payment-guides.js'
import type { ReconcileOutcome } from '../../ledger/credits.js'
import { ConflictError } from '../../ledger/errors.js'
import type { PaymentRow } from '../../ledger/payment-model.js'
import { auditAppRequest } from '../audit-legs.js'
import { caller } from '../auth.js'
import { ok, type FieldProblem } from '../envelope.js'
import { HttpError, validationFailed } from '../http-errors.js'
import { commitResponse, IDEMPOTENCY_HEADER } from '../idempotency.js'
import { notePayment, paymentState } from '../audit-trail.js'
import { paymentViewer, type Wallets } from '../payment-view.js'
import { reconcileAmount, type Lookup, type PaymentService } from '../payment-service.js'
import { ErrorSchema, envelope } from '../schemas.js'
import { transactionListItem, transactionView } from '../transaction-view.js'
import { fieldProblems } from '../validation.js'
import {
  CancelledSchema, ClientRefParams, HpnCodeParams, InitializedSchema, ListTransactionsQuery, PaymentMethodSchema, ReconciledSchema, ReferenceParams,
  TransactionCancelBody, TransactionInitializeBody, TransactionListSchema, TransactionReconcileBody, TransactionSchema, UNSUPPORTED_FIELDS
} from './transaction-schemas.js'

export interface TransactionRouteDeps {
  service: PaymentService
  wallets: Wallets
  guides: Readonly<Record<GuideNetwork, PaymentGuide>>
  /** api.public_url: where customers' browsers reach the daemon; null: the address the request came to. */
  publicUrl: string | null
}

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }
const tags = ['transactions']

const RECONCILE_MESSAGES: Record<ReconcileOutcome, string> = {
  VERIFIED: 'Payment verified successfully',
  ALREADY_CONFIRMED: 'This transaction ID has already verified a payment',
  NOT_FOUND: 'No telco payment with this transaction ID has reached this merchant\'s wallets',
  AMOUNT_MISMATCH: 'The telco payment with this transaction ID is for a different amount'
}

/** "2026-04-29" covers the whole UTC day; a date-time is taken as written. NaN for a day the calendar lacks. */
export function timeBound (text: string | undefined, edge: 'start' | 'end'): number | undefined {
  if (text === undefined) return undefined
  // Date.parse reads 2026-02-30 as 2 March: the day must survive the round trip.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number]
  if (new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d) return Number.NaN
  if (text.length === 10) return Date.UTC(y, m - 1, d) + (edge === 'end' ? 86_400_000 - 1 : 0)
  return Date.parse(text)
}

/**
 * `/v1/transactions` (Harpoon's newer docs) beside `/v1/payments`: the same payments, rules,
 * idempotency and events through the one PaymentService; only names and shapes differ. Also
 * `GET /v1/merchant/payment-methods`, the wallets a merchant shows customers.
 */
export function transactionRoutes (deps: TransactionRouteDeps) {
  const { service } = deps
  const { ledger } = service
  const payTo = paymentViewer(deps.wallets)

  const checkoutUrl = (request: FastifyRequest, token: string): string =>
    `${(deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/$/, '')}/checkout/${token}`

  /** One handler for the three lookups: each route's params schema has the one of these it is keyed by. */
  const byLookup = (by: Lookup) => async (request: FastifyRequest<{ Params: { reference?: string, hpn_code?: string, client_ref?: string } }>): Promise<{ success: true, data: Static<typeof TransactionSchema> }> => {
    const { params } = request
    const id = params.reference ?? params.hpn_code ?? params.client_ref ?? ''
    return ok(await transactionView(ledger, await service.get(ledger, caller(request), id, by)))
  }

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.post('/transactions/initialize', {
      config: { scope: 'payments:write', publishable: true, audit: { action: 'payment.initialize', target: 'payment' } },
      attachValidation: true,
      // The body's idempotency_key is the Idempotency-Key header by another name: it is made the
      // header before the idempotency hook looks (one key, one record, whichever way it came).
      preValidation: async (request) => {
        const fromBody = (request.body as { idempotency_key?: unknown } | undefined)?.idempotency_key
        if (typeof fromBody !== 'string') return
        const header = request.headers[IDEMPOTENCY_HEADER]
        if (header === undefined) request.headers[IDEMPOTENCY_HEADER] = fromBody
        else if (header !== fromBody) throw validationFailed([{ field: 'idempotency_key', message: 'differs from the Idempotency-Key header; send one, or the same in both' }])
      },
      schema: {
        tags,
        summary: 'Create a payment: HPN code, wallets and a hosted checkout link',
        description: 'Returns 201 with a new PENDING payment, or 200 with the PENDING payment that already has this client_reference (same amount and currency), each time with a fresh checkout_url.',
        body: TransactionInitializeBody,
        response: { 200: envelope(InitializedSchema), 201: envelope(InitializedSchema), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const problems: FieldProblem[] = request.validationError?.validation !== undefined
        ? fieldProblems(request.validationError.validation, 'body').map((p) => ({ ...p, message: UNSUPPORTED_FIELDS[p.field] ?? p.message }))
        : []
      const body: Partial<Static<typeof TransactionInitializeBody>> = request.body ?? {}
      if (body.expires_in !== undefined && body.expires_in_hours !== undefined) {
        problems.push({ field: 'expires_in', message: 'and expires_in_hours say the same thing; send one of them' })
      }
      const checked = await service.checkInitialize(auth, {
        amount: body.amount,
        channel: body.channel,
        method: body.method,
        currency: body.currency,
        clientReference: body.client_reference,
        customerPhone: body.phone_number,
        meta: body.meta,
        expiresInSeconds: body.expires_in ?? (body.expires_in_hours === undefined ? undefined : body.expires_in_hours * 3600),
        customerName: body.customer_name,
        description: body.description,
        redirectUrl: body.redirect_url,
        webhookUrl: body.webhook_url
      }, { amount: 'amount', channel: 'channel', currency: 'currency', customerPhone: 'phone_number', meta: 'meta', redirectUrl: 'redirect_url', webhookUrl: 'webhook_url', method: 'method' }, problems)

      let created = true
      return await commitResponse(ledger, request, reply, () => created ? 201 : 200, async (tx, note) => {
        const result = await service.initialize(tx, auth, checked, { checkout: true })
        created = result.created
        notePayment(note, null, result.payment)
        note.unchanged = !result.created
        if (checked.collectVia !== null) auditAppRequest(request, result.payment.id, checked.collectVia.id, 'initialize')
        const p = await payTo(tx, result.payment, result.attached)
        return {
          reference: p.reference,
          hpn_code: p.hpn_code,
          amount: p.expected_amount,
          amount_to_pay: p.amount_to_pay,
          currency: p.currency,
          status: p.status,
          expires_at: p.expires_at,
          created_at: p.created_at,
          checkout_url: checkoutUrl(request, result.checkoutToken as string),
          client_reference: p.client_reference,
          pay_to: p.pay_to
        }
      })
    })

    app.get('/transactions', {
      config: { scope: 'payments:read' },
      schema: { tags, summary: 'List transactions, newest first, page by page', querystring: ListTransactionsQuery, response: { 200: TransactionListSchema, ...errors } }
    }, async (request) => {
      const q = request.query
      const problems: FieldProblem[] = []
      const from = timeBound(q.from, 'start')
      const to = timeBound(q.to, 'end')
      if (from !== undefined && Number.isNaN(from)) problems.push({ field: 'from', message: 'is not a date this calendar has' })
      if (to !== undefined && Number.isNaN(to)) problems.push({ field: 'to', message: 'is not a date this calendar has' })
      // Any country a wallet can be in: a Kenyan customer's number is searched as a Ghanaian one is.
      const phone = q.phone_number === undefined ? undefined : normaliseNetworkPhone(q.phone_number)
      if (phone === null) problems.push({ field: 'phone_number', message: CUSTOMER_PHONE_RULE })
      if (problems.length > 0) throw validationFailed(problems)
      const { items, total } = await ledger.payments.search(caller(request), {
        status: q.status, from, to, phone: phone ?? undefined, offset: (q.page - 1) * q.per_page, limit: q.per_page
      })
      const totalPages = Math.ceil(total / q.per_page)
      return {
        success: true as const,
        data: await Promise.all(items.map(async (row) => await transactionListItem(ledger, row))),
        pagination: { page: q.page, per_page: q.per_page, total, total_pages: totalPages, has_next: q.page < totalPages, has_prev: q.page > 1 }
      }
    })

    app.get('/transactions/:reference', {
      config: { scope: 'payments:read', publishable: true },
      schema: { tags, summary: 'Get a transaction by its hpn_trx_ reference', params: ReferenceParams, response: { 200: envelope(TransactionSchema), ...errors } }
    }, byLookup('reference'))

    app.get('/transactions/by-hpn/:hpn_code', {
      config: { scope: 'payments:read' },
      schema: { tags, summary: 'Get a transaction by HPN code (the newest, as codes are reused after 180 days)', params: HpnCodeParams, response: { 200: envelope(TransactionSchema), ...errors } }
    }, byLookup('code'))

    app.get('/transactions/by-client-ref/:client_ref', {
      config: { scope: 'payments:read' },
      schema: { tags, summary: 'Get a transaction by your client_reference (the newest with it)', params: ClientRefParams, response: { 200: envelope(TransactionSchema), ...errors } }
    }, byLookup('client_reference'))

    app.post('/transactions/:reference/reconcile', {
      config: { scope: 'payments:write', audit: { action: 'payment.reconcile', target: 'payment' } },
      schema: {
        tags,
        summary: 'Verify a payment with the transaction ID from the customer\'s own telco SMS',
        params: ReferenceParams,
        body: TransactionReconcileBody,
        response: { 200: envelope(ReconciledSchema), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { reference } = request.params
      const body = request.body
      const amountMinor = reconcileAmount(body.amount)
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        const { outcome, before, payment } = await service.reconcile(tx, auth, reference, { telcoTransactionId: body.transaction_id, amountMinor, note: body.notes ?? null }, 'reference')
        notePayment(note, before, payment)
        note.after = { outcome, telco_transaction_id: body.transaction_id, ...paymentState(payment) }
        return { ...reconciled(outcome, body.transaction_id, payment), transaction: await transactionView(tx, payment) }
      })
    })

    app.post('/transactions/:reference/cancel', {
      config: { scope: 'payments:write', audit: { action: 'payment.cancel', target: 'payment' } },
      schema: {
        tags,
        summary: 'Cancel a PENDING payment (400 once it is in any other state)',
        params: ReferenceParams,
        body: TransactionCancelBody,
        response: { 200: CancelledSchema, ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { reference } = request.params
      const reason = request.body?.reason ?? null
      try {
        // The docs' shape: reference, status and message beside `success`, the transaction in `data`.
        return await commitResponse(ledger, request, reply, 200,
          async (tx, note) => {
            const before = await service.get(tx, auth, reference, 'reference')
            const after = await service.cancel(tx, auth, reference, 'reference', reason)
            notePayment(note, before, after)
            return await transactionView(tx, after)
          },
          (data) => ({ success: true, reference: data.reference, status: data.status, message: 'Transaction has been cancelled', data }))
      } catch (err) {
        // Harpoon answers a cancel of a payment past PENDING with 400; /v1/payments keeps SPEC's 409.
        if (err instanceof ConflictError && err.code === 'invalid_status') throw new HttpError(400, 'invalid_status', err.message)
        throw err
      }
    })

    app.get('/merchant/payment-methods', {
      config: { scope: 'payments:read' },
      schema: {
        tags,
        summary: 'The wallets customers pay for this key\'s merchant and mode, with each network\'s USSD code',
        response: { 200: envelope(Type.Array(PaymentMethodSchema)), ...errors }
      }
    }, async (request) => ok(deps.wallets(caller(request)).map((w) => ({
      network: w.network, network_name: deps.guides[w.network].name, msisdn: w.msisdn, currency: w.currency, ussd_code: deps.guides[w.network].ussdCode
    }))))
  }
}

/** Harpoon's reconcile answer, from the outcome and the payment after it. */
function reconciled (outcome: ReconcileOutcome, transactionId: string, payment: PaymentRow): Omit<Static<typeof ReconciledSchema>, 'transaction'> {
  const actual = payment.actual_minor
  const diff = actual === null ? null : actual - payment.expected_minor
  return {
    status: outcome,
    transaction_id: transactionId,
    transaction_updated: outcome === 'VERIFIED',
    new_transaction_status: payment.status,
    matched_amount: actual === null ? null : formatAmount(actual),
    expected_amount: formatAmount(payment.expected_minor),
    difference: diff === null ? null : formatAmount(diff),
    difference_type: diff === null ? null : diff === 0 ? 'exact' : diff < 0 ? 'underpaid' : 'overpaid',
    message: RECONCILE_MESSAGES[outcome]
  }
}
