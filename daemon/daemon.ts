import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApi } from '../api/app.js'
import { createMetrics } from '../api/metrics.js'
import { webhookRoutes } from '../api/routes/webhooks.js'
import { ConfigError, type Config } from '../config/load.js'
import { startExpirySweeper } from '../ledger/expiry-sweeper.js'
import type { Ledger } from '../ledger/ledger.js'
import { describeDatabase, openLedger } from '../ledger/open.js'
import { loadSecretKey } from './secret-key.js'
import { createWebhooks, type Webhooks } from '../webhooks/webhooks.js'
import { bootstrapEmptyDatabase, firstKeyBanner } from './bootstrap.js'
import { packageVersion } from './version.js'
import { parserFrom } from './parser.js'
import { deliverTestSmsToIngest } from './test-sms.js'
import { createIngest } from '../ingest/ingest.js'
import { MODEM_NETWORK_CURRENCIES, modemMerchants, startModems, type ModemLayer } from './modems.js'
import { registerDaemonMetrics } from './metrics.js'
import { startAgentView, uniqueWallets, type AgentView } from './agents.js'
import { createAgentIntake } from '../ingest/agent-intake.js'
import { assembleText } from '../modem/pdu/assemble.js'
import { guidesWith } from '../core/payment-guides.js'
import { createChannelRegistry, type ChannelRegistry } from '../channels/registry.js'
import { OutboundWorker } from '../channels/outbound.js'
import { proxyForwarder } from '../api/compat/forwards.js'
import { momoProxyRoutes } from '../api/compat/momo-proxy.js'

export interface RunningDaemon {
  api: FastifyInstance
  ledger: Ledger
  webhooks: Webhooks
  channels: ChannelRegistry
  outbound: OutboundWorker
  /** "http://127.0.0.1:8080" */
  url: string
  /** The first-start test key's secret, when this start created it. */
  firstKey: string | null
  stop: () => Promise<void>
}

export interface StartOptions {
  logger: Logger
  /** Where the first-start banner goes (stdout in production). */
  print: (text: string) => void
}

/**
 * The composition root: opens the ledger, builds the API, starts background work, and knows how to
 * stop it all in reverse order. A component that fails is logged and reported as unhealthy; it
 * never takes the API down.
 */
export async function startDaemon (config: Config, options: StartOptions): Promise<RunningDaemon> {
  const { logger } = options
  const version = packageVersion()
  const startedAt = Date.now()
  logger.info({ version, config: config.source, database: describeDatabase(config.database) }, 'starting harpoon daemon')

  const secretKey = loadSecretKey(config.secretKey)
  if (secretKey.created) logger.warn({ key_file: secretKey.source }, 'made a new secret key for the secrets kept in the database: back this file up apart from the database; without it they cannot be read')
  const ledger = await openLedger(config.database, {
    secretKey: secretKey.key,
    // A step that follows a commit (waking the dispatcher, answering a waiting test SMS) failed: the
    // money is committed; say so and carry on.
    onAfterCommitError: (err) => { logger.error({ err }, 'a step after a committed ledger transaction failed') }
  })
  // What this start has opened, closed newest first when a later step fails (the API's port in use, an
  // embedded simulator that cannot listen): a failed start leaves no modem port, server or timer open
  // in the process that asked for it, and the ledger closed after the work in hand.
  const opened = new OpenedResources(logger)
  opened.add('ledger', async () => { await ledger.close() })
  try {
    return await startOnLedger(config, options, { ledger, opened, version, startedAt })
  } catch (err) {
    await opened.closeAll()
    throw err
  }
}

interface StartState {
  readonly ledger: Ledger
  readonly opened: OpenedResources
  readonly version: string
  /** Epoch ms, for the dashboard's uptime. */
  readonly startedAt: number
}

async function startOnLedger (config: Config, options: StartOptions, state: StartState): Promise<RunningDaemon> {
  const { logger } = options
  const { ledger, opened, version, startedAt } = state
  const firstKey = await bootstrapEmptyDatabase(ledger)
  if (firstKey !== null) {
    options.print(firstKeyBanner(firstKey))
    logger.info({ merchant: firstKey.merchantId, key_id: firstKey.id }, 'empty database: created the default merchant and a test key')
  }

  await checkChannelMerchants(config, ledger)

  const metrics = createMetrics()
  // Subscribed before anything can change a payment (the modem layer settles stored messages as it
  // starts): every event from here on gets its deliveries in its own transaction.
  const webhooks = createWebhooks({ ledger, settings: config.webhooks, logger, registry: metrics.registry })
  // The MoMo proxy's forwards go into the same outbox, in the transaction of the change they tell of.
  if (config.momo_proxy.enabled) ledger.subscribe(proxyForwarder(() => { webhooks.dispatcher.wake() }))
  let modems: ModemLayer | null = null
  // The modems of `harpoon agent`s that forward here (README, Multi-site), as the ledger records them.
  const agents: AgentView = startAgentView({ ledger, logger, offlineAfterMs: config.central.agent_offline_after_ms })
  opened.add('agent view', () => { agents.stop() })
  const parser = parserFrom(config)
  const ingest = createIngest({
    ledger,
    logger,
    parser,
    holdBrokenChains: config.matching.balance_break_review,
    merchantOf: modemMerchants(config),
    onSettled: (sms, settlement) => { modems?.settled(sms, settlement); agents.settled(sms, settlement) }
  })
  // A modem that fails to open is retried by its runner; nothing here can stop the API starting.
  modems = await startModems(config, ledger, ingest, logger)
  const modemLayer = modems
  opened.add('modems', async () => { await modemLayer.stop() })
  const direct = deliverTestSmsToIngest(ledger, ingest)
  const allModems = (): ReturnType<ModemLayer['list']> => [...modemLayer.list(), ...agents.list()]
  registerDaemonMetrics(metrics, allModems, ledger.stats)
  const channels = await createChannelRegistry({ config, audit: ledger.audit, logger: logger.child({ component: 'channels' }) })
  opened.add('channels', async () => { await channels.close() })
  const outbound = new OutboundWorker({ ledger, channels, logger: logger.child({ component: 'channels' }), settings: config.channel_calls })
  const channelAccess = { registry: channels, wake: () => { outbound.wake() } }

  const api = await buildApi({
    ledger,
    logger,
    metrics,
    version,
    maxAmountMinor: config.maxAmountMinor,
    defaultExpiresIn: config.payments.default_expires_in,
    rateLimit: { max: config.api.rate_limit.max, windowMs: config.api.rate_limit.window_ms },
    trustProxy: config.api.trust_proxy,
    wallets: (owner) => uniqueWallets([...modemLayer.wallets(owner), ...agents.wallets(owner)]),
    networkCurrencies: MODEM_NETWORK_CURRENCIES,
    uniqueAmount: {
      stepMinor: 100,
      maxOffsetMinor: config.matching.unique_amount.max_offset * 100,
      holdMs: config.matching.unique_amount.hold_minutes * 60_000
    },
    modems: allModems,
    testSms: async (owner, request) => await (agents.deliverTestSms(owner, request) ?? modemLayer.deliverTestSms(owner, request) ?? direct(owner, request)),
    agents: { intake: createAgentIntake({ ledger, ingest, logger, rules: { assemble: assembleText } }), onReport: agents.refresh },
    plugins: [webhookRoutes(ledger, webhooks)],
    checkWebhookUrl: webhooks.checkTarget,
    guides: guidesWith(config.networks),
    publicUrl: config.api.public_url,
    channels: channelAccess,
    rootPlugins: config.momo_proxy.enabled && config.momo_proxy.channel !== null
      ? [momoProxyRoutes({
          ledger, logger, registry: channels, channelId: config.momo_proxy.channel, wake: channelAccess.wake, maxAmountMinor: config.maxAmountMinor,
          defaultExpiresIn: config.payments.default_expires_in, checkTarget: webhooks.checkTarget
        })]
      : [],
    accessLog: { reads: config.api.access_log.reads, slowMs: config.api.access_log.slow_ms },
    dashboard: { silenceAlarmMinutes: config.dashboard.silence_alarm_minutes, startedAt }
  })
  opened.add('API', async () => { await api.close() })
  const url = await api.listen({ host: config.api.host, port: config.api.port })
  // Once listening nothing else watches the server: a failed accept (EMFILE, out of file descriptors)
  // would be an uncaught 'error' that ends the daemon. Node keeps listening after one; log it.
  api.server.on('error', (err) => { logger.error({ err }, 'API server error; still listening (out of file descriptors? raise LimitNOFILE in the service unit)') })
  channels.setLocalApiUrl(url)
  logger.info({ url }, 'API listening')

  // Deliveries left pending by the last run (waiting, or leased by a process that died) resume here.
  webhooks.dispatcher.start()
  // Provider calls committed but not made (a crash between commit and call) are made here, same reference.
  outbound.start()
  const sweeper = startExpirySweeper(ledger.payments, logger, config.payments.expiry_sweep_ms)
  const purge = setInterval(() => {
    ledger.idempotency.purgeExpired().catch((err: unknown) => { logger.error({ err }, 'idempotency purge failed') })
  }, 3600_000)
  purge.unref()

  let stopping: Promise<void> | null = null
  async function stop (): Promise<void> {
    stopping ??= (async () => {
      logger.info('shutting down: finishing requests in hand')
      await sweeper.stop()
      clearInterval(purge)
      await api.close()
      agents.stop()
      await modemLayer.stop()
      await outbound.stop(Math.min(config.channel_calls.timeout_ms, 5_000))
      await channels.close()
      // Attempts in hand may finish briefly; the rest are abandoned under their lease and re-sent
      // after the next start with the same webhook_id: nothing is lost, and a repeat is one receivers dedupe.
      await webhooks.dispatcher.stop(Math.min(config.webhooks.timeout_ms, 5_000))
      await ledger.close()
      logger.info('stopped')
    })()
    return stopping
  }

  return { api, ledger, webhooks, channels, outbound, url, firstKey: firstKey?.secret ?? null, stop }
}

/** A channel of a merchant the database does not have stops start-up, naming the entry. */
async function checkChannelMerchants (config: Config, ledger: Ledger): Promise<void> {
  const details: Array<{ field: string, message: string }> = []
  for (const [i, c] of config.channels.entries()) {
    if (await ledger.merchants.get(c.merchant) === undefined) details.push({ field: `channels[${i}].merchant`, message: `no merchant ${JSON.stringify(c.merchant)} (harpoon merchants create --id ${c.merchant} --name …)` })
  }
  if (details.length > 0) throw new ConfigError(`invalid configuration in ${config.source}:\n${details.map((d) => `  - ${d.field}: ${d.message}`).join('\n')}`, details)
}

/** Closers of what a start has opened so far, run newest first; one that fails does not stop the rest. */
class OpenedResources {
  readonly #closers: Array<{ name: string, close: () => Promise<void> | void }> = []
  constructor (private readonly logger: Logger) {}

  add (name: string, close: () => Promise<void> | void): void { this.#closers.push({ name, close }) }

  async closeAll (): Promise<void> {
    for (const { name, close } of this.#closers.reverse()) {
      try {
        await close()
      } catch (err) {
        this.logger.warn({ err, resource: name }, 'closing after a failed start failed')
      }
    }
  }
}
