import { formatAmount } from '../core/money.js'
import { MODEM_NETWORKS, NETWORK_INFO, type ModemNetwork, type Network } from '../core/networks.js'
import { normalisePhone, internationalPhone } from '../core/phone.js'
import { DEFAULT_TRUSTED_SENDERS } from '../parsers/formats/index.js'

/** The modem networks test mode can write a customer's payment for (the registry's `simulated`). */
export type SimulatedNetwork = ModemNetwork

/** What a simulated payment says; the same fields a customer's real payment produces. */
export interface SimulatedPayment {
  network: SimulatedNetwork
  amountMinor: number
  /** The payer's note; ignored by networks whose receipts carry none. */
  reference: string
  /** 0XXXXXXXXX */
  payerPhone: string
  payerName: string
  transactionId: string
  balanceMinor: number
  at: Date
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** The network's wall clock as d/m/yy and h:mm AM, as Kenyan receipts print it. */
function wallClock (at: Date, offsetMinutes: number): { dmy: string, hm12: string } {
  const local = new Date(at.getTime() + offsetMinutes * 60_000)
  const h = local.getUTCHours()
  return {
    dmy: `${local.getUTCDate()}/${local.getUTCMonth() + 1}/${String(local.getUTCFullYear()).slice(-2)}`,
    hm12: `${h % 12 === 0 ? 12 : h % 12}:${pad(local.getUTCMinutes())} ${h < 12 ? 'AM' : 'PM'}`
  }
}

/** True when test mode can write this network's receipt. */
export function canSimulate (network: Network): network is SimulatedNetwork {
  return (MODEM_NETWORKS as readonly string[]).includes(network) && NETWORK_INFO[network].simulated !== null
}

/**
 * The confirmation SMS a telco sends the wallet for a customer's payment, in the wording of the
 * real samples (the registry's templates, core/networks.ts), so test mode and `harpoon simulate`
 * exercise the same parser and matcher as production.
 */
export function telcoCreditText (p: SimulatedPayment): string {
  const info = NETWORK_INFO[p.network]
  if (info.simulated === null) throw new Error(`test mode cannot write a ${p.network} receipt`)
  const iso = p.at.toISOString()
  const display = normalisePhone(info.country, p.payerPhone) ?? p.payerPhone
  const values: Record<string, string> = {
    amount: formatAmount(p.amountMinor),
    balance: formatAmount(p.balanceMinor),
    name: p.payerName,
    phone: display,
    phone_intl: internationalPhone(info.country, p.payerPhone) ?? p.payerPhone,
    // Kenyan receipts since March 2026: the first four and the last three digits.
    phone_masked: `${display.slice(0, 4)}***${display.slice(-3)}`,
    reference: p.reference,
    transaction_id: p.transactionId,
    iso_date: iso.slice(0, 10),
    iso_time: iso.slice(11, 19),
    ...wallClock(p.at, info.utcOffsetMinutes)
  }
  return info.simulated.credit.replace(/\{([a-z0-9_]+)\}/g, (m, key: string) => values[key] ?? m)
}

const firstTrusted = (network: Network): string => DEFAULT_TRUSTED_SENDERS[network][0] as string

/** The telco's sender ID for simulated messages: the first trusted default of the network. */
export const SIMULATED_SENDER: Readonly<Record<SimulatedNetwork, string>> = Object.fromEntries(MODEM_NETWORKS.map((n) => [n, firstTrusted(n)])) as Record<SimulatedNetwork, string>

/** A made-up customer's number in the network's country, for test SMS that name none. */
export function testPayerPhone (network: Network): string {
  return NETWORK_INFO[network].country === 'KE' ? '0712345678' : '0244123456'
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const ALNUM = `${LETTERS}0123456789`

/** An M-Pesa code's date prefix (parsers/mpesa-code.ts): year, month, day letters of the Kenyan date. */
function codeDate (at: Date, offsetMinutes: number): string {
  const local = new Date(at.getTime() + offsetMinutes * 60_000)
  const year = LETTERS.charAt((local.getUTCFullYear() - 2006) % 26)
  const day = local.getUTCDate()
  return `${year}${LETTERS.charAt(local.getUTCMonth())}${day < 10 ? String(day) : LETTERS.charAt(day - 10)}`
}

/** A transaction id in the network's own shape (MTN 11 digits, Telecel 16, AT 12, M-Pesa a dated 10-character code). */
export function simulatedTransactionId (network: Network, random: () => number = Math.random, at: Date = new Date()): string {
  const info = NETWORK_INFO[network]
  const shape = info.simulated?.transactionId ?? '############'
  const pick = (chars: string): string => chars.charAt(Math.floor(random() * chars.length))
  return shape
    .replace('{code_date}', codeDate(at, info.utcOffsetMinutes))
    .replace(/[#*]/g, (c) => c === '#' ? pick('0123456789') : pick(ALNUM))
}
