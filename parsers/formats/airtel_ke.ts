import type { FieldName, FormatEntry } from '../types.js'
import { COMMON_FIELDS, moneyNotices, plainNotices } from './common.js'
import { KENYA_FAILURE_WORDS, KENYA_FIELDS, KENYA_MONEY, KE_AMOUNT, kenyaNotices, payerFormats } from './kenya.js'

/**
 * Airtel Money Kenya (sender `AirtelMoney`). The 2026 texts open with the transaction id: 11
 * characters and a full stop for transfers and payments, 11 digits for airtime and bundles:
 *   B3MB49H4BYN. Ksh 700 sent to NAME 2547....9422 on 12/05/26 at 03:26 PM. Fee: Ksh 11. Bal: Ksh 1282.0. MPESA ID: UECRI3YR0M
 *   07311573441 Confirmed. Bundle purchase successful of Ksh 10 via Airtel Networks Kenya Ltd on 13/05/26 at 06:45 AM. …
 * The 2014 ones opened with "Trans. ID: 13 digits". No modern receipt of money received has been
 * seen: the credit formats take the leading id and the wording of the sent texts turned round
 * ("Ksh X received from", "You have received Ksh X from"), as the 2014 receipt had it. Expect to
 * correct them from config when a real one arrives. "MPESA ID:" is the M-Pesa side's code, never
 * this message's id.
 */

/** An id must hold a digit, so a promotion's first word ("Congratulations!") is never read as one. */
const ID = String.raw`(?=[A-Z]{0,13}\d)[A-Z0-9]{8,14}(?![A-Z0-9])`
/** "B3MB49H4BYN. ", "07311573441 Confirmed. ", 2014's "Trans. ID: 1440225031704 ". */
const ID_FIRST = String.raw`(?:trans(?:action)?\.?\s{0,3}id\s{0,3}[:.]?\s{0,3})?(?<transaction_id>${ID})\.?\s{1,3}`
const LEAD = String.raw`^\s{0,3}${ID_FIRST}(?:(?:confirmed|successful)\b[.!,]?\s{0,3})?`
/** "You have received Ksh X from" or "Ksh X received from". */
const RECEIVED = String.raw`${LEAD}(?=you\s{1,3}have\s{1,3}received\b|[^\n]{1,30}?\s(?:received|umepokea)\s{1,3}from\b)(?:you\s{1,3}have\s{1,3}received\s{1,3})?${KE_AMOUNT}\s{1,3}(?:received\s{1,3})?from\s{1,3}`

/**
 * The leading id first; then the 2014 "Trans. ID: …" (COMMON_FIELDS' id pattern reads it); then
 * Kenya's fields.
 */
export const AIRTEL_KE_FIELDS: ReadonlyArray<readonly [FieldName, string]> = [
  ['transaction_id', String.raw`^\s{0,3}(?<transaction_id>${ID})\.?(?:\s|$)`],
  ...COMMON_FIELDS.filter(([field]) => field === 'transaction_id'),
  ...KENYA_FIELDS
]

export const AIRTEL_KE_FORMATS: readonly FormatEntry[] = [
  ...payerFormats('airtel_ke', 'airtel_ke.credit.received', RECEIVED, 'received from …'),
  {
    id: 'airtel_ke.debit.amount_first',
    network: 'airtel_ke',
    kind: 'debit',
    description: 'Ksh X sent to / paid to (a person, M-Pesa, a till)',
    pattern: String.raw`${LEAD}${KE_AMOUNT}\s{1,3}(?:sent|paid|transferred|withdrawn)\s{1,3}(?:to|from|at)\b`
  },
  {
    id: 'airtel_ke.debit.purchase',
    network: 'airtel_ke',
    kind: 'debit',
    description: 'bundle purchase, airtime top up, bill payment; 2014 "You have received Airtime of X from your OWN account"',
    pattern: String.raw`${LEAD}(?:(?:bundle|airtime|data)[^\n]{0,20}?(?:purchase|top\s?up|bought)\b|(?:bill\s{1,3})?payment\b|you\s{1,3}have\s{1,3}received\s{1,3}airtime\s{1,3}of\b)[\s\S]{0,60}?${KE_AMOUNT}`
  },
  {
    id: 'airtel_ke.debit.you_verb',
    network: 'airtel_ke',
    kind: 'debit',
    description: 'You have sent / paid / bought / withdrawn Ksh X',
    pattern: String.raw`${LEAD}you\s{1,3}have\s{1,3}(?:sent|paid|bought|withdrawn|transferred)\s{1,3}${KE_AMOUNT}`
  },
  ...moneyNotices('airtel_ke', KENYA_MONEY, KENYA_FAILURE_WORDS),
  ...kenyaNotices('airtel_ke', ID_FIRST),
  ...plainNotices('airtel_ke', KENYA_MONEY)
]
