import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Ledger } from '../ledger/ledger.js'
import { Dispatcher } from './dispatcher.js'
import { createEndpointRepository } from './endpoints.js'
import { HttpSender } from './http-sender.js'
import { createOutbox } from './outbox.js'
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

/**
 * The webhooks layer over one ledger: the outbox subscribes to ledger events (so every change's
 * deliveries are written in its transaction), and the dispatcher sends them. Nothing is sent until
 * `dispatcher.start()`.
 */
export function createWebhooks (deps: WebhookDeps) {
  const { ledger, settings } = deps
  const resolver = deps.resolver ?? systemResolver
  const endpoints = createEndpointRepository(ledger.db, ledger.now)
  const outbox = createOutbox(ledger.db, endpoints, ledger.now)
  const sender = new HttpSender({ timeoutMs: settings.timeout_ms, allowPrivateTargets: settings.allow_private_targets, resolver })
  const dispatcher = new Dispatcher({
    outbox,
    endpoints,
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
  ledger.events.subscribe((db, event) => {
    outbox.subscriber(db, event)
    // Runs after the caller's transaction has committed (or rolled back: then the tick finds nothing).
    dispatcher.wake()
  })
  return { endpoints, outbox, dispatcher, resolver, settings }
}

export type Webhooks = ReturnType<typeof createWebhooks>
