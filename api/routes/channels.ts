import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify'
import { typed } from '../typed.js'
import type { Logger } from 'pino'
import { receiveCallback } from '../../channels/callbacks.js'
import type { Channel } from '../../channels/channel.js'
import type { ChannelRegistry } from '../../channels/registry.js'
import { ConflictError, NotFoundError } from '../../ledger/errors.js'
import type { Ledger } from '../../ledger/ledger.js'
import { caller } from '../auth.js'
import { ok, okList } from '../envelope.js'
import { HttpError } from '../http-errors.js'
import { ModeSchema } from '../../core/enum-schema.js'
import { ErrorSchema, envelope, listEnvelope, literals, nullable } from '../schemas.js'

/** What the API needs of the channel layer. */
export interface ChannelAccess {
  registry: ChannelRegistry
  /** Wakes the outbox of provider calls (after a payment, refund or callback committed). */
  wake: () => void
}

export interface ChannelRouteDeps extends ChannelAccess {
  ledger: Ledger
  logger: Logger
}

const ChannelSchema = Type.Object({
  id: Type.String({ examples: ['mtn-gh'] }),
  type: Type.String({ examples: ['mtn_momo'] }),
  mode: ModeSchema(),
  currency: Type.String(),
  country: nullable(Type.String({ description: 'whose numbers it takes; null: any international number' })),
  environment: Type.String({ examples: ['mtnghana', 'sandbox'] }),
  refunds: Type.Boolean({ description: 'it can pay money back (disbursement credentials)' }),
  callbacks: Type.Boolean({ description: 'the provider is told where to call back; false: polling alone settles' }),
  embedded: Type.Boolean({ description: 'the daemon\'s own MTN simulator (test mode)' })
})

export function channelView (c: Channel): Static<typeof ChannelSchema> {
  return { id: c.id, type: c.type, mode: c.mode, currency: c.currency, country: c.country, environment: c.environment, refunds: c.canRefund, callbacks: c.callbacks, embedded: c.embedded }
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

const CustomerBody = Type.Object({
  action: literals(['approve', 'reject'] as const),
  payment: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'reference, HPN code or client_reference; default: the newest PENDING payment on the channel' }))
}, { additionalProperties: false })

const CustomerResult = Type.Object({ payment: Type.String(), reference_id: Type.String(), action: Type.String(), simulator_status: Type.Integer() })

const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }

/** A callback's path parameters and query, as the provider (or a forger) sent them (the query has no schema). */
interface CallbackRoute { Params: Readonly<Record<string, string | undefined>>, Querystring: Record<string, string | undefined> }

/**
 * A providers' callback listener at `url` (PUT and POST, public, limited per client address). Any
 * body is taken as text: a provider's (or a forger's) request is recorded as it came, JSON or not,
 * and never answered with a parse error; then the transaction it names is checked soon
 * (channels/callbacks.ts). Used by `/v1/channels/{id}/callback` and the MoMo proxy's `/callback`.
 */
export async function registerCallbackRoute (app: FastifyInstance, url: string, deps: Pick<ChannelRouteDeps, 'ledger' | 'logger' | 'wake'>,
  channelOf: (request: FastifyRequest<CallbackRoute>) => Channel, schema: FastifySchema = {}, methods: Array<'GET' | 'PUT' | 'POST'> = ['PUT', 'POST']): Promise<void> {
  await app.register(async (callbacks) => {
    callbacks.removeAllContentTypeParsers()
    callbacks.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
    callbacks.route<CallbackRoute>({
      method: methods,
      url,
      config: { publicLimited: true },
      schema: { tags: ['channels'], summary: 'A provider\'s callback (MTN sends PUT or POST, iPay a GET with a query). Recorded, never believed: it only brings a status check forward (iPay\'s only once its IPN confirms it)', security: [], ...schema },
      handler: async (request) => {
        const startedAt = deps.ledger.now()
        await receiveCallback(deps, channelOf(request), {
          method: request.method,
          url: request.url,
          headers: request.headers,
          query: request.query,
          rawBody: typeof request.body === 'string' ? request.body : '',
          remoteAddress: request.ip,
          startedAt
        })
        return { received: true }
      }
    })
  })
}

/**
 * `GET /v1/channels`; the providers' callbacks (`GET`/`PUT`/`POST /v1/channels/{id}/callback`, no
 * authentication: recorded, then the provider is asked); and for test keys, the customer's side of a
 * test channel's simulator (`POST /v1/test/channels/{id}/customer`, what `harpoon simulate --channel`
 * calls).
 */
export function channelRoutes (deps: ChannelRouteDeps) {
  const { ledger, registry } = deps

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.get('/channels', {
      config: { scope: 'payments:read' },
      schema: { tags: ['channels'], summary: 'The channels this key\'s payments can be collected through', response: { 200: listEnvelope(ChannelSchema), ...errors } }
    }, async (request) => okList(registry.forOwner(caller(request)).map(channelView), false, null))

    await registerCallbackRoute(app, '/channels/:id/callback', deps, (request) => {
      const channel = registry.get(request.params['id'] ?? '')
      if (channel === undefined) throw new NotFoundError('channel')
      return channel
    }, { params: IdParams, response: { 200: Type.Object({ received: Type.Boolean() }), 404: ErrorSchema } }, ['GET', 'PUT', 'POST'])

    app.post('/test/channels/:id/customer', {
      config: { scope: 'payments:write', testOnly: true },
      schema: {
        tags: ['test mode'],
        summary: 'Play the customer of a test channel\'s simulator: approve or reject the prompt (test keys only)',
        params: IdParams,
        body: CustomerBody,
        response: { 200: envelope(CustomerResult), ...errors }
      }
    }, async (request) => {
      const auth = caller(request)
      const { id } = request.params
      const body = request.body
      const channel = registry.find(auth, id)
      const control = channel === undefined ? null : registry.simulatorUrl(channel.id)
      if (channel === undefined || control === null) throw new NotFoundError('test channel')
      const payment = body.payment === undefined
        ? await ledger.payments.newestPendingOnChannel(auth, channel.id)
        : await ledger.payments.find(auth, body.payment)
      if (payment === undefined) throw new NotFoundError(body.payment === undefined ? `PENDING payment on ${channel.id}` : 'payment')
      if (payment.channel_id !== channel.id || payment.channel_reference === null) throw new ConflictError('not_on_channel', `payment ${payment.reference} is not collected through ${channel.id}`)
      let status: number
      try {
        const res = await fetch(`${control}/_sim/requests/${payment.channel_reference}/${body.action}`, { method: 'POST', signal: AbortSignal.timeout(10_000) })
        status = res.status
        await res.arrayBuffer()
      } catch (err) {
        throw new HttpError(502, 'simulator_unreachable', `the simulator of ${channel.id} did not answer at ${control}: ${(err as Error).message}`)
      }
      // 409: the request is already final (or the provider never got it yet): the check tells.
      if (status !== 200 && status !== 409) throw new HttpError(502, 'simulator_refused', `the simulator of ${channel.id} answered ${status} for ${payment.channel_reference}`)
      if (await ledger.channelTransactions.wake(channel.id, payment.channel_reference, ledger.now()) !== undefined) deps.wake()
      return ok({ payment: payment.reference, reference_id: payment.channel_reference, action: body.action, simulator_status: status })
    })
  }
}
