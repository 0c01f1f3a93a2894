import type { Static } from '@sinclair/typebox'
import type { Network } from '../config/schema.js'
import { formatAmount } from '../core/money.js'
import type { LedgerStores } from '../ledger/ledger.js'
import type { PaymentRow } from '../ledger/payment-model.js'
import type { PaymentSchema } from './schemas.js'

/** A wallet customers can pay: a modem's SIM number on its network. */
export interface Wallet { network: Network, msisdn: string }

const NETWORK_NAMES: Record<Network, string> = { mtn: 'MTN MoMo', telecel: 'Telecel Cash', at: 'AT Money' }

/**
 * The payment as the API returns it: the ledger's data plus `pay_to` instructions. `stores` is the
 * transaction the row was read or changed in (its credits are read there too), or the ledger.
 */
export type PaymentView = (stores: Pick<LedgerStores, 'paymentStatus'>, row: PaymentRow) => Promise<Static<typeof PaymentSchema>>

export function paymentViewer (wallets: (merchantId: string) => readonly Wallet[]): PaymentView {
  return async function view (stores, row) {
    const data = await stores.paymentStatus.dataOf(row)
    const amount = `${row.currency} ${formatAmount(row.expected_minor)}`
    const pay_to = wallets(row.merchant_id).map((w) => ({
      network: w.network,
      msisdn: w.msisdn,
      instructions: `Pay ${amount} to ${w.msisdn} with ${NETWORK_NAMES[w.network]} and enter ${row.hpn_code} as the reference.`
    }))
    return { ...data, pay_to } as Static<typeof PaymentSchema>
  }
}
