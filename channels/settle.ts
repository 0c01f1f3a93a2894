import { COMPLETED_STATUSES } from '../core/enums.js'
import type { ChannelTransactionRow } from '../ledger/channel-transactions.js'
import type { LedgerTx } from '../ledger/ledger.js'
import { ConflictError } from '../ledger/errors.js'
import { REFUND_UNCONFIRMED, type ChannelInfo, type ProviderVerdict } from './channel.js'

/**
 * What a provider's verdict does to the ledger, inside the transaction that records the verdict on
 * its channel transaction. Payments change only through the ledger's one status-change function
 * (directly, or through the credit store's matching), so events, webhooks and proxy forwards follow.
 */

type Succeeded = Extract<ProviderVerdict, { state: 'succeeded' }>

/**
 * The provider says the money moved. A collection becomes a credit with the provider's transaction
 * id, applied to its payment: SUCCESS when amount and currency are the payment's, MANUAL_REVIEW when
 * they differ or the payment was no longer payable (expired, cancelled: late money goes to a person).
 * The same telco transaction seen before (its SMS came first) counts once. A refund that brings the
 * money paid back to the whole amount paid makes the payment REFUNDED.
 */
export async function settleSucceeded (tx: LedgerTx, channel: Pick<ChannelInfo, 'network' | 'type'>, row: ChannelTransactionRow, verdict: Succeeded, now: number): Promise<void> {
  if (row.kind === 'collection') {
    const payment = await tx.payments.getById(row.payment_id)
    if (payment === undefined) return
    const amountMinor = verdict.amountMinor ?? row.amount_minor
    const currency = verdict.currency ?? row.currency
    const amountHeld = amountMinor !== row.amount_minor && verdict.amountDifference !== 'as_paid'
    await tx.credits.recordFromProvider(payment, {
      network: verdict.network ?? channel.network,
      // MTN always gives one on SUCCESSFUL; the reference keeps the credit unique should it not.
      telcoTransactionId: verdict.providerTransactionId ?? `${channel.type}:${row.reference_id}`,
      amountMinor,
      currency,
      payerPhone: verdict.partyPhone,
      payerName: verdict.partyName ?? null,
      reference: row.reference_id,
      receivedAt: now,
      holdForReview: amountHeld || currency !== row.currency || verdict.review !== undefined,
      ...(verdict.review === undefined ? {} : { riskFlags: [verdict.review] })
    })
    return
  }
  await settleRefunded(tx, row)
}

/**
 * A refund is paid (the provider said so, or an operator who checked with it): once the money paid
 * back reaches the whole amount paid, the payment is REFUNDED (`transaction.refunded`).
 */
export async function settleRefunded (tx: LedgerTx, row: ChannelTransactionRow): Promise<void> {
  const payment = await tx.payments.getById(row.payment_id)
  if (payment === undefined) return
  const refunded = await tx.channelTransactions.refundedMinor(payment.id)
  if (COMPLETED_STATUSES.includes(payment.status) && payment.actual_minor !== null && refunded >= payment.actual_minor) {
    await tx.paymentStatus.change(payment, { status: 'REFUNDED', note: row.note ?? payment.note })
  }
}

/**
 * The provider says the collection failed (or refused it): a payment still PENDING becomes FAILED
 * with the provider's reason. One that moved on meanwhile (expired, cancelled, paid by SMS) keeps
 * its status; the reason stays on the channel transaction. A failed refund changes no payment.
 */
export async function settleFailed (tx: LedgerTx, row: ChannelTransactionRow, reason: string): Promise<void> {
  if (row.kind !== 'collection') return
  const payment = await tx.payments.getById(row.payment_id)
  if (payment?.status === 'PENDING') await tx.paymentStatus.change(payment, { status: 'FAILED', failureReason: reason })
}

/**
 * A collection whose payment's time is up and whose provider still had no final word at this last
 * check: the payment expires (the transaction is still asked about afterwards, and money that
 * arrives late goes to review). Returns whether it expired the payment.
 */
export async function expireIfDue (tx: LedgerTx, row: ChannelTransactionRow, now: number): Promise<boolean> {
  if (row.kind !== 'collection') return false
  const payment = await tx.payments.getById(row.payment_id)
  if (payment?.status !== 'PENDING' || payment.expires_at > now) return false
  await tx.paymentStatus.change(payment, { status: 'EXPIRED' })
  return true
}

/**
 * Whether only a person can still say what became of a refund: its provider cannot confirm it (iPay
 * after a lost answer) or never gave a final word before the outbox stopped asking (`abandoned`).
 */
function refundAwaitsOperator (row: ChannelTransactionRow): boolean {
  return row.kind === 'refund' && (row.outcome === 'abandoned' || (row.outcome === null && row.provider_status === REFUND_UNCONFIRMED))
}

/**
 * An operator, having checked the provider's own records, says whether such a refund was paid. Paid,
 * it counts as the provider's SUCCESSFUL would (the payment may become REFUNDED); not paid, it is
 * FAILED and the money can be refunded again. Inside the caller's transaction.
 */
export async function settleRefundByOperator (tx: LedgerTx, row: ChannelTransactionRow, paid: boolean, providerTransactionId: string | null): Promise<ChannelTransactionRow> {
  if (!refundAwaitsOperator(row)) {
    throw new ConflictError('refund_not_unconfirmed', `refund ${row.public_id} is ${row.outcome ?? 'pending'}${row.provider_status === null ? '' : ` (${row.provider_status})`}: only a refund its provider cannot confirm, or never confirmed, is settled by hand`)
  }
  const after = await tx.channelTransactions.settleByOperator(row, paid, providerTransactionId)
  if (after === undefined) throw new ConflictError('refund_in_flight', `refund ${row.public_id} is being sent or checked right now; try again in a minute`)
  if (paid) await settleRefunded(tx, after)
  return after
}
