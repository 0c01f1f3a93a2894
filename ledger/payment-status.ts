import { COMPLETED_STATUSES, type ChannelTransactionKind, type CreditStatus, type EventType, type PaymentStatus } from '../core/enums.js'
import { toPaymentData, type AppliedCreditRow, type PaymentData, type PaymentRow } from './payment-model.js'
import type { LedgerScope } from './scope.js'
import { literal, sql, SqlLiteral, type Dialect } from './sql.js'

export interface PaymentChange {
  status: PaymentStatus
  actualMinor?: number | null
  note?: string | null
  payerPhone?: string | null
  telcoProvider?: string | null
  telcoTransactionId?: string | null
  /** Why the payment failed (the provider's reason), with a change to FAILED. */
  failureReason?: string | null
  /** Overrides the event the change would emit by the SPEC §5 table (null: emit none). */
  event?: EventType | null
}

/** The event SPEC §5 names for a change, or null when merchants need not hear of it. */
export function eventFor (before: PaymentRow, after: PaymentRow): EventType | null {
  const statusChanged = before.status !== after.status
  if (COMPLETED_STATUSES.includes(after.status)) {
    return statusChanged || before.actual_minor !== after.actual_minor ? 'transaction.completed' : null
  }
  if (!statusChanged) return null
  switch (after.status) {
    case 'FAILED': return 'transaction.failed'
    case 'EXPIRED': return 'transaction.expired'
    case 'CANCELLED': return 'transaction.cancelled'
    case 'REFUNDED': return 'transaction.refunded'
    case 'MANUAL_REVIEW': return 'transaction.disputed'
    default: return null
  }
}

const MATCHED = literal('matched' satisfies CreditStatus)
const REFUND = literal('refund' satisfies ChannelTransactionKind)

/**
 * What a payment's data needs beyond its row, read with it in one statement: its applied credits
 * (oldest first) and whether any refund was asked for (the refunds themselves are read only then).
 */
export interface CreditsAndRefunds {
  credits: AppliedCreditRow[]
  hasRefunds: boolean
}

/** The two columns `CREDITS_AND_REFUNDS` adds to a row of `payments`. */
export interface CreditsAndRefundsColumns {
  /** JSON: an array per credit, its id then its fields in CREDIT_FIELDS' order, in no particular order. */
  applied_credits: string
  /** 1 when the payment has a refund (of any outcome), else 0. */
  has_refunds: number
}

const CREDIT_FIELDS = ['network', 'telco_transaction_id', 'amount_minor', 'payer_phone', 'payer_name', 'received_at', 'match_method', 'risk_flags'] as const satisfies ReadonlyArray<keyof AppliedCreditRow>
type R = AppliedCreditRow
type CreditTuple = [id: number, R['network'], R['telco_transaction_id'], R['amount_minor'], R['payer_phone'], R['payer_name'], R['received_at'], R['match_method'], R['risk_flags']]

/**
 * Select-list text for a statement over `payments`: its credits as one JSON array and a refund flag,
 * correlated on `payments.id`, so a read of the payment brings them without two more statements
 * (each one a read transaction of its own on SQLite, a round trip on PostgreSQL). The JSON is text
 * on both engines. Each credit carries its id and the array is left unordered: an `ORDER BY` inside
 * the aggregate made SQLite build a temporary B-tree on every read, even of a payment with no
 * credit (1.5 µs of a 17 µs statement); `creditsAndRefunds` orders them, the rare time there are two.
 */
function creditsAndRefundsSql (aggregate: (tuple: string) => string): SqlLiteral {
  const tuple = ['id', ...CREDIT_FIELDS].map((f) => `c.${f}`).join(', ')
  return new SqlLiteral(`(SELECT ${aggregate(tuple)} FROM credits c WHERE c.payment_id = payments.id AND c.status = ${MATCHED.text}) AS applied_credits,
    CASE WHEN EXISTS (SELECT 1 FROM channel_transactions r WHERE r.payment_id = payments.id AND r.kind = ${REFUND.text}) THEN 1 ELSE 0 END AS has_refunds`)
}

const CREDITS_AND_REFUNDS: Readonly<Record<Dialect, SqlLiteral>> = {
  sqlite: creditsAndRefundsSql((tuple) => `json_group_array(json_array(${tuple}))`),
  postgres: creditsAndRefundsSql((tuple) => `COALESCE(json_agg(json_build_array(${tuple})), '[]')::text`)
}

/** `SELECT ${creditsAndRefundsColumns(dialect)} FROM payments …`: the columns of CreditsAndRefundsColumns. */
export function creditsAndRefundsColumns (dialect: Dialect): SqlLiteral { return CREDITS_AND_REFUNDS[dialect] }

/**
 * A payment created in the running transaction has no credits and no refunds yet (both point at a
 * payment that did not exist before it): what its view needs, known without reading it back.
 */
export function nothingAttached (): CreditsAndRefunds { return { credits: [], hasRefunds: false } }

/** The two columns, decoded: the credits oldest first (by id, as `creditsOf`). */
export function creditsAndRefunds (columns: CreditsAndRefundsColumns): CreditsAndRefunds {
  let credits: AppliedCreditRow[] = []
  if (columns.applied_credits !== '[]') {
    const tuples = JSON.parse(columns.applied_credits) as CreditTuple[]
    if (tuples.length > 1) tuples.sort((a, b) => a[0] - b[0])
    credits = tuples.map(([, network, telco_transaction_id, amount_minor, payer_phone, payer_name, received_at, match_method, risk_flags]) =>
      ({ network, telco_transaction_id, amount_minor, payer_phone, payer_name, received_at, match_method, risk_flags }))
  }
  return { credits, hasRefunds: Number(columns.has_refunds) === 1 }
}

/**
 * The one function through which a payment changes. It writes the new state and, in the same
 * transaction, the event describing it; event subscribers (the webhook outbox) write their rows in
 * that transaction too, so a crash can never leave a change without its notification or the
 * reverse. Callers hold the transaction.
 */
export interface PaymentStatusStore {
  /** The credits applied to a payment, oldest first. */
  creditsOf: (paymentId: number) => Promise<AppliedCreditRow[]>
  /**
   * The payment as the API returns it and webhooks carry it. `known`: its credits and refund flag
   * when they were read with the row in the same transaction (PaymentStore `findWithCredits`).
   */
  dataOf: (row: PaymentRow, known?: CreditsAndRefunds) => Promise<PaymentData>
  /**
   * Applies `change` to `before` (the row as read in this transaction) and records its event. Only
   * inside a transaction; throws when the row changed since it was read.
   */
  change: (before: PaymentRow, change: PaymentChange) => Promise<PaymentRow>
}

export class SqlPaymentStatus implements PaymentStatusStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async creditsOf (paymentId: number): Promise<AppliedCreditRow[]> {
    return await this.#s.ex.all<AppliedCreditRow>(sql`SELECT network, telco_transaction_id, amount_minor, payer_phone, payer_name, received_at, match_method, risk_flags
      FROM credits WHERE payment_id = ${paymentId} AND status = ${MATCHED} ORDER BY id`)
  }

  async dataOf (row: PaymentRow, known?: CreditsAndRefunds): Promise<PaymentData> {
    // One statement for both (and only then the refunds), where it was a statement each.
    const attached = known ?? await this.#creditsAndRefunds(row.id)
    return toPaymentData(row, attached.credits, attached.hasRefunds ? await this.#s.channelTransactions.refundsOf(row.id) : [])
  }

  async #creditsAndRefunds (paymentId: number): Promise<CreditsAndRefunds> {
    const columns = await this.#s.ex.get<CreditsAndRefundsColumns>(sql`SELECT ${creditsAndRefundsColumns(this.#s.ex.dialect)} FROM payments WHERE id = ${paymentId}`)
    return columns === undefined ? nothingAttached() : creditsAndRefunds(columns)
  }

  async change (before: PaymentRow, change: PaymentChange): Promise<PaymentRow> {
    this.#s.inTransaction('a payment change')
    const t = this.#s.now()
    const after: PaymentRow = {
      ...before,
      status: change.status,
      actual_minor: change.actualMinor === undefined ? before.actual_minor : change.actualMinor,
      note: change.note === undefined ? before.note : change.note,
      payer_phone: change.payerPhone === undefined ? before.payer_phone : change.payerPhone,
      telco_provider: change.telcoProvider === undefined ? before.telco_provider : change.telcoProvider,
      telco_transaction_id: change.telcoTransactionId === undefined ? before.telco_transaction_id : change.telcoTransactionId,
      failure_reason: change.failureReason === undefined ? before.failure_reason : change.failureReason,
      // Never let updated_at stand still: it is the optimistic-concurrency token below.
      updated_at: Math.max(t, before.updated_at + 1),
      // What receivers order this payment's webhooks by (webhooks/README.md, "Keeping the newest state").
      sequence: before.sequence + 1
    }
    if (after.verified_at === null && COMPLETED_STATUSES.includes(after.status)) after.verified_at = t
    const { changes } = await this.#s.ex.run(sql`UPDATE payments SET status = ${after.status}, actual_minor = ${after.actual_minor}, note = ${after.note},
        payer_phone = ${after.payer_phone}, telco_provider = ${after.telco_provider}, telco_transaction_id = ${after.telco_transaction_id},
        verified_at = ${after.verified_at}, updated_at = ${after.updated_at}, sequence = ${after.sequence}, failure_reason = ${after.failure_reason}
      WHERE id = ${before.id} AND updated_at = ${before.updated_at} AND status = ${before.status} AND sequence = ${before.sequence}`)
    if (changes !== 1) throw new Error(`payment ${before.reference} changed underneath a status change`)
    const type = change.event === undefined ? eventFor(before, after) : change.event
    if (type !== null) {
      const data = await this.dataOf(after)
      await this.#s.events.append({ merchantId: after.merchant_id, mode: after.mode, type, paymentId: after.id, creditId: null, data: { ...data } })
    }
    return after
  }
}
