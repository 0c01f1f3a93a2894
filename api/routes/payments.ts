import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { formatAmount, parseAmount } from '../../core/money.js'
import { payableCurrencies, paymentViewer, type Wallet, type Wallets } from '../payment-view.js'
import { NUMBERING, normaliseGhanaPhone } from '../../core/phone.js'
import { isoMillis } from '../../core/time.js'
import { startCollection, startRefund } from '../../channels/collect.js'
import type { Channel } from '../../channels/channel.js'
import { ConflictError } from '../../ledger/errors.js'
import type { Ledger } from '../../ledger/ledger.js'
import { auditAppRequest } from '../audit-legs.js'
import type { ChannelAccess } from './channels.js'
import { caller } from '../auth.js'
import { okList, type FieldProblem } from '../envelope.js'
import { validationFailed } from '../http-errors.js'
import { commitResponse } from '../idempotency.js'
import {
  AMOUNT_RULE, AuditSchema, ErrorSchema, InitializeBody, ListPaymentsQuery, PaymentIdParams, PaymentSchema, RefundBody, ResolveBody, envelope, listEnvelope
} from '../schemas.js'
import { fieldProblems } from '../validation.js'

export type { Wallet }

export interface PaymentRouteDeps {
  ledger: Ledger
  maxAmountMinor: number
  defaultExpiresIn: number
  /** The wallet numbers that can settle a payment of a merchant and mode, from its modems (real or virtual). */
  wallets: Wallets
  /** The currencies of every network a modem can be on (see payableCurrencies). */
  networkCurrencies: readonly string[]
  /** The channels payments may be collected through; absent: SMS only. */
  channels?: ChannelAccess | undefined
}

/** "a Ghanaian number (0XXXXXXXXX or +233XXXXXXXXX)", or any international number for a channel of no country. */
function phoneRule (channel: Channel): string {
  if (channel.country === null) return `must be an international number (+ and 6 to 15 digits) for ${channel.id}`
  const n = NUMBERING[channel.country]
  return `must be a number of ${n?.name ?? channel.country} for ${channel.id}: ${n?.trunkZero === true ? '0… or ' : ''}+${n?.callingCode ?? ''}…`
}

const META_LIMIT = 4096

const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }

export function paymentRoutes (deps: PaymentRouteDeps) {
  const { ledger } = deps

  const view = paymentViewer(deps.wallets)

  return async function register (app: FastifyInstance): Promise<void> {
    app.post('/payments/initialize', {
      config: { scope: 'payments:write' },
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
      const body = (request.body ?? {}) as Partial<Static<typeof InitializeBody>>
      const bad = new Set(problems.map((p) => p.field))
      const add = (field: string, message: string): void => { if (!bad.has(field)) { bad.add(field); problems.push({ field, message }) } }

      const amountMinor = parseAmount(body.amount)
      if (!bad.has('amount')) {
        if (amountMinor === null) add('amount', AMOUNT_RULE)
        else if (amountMinor <= 0) add('amount', 'must be greater than 0')
        else if (amountMinor > deps.maxAmountMinor) add('amount', `must be at most ${formatAmount(deps.maxAmountMinor)}`)
      }
      if (body.client_reference !== undefined && body.reference !== undefined && body.client_reference !== body.reference) {
        add('reference', 'is an alias of client_reference; send one of them')
      }
      let channel: Channel | undefined
      if (body.channel !== undefined && body.channel !== 'sms' && !bad.has('channel')) {
        channel = deps.channels?.registry.find(auth, body.channel)
        if (channel === undefined) {
          const known = deps.channels?.registry.forOwner(auth).map((c) => c.id) ?? []
          add('channel', `is not a channel of this merchant in ${auth.mode} mode (${known.length === 0 ? 'it has none; "sms" is always there' : `it has ${known.join(', ')}, and "sms"`})`)
        }
      }
      let customerPhone: string | null = null
      if (channel !== undefined && body.customer_phone === undefined && !bad.has('customer_phone')) add('customer_phone', 'is required with a channel: it is the number the provider prompts')
      if (typeof body.customer_phone === 'string' && !bad.has('customer_phone')) {
        customerPhone = channel === undefined ? normaliseGhanaPhone(body.customer_phone) : channel.displayPhone(body.customer_phone)
        if (customerPhone === null) add('customer_phone', channel === undefined ? 'must be a Ghanaian number: 0XXXXXXXXX, +233XXXXXXXXX or 233XXXXXXXXX' : phoneRule(channel))
      }
      const currency = body.currency ?? channel?.currency ?? 'GHS'
      if (!bad.has('currency')) {
        if (channel !== undefined) {
          if (currency !== channel.currency) add('currency', `must be ${channel.currency}: the only currency ${channel.id} collects`)
        } else {
          const payable = payableCurrencies(deps.wallets, deps.networkCurrencies, auth)
          if (!payable.has(currency)) add('currency', `cannot be paid to this merchant's wallets, which take ${[...payable].join(', ')}`)
        }
      }
      if (body.meta !== undefined && !bad.has('meta') && Buffer.byteLength(JSON.stringify(body.meta)) > META_LIMIT) {
        add('meta', 'must be at most 4 KiB of JSON')
      }
      if (problems.length > 0) throw validationFailed(problems)

      let created = true
      return await commitResponse(ledger, request, reply, () => created ? 201 : 200, async (tx) => {
        const input = {
          amountMinor: amountMinor as number,
          currency,
          clientReference: body.client_reference ?? body.reference ?? null,
          meta: body.meta ?? null,
          expiresInSeconds: body.expires_in ?? deps.defaultExpiresIn
        }
        const result = channel === undefined || deps.channels === undefined
          ? await tx.payments.initialize(auth, { ...input, customerPhone })
          : await startCollection(tx, channel, auth, { ...input, customerPhone: customerPhone as string }, deps.channels.wake)
        created = result.created
        if (channel !== undefined) auditAppRequest(request, result.payment.id, channel.id, 'initialize')
        return await view(tx, result.payment)
      })
    })

    app.get('/payments/:id', {
      config: { scope: 'payments:read' },
      schema: {
        tags: ['payments'],
        summary: 'Get a payment by reference, HPN code or client_reference',
        params: PaymentIdParams,
        response: { 200: envelope(PaymentSchema), ...errors }
      }
    }, async (request) => {
      const { id } = request.params as Static<typeof PaymentIdParams>
      return { success: true, data: await view(ledger, await ledger.payments.get(caller(request), id)) }
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
      const q = request.query as Static<typeof ListPaymentsQuery>
      const page = await ledger.payments.list(caller(request), { status: q.status as never, limit: q.limit, cursor: q.cursor })
      return okList(await Promise.all(page.items.map(async (row) => await view(ledger, row))), page.hasMore, page.nextCursor)
    })

    app.post('/payments/:id/cancel', {
      config: { scope: 'payments:write' },
      schema: { tags: ['payments'], summary: 'Cancel a PENDING payment', params: PaymentIdParams, response: { 200: envelope(PaymentSchema), ...errors } }
    }, async (request, reply) => {
      const { id } = request.params as Static<typeof PaymentIdParams>
      return await commitResponse(ledger, request, reply, 200, async (tx) => await view(tx, await tx.payments.cancel(caller(request), id)))
    })

    app.post('/payments/:id/refund', {
      config: { scope: 'payments:write' },
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
      const { id } = request.params as Static<typeof PaymentIdParams>
      const body = (request.body ?? {}) as Static<typeof RefundBody>
      const note = body.note ?? null
      const amountMinor = body.amount === undefined ? null : parseAmount(body.amount)
      if (body.amount !== undefined && (amountMinor === null || amountMinor <= 0)) throw validationFailed([{ field: 'amount', message: AMOUNT_RULE }])
      let status = 200
      return await commitResponse(ledger, request, reply, () => status, async (tx) => {
        if (amountMinor === null) return await view(tx, await tx.payments.refund(auth, id, note))
        const payment = await tx.payments.get(auth, id)
        const channel = deps.channels?.registry.refundChannel(auth, payment)
        if (channel === undefined || deps.channels === undefined) {
          // No way to pay money back: only the whole amount's refund can be recorded, as without amount.
          if (amountMinor !== payment.actual_minor) {
            throw new ConflictError('refund_not_possible', 'no channel of this merchant can pay this money back (one with disbursement credentials, in the payment\'s currency, for the payer\'s country); without one, only a refund of the whole amount paid can be recorded')
          }
          return await view(tx, await tx.payments.refund(auth, id, note))
        }
        await startRefund(tx, channel, payment, amountMinor, note, deps.channels.wake)
        status = 202
        auditAppRequest(request, payment.id, channel.id, 'refund')
        return await view(tx, payment)
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
      const { id } = request.params as Static<typeof PaymentIdParams>
      const payment = await ledger.payments.get(caller(request), id)
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
      config: { scope: 'payments:write' },
      schema: {
        tags: ['payments'],
        summary: 'Resolve a MANUAL_REVIEW payment',
        params: PaymentIdParams,
        body: ResolveBody,
        response: { 200: envelope(PaymentSchema), ...errors }
      }
    }, async (request, reply) => {
      const { id } = request.params as Static<typeof PaymentIdParams>
      const body = request.body as Static<typeof ResolveBody>
      return await commitResponse(ledger, request, reply, 200, async (tx) => await view(tx, await tx.payments.resolve(caller(request), id, body.status, body.note ?? null)))
    })
  }
}
