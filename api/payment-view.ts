import type { Static } from '@sinclair/typebox'
import type { Network } from '../config/schema.js'
import { formatAmount } from '../core/money.js'
import { NETWORK_INFO } from '../core/networks.js'
import { PAYMENT_GUIDES } from '../core/payment-guides.js'
import { manualPayTo } from '../channels/collect.js'
import type { LedgerStores } from '../ledger/ledger.js'
import type { Owner } from '../ledger/modes.js'
import { amountDue, type PaymentRow } from '../ledger/payment-model.js'
import type { CreditsAndRefunds } from '../ledger/payment-status.js'
import type { PaymentSchema } from './schemas.js'

/** A wallet customers can pay: a modem's SIM number on its network, and the currency it holds. */
export interface Wallet { network: Network, msisdn: string, currency: string }

/** The wallets whose SMS can settle a payment of this merchant and mode. */
export type Wallets = (owner: Owner) => readonly Wallet[]


/**
 * The currencies a payment of this owner can be paid in: those of its wallets. Test mode adds every
 * modem network's (`POST /v1/test/sms` speaks for them all), and so does an owner with no wallet of
 * its mode yet, since a modem may still be added. A payment in any other currency could only ever
 * go to review.
 */
export function payableCurrencies (wallets: Wallets, networkCurrencies: readonly string[], owner: Owner): ReadonlySet<string> {
  const mine = wallets(owner).map((w) => w.currency)
  return new Set(owner.mode === 'test' || mine.length === 0 ? [...mine, ...networkCurrencies] : mine)
}

/**
 * The payment as the API returns it: the ledger's data plus `pay_to` instructions. `stores` is the
 * transaction the row was read or changed in (its credits are read there too), or the ledger;
 * `attached`: its credits and refund flag when they were read with the row (`findWithCredits`).
 */
export type PaymentView = (stores: Pick<LedgerStores, 'paymentStatus' | 'channelTransactions'>, row: PaymentRow, attached?: CreditsAndRefunds) => Promise<Static<typeof PaymentSchema>>

export function paymentViewer (wallets: Wallets): PaymentView {
  return async function view (stores, row, attached) {
    const data = await stores.paymentStatus.dataOf(row, attached)
    const amount = `${row.currency} ${formatAmount(amountDue(row))}`
    // A channel payment is collected by its provider's prompt: no wallet to pay by SMS is offered;
    // nor is a wallet in another currency.
    const offered = row.channel_id === null ? wallets({ merchantId: row.merchant_id, mode: row.mode }).filter((w) => w.currency === row.currency) : []
    const pay_to: PayTo[] = offered.map((w) => ({
      network: w.network,
      msisdn: w.msisdn,
      instructions: NETWORK_INFO[w.network].hasReference
        ? `Pay ${amount} to ${w.msisdn} with ${PAYMENT_GUIDES[w.network].name} and enter ${row.hpn_code} as the reference.`
        : `Pay exactly ${amount} to ${w.msisdn} with ${PAYMENT_GUIDES[w.network].name}: the exact amount is how the payment is recognised.`
    }))
    // A channel that also takes money by hand (iPay: a paybill and an account) says where.
    if (row.channel_id !== null) pay_to.push(...await channelPayTo(stores, row, amount))
    // `data` is this call's own object: completed in place rather than copied (a read's garbage).
    return Object.assign(data, { pay_to }) as Static<typeof PaymentSchema>
  }
}

type PayTo = Static<typeof PaymentSchema>['pay_to'][number]

async function channelPayTo (stores: Pick<LedgerStores, 'channelTransactions'>, row: PaymentRow, amount: string): Promise<PayTo[]> {
  const collection = (await stores.channelTransactions.ofPayment(row.id, 'collection'))[0]
  if (collection === undefined) return []
  return manualPayTo(collection.request).map((p) => ({
    network: p.network,
    msisdn: p.paybill,
    paybill: p.paybill,
    account: p.account,
    instructions: `Pay ${amount} to paybill ${p.paybill} with ${PAYMENT_GUIDES[p.network as Network]?.name ?? p.network}, account number ${p.account}.`
  }))
}
