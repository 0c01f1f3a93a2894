import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { openLedger, type Ledger } from '../../ledger/ledger.js'
import type { Owner } from '../../ledger/modes.js'
import type { Resolver } from '../../webhooks/ssrf.js'
import { createWebhooks, type WebhookSettings, type Webhooks } from '../../webhooks/webhooks.js'

export const FAST: WebhookSettings = {
  retry_schedule: [1, 1, 2],
  timeout_ms: 1500,
  concurrency: 8,
  allow_private_targets: true,
  per_endpoint_concurrency: 2,
  disable_after_days: 5,
  poll_interval_ms: 100
}

/** A ledger on a temporary file with the webhooks layer attached (dispatcher not started). */
export function webhookHarness (settings: Partial<WebhookSettings> = {}, resolver?: Resolver) {
  const dir = mkdtempSync(join(tmpdir(), 'harpoon-wh-'))
  const ledger: Ledger = openLedger(join(dir, 'h.db'))
  const merchant = ledger.merchants.create({ name: 'Shop' })
  const owner: Owner = { merchantId: merchant.id, mode: 'test' }
  const webhooks: Webhooks = createWebhooks({
    ledger, settings: { ...FAST, ...settings }, logger: pino({ level: 'silent' }), ...(resolver === undefined ? {} : { resolver })
  })
  let n = 0
  return {
    dir,
    ledger,
    owner,
    webhooks,
    /** One event for the owner: a new payment, cancelled (transaction.cancelled). */
    cancelPayment (): string {
      const { payment } = ledger.payments.initialize(owner, { amountMinor: 15_000 + n++, currency: 'GHS', clientReference: null, customerPhone: null, meta: { order: n }, expiresInSeconds: 3600 })
      ledger.payments.cancel(owner, payment.reference)
      return payment.reference
    },
    deliveries () {
      return ledger.db.prepare('SELECT * FROM webhook_deliveries ORDER BY created_at, rowid').all() as Array<Record<string, unknown> & { id: string, webhook_id: string, status: string, attempts: number, body: string, next_attempt_at: number | null, last_attempt_at: number | null }>
    },
    async close (): Promise<void> {
      await webhooks.dispatcher.stop(100)
      ledger.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export type Harness = ReturnType<typeof webhookHarness>
