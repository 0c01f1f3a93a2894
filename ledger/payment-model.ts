import { formatAmount } from '../core/money.js'
import { isoMillis, isoOrNull, isoSeconds } from '../core/time.js'
import { columns } from './columns.js'
import type { CompletedStatus, DifferenceType, MatchMethod, Mode, PaymentStatus, RefundStatus } from '../core/enums.js'

export { COMPLETED_STATUSES, MATCH_METHODS, PAYABLE_STATUSES, PAYMENT_STATUSES, type MatchMethod, type PaymentStatus } from '../core/enums.js'

export interface PaymentRow {
  id: number
  reference: string
  merchant_id: string
  mode: Mode
  hpn_code: string
  status: PaymentStatus
  expected_minor: number
  actual_minor: number | null
  currency: string
  client_reference: string | null
  customer_phone: string | null
  payer_phone: string | null
  telco_provider: string | null
  telco_transaction_id: string | null
  meta: string | null
  note: string | null
  expires_at: number
  verified_at: number | null
  created_at: number
  updated_at: number
  /** 1 at creation, one more with every change (migration 008). */
  sequence: number
  /** The channel collecting it (migration 009); null: paid by SMS with its HPN code. */
  channel_id: string | null
  channel_type: string | null
  /** The provider's reference for the collection (MTN's X-Reference-Id). */
  channel_reference: string | null
  /** Why a FAILED payment failed: the provider's reason (APPROVAL_REJECTED, NOT_ENOUGH_FUNDS, …). */
  failure_reason: string | null
  /**
   * What the customer must send when the payment is told apart by its amount (migration 012): the
   * requested amount plus a unique offset; null when the HPN code identifies it.
   */
  amount_to_pay_minor: number | null
}

/** The amount that pays the payment in full: its unique amount when it has one, else the amount asked. */
export function amountDue (row: Pick<PaymentRow, 'expected_minor' | 'amount_to_pay_minor'>): number {
  return row.amount_to_pay_minor ?? row.expected_minor
}

/** Every column of `payments`, in the order of PaymentRow. */
export const PAYMENT_COLUMNS = columns<PaymentRow>()(['id', 'reference', 'merchant_id', 'mode', 'hpn_code', 'status', 'expected_minor', 'actual_minor',
  'currency', 'client_reference', 'customer_phone', 'payer_phone', 'telco_provider', 'telco_transaction_id', 'meta', 'note', 'expires_at',
  'verified_at', 'created_at', 'updated_at', 'sequence', 'channel_id', 'channel_type', 'channel_reference', 'failure_reason', 'amount_to_pay_minor'])

export interface AppliedCreditRow {
  network: string
  telco_transaction_id: string
  amount_minor: number
  payer_phone: string | null
  payer_name: string | null
  received_at: number
  match_method: MatchMethod | null
  /** JSON array (credits.risk_flags). */
  risk_flags: string
}

/** A telco payment applied to a payment, as merchants see it. */
export interface AppliedCredit {
  telco_provider: string
  telco_transaction_id: string
  amount: string
  payer_phone: string | null
  payer_name: string | null
  received_at: string
  match_method: MatchMethod | null
  /** Why the money deserves a second look: balance_break, mpesa_code_date_mismatch, payer_name_mismatch, … */
  risk_flags: string[]
}

/** A refund paid back through a channel, as merchants see it on the payment. */
export interface RefundData {
  id: string
  amount: string
  currency: string
  /** The provider's word: PENDING until it says SUCCESSFUL or FAILED. */
  status: RefundStatus
  channel: string
  reference_id: string
  payee_phone: string | null
  provider_transaction_id: string | null
  failure_reason: string | null
  note: string | null
  created_at: string
  updated_at: string
}

/** The payment as the API returns it and webhooks carry it (without `pay_to`, which the API adds). */
export interface PaymentData {
  reference: string
  hpn_code: string
  status: PaymentStatus
  expected_amount: string
  /** What the customer must send: `expected_amount`, or its unique amount on a wallet whose receipts carry no reference. */
  amount_to_pay: string
  actual_amount: string | null
  difference: string | null
  difference_type: DifferenceType | null
  currency: string
  customer_phone: string | null
  payer_phone: string | null
  telco_provider: string | null
  telco_transaction_id: string | null
  meta: Record<string, unknown>
  client_reference: string | null
  mode: Mode
  expires_at: string
  verified_at: string | null
  created_at: string
  /** With milliseconds: two changes can fall in one second. */
  updated_at: string
  /** Grows by one with every change of this payment: a receiver keeps the state with the highest. */
  sequence: number
  credits: AppliedCredit[]
  /** How the payment is collected: null for SMS (the HPN code), else the channel and the provider's reference. */
  channel: { id: string, type: string, reference_id: string | null } | null
  failure_reason: string | null
  /** Money paid back through a channel, oldest first; partial refunds leave the status as it is. */
  refunds: RefundData[]
}

export function differenceOf (expected: number, actual: number | null): Pick<PaymentData, 'difference' | 'difference_type'> {
  if (actual === null) return { difference: null, difference_type: null }
  if (actual === expected) return { difference: null, difference_type: 'EXACT' }
  return { difference: formatAmount(actual - expected), difference_type: actual < expected ? 'UNDERPAID' : 'OVERPAID' }
}

/** Status that a paid amount gives a payment (SPEC §6 rule 2). */
export function statusForAmount (expected: number, actual: number): CompletedStatus {
  if (actual === expected) return 'SUCCESS'
  return actual < expected ? 'PARTIAL' : 'OVERPAID'
}

export function toPaymentData (row: PaymentRow, credits: readonly AppliedCreditRow[], refunds: readonly RefundData[] = []): PaymentData {
  return {
    reference: row.reference,
    hpn_code: row.hpn_code,
    status: row.status,
    expected_amount: formatAmount(row.expected_minor),
    amount_to_pay: formatAmount(amountDue(row)),
    actual_amount: row.actual_minor === null ? null : formatAmount(row.actual_minor),
    // Against what the customer was asked to send: a unique amount paid exactly is EXACT.
    ...differenceOf(amountDue(row), row.actual_minor),
    currency: row.currency,
    customer_phone: row.customer_phone,
    payer_phone: row.payer_phone,
    telco_provider: row.telco_provider,
    telco_transaction_id: row.telco_transaction_id,
    // `{}` when none was sent, so a receiver can read `data.meta.order_id` without a null check.
    meta: row.meta === null ? {} : JSON.parse(row.meta) as Record<string, unknown>,
    client_reference: row.client_reference,
    mode: row.mode,
    expires_at: isoSeconds(row.expires_at),
    verified_at: isoOrNull(row.verified_at),
    created_at: isoSeconds(row.created_at),
    updated_at: isoMillis(row.updated_at),
    sequence: row.sequence,
    credits: credits.map((c) => ({
      telco_provider: c.network,
      telco_transaction_id: c.telco_transaction_id,
      amount: formatAmount(c.amount_minor),
      payer_phone: c.payer_phone,
      payer_name: c.payer_name,
      received_at: isoSeconds(c.received_at),
      match_method: c.match_method,
      risk_flags: JSON.parse(c.risk_flags) as string[]
    })),
    channel: row.channel_id === null ? null : { id: row.channel_id, type: row.channel_type ?? 'unknown', reference_id: row.channel_reference },
    failure_reason: row.failure_reason,
    refunds: [...refunds]
  }
}
