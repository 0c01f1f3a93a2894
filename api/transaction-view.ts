import type { Static } from '@sinclair/typebox'
import { isoOrNull, isoSeconds } from '../core/time.js'
import type { LedgerStores } from '../ledger/ledger.js'
import type { PaymentDetails } from '../ledger/payment-details.js'
import { toPaymentData, type AppliedCreditRow, type PaymentData, type PaymentRow } from '../ledger/payment-model.js'
import type { TransactionListItemSchema, TransactionSchema } from './routes/transaction-schemas.js'

/**
 * A payment in the shapes of Harpoon's newer docs (`/v1/transactions`), built from the same
 * PaymentData `/v1/payments` and the webhooks carry: amounts, difference and statuses are never
 * computed twice.
 *
 * The timeline, from what the ledger knows: `created_at` and `pending_at` are the creation (a
 * payment is PENDING from its first instant); `processing_at` is when the first telco credit for
 * it reached the daemon (the money was seen); `completed_at` is when it was verified (SUCCESS,
 * PARTIAL or OVERPAID). `processing_time_ms` is the time between the last two, null until both exist.
 */
type ViewStores = Pick<LedgerStores, 'paymentStatus' | 'paymentDetails'>

/** The credit whose telco id the payment carries (the latest applied), else the first. */
function telcoCredit (row: PaymentRow, credits: readonly AppliedCreditRow[]): AppliedCreditRow | undefined {
  return credits.find((c) => c.telco_transaction_id === row.telco_transaction_id && c.network === row.telco_provider) ?? credits[0]
}

function timelineOf (row: PaymentRow, credits: readonly AppliedCreditRow[]): { processingAt: number | null, completedAt: number | null } {
  const first = credits[0]
  return { processingAt: first?.received_at ?? null, completedAt: row.verified_at }
}

/** The fields both shapes open with, in the same words as /v1/payments. */
function amounts (data: PaymentData): Pick<PaymentData, 'reference' | 'hpn_code' | 'status' | 'expected_amount' | 'amount_to_pay' | 'actual_amount' | 'difference' | 'difference_type' | 'currency'> & { phone_number: string | null } {
  const { reference, hpn_code, status, expected_amount, amount_to_pay, actual_amount, difference, difference_type, currency } = data
  return { reference, hpn_code, status, expected_amount, amount_to_pay, actual_amount, difference, difference_type, currency, phone_number: data.customer_phone }
}

export async function transactionView (stores: ViewStores, row: PaymentRow): Promise<Static<typeof TransactionSchema>> {
  const credits = await stores.paymentStatus.creditsOf(row.id)
  const details: PaymentDetails | undefined = await stores.paymentDetails.of(row.id)
  const data = toPaymentData(row, credits)
  const credit = telcoCredit(row, credits)
  const { processingAt, completedAt } = timelineOf(row, credits)
  return {
    ...amounts(data),
    customer_name: details?.customerName ?? null,
    description: details?.description ?? null,
    payer: { phone_number: data.payer_phone, name: credit?.payer_name ?? null },
    telco: {
      provider: data.telco_provider,
      transaction_id: data.telco_transaction_id,
      timestamp: credit === undefined ? null : isoSeconds(credit.received_at)
    },
    meta: data.meta,
    timeline: {
      created_at: data.created_at,
      pending_at: data.created_at,
      processing_at: isoOrNull(processingAt),
      completed_at: isoOrNull(completedAt)
    },
    processing_time_ms: processingAt !== null && completedAt !== null ? Math.max(0, completedAt - processingAt) : null,
    client_reference: data.client_reference,
    expires_at: data.expires_at,
    mode: data.mode,
    sequence: data.sequence,
    updated_at: data.updated_at
  }
}

/** The list's compact item (Harpoon's `GET /v1/transactions`). */
export async function transactionListItem (stores: Pick<LedgerStores, 'paymentStatus'>, row: PaymentRow): Promise<Static<typeof TransactionListItemSchema>> {
  const credits = await stores.paymentStatus.creditsOf(row.id)
  const data = toPaymentData(row, credits)
  return {
    ...amounts(data),
    payer_phone: data.payer_phone,
    payer_name: telcoCredit(row, credits)?.payer_name ?? null,
    client_reference: data.client_reference,
    created_at: data.created_at,
    completed_at: data.verified_at
  }
}
