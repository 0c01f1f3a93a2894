import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Ledger } from '../ledger/ledger.js'
import type { Mode } from '../core/enums.js'
import { Dispatcher } from './dispatcher.js'
import { checkWebhookTarget } from './endpoints.js'
import { HttpSender } from './http-sender.js'
import { enqueueEvent } from './outbox.js'
import { systemResolver, type Resolver } from './ssrf.js'

export interface WebhookSettings {
  retry_schedule: readonly number[]
  timeout_ms: number
  concurrency: number
  allow_private_targets: boolean
  per_endpoint_concurrency: number
  disable_after_days: number
  poll_interval_ms: number
}

export interface WebhookDeps {
  ledger: Ledger
  settings: WebhookSettings
  logger: Logger
  registry?: Registry
  /** DNS for the SSRF guard; tests inject one that rebinds. */
  resolver?: Resolver
}

/** The webhooks layer over one ledger; endpoints and deliveries are stored in it (ledger.webhookEndpoints, ledger.webhookDeliveries). */
export interface Webhooks {
  dispatcher: Dispatcher
  resolver: Resolver
  settings: WebhookSettings
  /** A target URL judged by this layer's SSRF rules (checkWebhookTarget), normalised; a refusal names `field`. */
  checkTarget: (url: string, mode: Mode, field?: string) => Promise<string>
}

/**
 * The webhooks layer over one ledger: the outbox subscribes to ledger events (so every change's
 * deliveries are written in its transaction, and the dispatcher is woken once it commits), and the
 * dispatcher sends them. Nothing is sent until `dispatcher.start()`.
 */
export function createWebhooks (deps: WebhookDeps): Webhooks {
  const { ledger, settings } = deps
  const resolver = deps.resolver ?? systemResolver
  const sender = new HttpSender({ timeoutMs: settings.timeout_ms, allowPrivateTargets: settings.allow_private_targets, resolver })
  const dispatcher = new Dispatcher({
    ledger,
    sender,
    logger: deps.logger.child({ component: 'webhooks' }),
    retryScheduleSeconds: settings.retry_schedule,
    timeoutMs: settings.timeout_ms,
    concurrency: settings.concurrency,
    perEndpointConcurrency: settings.per_endpoint_concurrency,
    disableAfterMs: settings.disable_after_days * 86_400_000,
    allowPrivateTargets: settings.allow_private_targets,
    pollMs: settings.poll_interval_ms,
    now: ledger.now,
    ...(deps.registry === undefined ? {} : { registry: deps.registry })
  })
  ledger.subscribe(async (tx, event) => {
    const written = await enqueueEvent(tx, event)
    if (written.length > 0) tx.afterCommit(() => { dispatcher.wake() })
  })
  const checkTarget = async (url: string, mode: Mode, field?: string): Promise<string> =>
    await checkWebhookTarget(url, mode, { allowPrivateTargets: settings.allow_private_targets, resolver }, field)
  return { dispatcher, resolver, settings, checkTarget }
}
