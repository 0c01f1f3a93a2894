import type { Db } from './db.js'
import type { EventLog, EventType } from './events.js'
import {
  COMPLETED_STATUSES, toPaymentData, type AppliedCreditRow, type PaymentData, type PaymentRow, type PaymentStatus
} from './payment-model.js'

export interface PaymentChange {
  status: PaymentStatus
  actualMinor?: number | null
  note?: string | null
  payerPhone?: string | null
  telcoProvider?: string | null
  telcoTransactionId?: string | null
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

/**
 * The one function through which a payment changes. It writes the new state and, in the same
 * transaction, the event describing it; event subscribers (the webhook outbox) write their rows in
 * that transaction too, so a crash can never leave a change without its notification or the
 * reverse. Callers hold the transaction.
 */
export function createPaymentStatus (db: Db, events: EventLog, now: () => number = Date.now) {
  const update = db.prepare(`UPDATE payments SET status = @status, actual_minor = @actual_minor, note = @note,
      payer_phone = @payer_phone, telco_provider = @telco_provider, telco_transaction_id = @telco_transaction_id,
      verified_at = @verified_at, updated_at = @updated_at, sequence = @sequence
    WHERE id = @id AND updated_at = @previous_updated_at AND status = @previous_status AND sequence = @previous_sequence`)
  const credits = db.prepare(`SELECT network, telco_transaction_id, amount_minor, payer_phone, payer_name, received_at, match_method
    FROM credits WHERE payment_id = ? AND status = 'matched' ORDER BY id`)

  function creditsOf (paymentId: number): AppliedCreditRow[] {
    return credits.all(paymentId) as AppliedCreditRow[]
  }

  return {
    creditsOf,

    dataOf (row: PaymentRow): PaymentData {
      return toPaymentData(row, creditsOf(row.id))
    },

    change (before: PaymentRow, change: PaymentChange): PaymentRow {
      if (!db.inTransaction) throw new Error('payment changes must run inside a ledger transaction')
      const t = now()
      const after: PaymentRow = {
        ...before,
        status: change.status,
        actual_minor: change.actualMinor === undefined ? before.actual_minor : change.actualMinor,
        note: change.note === undefined ? before.note : change.note,
        payer_phone: change.payerPhone === undefined ? before.payer_phone : change.payerPhone,
        telco_provider: change.telcoProvider === undefined ? before.telco_provider : change.telcoProvider,
        telco_transaction_id: change.telcoTransactionId === undefined ? before.telco_transaction_id : change.telcoTransactionId,
        // Never let updated_at stand still: it is the optimistic-concurrency token below.
        updated_at: Math.max(t, before.updated_at + 1),
        // What receivers order this payment's webhooks by (webhooks/README.md, "Keeping the newest state").
        sequence: before.sequence + 1
      }
      if (after.verified_at === null && COMPLETED_STATUSES.includes(after.status)) after.verified_at = t
      const info = update.run({ ...after, previous_updated_at: before.updated_at, previous_status: before.status, previous_sequence: before.sequence })
      if (info.changes !== 1) throw new Error(`payment ${before.reference} changed underneath a status change`)
      const type = change.event === undefined ? eventFor(before, after) : change.event
      if (type !== null) {
        events.append({ merchantId: after.merchant_id, mode: after.mode, type, paymentId: after.id, creditId: null, data: { ...toPaymentData(after, creditsOf(after.id)) } })
      }
      return after
    }
  }
}

export type PaymentStatusChanger = ReturnType<typeof createPaymentStatus>
