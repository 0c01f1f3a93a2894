import { name } from '../fragments.js'
import type { FieldName, FormatEntry } from '../types.js'
import { moneyNotices, plainNotices } from './common.js'
import { DATE_FIRST, KENYA_FAILURE_WORDS, KENYA_FIELDS, KENYA_MONEY, KE_AMOUNT, kenyaNotices, payerFormats } from './kenya.js'

/**
 * Safaricom M-Pesa (sender `MPESA`). Every receipt opens with its transaction code (10 characters
 * since about 2015, 9 before) and "Confirmed." (Swahili "Imethibitishwa."):
 *   UE78T3GS1I Confirmed.You have received Ksh200.00 from MERCY  MUTUA 0140***619 on 7/5/26 at 4:05 PM  New M-PESA balance is Ksh200.00.
 *   QAI1S35S7Z Confirmed.on 18/1/22 at 3:57 PMKsh40.00 received from 254700000031 MERCY WANJIRU KAMAU. New Account balance is Ksh440.00.
 * Credits need that leading code: the only text a payer controls is their registered name.
 * No receipt carries a note the payer typed; `reference` is only a paybill's "for account X".
 * "Received" alone decides nothing: Ziidi, M-Shwari and own-bank transfers, Fuliza notices (which
 * reuse the payment's code), refunds and reversals are filed before the credit formats can see them.
 * Footers change monthly and run into the text ("Ksh11,312.00.Save & get a loan on Mshwari"), so no
 * pattern is anchored at the end.
 */

/**
 * The transaction code: a letter, then letters and digits (10 characters, 9 before about 2015),
 * and then the confirmation ("Confirmed", "Imethibitishwa", or a Swahili verb such as "Umenunua"),
 * so a promotion's first word is never read as a code.
 */
const CODE = String.raw`(?<transaction_id>[A-Z][A-Z0-9]{8,9})(?=[.,]?\s{0,3}(?:confirmed|imethibitishwa|ume[a-z]{2,12})\b)`
const CODE_FIRST = String.raw`^\s{0,3}(?:congratulations[!.,]?\s{0,3})?${CODE}`
const LEAD = String.raw`${CODE_FIRST}[.,]?\s{0,3}`
const CONFIRMED = String.raw`${LEAD}(?:confirmed|imethibitishwa)\b[.!,]?\s{0,3}`
const MAYBE_CONFIRMED = String.raw`${LEAD}(?:(?:confirmed|imethibitishwa)\b[.!,]?\s{0,3})?`

/** "You have received Ksh X from" / Swahili "Umepokea Ksh X kutoka". */
const RECEIVED = String.raw`${CONFIRMED}(?:you\s{1,3}have\s{1,3}received|umepokea)\s{0,3}${KE_AMOUNT}\s{0,3}(?:from|kutoka)(?:\s{1,3}kwa)?\s{1,3}`
/** A till or paybill number's receipt: "[on D at T]Ksh X received from". */
const TILL_RECEIVED = String.raw`${CONFIRMED}${DATE_FIRST}${KE_AMOUNT}\s{1,3}received\s{1,3}from\s{1,3}`

/**
 * The owner's own money coming back: Ziidi (money-market fund), M-Shwari, KCB M-PESA, Fuliza,
 * Mali, Lock Savings, Hustler Fund. Only when the product is the whole payer name, so a customer
 * whose name merely starts with "Mali" still pays.
 */
const OWN_FUNDS = String.raw`(?:your\s{1,3})?(?:ziidi|m-?shwari|kcb\s{0,2}m-?pesa|fuliza(?:\s{1,3}m-?pesa)?|mali|lock\s{1,3}savings|hustler\s{1,3}fund)(?:\s{1,3}(?:mmf|money\s{1,3}market(?:\s{1,3}fund)?|account|loan|savings(?:\s{1,3}account)?|fund))?(?=\s{0,3}(?:[.,\n]|on\b|mnamo\b|tarehe\b|$))`

/** The leading code is the transaction id of every M-Pesa text that has one; then Kenya's fields. */
export const MPESA_FIELDS: ReadonlyArray<readonly [FieldName, string]> = [['transaction_id', CODE_FIRST], ...KENYA_FIELDS]

export const MPESA_FORMATS: readonly FormatEntry[] = [
  {
    id: 'mpesa.other.own_funds',
    network: 'mpesa',
    kind: 'other',
    description: 'money from the owner\'s own Ziidi, M-Shwari, KCB M-PESA or loan account: not a customer\'s payment',
    pattern: String.raw`${RECEIVED}${OWN_FUNDS}`
  },
  {
    id: 'mpesa.other.own_transfer_in',
    network: 'mpesa',
    kind: 'other',
    description: '"You have transferred Ksh X from your KCB M-PESA account", "Ksh X transferred from M-Shwari account"',
    pattern: String.raw`${CONFIRMED}${DATE_FIRST}(?=[^\n]{0,60}?\btransferr?ed\b)(?:you\s{1,3}have\s{1,3}transferr?ed\s{1,3})?${KE_AMOUNT}\s{1,3}(?:(?:has\s{1,3}been\s{1,3})?transferr?ed\s{1,3})?from\b`
  },
  {
    id: 'mpesa.other.fuliza',
    network: 'mpesa',
    kind: 'other',
    description: 'Fuliza (overdraft) notice, sent with the code of the payment it funded',
    pattern: String.raw`${MAYBE_CONFIRMED}fuliza\s{1,3}m-?pesa\s{1,3}amount\s{1,3}is\s{0,3}${KE_AMOUNT}`
  },
  {
    id: 'mpesa.other.credited_by',
    network: 'mpesa',
    kind: 'other',
    description: '"You have been credited Ksh X by …" is not M-Pesa\'s receipt wording (seen only in an invented sample): never a payment',
    pattern: String.raw`${CONFIRMED}(?:you\s{1,3}have\s{1,3}been\s{1,3})?credited\b[^\n]{0,40}?${KE_AMOUNT}`
  },
  ...payerFormats('mpesa', 'mpesa.credit.received', RECEIVED, 'person to person, Pochi la Biashara, bank and B2C, remittance: You have received Ksh X from …'),
  ...payerFormats('mpesa', 'mpesa.credit.till', TILL_RECEIVED, 'till (Buy Goods) or paybill receipt: [on D at T] Ksh X received from …'),
  {
    id: 'mpesa.credit.cash_in',
    network: 'mpesa',
    kind: 'credit',
    description: 'agent cash-in: "On D at T Give Ksh X cash to AGENT"; the agent (name and place) is the payer',
    pattern: String.raw`${CONFIRMED}${DATE_FIRST}give\s{1,3}${KE_AMOUNT}\s{1,3}cash\s{1,3}to\s{1,3}${name('payer_name', String.raw`\s{0,3}\n|\s{1,3}new\s{1,3}m-?pesa\s{1,3}balance\b|\s{0,3}[.,;](?:\s|$)|\s{0,3}$`)}`
  },
  {
    id: 'mpesa.debit.reversal',
    network: 'mpesa',
    kind: 'debit',
    description: '"Transaction X has been reversed": Safaricom took back money that had come in (the text gives no amount)',
    pattern: String.raw`${CONFIRMED}transaction\s{1,3}[A-Z0-9]{8,12}\s{1,3}has\s{1,3}been\s{1,3}reversed\b`
  },
  {
    id: 'mpesa.debit.fuliza_repayment',
    network: 'mpesa',
    kind: 'debit',
    description: '"Ksh X from your M-PESA has been used to pay your outstanding Fuliza M-PESA"',
    pattern: String.raw`${CONFIRMED}${KE_AMOUNT}\s{1,3}from\s{1,3}your\s{1,3}m-?pesa\s{1,3}has\s{1,3}been\s{1,3}used\b`
  },
  {
    id: 'mpesa.debit.amount_first',
    network: 'mpesa',
    kind: 'debit',
    description: 'Ksh X sent to / paid to / transferred to (person, paybill, till, Pochi, Ziidi, M-Shwari, own bank); Swahili "imetumwa kwa"',
    pattern: String.raw`${CONFIRMED}${DATE_FIRST}${KE_AMOUNT}\s{1,3}(?:sent|paid|transferr?ed|imetumwa|zimetumwa)\s{1,3}(?:to|kwa)\b`
  },
  {
    id: 'mpesa.debit.withdraw',
    network: 'mpesa',
    kind: 'debit',
    description: 'agent withdrawal: "on D at T Withdraw Ksh X from AGENT" (the date may be glued: "PMWithdraw")',
    pattern: String.raw`${CONFIRMED}${DATE_FIRST}withdraw\s{1,3}${KE_AMOUNT}\s{1,3}from\b`
  },
  {
    id: 'mpesa.debit.you_verb',
    network: 'mpesa',
    kind: 'debit',
    description: 'You bought Ksh X of airtime / You have paid, sent, withdrawn …; Swahili "Umelipa", "Umenunua", "Umetuma"',
    pattern: String.raw`${MAYBE_CONFIRMED}${DATE_FIRST}(?:you\s{1,3}(?:have\s{1,3})?(?:bought|sent|paid|withdrawn|withdrew|transferr?ed)|umelipa|umenunua|umetuma|umetoa)\s{1,3}${KE_AMOUNT}`
  },
  ...moneyNotices('mpesa', KENYA_MONEY, KENYA_FAILURE_WORDS),
  {
    id: 'mpesa.other.fuliza_notice',
    network: 'mpesa',
    kind: 'other',
    description: 'other Fuliza notices: limits, charges, amounts outstanding',
    pattern: String.raw`^(?=[\s\S]*?\bfuliza\b)${KENYA_MONEY.someAmount}`
  },
  ...kenyaNotices('mpesa', String.raw`${CODE}[.,]?\s{1,3}`),
  ...plainNotices('mpesa', KENYA_MONEY)
]
