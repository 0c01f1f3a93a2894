import { parseTelcoAmount, type MinorUnits } from '../../core/money.js'
import { normaliseKenyaPhone } from '../../core/phone.js'

/**
 * iPay's status codes (research note B.8: the variables_return page and the constants of working
 * clients). They are opaque strings, not words; the same codes come in the callback, out of the IPN
 * and out of `transact/mobilemoney`.
 */
export const IPAY_STATUS = {
  paid: 'aei7p7yrx4ae34',
  pending: 'bdi6p2yy76etrs',
  /** "Not all parameters fulfilled": iPay could not match what it was asked about. */
  failed: 'fe2707etr5s4wq',
  used: 'cr5i3pgy9867e1',
  less: 'dtfi4p7yty45wq',
  more: 'eq3i7p5yt7645e'
} as const
export type IpayStatusCode = typeof IPAY_STATUS[keyof typeof IPAY_STATUS]

/** iPay's own words for each code, as its variables_return page gives them. */
export const IPAY_STATUS_TEXT: Readonly<Record<IpayStatusCode, string>> = {
  [IPAY_STATUS.paid]: 'The transaction is valid',
  [IPAY_STATUS.pending]: 'Incoming Mobile Money Transaction Not found. Please try again in 5 minutes.',
  [IPAY_STATUS.failed]: 'Not all parameters fulfilled',
  [IPAY_STATUS.used]: 'This code has been used already',
  [IPAY_STATUS.less]: 'The amount paid is less than the amount required',
  [IPAY_STATUS.more]: 'The amount paid is more than the amount required'
}

/** What iPay says the customer actually did, with the money's details where money moved. */
export interface IpayPayment {
  /** `mc`: the amount iPay says came in (whole shillings on M-Pesa), null when absent or unreadable. */
  amountMinor: MinorUnits | null
  /** `txncd`: the M-Pesa / Airtel receipt the payer got. */
  receipt: string | null
  /** `msisdn_id`: the payer's registered name. */
  payerName: string | null
  /** `msisdn_idnum`: the payer's phone in display form (07…/01…), null when absent or not a Kenyan number. */
  payerPhone: string | null
  /** `channel`, e.g. "MPESA". */
  channel: string | null
}

export type MoneyKind = 'paid' | 'less' | 'more' | 'used'
export type FailureKind = 'cancelled' | 'wrong_pin' | 'insufficient_funds' | 'timed_out'

/**
 * The one shape every iPay answer is read into (status code, IPN body, search text). `text` keeps
 * iPay's own words for the audit trail and the failure reason.
 * - `pending`: nothing has happened yet; ask again later.
 * - `unverified`: iPay vouched for nothing (the IPN's "Not all parameters fulfilled", or an answer
 *   this client cannot read). Never final: it must change nothing about a payment.
 */
export type IpayOutcome =
  | { kind: MoneyKind, text: string, payment: IpayPayment }
  | { kind: FailureKind, text: string }
  | { kind: 'pending', text: string }
  | { kind: 'unverified', text: string }
export type IpayOutcomeKind = IpayOutcome['kind']

/** The payment status each outcome leads to (SPEC §4 names); null where the payment stays as it is. */
export const PAYMENT_STATUS_FOR: Readonly<Record<IpayOutcomeKind, 'SUCCESS' | 'PARTIAL' | 'OVERPAID' | 'MANUAL_REVIEW' | 'FAILED' | null>> = {
  paid: 'SUCCESS',
  less: 'PARTIAL',
  more: 'OVERPAID',
  used: 'MANUAL_REVIEW',
  cancelled: 'FAILED',
  wrong_pin: 'FAILED',
  insufficient_funds: 'FAILED',
  timed_out: 'FAILED',
  pending: null,
  unverified: null
}

export function isFinal (outcome: IpayOutcome): boolean {
  return PAYMENT_STATUS_FOR[outcome.kind] !== null
}

export function isMoneyOutcome (outcome: IpayOutcome): outcome is Extract<IpayOutcome, { kind: MoneyKind }> {
  return outcome.kind === 'paid' || outcome.kind === 'less' || outcome.kind === 'more' || outcome.kind === 'used'
}

function text (value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null
}

/** Reads the money fields iPay sends with a code (callback query, mobilemoney body). */
export function paymentFrom (fields: Readonly<Record<string, unknown>>): IpayPayment {
  const mc = text(fields['mc'])
  const phone = text(fields['msisdn_idnum'])
  return {
    amountMinor: mc === null ? null : parseTelcoAmount(mc),
    receipt: text(fields['txncd']),
    payerName: text(fields['msisdn_id']),
    payerPhone: phone === null ? null : normaliseKenyaPhone(phone),
    channel: text(fields['channel'])
  }
}

const MONEY_KIND_OF: Readonly<Record<string, MoneyKind>> = {
  [IPAY_STATUS.paid]: 'paid', [IPAY_STATUS.less]: 'less', [IPAY_STATUS.more]: 'more', [IPAY_STATUS.used]: 'used'
}

/** A status code (with the fields that came beside it) as an outcome. Unknown codes are `unverified`. */
export function outcomeFromCode (code: string, fields: Readonly<Record<string, unknown>> = {}): IpayOutcome {
  const known = (Object.values(IPAY_STATUS) as string[]).includes(code) ? IPAY_STATUS_TEXT[code as IpayStatusCode] : null
  const kind = MONEY_KIND_OF[code]
  if (kind !== undefined) return { kind, text: known ?? code, payment: paymentFrom(fields) }
  if (code === IPAY_STATUS.pending) return { kind: 'pending', text: known ?? code }
  return { kind: 'unverified', text: known ?? `unknown iPay status ${JSON.stringify(code.slice(0, 40))}` }
}

/**
 * `transaction/search` answers a finished-but-unpaid STK with free text in an HTTP error (B.6).
 * Matched case-insensitively on the words iPay uses; an unknown text is `unverified`, never a failure.
 */
const SEARCH_TEXTS: ReadonlyArray<readonly [RegExp, FailureKind | 'pending' | 'used']> = [
  [/no payment record found/i, 'pending'],
  [/timed out/i, 'timed_out'],
  [/cancell?ed by the user/i, 'cancelled'],
  [/incorrect pin/i, 'wrong_pin'],
  [/balance is insufficient/i, 'insufficient_funds'],
  [/used already/i, 'used']
]

export function outcomeFromSearchText (message: string): IpayOutcome {
  const kind = SEARCH_TEXTS.find(([re]) => re.test(message))?.[1]
  if (kind === undefined) return { kind: 'unverified', text: message }
  if (kind === 'used') return { kind, text: message, payment: paymentFrom({}) }
  return { kind, text: message }
}

/** Paid, less or more, judged from the amount a search reports against the amount asked for. */
export function moneyKindFor (paidMinor: MinorUnits, askedMinor: MinorUnits): 'paid' | 'less' | 'more' {
  return paidMinor === askedMinor ? 'paid' : paidMinor < askedMinor ? 'less' : 'more'
}
