import type { Static } from '@sinclair/typebox'
import { NETWORKS, type Network } from '../config/schema.js'
import { formatAmount } from '../core/money.js'
import type { Ledger } from '../ledger/ledger.js'
import type { Owner } from '../ledger/modes.js'
import type { PaymentRow } from '../ledger/payment-model.js'
import type { PaymentSchema } from './schemas.js'

/** A wallet customers can pay: a modem's SIM number on its network. */
export interface Wallet { network: Network, msisdn: string }

/** The wallets whose SMS can settle a payment of this merchant and mode. */
export type Wallets = (owner: Owner) => readonly Wallet[]

const NETWORK_NAMES: Record<Network, string> = { mtn: 'MTN MoMo', telecel: 'Telecel Cash', at: 'AT Money' }
/** What each network's wallets hold: every Ghanaian mobile-money wallet is in cedis. */
const NETWORK_CURRENCY: Record<Network, string> = { mtn: 'GHS', telecel: 'GHS', at: 'GHS' }

/**
 * The currencies a payment of this owner can be paid in: those of its wallets. Test mode adds every
 * network (`POST /v1/test/sms` speaks for them all); an owner with no wallet yet gets every network's
 * too, since a modem may still be added. A payment in any other currency could only ever go to review.
 */
export function payableCurrencies (wallets: Wallets, owner: Owner): ReadonlySet<string> {
  const mine = wallets(owner).map((w) => w.network)
  const networks = owner.mode === 'test' || mine.length === 0 ? NETWORKS : mine
  return new Set(networks.map((n) => NETWORK_CURRENCY[n]))
}

/** The payment as the API returns it: the ledger's data plus `pay_to` instructions. */
export function paymentViewer (ledger: Ledger, wallets: Wallets) {
  return function view (row: PaymentRow): Static<typeof PaymentSchema> {
    const data = ledger.paymentStatus.dataOf(row)
    const amount = `${row.currency} ${formatAmount(row.expected_minor)}`
    const pay_to = wallets({ merchantId: row.merchant_id, mode: row.mode }).map((w) => ({
      network: w.network,
      msisdn: w.msisdn,
      instructions: `Pay ${amount} to ${w.msisdn} with ${NETWORK_NAMES[w.network]} and enter ${row.hpn_code} as the reference.`
    }))
    return { ...data, pay_to } as Static<typeof PaymentSchema>
  }
}
