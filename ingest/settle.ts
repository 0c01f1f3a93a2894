import { parseTelcoAmount } from '../core/money.js'
import type { MatchOutcome, ReversalOutcome } from '../ledger/credits.js'
import type { LedgerStores } from '../ledger/ledger.js'
import type { Mode } from '../ledger/modes.js'
import { reversedTransactionId, type ParsedSms, type SmsParser } from '../parsers/index.js'
import { NETWORK_INFO, type Network } from '../core/networks.js'
import { MPESA_CODE_DATE_FLAG, checkMpesaCodeDate } from '../parsers/mpesa-code.js'

import type { SmsOutcome } from '../core/enums.js'

export type { SmsOutcome } from '../core/enums.js'

/** A complete (or released-incomplete) SMS, already stored, about to be settled. */
export interface IncomingSms {
  smsId: number | null
  merchantId: string
  mode: Mode
  /** Whose balance chain this message continues: the modem (wallet SIM) it arrived on. */
  wallet: string
  network: Network
  sender: string
  text: string
  receivedAt: number
  /** Parts were missing when the message was released. */
  incomplete: boolean
}

export interface Settlement {
  outcome: SmsOutcome
  parsed: ParsedSms
  match: MatchOutcome | null
  /** A debit that took back an earlier incoming transaction: what became of its credit. */
  reversal?: ReversalOutcome
}

export interface SettleDeps {
  parser: SmsParser
  /** Config: send credits whose balance chain broke to MANUAL_REVIEW instead of settling them. */
  holdBrokenChains: boolean
}

const minor = (text: string | null): number | null => text === null ? null : parseTelcoAmount(text)

/** A modem may hold a message for days (switched off, no credit): the receive time gets this much slack. */
const RECEIVE_SLACK_DAYS = 3

/**
 * A soft forgery sign (parsers/mpesa-code.ts): the date in an M-PESA code disagrees with the
 * receipt's own date, or with the modem's receive time, or names no day at all. Never a rejection
 * on its own: some real receipts disagree.
 */
export function codeDateDisagrees (network: Network, parsed: ParsedSms, receivedAt: number): boolean {
  if (!NETWORK_INFO[network].datedCodes || parsed.transaction_id === null) return false
  const checks = [checkMpesaCodeDate(parsed.transaction_id, receivedAt, RECEIVE_SLACK_DAYS)]
  if (parsed.time !== null) checks.push(checkMpesaCodeDate(parsed.transaction_id, parsed.time, 1))
  return checks.some((c) => c.status === 'disagrees' || c.status === 'not_a_date')
}

/**
 * From a stored SMS to a settled payment: parse, keep the balance chain, record the credit and
 * match it. Pure ledger work inside the caller's transaction `tx` (the caller also marks the SMS
 * processed in it), so a crash leaves either nothing or everything.
 */
export async function settleSms (deps: SettleDeps, tx: Pick<LedgerStores, 'credits' | 'balances'>, sms: IncomingSms): Promise<Settlement> {
  const parsed = deps.parser.parse({ network: sms.network, sender: sms.sender, text: sms.text })
  // An untrusted message is stored and counted by the caller; it never reaches money or balances.
  if (parsed.kind === 'untrusted' || parsed.kind === 'unparsed') return { outcome: parsed.kind, parsed, match: null }

  const amount = minor(parsed.amount)
  const fee = minor(parsed.fee) ?? 0
  const balance = minor(parsed.balance)
  if (parsed.kind === 'debit') {
    await tx.balances.observe(sms.wallet, sms.mode, amount === null ? null : -(amount + fee), balance)
    const reversed = reversedTransactionId(parsed, sms.text)
    if (reversed === null) return { outcome: 'debit', parsed, match: null }
    const reversal = await tx.credits.reverse({
      merchantId: sms.merchantId, mode: sms.mode, network: sms.network, telcoTransactionId: reversed,
      reversalTransactionId: parsed.transaction_id, smsId: sms.smsId, receivedAt: sms.receivedAt
    })
    return { outcome: 'debit', parsed, match: null, reversal }
  }
  if (parsed.kind === 'other') {
    await tx.balances.observe(sms.wallet, sms.mode, null, balance)
    return { outcome: 'other', parsed, match: null }
  }

  // The parser never calls a message a credit without an amount and a transaction id.
  if (amount === null || parsed.transaction_id === null) return { outcome: 'unparsed', parsed, match: null }
  const flags: string[] = []
  if (await tx.balances.observe(sms.wallet, sms.mode, amount - fee, balance)) flags.push('balance_break')
  if (sms.incomplete) flags.push('incomplete_sms')
  if (codeDateDisagrees(sms.network, parsed, sms.receivedAt)) flags.push(MPESA_CODE_DATE_FLAG)
  const match = await tx.credits.record({
    merchantId: sms.merchantId,
    mode: sms.mode,
    network: sms.network,
    telcoTransactionId: parsed.transaction_id,
    amountMinor: amount,
    currency: parsed.currency ?? NETWORK_INFO[sms.network].currency,
    payerPhone: parsed.payer_phone,
    payerName: parsed.payer_name,
    reference: parsed.reference,
    text: sms.text,
    balanceMinor: balance,
    feeMinor: minor(parsed.fee),
    receivedAt: sms.receivedAt,
    smsId: sms.smsId,
    riskFlags: flags,
    holdForReview: deps.holdBrokenChains && flags.includes('balance_break')
  })
  return { outcome: match.kind === 'duplicate' ? 'duplicate' : 'credit', parsed, match }
}
