import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { paymentViewer, type Wallet, type Wallets } from '../payment-view.js'
import type { PaymentService } from '../payment-service.js'
import { caller } from '../auth.js'
import { okList, type FieldProblem } from '../envelope.js'
import { commitResponse } from '../idempotency.js'
import {
  ErrorSchema, InitializeBody, ListPaymentsQuery, NoteBody, PaymentIdParams, PaymentSchema, ResolveBody, envelope, listEnvelope
} from '../schemas.js'
import { fieldProblems } from '../validation.js'

export type { Wallet }

export interface PaymentRouteDeps {
  service: PaymentService
  /** The wallet numbers that can settle a payment of a merchant and mode, from its modems (real or virtual). */
  wallets: Wallets
}

const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }

/** `/v1/payments` (SPEC §4): its names and shapes over the shared PaymentService. */
export function paymentRoutes (deps: PaymentRouteDeps) {
  const { service } = deps
  const { ledger } = service

  const view = paymentViewer(deps.wallets)

  return async function register (app: FastifyInstance): Promise<void> {
    app.post('/payments/initialize', {
      config: { scope: 'payments:write', publishable: true },
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
      if (body.client_reference !== undefined && body.reference !== undefined && body.client_reference !== body.reference) {
        problems.push({ field: 'reference', message: 'is an alias of client_reference; send one of them' })
      }
      const checked = await service.checkInitialize(auth, {
        amount: body.amount,
        currency: body.currency,
        clientReference: body.client_reference ?? body.reference,
        customerPhone: body.customer_phone,
        meta: body.meta,
        expiresInSeconds: body.expires_in
      }, { amount: 'amount', currency: 'currency', customerPhone: 'customer_phone', meta: 'meta', redirectUrl: 'redirect_url', webhookUrl: 'webhook_url' }, problems)

      let created = true
      return await commitResponse(ledger, request, reply, () => created ? 201 : 200, async (tx) => {
        const result = await service.initialize(tx, auth, checked, { checkout: false })
        created = result.created
        return await view(tx, result.payment)
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
      const { id } = request.params as Static<typeof PaymentIdParams>
      return { success: true, data: await view(ledger, await service.get(ledger, caller(request), id)) }
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
      return await commitResponse(ledger, request, reply, 200, async (tx) => await view(tx, await service.cancel(tx, caller(request), id)))
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
