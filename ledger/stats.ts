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
}

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
}
