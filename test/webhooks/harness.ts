import pino from 'pino'
import type { Ledger } from '../../ledger/ledger.js'
import type { Owner } from '../../ledger/modes.js'
import { sql } from '../../ledger/testing.js'
import type { Resolver } from '../../webhooks/ssrf.js'
import { createWebhooks, type WebhookSettings, type Webhooks } from '../../webhooks/webhooks.js'
import { openTestLedger } from '../helpers/ledger.js'

export const FAST: WebhookSettings = {
  retry_schedule: [1, 1, 2],
  timeout_ms: 1500,
  concurrency: 8,
  allow_private_targets: true,
  per_endpoint_concurrency: 2,
  disable_after_days: 5,
  poll_interval_ms: 100
}

export type DeliveryRow = Record<string, unknown> & { id: string, webhook_id: string, status: string, attempts: number, body: string, next_attempt_at: number | null, last_attempt_at: number | null }

export interface Harness {
  dir: string
  ledger: Ledger
  owner: Owner
  webhooks: Webhooks
  /** One event for the owner: a new payment, cancelled (transaction.cancelled). */
  cancelPayment: () => Promise<string>
  /** Every outbox row, oldest first. */
  deliveries: () => Promise<DeliveryRow[]>
  close: () => Promise<void>
}

/** A test ledger with the webhooks layer attached (dispatcher not started). */
export async function webhookHarness (settings: Partial<WebhookSettings> = {}, resolver?: Resolver, now?: () => number): Promise<Harness> {
  const test = await openTestLedger(now === undefined ? {} : { now })
  const { ledger } = test
  const merchant = await ledger.merchants.create({ name: 'Shop' })
  const owner: Owner = { merchantId: merchant.id, mode: 'test' }
  const webhooks = createWebhooks({
    ledger, settings: { ...FAST, ...settings }, logger: pino({ level: 'silent' }), ...(resolver === undefined ? {} : { resolver })
  })
  let n = 0
  return {
    dir: test.dir,
    ledger,
    owner,
    webhooks,
    async cancelPayment () {
      const { payment } = await ledger.payments.initialize(owner, { amountMinor: 15_000 + n++, currency: 'GHS', clientReference: null, customerPhone: null, meta: { order: n }, expiresInSeconds: 3600 })
      await ledger.payments.cancel(owner, payment.reference)
      return payment.reference
    },
    async deliveries () {
      return await test.rows.all<DeliveryRow>(sql`SELECT * FROM webhook_deliveries ORDER BY created_at, COALESCE(event_id, 0), id`)
    },
    async close () {
      await webhooks.dispatcher.stop(100)
      await test.cleanup()
    }
  }
}
