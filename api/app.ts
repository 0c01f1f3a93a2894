import { auditTrailRoutes } from './routes/audit-trail.js'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Ledger } from '../ledger/ledger.js'
import { AccessLog, type AccessLogSettings } from './access-log.js'
import { registerRequestGate } from './auth.js'
import { lazyRequestLogger } from './request-logger.js'
import { publishableRoutes } from './key-access.js'
import { errorBody } from './envelope.js'
import { clientErrorHandler, errorHandler } from './error-handler.js'
import { HttpError, validationFailed } from './http-errors.js'
import { jsonBodyProblem } from './json-body.js'
import { registerIdempotency } from './idempotency.js'
import { partAwareValidators } from './validators.js'
import { fastSerializers } from './serializers.js'
import type { Metrics } from './metrics.js'
import { creditRoutes } from './routes/credits.js'
import { keyRoutes } from './routes/keys.js'
import { testSmsRoutes } from './routes/test-sms.js'
import { paymentViewer } from './payment-view.js'
import { paymentRoutes } from './routes/payments.js'
import { PaymentService, type PaymentServiceDeps } from './payment-service.js'
import { transactionRoutes } from './routes/transactions.js'
import { PAYMENT_GUIDES, type GuideNetwork, type PaymentGuide } from '../core/payment-guides.js'
import type { Wallets } from './payment-view.js'
import { systemRoutes, type ModemStatus } from './routes/system.js'
import { dashboardPage } from '../dashboard/page.js'
import { checkoutPage } from '../checkout/page.js'
import { operatorRoutes, type OperatorRouteDeps } from './routes/operator.js'
import { registerAppRequestAudit } from './audit-legs.js'
import { channelRoutes, type ChannelAccess } from './routes/channels.js'
import { agentRoutes, type AgentRouteDeps } from './routes/agents.js'

export const BODY_LIMIT = 64 * 1024

export interface ApiDeps {
  ledger: Ledger
  logger: Logger
  metrics: Metrics
  version: string
  maxAmountMinor: number
  defaultExpiresIn: number
  rateLimit: { max: number, windowMs: number }
  /** api.trust_proxy: whose X-Forwarded-For is believed for `request.ip` (Fastify's trustProxy). */
  trustProxy: boolean | number | readonly string[]
  wallets: Wallets
  /** The currencies of every network a modem can be on: what test payments, and owners without a wallet yet, may use. */
  networkCurrencies: readonly string[]
  /** Config `matching.unique_amount` (api/payment-service.ts DEFAULT_UNIQUE_AMOUNT when absent). */
  uniqueAmount?: PaymentServiceDeps['uniqueAmount']
  modems: () => readonly ModemStatus[]
  /** Delivers a test-mode SMS (through a virtual modem when one runs); without it the route is absent. */
  testSms?: Parameters<typeof testSmsRoutes>[0]
  /** The operator dashboard at `/dashboard` (with its two `/v1/operator` calls); absent without it. */
  dashboard?: Pick<OperatorRouteDeps, 'silenceAlarmMinutes' | 'startedAt' | 'now'>
  /** `/v1/agent/*`, where `harpoon agent`s forward SMS and report their modems; absent without it. */
  agents?: AgentRouteDeps
  /** Extra `/v1` route plugins from later layers (webhooks). */
  plugins?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>
  /** Judges a payment's own `webhook_url` (the webhooks layer's checkTarget); without it the field is refused. */
  checkWebhookUrl?: PaymentServiceDeps['checkWebhookUrl']
  /** How customers pay each network (core/payment-guides.ts with the config's corrections); default: the built-in guides. */
  guides?: Readonly<Record<GuideNetwork, PaymentGuide>>
  /** api.public_url, for checkout_url; null or absent: the address each request came to. */
  publicUrl?: string | null
  /** Channels payments may be collected through (`channel` on initialize, `/v1/channels`, callbacks, refunds). */
  channels?: ChannelAccess
  /** Route plugins served at the root, outside `/v1` (the MoMo proxy's own API, api/compat/). */
  rootPlugins?: ReadonlyArray<(app: FastifyInstance) => Promise<void>>
  /** api.access_log: which requests get an access-log line; default DEFAULT_ACCESS_LOG. */
  accessLog?: AccessLogSettings
}

/** api.trust_proxy as Fastify takes it: a hop count is "trust the nearest N proxies". */
function trustProxyOption (setting: ApiDeps['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting
  return typeof setting === 'boolean' ? setting : [...setting]
}

/**
 * The HTTP API as a Fastify instance, not yet listening: the daemon calls `listen`, tests too (on
 * port 0). Building it has no side effects beyond the instance.
 */
export async function buildApi (deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger and Fastify's base logger differ only in optional typing details.
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: trustProxyOption(deps.trustProxy),
    // The access log, and the request metrics, which it is told of for every answered request.
    logController: new AccessLog(deps.accessLog, (request, reply) => {
      deps.metrics.http.record(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
    }),
    // A request's child logger is made only if the request logs (api/request-logger.ts).
    childLoggerFactory: lazyRequestLogger,
    // JSON bodies are validated without type coercion; query strings and path parameters with it.
    // Responses are written from a copy of their schemas without the `anyOf`s the serializer would
    // have to run Ajv for (api/serializers.ts).
    schemaController: { compilersFactory: { buildValidator: partAwareValidators(), buildSerializer: fastSerializers() } },
    // Timeouts for a server that may face the internet through a proxy: slow clients are cut off.
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    // Errors raised before a route runs get the SPEC §4 envelope like every other.
    clientErrorHandler,
    frameworkErrors: errorHandler
  })

  // Keep the exact bytes of every JSON body: idempotency fingerprints them. JSON.parse makes a
  // "__proto__" key an own property, never a prototype; jsonBodyProblem then refuses such keys (and
  // nesting too deep to handle) by name, where Fastify's parser called valid JSON malformed.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    request.rawBody = text
    if (text.trim() === '') { done(null, undefined); return }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      done(new HttpError(400, 'malformed_json', 'request body is not valid JSON'), undefined)
      return
    }
    const problem = jsonBodyProblem(value)
    if (problem !== null) done(validationFailed([problem]), undefined)
    else done(null, value)
  })

  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`))
  })

  // Authentication, CORS headers, the rate limit (per key; API requests without a valid key share
  // their client address's own budget) and the verdict, in one hook (api/auth.ts).
  registerRequestGate(app, deps.ledger.apiKeys, { max: deps.rateLimit.max, timeWindow: deps.rateLimit.windowMs })
  const browserRoutes = publishableRoutes(app)
  registerIdempotency(app, deps.ledger.idempotency)
  registerAppRequestAudit(app, deps.ledger.audit)

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Harpoon daemon API', version: deps.version, description: 'Verify mobile-money payments from the telcos\' confirmation SMS. Every /v1 call needs Authorization: Bearer <key>.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'hpn_live_sk_… or hpn_test_sk_…' } } },
      security: [{ bearer: [] }]
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  // One service under both route families (/v1/payments and /v1/transactions).
  const service = new PaymentService({
    ledger: deps.ledger,
    maxAmountMinor: deps.maxAmountMinor,
    defaultExpiresIn: deps.defaultExpiresIn,
    wallets: deps.wallets,
    networkCurrencies: deps.networkCurrencies,
    checkWebhookUrl: deps.checkWebhookUrl,
    channels: deps.channels,
    uniqueAmount: deps.uniqueAmount
  })

  await app.register(systemRoutes({ ledger: deps.ledger, metrics: deps.metrics, modems: deps.modems, version: deps.version }))
  await app.register(async (v1) => {
    await v1.register(paymentRoutes({ service, wallets: deps.wallets, channels: deps.channels }))
    await v1.register(transactionRoutes({ service, wallets: deps.wallets, guides: deps.guides ?? PAYMENT_GUIDES, publicUrl: deps.publicUrl ?? null }))
    if (deps.channels !== undefined) await v1.register(channelRoutes({ ...deps.channels, ledger: deps.ledger, logger: deps.logger }))
    await v1.register(keyRoutes(deps.ledger))
    await v1.register(auditTrailRoutes(deps.ledger))
    await v1.register(creditRoutes({ ledger: deps.ledger, paymentView: paymentViewer(deps.wallets), service }))
    if (deps.testSms !== undefined) await v1.register(testSmsRoutes(deps.testSms))
    if (deps.agents !== undefined) await v1.register(agentRoutes(deps.agents))
    for (const plugin of deps.plugins ?? []) await v1.register(plugin)
  }, { prefix: '/v1' })
  browserRoutes.answerPreflights(deps.ledger.apiKeys)
  // The hosted checkout: public pages reached by a payment's unguessable checkout link.
  await app.register(checkoutPage({ ledger: deps.ledger, wallets: deps.wallets, guides: deps.guides ?? PAYMENT_GUIDES, now: deps.ledger.now }))
  for (const plugin of deps.rootPlugins ?? []) await app.register(plugin)
  if (deps.dashboard !== undefined) {
    await app.register(dashboardPage())
    await app.register(operatorRoutes({ ledger: deps.ledger, modems: deps.modems, paymentView: paymentViewer(deps.wallets), ...deps.dashboard }))
  }

  return app
}
