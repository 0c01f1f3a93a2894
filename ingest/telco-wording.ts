import { formatAmount } from '../core/money.js'
import { DEFAULT_TRUSTED_SENDERS } from '../parsers/formats/index.js'
import type { Network } from '../parsers/types.js'

/** What a simulated payment says; the same fields a customer's real payment produces. */
export interface SimulatedPayment {
  network: 'mtn' | 'telecel' | 'at'
  amountMinor: number
  reference: string
  /** 0XXXXXXXXX */
  payerPhone: string
  payerName: string
  transactionId: string
  balanceMinor: number
  at: Date
}

const intl = (phone: string): string => `233${phone.slice(1)}`
const stamp = (d: Date): { date: string, time: string } => {
  const iso = d.toISOString()
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) }
}

/**
 * The confirmation SMS a telco sends the wallet for a customer's payment, in the wording of the
 * real samples (fixtures/sms-ghana.json), so test mode and `harpoon simulate` exercise the same
 * parser and matcher as production.
 */
export function telcoCreditText (p: SimulatedPayment): string {
  const amount = formatAmount(p.amountMinor)
  const balance = formatAmount(p.balanceMinor)
  const { date, time } = stamp(p.at)
  switch (p.network) {
    case 'mtn':
      return `Payment received for GHS ${amount} from ${p.payerName}  Current Balance: GHS ${balance} . Available Balance: GHS ${balance}. Reference: ${p.reference}. Transaction ID: ${p.transactionId}. TRANSACTION FEE: 0.00`
    case 'telecel':
      return `${p.transactionId} Confirmed. You have received GHS${amount} from ${intl(p.payerPhone)} - ${p.payerName} on ${date} at ${time}. Your Telecel Cash balance is GHS${balance}. Reference: ${p.reference}.`
    case 'at':
      return `Trans. ID: ${p.transactionId} You have received ${amount}GHS from ${intl(p.payerPhone)}. Reference: ${p.reference}. Your available balance is ${balance}GHS.`
  }
}

const firstTrusted = (network: SimulatedPayment['network']): string => DEFAULT_TRUSTED_SENDERS[network][0] as string

/** The telco's sender ID for simulated messages: the first trusted default of the network. */
export const SIMULATED_SENDER: Readonly<Record<SimulatedPayment['network'], string>> = {
  mtn: firstTrusted('mtn'), telecel: firstTrusted('telecel'), at: firstTrusted('at')
}

/** A transaction id in the network's own shape (MTN 11 digits, Telecel 16, AT 12). */
export function simulatedTransactionId (network: Network, random: () => number = Math.random): string {
  const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('')
  switch (network) {
    case 'mtn': return `9${digits(10)}`
    case 'telecel': return `00000${digits(11)}`
    default: return `31${digits(10)}`
  }
}
