import { AMOUNT_NOT_BALANCE, CUR, DATE_TIME, NUM, money } from '../fragments.js'
import type { FieldName, FormatEntry, Network } from '../types.js'

/**
 * "Transaction ID: 88139850923", "Financial Transaction Id: …", "Trans. ID: …", "TransID: …".
 * "External Transaction Id" repeats or blanks the real one. The engine takes the last match of
 * this field because telcos write their id after the payer's note, which the payer controls.
 */
export const TRANSACTION_ID_FIELD = String.raw`(?<!external\s{1,3})\b(?:financial\s{1,3})?(?:transaction|trans|txn|tran)\.?\s{0,3}id\b\s{0,3}[:.#]?\s{0,3}(?<transaction_id>[A-Z0-9]{4,40})\b`

/** Where a payer's note ends: the telco's next clause, a footer, a line break or the end. */
const NOTE_END = String.raw`\s{0,3}[.,]\s{0,3}(?:(?:financial\s{1,3}|external\s{1,3})?(?:transaction|trans|txn)\.?\s{0,3}id\b|transaction\s{1,3}fee|fee\s{1,3}(?:charged|was)|tax\b|(?:your\s{1,3})?(?:new\s{1,3}|current\s{1,3}|available\s{1,3})?(?:telecel\s{1,3}cash\s{1,3})?balance\b|message\s{1,3}to\s{1,3}receiver|stay\s{1,3}alert|never\s{1,3}share|sendi\b|do\s{1,3}more|download\b|thank\s{1,3}you|click\b|dial\b)|\s{0,3}\n|\s{0,3}$`

/** "Reference:", "Ref:", MTN's "Message from sender:"; never Telecel's fixed "transaction reference:". */
const NOTE_LABEL = String.raw`(?<!transaction\s{1,3})\b(?:reference|ref|message\s{1,3}from\s{1,3}sender)\s{0,3}:\s{0,3}`

/**
 * Field patterns every network shares, tried in order. The engine searches them, after a format's
 * own `fields`, for any field the matching format left empty, so a clause that moves in the next
 * release ("Reference" before or after "Transaction ID") is still found.
 */
export const COMMON_FIELDS: ReadonlyArray<readonly [FieldName, string]> = [
  ['transaction_id', TRANSACTION_ID_FIELD],
  ['balance', String.raw`\bbalance\b(?:\s{1,3}is)?\s{0,3}[:.]?\s{0,3}${money('balance')}`],
  ['fee', String.raw`\b(?:transaction\s{1,3}fee|fee\s{1,3}charged|fee|charged)\b(?:\s{1,3}(?:is|was))?\s{0,3}[:.]?\s{0,3}(?:${CUR}\s{0,3})?(?<fee>${NUM})`],
  // The note runs to the telco's next clause, so "order no. HKMVR2" keeps its code; only when no
  // known clause follows does the first full stop end it.
  ['reference', String.raw`${NOTE_LABEL}(?<reference>[^\n]{0,160}?)(?=${NOTE_END})`],
  ['reference', String.raw`${NOTE_LABEL}(?<reference>[^\n]{0,160}?)(?=\s{0,3}\.(?:\s|$))`],
  ['time', String.raw`(?<time>${DATE_TIME})`]
]

/**
 * How a country writes money, for the notice formats every network shares: the currency's
 * spellings, the first amount that is not a balance (so notices still show what they were about),
 * and a balance.
 */
export interface MoneyDialect { cur: string, someAmount: string, balance: string }

export const GHANA_MONEY: MoneyDialect = { cur: CUR, someAmount: AMOUNT_NOT_BALANCE, balance: money('balance') }

/** A keyword anywhere in the message; the anchored lookahead scans once, in linear time. */
function keyword (words: string, dialect: MoneyDialect): string {
  return String.raw`^(?=[\s\S]*?\b(?:${words})\b)${dialect.someAmount}`
}

/** What the failure notice looks for; a network may add its own words (Kenya's Swahili ones). */
export const FAILURE_WORDS = String.raw`failed|failure|unsuccessful|declined|rejected|voided|not\s{1,3}(?:successful|completed|processed)|could\s{1,3}not|unable`

/**
 * Notices that move money but are not a customer's payment, or report a failure. They run after
 * the credit formats (whose wording is anchored at the start) and before the debit formats, so
 * "Your payment of GHS 5.00 … has failed" is never a debit. A credit whose telco wording says
 * any of this is turned into `other` by the engine as well (see engine.ts, NOT_A_CREDIT).
 */
export function moneyNotices (network: Network, dialect: MoneyDialect = GHANA_MONEY, failureWords = FAILURE_WORDS): FormatEntry[] {
  return [
    { id: `${network}.other.failed`, network, kind: 'other', description: 'failed or declined transaction', pattern: keyword(failureWords, dialect) },
    { id: `${network}.other.refund`, network, kind: 'other', description: 'refund into the wallet', pattern: keyword(String.raw`refund(?:ed|s)?`, dialect) },
    { id: `${network}.other.reversal`, network, kind: 'other', description: 'reversal', pattern: keyword(String.raw`revers(?:al|als|ed|e)`, dialect) },
    { id: `${network}.other.interest`, network, kind: 'other', description: 'interest paid on the wallet', pattern: keyword('interest', dialect) },
    { id: `${network}.other.reward`, network, kind: 'other', description: 'cashback, bonus, commission, reward', pattern: keyword(String.raw`cash\s?back|bonus|commission|reward`, dialect) },
    {
      id: `${network}.other.bundle`,
      network,
      kind: 'other',
      description: 'data or airtime bundle purchase confirmation',
      pattern: String.raw`^(?=[\s\S]*?\bbundles?\b)(?=[\s\S]*?\b(?:purchased|bought|subscribed|activated|renewed)\b)${dialect.someAmount}`
    }
  ]
}

/**
 * Notices without a transaction. They run last so that an unknown money wording stays `unparsed`
 * (surfaced to the operator) instead of being filed away as a notice.
 */
export function plainNotices (network: Network, dialect: MoneyDialect = GHANA_MONEY): FormatEntry[] {
  return [
    {
      id: `${network}.other.security`,
      network,
      kind: 'other',
      description: 'OTP and fraud warnings (no money in the text)',
      pattern: String.raw`^(?![\s\S]*?${dialect.cur}\s?\d)[\s\S]{0,160}?\b(?:fraud|otp|one[\s-]?time\s{1,3}(?:password|pin|code)|verification\s{1,3}code|pin)\b`
    },
    {
      id: `${network}.other.balance`,
      network,
      kind: 'other',
      description: 'balance notice with no transaction',
      pattern: String.raw`^(?![\s\S]*?\b(?:received|sent|paid|payment|transfer\w*|deposit\w*|withdr\w*|cash)\b)[\s\S]{0,300}?\bbalance\b(?:\s{1,3}is)?\s{0,3}[:.]?\s{0,3}${dialect.balance}`
    }
  ]
}
