import type { CreditStatus, PaymentStatus, SmsOutcome } from '../core/enums.js'
import type { Owner } from './modes.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'

const PENDING = literal('PENDING' satisfies PaymentStatus)

/** Counts for the operator: Prometheus gauges (daemon/metrics.ts) and the dashboard's alarm. Read at scrape time. */
export interface LedgerStats {
  /** SMS in the inbox by outcome; `null` is a message not settled yet. */
  smsByOutcome: () => Promise<Array<{ outcome: SmsOutcome | null, count: number }>>
  creditCount: (status: CreditStatus) => Promise<number>
  paymentCount: (status: PaymentStatus) => Promise<number>
  /** The owner's PENDING payments: how many, and when the oldest was made. */
  pendingPayments: (owner: Owner) => Promise<{ count: number, oldestCreatedAt: number | null }>
  /** The dashboard's overview of one owner (see Overview). */
  overview: (owner: Owner, now: number) => Promise<Overview>
}

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/**
 * What an owner reads at a glance (the dashboard's first page): money received today (since 00:00
 * UTC) and in the last 7 days per network and channel; the last 7 days' payments by status; how long
 * each credit of the last 7 days took from the telco's send time (the SMSC time; the time received
 * when there is none) to being applied; unmatched credits waiting; webhook attempts per hour of the
 * last 24 h; SMS per modem per hour of the last 24 h. Hours are epoch hours (ms / 3600000).
 */
export interface Overview {
  readonly money: Array<{ network: string, channel: string, currency: string, todayMinor: number, weekMinor: number }>
  readonly paymentsByStatus: Array<{ status: PaymentStatus, count: number }>
  /** Milliseconds from payment to confirmation, one per applied credit (newest 5000). */
  readonly confirmationMs: number[]
  readonly unmatched: { count: number, amountMinor: number, oldestAt: number | null }
  readonly webhookHours: Array<{ hour: number, delivered: number, attempts: number }>
  readonly smsHours: Array<{ modemId: string, hour: number, count: number }>
}

const DUPLICATE = literal('duplicate' satisfies CreditStatus)
const UNMATCHED = literal('unmatched' satisfies CreditStatus)
const SMS_CHANNEL = literal('sms')
const DELIVERED = literal('delivered')
const HOUR = literal(HOUR_MS)

export class SqlLedgerStats implements LedgerStats {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async smsByOutcome (): Promise<Array<{ outcome: SmsOutcome | null, count: number }>> {
    return await this.#s.ex.all(sql`SELECT outcome, COUNT(*) AS "count" FROM sms_messages GROUP BY outcome`)
  }

  async creditCount (status: CreditStatus): Promise<number> {
    return await this.#s.ex.value<number>(sql`SELECT COUNT(*) FROM credits WHERE status = ${literal(status)}`) ?? 0
  }

  async paymentCount (status: PaymentStatus): Promise<number> {
    // The status as a literal: PENDING is counted from the partial index of the expiry sweeper.
    return await this.#s.ex.value<number>(sql`SELECT COUNT(*) FROM payments WHERE status = ${literal(status)}`) ?? 0
  }

  async pendingPayments (owner: Owner): Promise<{ count: number, oldestCreatedAt: number | null }> {
    const row = await this.#s.ex.get<{ count: number, oldest: number | null }>(sql`SELECT COUNT(*) AS "count", MIN(created_at) AS "oldest" FROM payments
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND status = ${PENDING}`)
    return { count: row?.count ?? 0, oldestCreatedAt: row?.oldest ?? null }
  }

  async overview (owner: Owner, now: number): Promise<Overview> {
    const ex = this.#s.ex
    const { merchantId, mode } = owner
    const today = now - (now % DAY_MS)
    const week = now - 7 * DAY_MS
    const day = now - DAY_MS
    const money = await ex.all<{ network: string, channel: string, currency: string, today: number, week: number }>(sql`SELECT c.network AS "network",
        COALESCE(p.channel_id, ${SMS_CHANNEL}) AS "channel", c.currency AS "currency",
        SUM(CASE WHEN c.received_at >= ${today} THEN c.amount_minor ELSE 0 END) AS "today", SUM(c.amount_minor) AS "week"
      FROM credits c LEFT JOIN payments p ON p.id = c.payment_id
      WHERE c.merchant_id = ${merchantId} AND c.mode = ${mode} AND c.received_at >= ${week} AND c.status <> ${DUPLICATE}
      GROUP BY c.network, COALESCE(p.channel_id, ${SMS_CHANNEL}), c.currency ORDER BY c.network, c.currency`)
    const paymentsByStatus = await ex.all<{ status: PaymentStatus, count: number }>(sql`SELECT status, COUNT(*) AS "count" FROM payments
      WHERE merchant_id = ${merchantId} AND mode = ${mode} AND created_at >= ${week} GROUP BY status ORDER BY status`)
    const confirmations = await ex.all<{ ms: number }>(sql`SELECT c.applied_at - COALESCE(s.sent_at_ms, c.received_at) AS "ms"
      FROM credits c LEFT JOIN sms_messages s ON s.id = c.sms_id
      WHERE c.merchant_id = ${merchantId} AND c.mode = ${mode} AND c.applied_at IS NOT NULL AND c.applied_at >= ${week}
      ORDER BY c.applied_at DESC LIMIT 5000`)
    const unmatched = await ex.get<{ count: number, amount: number | null, oldest: number | null }>(sql`SELECT COUNT(*) AS "count", SUM(amount_minor) AS "amount",
        MIN(received_at) AS "oldest" FROM credits WHERE merchant_id = ${merchantId} AND mode = ${mode} AND status = ${UNMATCHED}`)
    const webhookHours = await ex.all<{ hour: number, delivered: number, attempts: number }>(sql`SELECT a.started_at / ${HOUR} AS "hour",
        SUM(CASE WHEN a.outcome = ${DELIVERED} THEN 1 ELSE 0 END) AS "delivered", COUNT(*) AS "attempts"
      FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
      WHERE d.merchant_id = ${merchantId} AND d.mode = ${mode} AND a.started_at >= ${day}
      GROUP BY a.started_at / ${HOUR} ORDER BY 1`)
    const smsHours = await ex.all<{ modemId: string, hour: number, count: number }>(sql`SELECT modem_id AS "modemId", received_at / ${HOUR} AS "hour", COUNT(*) AS "count"
      FROM sms_messages WHERE merchant_id = ${merchantId} AND mode = ${mode} AND received_at >= ${day}
      GROUP BY modem_id, received_at / ${HOUR} ORDER BY 1, 2`)
    return {
      money: money.map((m) => ({ network: m.network, channel: m.channel, currency: m.currency, todayMinor: m.today, weekMinor: m.week })),
      paymentsByStatus,
      confirmationMs: confirmations.map((c) => Math.max(0, c.ms)),
      unmatched: { count: unmatched?.count ?? 0, amountMinor: unmatched?.amount ?? 0, oldestAt: unmatched?.oldest ?? null },
      webhookHours,
      smsHours
    }
  }
}
