import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import { formatAmount, parseAmount } from '../../core/money.js'
import { isoMillis } from '../../core/time.js'
import { startRefund } from '../../channels/collect.js'
import { settleRefundByOperator } from '../../channels/settle.js'
import { ConflictError, NotFoundError } from '../../ledger/errors.js'
import { paymentViewer, type Wallet, type Wallets } from '../payment-view.js'
import type { PaymentService } from '../payment-service.js'
import { auditAppRequest } from '../audit-legs.js'
import { notePayment, paymentState } from '../audit-trail.js'
import type { ChannelAccess } from './channels.js'
import { caller } from '../auth.js'
import { okList, type FieldProblem } from '../envelope.js'
import { validationFailed } from '../http-errors.js'
import { commitResponse } from '../idempotency.js'
import {
  AMOUNT_RULE, AuditSchema, ErrorSchema, InitializeBody, ListPaymentsQuery, PaymentIdParams, PaymentSchema, RefundBody, RefundIdParams, ResolveBody,
  SettleRefundBody, envelope, listEnvelope
} from '../schemas.js'
import { fieldProblems } from '../validation.js'

export type { Wallet }

export interface PaymentRouteDeps {
  service: PaymentService
  /** The wallet numbers that can settle a payment of a merchant and mode, from its modems (real or virtual). */
  wallets: Wallets
  /** The channels that can pay money back (refunds); absent: SMS only. */
  channels?: ChannelAccess | undefined
}

const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }

/** `/v1/payments` (SPEC §4): its names and shapes over the shared PaymentService. */
export function paymentRoutes (deps: PaymentRouteDeps) {
  const { service } = deps
  const { ledger } = service

  const view = paymentViewer(deps.wallets)

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.post('/payments/initialize', {
      config: { scope: 'payments:write', publishable: true, audit: { action: 'payment.initialize', target: 'payment' } },
      attachValidation: true,
      schema: {
        tags: ['payments'],
        summary: 'Create a payment and get its HPN code',
        description: 'Returns 201 with a new PENDING payment, or 200 with the PENDING payment that already has this client_reference (same amount and currency).',
        body: InitializeBody,
        response: { 200: envelope(PaymentSchema), 201: envelope(PaymentSchema), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      // Schema problems and business problems are reported together: every bad field at once.
      const problems: FieldProblem[] = request.validationError?.validation !== undefined
        ? fieldProblems(request.validationError.validation, 'body')
        : []
      // attachValidation: an invalid body reaches here too; its problems are in `problems` already.
      const body: Partial<Static<typeof InitializeBody>> = request.body ?? {}
      if (body.client_reference !== undefined && body.reference !== undefined && body.client_reference !== body.reference) {
        problems.push({ field: 'reference', message: 'is an alias of client_reference; send one of them' })
      }
      const checked = await service.checkInitialize(auth, {
        amount: body.amount,
        channel: body.channel,
        method: body.method,
        currency: body.currency,
        clientReference: body.client_reference ?? body.reference,
        customerPhone: body.customer_phone,
        meta: body.meta,
        expiresInSeconds: body.expires_in
      }, { amount: 'amount', channel: 'channel', currency: 'currency', customerPhone: 'customer_phone', meta: 'meta', redirectUrl: 'redirect_url', webhookUrl: 'webhook_url', method: 'method' }, problems)

      let created = true
      return await commitResponse(ledger, request, reply, () => created ? 201 : 200, async (tx, note) => {
        const result = await service.initialize(tx, auth, checked, { checkout: false })
        created = result.created
        notePayment(note, null, result.payment)
        note.unchanged = !result.created
        if (checked.collectVia !== null) auditAppRequest(request, result.payment.id, checked.collectVia.id, 'initialize')
        return await view(tx, result.payment, result.attached)
      })
    })

    app.get('/payments/:id', {
      config: { scope: 'payments:read', publishable: true },
      schema: {
        tags: ['payments'],
        summary: 'Get a payment by reference, HPN code or client_reference',
        params: PaymentIdParams,
        response: { 200: envelope(PaymentSchema), ...errors }
      }
    }, async (request) => {
      const { row, attached } = await service.getWithCredits(ledger, caller(request), request.params.id)
      return { success: true, data: await view(ledger, row, attached) }
    })

    app.get('/payments', {
      config: { scope: 'payments:read' },
      schema: {
        tags: ['payments'],
        summary: 'List payments, newest first',
        querystring: ListPaymentsQuery,
        response: { 200: listEnvelope(PaymentSchema), ...errors }
      }
    }, async (request) => {
      const q = request.query
      const page = await ledger.payments.list(caller(request), { status: q.status, limit: q.limit, cursor: q.cursor })
      return okList(await Promise.all(page.items.map(async (row) => await view(ledger, row))), page.hasMore, page.nextCursor)
    })

    app.post('/payments/:id/cancel', {
      config: { scope: 'payments:write', audit: { action: 'payment.cancel', target: 'payment' } },
      schema: { tags: ['payments'], summary: 'Cancel a PENDING payment', params: PaymentIdParams, response: { 200: envelope(PaymentSchema), ...errors } }
    }, async (request, reply) => {
      const { id } = request.params
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        const before = await service.get(tx, caller(request), id)
        const after = await service.cancel(tx, caller(request), before.reference, 'reference')
        notePayment(note, before, after)
        return await view(tx, after)
      })
    })

    app.post('/payments/:id/refund', {
      config: { scope: 'payments:write', audit: { action: 'payment.refund', target: 'payment' } },
      schema: {
        tags: ['payments'],
        summary: 'Pay money back through a channel, or record that it was paid back outside the daemon',
        description: 'With amount and a channel that can pay back (disbursement credentials; the payment\'s own, or one in its currency for the payer\'s country): 202, the refund listed on the payment as PENDING until the provider says SUCCESSFUL; the payment becomes REFUNDED (transaction.refunded) once the whole amount paid is refunded. Without amount, or without such a channel and for the whole amount: 200, REFUNDED at once (money returned outside the daemon).',
        params: PaymentIdParams,
        body: RefundBody,
        response: { 200: envelope(PaymentSchema), 202: envelope(PaymentSchema), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      const body: Static<typeof RefundBody> = request.body ?? {}
      const note = body.note ?? null
      const amountMinor = body.amount === undefined ? null : parseAmount(body.amount)
      if (body.amount !== undefined && (amountMinor === null || amountMinor <= 0)) throw validationFailed([{ field: 'amount', message: AMOUNT_RULE }])
      let status = 200
      return await commitResponse(ledger, request, reply, () => status, async (tx, audit) => {
        const payment = await service.get(tx, auth, id)
        const refunded = async (): Promise<Static<typeof PaymentSchema>> => {
          const after = await tx.payments.refund(auth, payment.reference, note)
          notePayment(audit, payment, after)
          return await view(tx, after)
        }
        if (amountMinor === null) return await refunded()
        const channel = deps.channels?.registry.refundChannel(auth, payment)
        if (channel === undefined || deps.channels === undefined) {
          // No way to pay money back: only the whole amount's refund can be recorded, as without amount.
          if (amountMinor !== payment.actual_minor) {
            throw new ConflictError('refund_not_possible', 'no channel of this merchant can pay this money back (one with disbursement credentials, in the payment\'s currency, for the payer\'s country); without one, only a refund of the whole amount paid can be recorded')
          }
          return await refunded()
        }
        await startRefund(tx, channel, payment, amountMinor, note, deps.channels.wake)
        notePayment(audit, payment)
        audit.after = { ...paymentState(payment), refund_started: { amount: formatAmount(amountMinor), channel: channel.id } }
        status = 202
        auditAppRequest(request, payment.id, channel.id, 'refund')
        return await view(tx, payment)
      })
    })

    app.post('/payments/:id/refunds/:refund/settle', {
      config: { scope: 'operator', audit: { action: 'refund.settle', target: 'payment' } },
      schema: {
        tags: ['payments'],
        summary: 'Say, from the provider\'s own records, whether a refund it cannot confirm was paid',
        description: 'For a refund listed PENDING whose provider cannot confirm it (iPay has no refund-status call: after a lost answer its refunds wait here) or FAILED with failure_reason NO_FINAL_STATUS (the provider never gave a final word). SUCCESSFUL counts as the provider\'s own would: the payment becomes REFUNDED once the whole amount paid is refunded. FAILED frees the amount to be refunded again. 409 refund_not_unconfirmed for any other refund.',
        params: RefundIdParams,
        body: SettleRefundBody,
        response: { 200: envelope(PaymentSchema), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id, refund } = request.params
      const body = request.body
      return await commitResponse(ledger, request, reply, 200, async (tx, audit) => {
        const payment = await service.get(tx, auth, id)
        const row = await tx.channelTransactions.byPublicId(auth, refund)
        if (row === undefined || row.kind !== 'refund' || row.payment_id !== payment.id) throw new NotFoundError('refund')
        const settled = await settleRefundByOperator(tx, row, body.status === 'SUCCESSFUL', body.provider_transaction_id ?? null)
        const after = await tx.payments.getById(payment.id) ?? payment
        notePayment(audit, payment)
        audit.after = { ...paymentState(after), refund: { id: settled.public_id, status: body.status, note: body.note } }
        return await view(tx, after)
      })
    })

    app.get('/payments/:id/audit', {
      config: { scope: 'operator' },
      schema: {
        tags: ['payments'],
        summary: 'Every leg of a payment: the app\'s requests, each call to the provider (token calls too), each callback, each forward to an app',
        description: 'Secrets (tokens, keys, Authorization headers) are redacted before anything is recorded.',
        params: PaymentIdParams,
        response: { 200: envelope(AuditSchema), ...errors }
      }
    }, async (request) => {
      const { id } = request.params
      const payment = await service.get(ledger, caller(request), id)
      const legs = await ledger.audit.ofPayment(payment.id)
      return {
        success: true,
        data: {
          payment: payment.reference,
          channel: payment.channel_id,
          legs: legs.map((l) => ({
            kind: l.kind, channel: l.channelId, operation: l.operation, reference_id: l.referenceId, method: l.method, url: l.url,
            status_code: l.statusCode, duration_ms: l.durationMs, started_at: isoMillis(l.startedAt), request_headers: l.requestHeaders,
            request_body: l.requestBody, response_body: l.responseBody, error: l.error
          }))
        }
      }
    })

    app.post('/payments/:id/resolve', {
      config: { scope: 'payments:write', audit: { action: 'payment.resolve', target: 'payment' } },
      schema: {
        tags: ['payments'],
        summary: 'Resolve a MANUAL_REVIEW payment',
        params: PaymentIdParams,
        body: ResolveBody,
        response: { 200: envelope(PaymentSchema), ...errors }
      }
    }, async (request, reply) => {
      const { id } = request.params
      const body = request.body
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        const before = await service.get(tx, caller(request), id)
        const after = await tx.payments.resolve(caller(request), before.reference, body.status, body.note ?? null)
        notePayment(note, before, after)
        return await view(tx, after)
      })
    })
  }
}
