import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { formatAmount, parseAmount } from '../../core/money.js'
import { payableCurrencies, paymentViewer, type Wallet, type Wallets } from '../payment-view.js'
import { normaliseGhanaPhone } from '../../core/phone.js'
import type { Ledger } from '../../ledger/ledger.js'
import { caller } from '../auth.js'
import { okList, type FieldProblem } from '../envelope.js'
import { validationFailed } from '../http-errors.js'
import { commitResponse } from '../idempotency.js'
import {
  AMOUNT_RULE, ErrorSchema, InitializeBody, ListPaymentsQuery, NoteBody, PaymentIdParams, PaymentSchema, ResolveBody, envelope, listEnvelope
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
      let customerPhone: string | null = null
      if (typeof body.customer_phone === 'string' && !bad.has('customer_phone')) {
        customerPhone = normaliseGhanaPhone(body.customer_phone)
        if (customerPhone === null) add('customer_phone', 'must be a Ghanaian number: 0XXXXXXXXX, +233XXXXXXXXX or 233XXXXXXXXX')
      }
      const currency = body.currency ?? 'GHS'
      if (!bad.has('currency')) {
        const payable = payableCurrencies(deps.wallets, deps.networkCurrencies, auth)
        if (!payable.has(currency)) add('currency', `cannot be paid to this merchant's wallets, which take ${[...payable].join(', ')}`)
      }
      if (body.meta !== undefined && !bad.has('meta') && Buffer.byteLength(JSON.stringify(body.meta)) > META_LIMIT) {
        add('meta', 'must be at most 4 KiB of JSON')
      }
      if (problems.length > 0) throw validationFailed(problems)

      let created = true
      return await commitResponse(ledger, request, reply, () => created ? 201 : 200, async (tx) => {
        const result = await tx.payments.initialize(auth, {
          amountMinor: amountMinor as number,
          currency,
          clientReference: body.client_reference ?? body.reference ?? null,
          customerPhone,
          meta: body.meta ?? null,
          expiresInSeconds: body.expires_in ?? deps.defaultExpiresIn
        })
        created = result.created
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
        summary: 'Record that a paid payment was refunded outside the daemon',
        params: PaymentIdParams,
        body: NoteBody,
        response: { 200: envelope(PaymentSchema), ...errors }
      }
    }, async (request, reply) => {
      const { id } = request.params as Static<typeof PaymentIdParams>
      const body = (request.body ?? {}) as Static<typeof NoteBody>
      return await commitResponse(ledger, request, reply, 200, async (tx) => await view(tx, await tx.payments.refund(caller(request), id, body.note ?? null)))
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
