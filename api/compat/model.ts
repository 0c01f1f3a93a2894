import type { PaymentStatus } from '../../core/enums.js'
import { formatAmount } from '../../core/money.js'
import { isoSeconds } from '../../core/time.js'
import type { PaymentRow } from '../../ledger/payment-model.js'
import type { ProxyRequestRow } from '../../ledger/proxy.js'

/** The MoMo proxy's statuses, as its apps test for them. */
export const PROXY_STATUSES = ['PENDING', 'SUCCESSFUL', 'FAILED', 'TIMEOUT', 'ONGOING', 'CANCELLED'] as const
export type ProxyStatus = typeof PROXY_STATUSES[number]

/** The statuses an app is told about by a forward to its callbackUrl (once each). */
export const FINAL_PROXY_STATUSES: ReadonlySet<ProxyStatus> = new Set(['SUCCESSFUL', 'FAILED', 'TIMEOUT', 'CANCELLED'])

/**
 * A payment's status in the proxy's words. PENDING while MTN has no final word; SUCCESSFUL once the
 * money is in (a later refund does not undo that the request to pay succeeded); FAILED with MTN's
 * reason; TIMEOUT when the payment expired unpaid; CANCELLED when the merchant cancelled it;
 * ONGOING when money arrived but a person must look (MANUAL_REVIEW: a different amount) or only
 * part of it arrived: not final, the app keeps waiting.
 */
export function proxyStatusOf (status: PaymentStatus): ProxyStatus {
  switch (status) {
    case 'PENDING': return 'PENDING'
    case 'SUCCESS':
    case 'OVERPAID':
    case 'REFUNDED': return 'SUCCESSFUL'
    case 'PARTIAL':
    case 'MANUAL_REVIEW': return 'ONGOING'
    case 'FAILED': return 'FAILED'
    case 'EXPIRED': return 'TIMEOUT'
    case 'CANCELLED': return 'CANCELLED'
  }
}

/** What a forward to the app's callbackUrl carries: the request's state, as `GET /status` shows it. */
export function proxyTransaction (request: ProxyRequestRow, payment: PaymentRow): Record<string, unknown> {
  const status = proxyStatusOf(payment.status)
  return {
    referenceId: request.reference_id,
    externalId: request.external_id,
    status,
    amount: formatAmount(payment.expected_minor),
    currency: payment.currency,
    payer: { partyIdType: request.payer_type, partyId: request.payer_id },
    financialTxId: status === 'SUCCESSFUL' || status === 'ONGOING' ? payment.telco_transaction_id : null,
    failureReason: payment.failure_reason ?? (status === 'TIMEOUT' ? 'EXPIRED' : null),
    createdAt: isoSeconds(request.created_at),
    updatedAt: isoSeconds(payment.updated_at)
  }
}
